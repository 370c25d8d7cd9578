//! The sample Lambda: the smallest real function that proves the offline platform.
//!
//! It answers the three ways our product functions are invoked: directly (Step Functions tasks and
//! `Invoke`), by an SQS event source mapping with partial batch failures, and by a DynamoDB stream. It
//! records what it received in a bucket, so a test can see that the event reached real code through
//! the real event source, in the shape AWS documents.

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use platform::failure::{Classified, Failure};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Where the function leaves evidence of what it received.
pub trait Evidence: Send + Sync {
    /// Store `body` under `key`.
    fn put(
        &self,
        key: &str,
        body: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<(), SampleError>> + Send;
}

/// A direct invocation: what the caller asks the function to do.
#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Request {
    /// Answer with the payload and the function's name.
    Echo {
        /// Anything; returned as is.
        #[serde(default)]
        payload: Value,
    },
    /// Fail with this `errorType`, so Retry and Catch can be exercised on a named error.
    Fail {
        /// The `errorType` Step Functions will match.
        error_type: String,
        /// The `errorMessage`.
        #[serde(default)]
        message: String,
    },
    /// Add two numbers (a Task with a result worth asserting).
    Add {
        /// Left operand.
        a: i64,
        /// Right operand.
        b: i64,
    },
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// The caller asked for a failure.
    #[error("{message}")]
    Requested {
        /// The `errorType` asked for.
        error_type: String,
        /// The message asked for.
        message: String,
    },
    /// The event is neither a request, an SQS batch nor a stream batch.
    #[error("event is not a sample request, an SQS batch or a DynamoDB stream batch: {0}")]
    InvalidInput(String),
    /// Evidence could not be stored.
    #[error("cannot store evidence {key}: {message}")]
    Evidence {
        /// The key being written.
        key: String,
        /// What the store answered.
        message: String,
    },
    /// `a + b` overflowed.
    #[error("{a} + {b} overflows a 64-bit integer")]
    Overflow {
        /// Left operand.
        a: i64,
        /// Right operand.
        b: i64,
    },
}

impl Classified for SampleError {
    fn error_type(&self) -> &str {
        match self {
            SampleError::Requested { error_type, .. } => error_type,
            SampleError::InvalidInput(_) => "InvalidInput",
            SampleError::Evidence { .. } => "EvidenceNotStored",
            SampleError::Overflow { .. } => "InvalidInput",
        }
    }
}

impl From<SampleError> for Failure {
    fn from(e: SampleError) -> Self {
        Failure::from_classified(&e)
    }
}

/// The message body that makes the SQS handler report the message as a batch item failure.
pub const POISON: &str = "poison";

/// Handle one invocation of any of the three kinds.
pub async fn handle(
    event: Value,
    function_name: &str,
    evidence: &impl Evidence,
) -> Result<Value, SampleError> {
    match event_source(&event) {
        Some("aws:sqs") => {
            let batch: SqsEvent = serde_json::from_value(event)
                .map_err(|e| SampleError::InvalidInput(format!("SQS event: {e}")))?;
            let response = handle_sqs(batch, evidence).await?;
            Ok(serde_json::to_value(response).unwrap_or(Value::Null))
        }
        Some("aws:dynamodb") => {
            let batch: StreamEvent = serde_json::from_value(event)
                .map_err(|e| SampleError::InvalidInput(format!("DynamoDB stream event: {e}")))?;
            handle_stream(batch, evidence).await?;
            Ok(Value::Null)
        }
        Some(other) => Err(SampleError::InvalidInput(format!(
            "unsupported eventSource {other}"
        ))),
        None => {
            let request: Request = serde_json::from_value(event)
                .map_err(|e| SampleError::InvalidInput(e.to_string()))?;
            handle_request(request, function_name)
        }
    }
}

/// `Records[0].eventSource` of an event source mapping's batch; a direct request has none.
fn event_source(event: &Value) -> Option<&str> {
    event.get("Records")?.get(0)?.get("eventSource")?.as_str()
}

fn handle_request(request: Request, function_name: &str) -> Result<Value, SampleError> {
    match request {
        Request::Echo { payload } => Ok(json!({"echo": payload, "function": function_name})),
        Request::Fail {
            error_type,
            message,
        } => Err(SampleError::Requested {
            error_type,
            message,
        }),
        Request::Add { a, b } => a
            .checked_add(b)
            .map(|sum| json!({"sum": sum}))
            .ok_or(SampleError::Overflow { a, b }),
    }
}

/// Store each message's body under `sqs/<messageId>`; report poison messages as batch item failures
/// so only they return to the queue (and, after maxReceiveCount, reach the DLQ).
pub async fn handle_sqs(
    batch: SqsEvent,
    evidence: &impl Evidence,
) -> Result<SqsBatchResponse, SampleError> {
    let mut response = SqsBatchResponse::default();
    for message in batch.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.clone().unwrap_or_default();
        if body.contains(POISON) {
            response.add_failure(id);
            continue;
        }
        if let Err(e) = evidence.put(&format!("sqs/{id}"), body.into_bytes()).await {
            tracing::warn!(message_id = %id, error = %e, "message not recorded; returned to the queue");
            response.add_failure(id);
        }
    }
    Ok(response)
}

/// Store each stream record's name, keys and user identity under `stream/<eventID>.json`.
pub async fn handle_stream(
    batch: StreamEvent,
    evidence: &impl Evidence,
) -> Result<(), SampleError> {
    for record in batch.records {
        let summary = json!({
            "eventName": record.event_name,
            "keys": serde_json::to_value(&record.change.keys).unwrap_or(Value::Null),
            "userIdentity": record.user_identity.as_ref().map(|u| json!({
                "type": u.type_, "principalId": u.principal_id
            })),
        });
        let key = format!("stream/{}.json", record.event_id);
        evidence.put(&key, summary.to_string().into_bytes()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

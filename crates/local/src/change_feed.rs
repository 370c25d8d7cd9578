//! A subscriber of Historical's change feed: a new SQS queue subscribed to the change-feed topic
//! with raw delivery and a filter policy, as a consumer of the feed would subscribe, and drained to
//! check what it received. The demo, the pipeline benchmark and the integration tests all count
//! the feed's messages this way; one copy, here.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::sdk::Target;

/// Subscribing or receiving failed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// An SQS or SNS call failed.
    #[error("{action}: {message}")]
    Api {
        /// The call.
        action: &'static str,
        /// What the service answered.
        message: String,
    },
    /// A call succeeded without what it must return.
    #[error("{action} gave no {what}")]
    Missing {
        /// The call.
        action: &'static str,
        /// The missing value.
        what: &'static str,
    },
    /// A message body is not JSON (every change-feed message is).
    #[error("a change-feed message is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
}

fn api<E: std::error::Error + 'static>(action: &'static str) -> impl FnOnce(E) -> FeedError {
    move |e| FeedError::Api {
        action,
        message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
    }
}

/// One change-feed message: what a subscriber filters and reads.
#[derive(Debug, Clone)]
pub struct FeedMessage {
    /// The parsed body.
    pub body: Value,
    /// The String message attributes (what filter policies match).
    pub attributes: BTreeMap<String, String>,
}

/// A queue subscribed to the change feed with raw delivery and a filter policy.
pub struct Subscriber {
    sqs: aws_sdk_sqs::Client,
    /// The queue's URL.
    pub queue_url: String,
    /// The queue's ARN (the subscription's endpoint).
    pub queue_arn: String,
    /// The subscription's ARN, when SNS returned it.
    pub subscription_arn: Option<String>,
}

impl Subscriber {
    /// Creates queue `queue_name` in `target` and subscribes it to `topic_arn` with
    /// `RawMessageDelivery` and `filter_policy`: the messages arrive as the feed publishes them.
    pub async fn subscribe(
        target: &Target,
        topic_arn: &str,
        queue_name: &str,
        filter_policy: &Value,
    ) -> Result<Self, FeedError> {
        let config = target.sdk_config();
        let sqs = aws_sdk_sqs::Client::new(&config);
        let sns = aws_sdk_sns::Client::new(&config);
        let queue_url = sqs
            .create_queue()
            .queue_name(queue_name)
            .send()
            .await
            .map_err(api("CreateQueue"))?
            .queue_url
            .ok_or(FeedError::Missing {
                action: "CreateQueue",
                what: "queue URL",
            })?;
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(api("GetQueueAttributes"))?
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .ok_or(FeedError::Missing {
                action: "GetQueueAttributes",
                what: "queue ARN",
            })?;
        let subscription = sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(&queue_arn)
            .attributes("RawMessageDelivery", "true")
            .attributes("FilterPolicy", filter_policy.to_string())
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(api("Subscribe"))?;
        Ok(Self {
            sqs,
            queue_url,
            queue_arn,
            subscription_arn: subscription.subscription_arn,
        })
    }

    /// Every message received so far, deleted from the queue: receives until the queue answers
    /// empty (call it once the pipeline is idle).
    pub async fn drain(&self) -> Result<Vec<FeedMessage>, FeedError> {
        self.drain_expecting(0, Duration::ZERO).await
    }

    /// [`Subscriber::drain`] that waits (long polls of one second) up to `patience` for at least
    /// `expected` messages, for callers that read the feed while delivery may still be under way.
    pub async fn drain_expecting(
        &self,
        expected: usize,
        patience: Duration,
    ) -> Result<Vec<FeedMessage>, FeedError> {
        let begun = Instant::now();
        let wait = (!patience.is_zero()).then_some(1);
        let mut out = Vec::new();
        loop {
            let received = self.receive(wait).await?;
            if received.is_empty() {
                if out.len() >= expected || begun.elapsed() >= patience {
                    return Ok(out);
                }
                continue;
            }
            out.extend(received);
        }
    }

    /// One ReceiveMessage (up to 10 messages, every attribute), the messages deleted in one batch.
    async fn receive(&self, wait_seconds: Option<i32>) -> Result<Vec<FeedMessage>, FeedError> {
        let answer = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .set_wait_time_seconds(wait_seconds)
            .visibility_timeout(300)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(api("ReceiveMessage"))?;
        let messages = answer.messages.unwrap_or_default();
        let mut out = Vec::with_capacity(messages.len());
        let mut entries = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let body: Value = serde_json::from_str(m.body().unwrap_or("null"))?;
            let attributes = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.clone(), v.string_value().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            out.push(FeedMessage { body, attributes });
            if let Some(handle) = m.receipt_handle() {
                entries.push(
                    aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()
                        .map_err(api("DeleteMessageBatch"))?,
                );
            }
        }
        if !entries.is_empty() {
            let deleted = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(api("DeleteMessageBatch"))?;
            if let Some(failed) = deleted.failed().first() {
                return Err(FeedError::Api {
                    action: "DeleteMessageBatch",
                    message: format!(
                        "{} of the messages not deleted, e.g. {}: {}",
                        deleted.failed().len(),
                        failed.code(),
                        failed.message().unwrap_or_default()
                    ),
                });
            }
        }
        Ok(out)
    }
}

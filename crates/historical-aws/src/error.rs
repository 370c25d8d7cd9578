//! The errors of Historical's functions, each with the stable `errorType` the runtime reports.

use aws_lambda_events::event::sqs::BatchItemFailure;
use platform::config::ConfigError;
use platform::failure::{Classified, Failure};
use platform::roles::RoleError;

use crate::describe::DescribeError;
use crate::store::StoreError;

/// Why a function (or one record of its batch) failed.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The function's environment is wrong (cold start).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The invocation's payload is not the event this function reads (wrong shape, or JSON nested
    /// too deep to decode).
    #[error(transparent)]
    Undecodable(#[from] platform::serve::UndecodableEvent),
    /// A message is not what its queue carries.
    #[error("message {message_id}: {reason}")]
    InvalidMessage {
        /// The SQS message id (or stream event id).
        message_id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An event whose `eventTime` cannot be true for the time our queue received it
    /// (`historical::timeliness`): refused before any describe or write.
    #[error("message {message_id}: {source}")]
    OutOfTime {
        /// The SQS message id.
        message_id: String,
        /// Its eventTime, its receive time and the bound crossed.
        source: historical::timeliness::EventOutOfTime,
    },
    /// Not judged: an earlier message of the same resource in the batch failed, and changes of
    /// one resource are judged in order.
    #[error("message {message_id}: waits for an earlier message of {arn} that failed")]
    Waiting {
        /// The SQS message id.
        message_id: String,
        /// The resource.
        arn: String,
    },
    /// The member account's role could not be assumed.
    #[error(transparent)]
    Role(#[from] RoleError),
    /// Listing or describing failed.
    #[error(transparent)]
    Describe(#[from] DescribeError),
    /// A Current or Durable table (or the offload bucket) failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stream record cannot be forwarded.
    #[error(transparent)]
    Proxy(#[from] historical::proxy::ProxyError),
    /// This deployment records no table for the technology.
    #[error("no {kind} table is configured for technology {tech}")]
    NoTable {
        /// `Current` or `Durable`.
        kind: &'static str,
        /// The technology id.
        tech: String,
    },
    /// SQS refused messages even after retries.
    #[error(transparent)]
    Send(#[from] platform::outbox::Unsent),
    /// SNS refused a publication.
    #[error("Publish to {topic}: {message}")]
    Publish {
        /// The topic ARN.
        topic: String,
        /// What SNS answered.
        message: String,
    },
    /// A revision's row could not be written to the history table.
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    /// A day of the history table could not be compacted.
    #[error(transparent)]
    Compaction(#[from] crate::history::CompactionError),
    /// The account list could not be read (SWAG file, Organizations).
    #[error("accounts from {source_name}: {message}")]
    Accounts {
        /// `list`, `swag` or `organizations`.
        source_name: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl Classified for FunctionError {
    fn error_type(&self) -> &str {
        match self {
            FunctionError::Config(_) => "Configuration",
            FunctionError::Undecodable(_) => "UndecodableEvent",
            FunctionError::InvalidMessage { .. } => "InvalidMessage",
            FunctionError::OutOfTime { .. } => "EventOutOfTime",
            FunctionError::Waiting { .. } => "WaitingForEarlierMessage",
            FunctionError::Role(_) => "MemberRoleRefused",
            FunctionError::Describe(e) if e.is_access_denied() => "AccessDenied",
            FunctionError::Describe(_) => "DescribeFailed",
            FunctionError::Store(_) => "StoreFailed",
            FunctionError::Proxy(historical::proxy::ProxyError::InvalidRecord { .. }) => {
                "InvalidRecord"
            }
            FunctionError::Proxy(historical::proxy::ProxyError::Message { .. }) => {
                "InvalidRevision"
            }
            FunctionError::NoTable { .. } => "TechnologyNotRecorded",
            FunctionError::Send(_) => "SendFailed",
            FunctionError::Publish { .. } => "PublishFailed",
            FunctionError::History(_) => "HistoryWriteFailed",
            FunctionError::Compaction(_) => "CompactionFailed",
            FunctionError::Accounts { .. } => "AccountsUnavailable",
        }
    }
}

impl From<FunctionError> for Failure {
    fn from(e: FunctionError) -> Self {
        Failure::from_classified(&e)
    }
}

impl FunctionError {
    /// An invalid message, naming it.
    pub fn invalid(message_id: impl Into<String>, reason: impl Into<String>) -> Self {
        FunctionError::InvalidMessage {
            message_id: message_id.into(),
            reason: reason.into(),
        }
    }
}

/// Logs why the SQS message `message_id` failed and names it for the batch response, so it alone
/// is retried (and, after the queue's receive limit, parked in its DLQ). An event out of time is
/// logged at error level, with its times: no retry can make it right.
pub fn failed_message(message_id: String, error: &FunctionError) -> BatchItemFailure {
    if let FunctionError::OutOfTime { source, .. } = error {
        tracing::error!(
            message_id = %message_id,
            error_type = error.error_type(),
            error = %error,
            event_time = %source.event_time,
            received = %source.received,
            "message failed"
        );
    } else {
        tracing::warn!(
            message_id = %message_id,
            error_type = error.error_type(),
            error = %error,
            "message failed"
        );
    }
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message_id;
    failure
}

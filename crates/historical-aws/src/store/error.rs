//! What can go wrong reading or writing the Historical tables, split into what a retry may fix
//! ([`StoreError::Transient`]) and what it will not.
//! Which SDK errors are transient is the platform's one rule (`platform::sdk_error::is_transient`).

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use platform::failure::{Classified, Failure};

/// Why a table or offload operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An AWS call failed in a way worth retrying (throttling, 5xx, network).
    #[error("{operation}: {message}")]
    Transient {
        /// What was being done, with the names involved.
        operation: String,
        /// What AWS said.
        message: String,
    },
    /// An AWS call failed in a way retrying will not fix (access denied, missing table, ...).
    #[error("{operation}: {message}")]
    Aws {
        /// What was being done, with the names involved.
        operation: String,
        /// What AWS said.
        message: String,
    },
    /// The item to write is not what a Historical table holds (not an object, no `arn`, ...).
    #[error("invalid item: {0}")]
    InvalidItem(String),
    /// The item is over DynamoDB's limit even with its configuration in S3.
    #[error("item {arn} is {size} bytes even with its configuration in S3 (limit {limit})")]
    TooLarge {
        /// The item's ARN.
        arn: String,
        /// Its estimated DynamoDB size.
        size: usize,
        /// The threshold it must stay under.
        limit: usize,
    },
    /// A stored item or offloaded object that does not decode (a bug or a manual edit).
    #[error("corrupt stored item {what}: {message}")]
    Corrupt {
        /// Which item or object.
        what: String,
        /// What is wrong with it.
        message: String,
    },
}

impl StoreError {
    /// Whether retrying the same call may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Transient { .. })
    }

    pub(crate) fn corrupt(what: impl Into<String>, message: impl ToString) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            message: message.to_string(),
        }
    }
}

impl Classified for StoreError {
    fn error_type(&self) -> &str {
        match self {
            StoreError::Transient { .. } => "Transient",
            StoreError::Aws { .. } => "AwsError",
            StoreError::InvalidItem(_) => "InvalidItem",
            StoreError::TooLarge { .. } => "ItemTooLarge",
            StoreError::Corrupt { .. } => "CorruptState",
        }
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Failure::from_classified(&err)
    }
}

/// Turns any SDK error (DynamoDB or S3: they share the smithy error types) into a
/// [`StoreError`], transient when retrying may help.
pub fn sdk_error<E>(operation: impl Into<String>, err: SdkError<E>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let operation = operation.into();
    let transient = platform::sdk_error::is_transient(&err);
    let message = platform::sdk_error::summary(&operation, &err);
    if transient {
        StoreError::Transient { operation, message }
    } else {
        StoreError::Aws { operation, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_are_transient_and_classified() {
        let err = StoreError::Transient {
            operation: "PutItem t".into(),
            message: "slow down".into(),
        };
        assert!(err.is_transient());
        assert_eq!(err.error_type(), "Transient");
        let err = StoreError::InvalidItem("no arn".into());
        assert!(!err.is_transient());
        assert_eq!(Failure::from(err).error_type, "InvalidItem");
    }
}

//! Errors as Step Functions and SQS see them.
//!
//! A Lambda's `errorType` is what `Retry` and `Catch` match on. The runtime's default is the Rust type
//! name (`&alloc::boxed::Box<dyn Error…>`), which no state machine can match reliably, so every handler
//! error implements [`Classified`] and reaches the runtime as a [`Failure`] carrying a stable name such as
//! `InvalidInput` or `BucketAccessLost`.

use std::fmt;

/// An error that knows its stable, documented `errorType`.
pub trait Classified: fmt::Display {
    /// The name a state machine's `ErrorEquals` uses; one word in UpperCamelCase, never a Rust path.
    fn error_type(&self) -> &str;
}

/// The error a handler returns to the Lambda runtime: a stable type and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Stable `errorType`.
    pub error_type: String,
    /// `errorMessage`: what went wrong, with the names and values involved.
    pub message: String,
}

impl Failure {
    /// A failure from any classified error.
    pub fn from_classified(err: &impl Classified) -> Self {
        Self {
            error_type: err.error_type().to_string(),
            message: err.to_string(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(feature = "lambda")]
impl From<Failure> for lambda_runtime::Diagnostic {
    fn from(f: Failure) -> Self {
        lambda_runtime::Diagnostic {
            error_type: f.error_type,
            error_message: f.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("bucket {0} is gone")]
    struct Gone(String);

    impl Classified for Gone {
        fn error_type(&self) -> &str {
            "BucketDeleted"
        }
    }

    #[test]
    fn failure_keeps_the_stable_type_and_the_message() {
        let f = Failure::from_classified(&Gone("logs".into()));
        assert_eq!(f.error_type, "BucketDeleted");
        assert_eq!(f.message, "bucket logs is gone");
    }
}

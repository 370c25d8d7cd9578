//! Applying a revert plan (`historical::revert`): each [`ApiCall`] made with the SDK, in the
//! resource's account and region. Nothing here decides what to call; the plan did.
//!
//! `insights historical revert --apply` builds a [`Reverter`] from SDK configuration acting in the
//! member account (the member role, when its optional revert policy is deployed) and applies the
//! plan's calls in order, stopping at the first failure.

mod ec2;
mod iam;
mod s3;

use aws_config::SdkConfig;
use historical::revert::ApiCall;
use serde_json::Value;

/// Why a call of a plan was not made, or failed.
#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    /// The plan's parameters are not what the operation takes (a plan from another version?).
    #[error("{operation}: parameter {parameter}: {message}")]
    Parameters {
        /// The operation.
        operation: &'static str,
        /// The parameter.
        parameter: String,
        /// What is wrong with it.
        message: String,
    },
    /// No SDK call is known for the operation.
    #[error("{service} {operation}: not an operation a revert plan applies")]
    Unknown {
        /// The service.
        service: &'static str,
        /// The operation.
        operation: &'static str,
    },
    /// AWS refused or failed the call.
    #[error("{operation}: {message}")]
    Call {
        /// The operation.
        operation: &'static str,
        /// What AWS answered.
        message: String,
    },
}

/// Makes a plan's calls with the SDK, acting where its configuration says.
#[derive(Debug, Clone)]
pub struct Reverter {
    s3: aws_sdk_s3::Client,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
}

impl Reverter {
    /// Clients acting with `config` (the resource's account and region).
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            s3: aws_sdk_s3::Client::new(config),
            ec2: aws_sdk_ec2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
        }
    }

    /// Makes one call of a plan.
    pub async fn apply(&self, call: &ApiCall) -> Result<(), RevertError> {
        match call.service {
            "s3" => s3::apply(&self.s3, call).await,
            "ec2" => ec2::apply(&self.ec2, call).await,
            "iam" => iam::apply(&self.iam, call).await,
            service => Err(RevertError::Unknown {
                service,
                operation: call.operation,
            }),
        }
    }
}

/// The calls' parameters, read with errors that name them.
pub(crate) struct Parameters<'a> {
    operation: &'static str,
    value: &'a Value,
}

impl<'a> Parameters<'a> {
    pub(crate) fn of(call: &'a ApiCall) -> Self {
        Self {
            operation: call.operation,
            value: &call.parameters,
        }
    }

    pub(crate) fn error(&self, parameter: &str, message: impl Into<String>) -> RevertError {
        RevertError::Parameters {
            operation: self.operation,
            parameter: parameter.to_owned(),
            message: message.into(),
        }
    }

    /// A required string parameter.
    pub(crate) fn text(&self, name: &str) -> Result<String, RevertError> {
        self.value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.error(name, "a string is required"))
    }

    /// A required parameter of any JSON type.
    pub(crate) fn value(&self, name: &str) -> Result<&'a Value, RevertError> {
        present(self.value, name).ok_or_else(|| self.error(name, "required"))
    }

    /// A required array parameter of strings (other elements are left out).
    pub(crate) fn strings(&self, name: &str) -> Result<Vec<String>, RevertError> {
        Ok(self
            .array(name)?
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect())
    }

    /// A required array parameter.
    pub(crate) fn array(&self, name: &str) -> Result<&'a Vec<Value>, RevertError> {
        self.value(name)?
            .as_array()
            .ok_or_else(|| self.error(name, "an array is required"))
    }
}

/// An optional field of a JSON object, absent when null.
pub(crate) fn present<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value.get(name).filter(|v| !v.is_null())
}

/// An optional string field of a JSON object.
pub(crate) fn text(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// An optional integer field of a JSON object.
pub(crate) fn int(value: &Value, name: &str) -> Option<i32> {
    value
        .get(name)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

/// An optional boolean field of a JSON object.
pub(crate) fn flag(value: &Value, name: &str) -> Option<bool> {
    value.get(name).and_then(Value::as_bool)
}

/// The elements of an optional array field.
pub(crate) fn items<'a>(value: &'a Value, name: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// An SDK call's outcome as a plan step's: its output dropped, its failure a [`RevertError::Call`]
/// (`platform::sdk_error::short`: code and message).
pub(crate) trait Sent {
    /// The outcome of the call made for `operation`.
    fn sent(self, operation: &'static str) -> Result<(), RevertError>;
}

impl<T, E, R> Sent for Result<T, aws_sdk_s3::error::SdkError<E, R>>
where
    E: std::error::Error + aws_sdk_s3::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    fn sent(self, operation: &'static str) -> Result<(), RevertError> {
        self.map(drop).map_err(|err| RevertError::Call {
            operation,
            message: platform::sdk_error::short(&err),
        })
    }
}

/// A builder's validation failure as a [`RevertError::Parameters`].
pub(crate) fn build_error(
    operation: &'static str,
    what: &str,
    err: impl std::fmt::Display,
) -> RevertError {
    RevertError::Parameters {
        operation,
        parameter: what.to_owned(),
        message: err.to_string(),
    }
}

//! Fault injection: make chosen invocations of a function fail, time out or be throttled.
//!
//! The rules live in the local AWS (`crates/local-aws/emulator/faults.py`), which answers a broken
//! invocation with the same result shape it uses for the real failure, so Step Functions' Retry and
//! Catch and the event source mappings' redrive see exactly what they would see in AWS.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::admin::{Admin, AdminError};

/// The kind of failure to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// An unhandled function error with a chosen `errorType`.
    Error,
    /// `Sandbox.Timedout`, as Lambda reports a function that ran past its timeout.
    Timeout,
    /// `TooManyRequestsException` (`Lambda.TooManyRequestsException` in Step Functions).
    Throttle,
}

/// One rule: break `times` invocations of `function` after letting `skip` through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The function's physical name.
    pub function: String,
    /// What to inject.
    pub kind: FaultKind,
    /// How many invocations to break.
    pub times: u32,
    /// How many invocations to let through first.
    pub skip: u32,
    /// `errorType` of an injected error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// `errorMessage` of an injected error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Only invocations whose JSON payload contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<String>,
}

/// Add a rule.
pub async fn add(endpoint: &str, rule: &FaultRule) -> Result<Value, AdminError> {
    Admin::new(endpoint)
        .post(
            "/_offline/faults",
            serde_json::to_value(rule).unwrap_or_default(),
        )
        .await
}

/// The rules and how often each has fired.
pub async fn list(endpoint: &str) -> Result<Value, AdminError> {
    Admin::new(endpoint).get("/_offline/faults").await
}

/// Remove every rule.
pub async fn clear(endpoint: &str) -> Result<Value, AdminError> {
    Admin::new(endpoint).delete("/_offline/faults").await
}

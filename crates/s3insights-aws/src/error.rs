//! The errors S3Insights functions return, each with the stable `errorType` the state machines match.

use platform::failure::{Classified, Failure};

/// Why a function failed. `Transient` is retried by every Task; the others are decisions.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The Harvester input is invalid; the message lists every problem.
    #[error("{0}")]
    InvalidInput(#[from] s3insights::input::InvalidInput),
    /// The run id was used before (by another execution).
    #[error("run {run_id} already exists (started by {execution}); choose a new run_id")]
    RunAlreadyExists {
        /// The run id.
        run_id: String,
        /// The execution that owns it.
        execution: String,
    },
    /// The Athena table the run would create exists already.
    #[error("athena_table_name: table {database}.{table} already exists; choose another name or drop it")]
    AthenaTableExists {
        /// Database.
        database: String,
        /// Table.
        table: String,
    },
    /// No record of the run.
    #[error("no run {0} is recorded")]
    RunNotFound(String),
    /// Cleanup asked for a run whose Harvester is still executing.
    #[error("run {run_id} is still executing ({execution}); stop it first or let it finish")]
    RunStillRunning {
        /// The run id.
        run_id: String,
        /// The running execution.
        execution: String,
    },
    /// A Harvester execution asked Cleanup for a run another execution owns.
    #[error(
        "run {run_id} belongs to execution {owner}, not to {requested_by}; it is left as it is"
    )]
    RunNotOwned {
        /// The run id.
        run_id: String,
        /// The execution that owns it.
        owner: String,
        /// The execution that asked.
        requested_by: String,
    },
    /// A staging stack failed to create.
    #[error("staging stack {stack} in {region} failed: {reason}")]
    StagingStackFailed {
        /// Stack name.
        stack: String,
        /// Region.
        region: String,
        /// The stack's status and the first failed resource's reason.
        reason: String,
    },
    /// A request the function does not know.
    #[error("unknown request: {0}")]
    UnknownRequest(String),
    /// An AWS call failed in a way worth retrying (throttling, 5xx, network).
    #[error("{operation}: {message}")]
    Transient {
        /// What was being done, with the names involved.
        operation: String,
        /// What AWS said.
        message: String,
    },
    /// An AWS call failed in a way retrying will not fix.
    #[error("{operation}: {message}")]
    Aws {
        /// What was being done, with the names involved.
        operation: String,
        /// What AWS said.
        message: String,
    },
    /// SQS did not take messages even after retries (the inventory processor's data file tasks).
    #[error(transparent)]
    Send(#[from] platform::outbox::Unsent),
    /// Stored state that does not parse (a bug or a manual edit).
    #[error("corrupt state {what}: {message}")]
    CorruptState {
        /// Which item or object.
        what: String,
        /// The parse error.
        message: String,
    },
}

impl FunctionError {
    /// A request this function does not know: `what` names the function, `action` what was asked.
    pub fn no_action(what: &str, action: &str) -> Self {
        FunctionError::UnknownRequest(format!("{what} has no action {action:?}"))
    }

    /// Stored state that does not parse.
    pub fn corrupt(what: impl Into<String>, message: impl std::fmt::Display) -> Self {
        FunctionError::CorruptState {
            what: what.into(),
            message: message.to_string(),
        }
    }

    /// A request that does not decode into what the function reads.
    pub fn undecodable(err: serde_json::Error) -> Self {
        FunctionError::UnknownRequest(err.to_string())
    }
}

impl Classified for FunctionError {
    fn error_type(&self) -> &str {
        match self {
            FunctionError::InvalidInput(_) => "InvalidInput",
            FunctionError::RunAlreadyExists { .. } => "RunAlreadyExists",
            FunctionError::AthenaTableExists { .. } => "AthenaTableExists",
            FunctionError::RunNotFound(_) => "RunNotFound",
            FunctionError::RunStillRunning { .. } => "RunStillRunning",
            FunctionError::RunNotOwned { .. } => "RunNotOwned",
            FunctionError::StagingStackFailed { .. } => "StagingStackFailed",
            FunctionError::UnknownRequest(_) => "UnknownRequest",
            FunctionError::Transient { .. } => "Transient",
            FunctionError::Aws { .. } => "AwsError",
            FunctionError::CorruptState { .. } => "CorruptState",
            FunctionError::Send(_) => "SendFailed",
        }
    }
}

/// A payload the function cannot decode. Every S3Insights request is JSON the state machines build,
/// and the only part of it a user writes is the Harvester's input (`start`) or Cleanup's
/// (`runs_to_clean`): JSON too deep to decode can only be that input, refused as `InvalidInput`
/// before anything exists. Any other undecodable payload is a request this function does not know.
impl From<platform::serve::UndecodableEvent> for FunctionError {
    fn from(err: platform::serve::UndecodableEvent) -> Self {
        use s3insights::input::{Contract, InvalidInput, Problem};
        match err {
            platform::serve::UndecodableEvent::TooDeep { action } => {
                let contract = match action.as_deref() {
                    Some("runs_to_clean") => Contract::Cleanup,
                    _ => Contract::Harvester,
                };
                FunctionError::InvalidInput(InvalidInput {
                    contract,
                    problems: vec![Problem {
                        field: "(input)".into(),
                        message: format!(
                            "nests deeper than {} levels of JSON arrays and objects",
                            platform::serve::MAX_NESTING
                        ),
                    }],
                })
            }
            platform::serve::UndecodableEvent::Shape(message) => {
                FunctionError::UnknownRequest(message)
            }
        }
    }
}

impl From<FunctionError> for Failure {
    fn from(err: FunctionError) -> Self {
        Failure::from_classified(&err)
    }
}

/// Turns any SDK error into a [`FunctionError`], transient when retrying may help
/// (`platform::sdk_error::is_transient`, the one rule of both tools).
pub fn sdk_error<E>(
    operation: impl Into<String>,
    err: aws_sdk_s3::error::SdkError<E>,
) -> FunctionError
where
    E: std::error::Error + aws_sdk_s3::error::ProvideErrorMetadata + 'static,
{
    let operation = operation.into();
    let transient = platform::sdk_error::is_transient(&err);
    let message = platform::sdk_error::summary(&operation, &err);
    if transient {
        FunctionError::Transient { operation, message }
    } else {
        FunctionError::Aws { operation, message }
    }
}

pub use platform::sdk_error::{code as error_code, http_status};

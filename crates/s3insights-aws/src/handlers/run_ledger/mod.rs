//! The run ledger (`s3insights-run-ledger`): a run's record from start to cleanup.
//!
//! `start` is the only way into a run: it validates the whole input before anything exists, refuses a
//! `run_id` used by another execution (the same execution retrying is let through), records the run,
//! stores the input and the account list (which the Distributed Maps read, so the execution's JSON never
//! carries them) and asks SES to verify unknown identities. `fail` and `finish` record how the run
//! ended; `runs_to_clean` and `cleaned` open and close a Cleanup.

mod cleanup;
mod organization;
mod start;

use aws_config::SdkConfig;
use platform::config::{ConfigError, Lookup};
use serde::Deserialize;
use serde_json::Value;

use crate::config;
use crate::error::FunctionError;
use crate::store::{Access, StateStore};

/// The ledger's configuration and clients.
pub struct Config {
    store: StateStore,
    consolidated_bucket: String,
    region: String,
    s3: aws_sdk_s3::Client,
    athena: aws_sdk_athena::Client,
    ses: aws_sdk_sesv2::Client,
    sfn: aws_sdk_sfn::Client,
    organizations: aws_sdk_organizations::Client,
}

impl Config {
    /// What it does with the state table (its template policy).
    pub const STATE_TABLE: Access = Access::ReadWrite;

    /// The variables it reads.
    pub const VARIABLES: &'static [&'static str] = &["STATE_TABLE", "CONSOLIDATED_BUCKET"];
}

impl platform::serve::FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            store: config::state_store(env, sdk)?,
            consolidated_bucket: config::consolidated_bucket(env)?,
            region: config::own_region(sdk),
            s3: platform::aws::s3_client(sdk),
            athena: aws_sdk_athena::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
            sfn: aws_sdk_sfn::Client::new(sdk),
            organizations: aws_sdk_organizations::Client::new(sdk),
        })
    }
}

/// A request to the ledger, as the state machines send it.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LedgerRequest {
    /// Validate and record a run.
    Start {
        /// The Harvester's input, untouched.
        input: Value,
        /// `$$.Execution.Id`.
        execution_id: String,
    },
    /// Record a failure (error and cause from the Catch) on the run, if this execution owns it.
    Fail {
        /// Run id.
        run_id: Option<String>,
        /// `$$.Execution.Id` of the failing execution: only the run's own execution may mark it
        /// failed.
        execution_id: String,
        /// `{Error, Cause}`.
        error: Value,
    },
    /// Record success.
    Finish {
        /// Run id.
        run_id: String,
        /// The report step's output.
        report: Value,
        /// The Cleanup child's output.
        cleanup: Value,
    },
    /// Runs for Cleanup.
    RunsToClean {
        /// Cleanup's input, untouched (`s3insights::input::validate_cleanup` checks it):
        /// `{run_id?, requested_by?, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?}`.
        request: Value,
    },
    /// Record what Cleanup removed.
    Cleaned {
        /// Run id.
        run_id: String,
    },
}

/// Handles one ledger request.
pub async fn handle(config: &Config, request: Value) -> Result<Value, FunctionError> {
    let request: LedgerRequest =
        serde_json::from_value(request).map_err(FunctionError::undecodable)?;
    let store = &config.store;
    match request {
        LedgerRequest::Start {
            input,
            execution_id,
        } => start::start(config, &input, &execution_id).await,
        LedgerRequest::Fail {
            run_id,
            execution_id,
            error,
        } => cleanup::fail(store, run_id.as_deref(), &execution_id, &error).await,
        LedgerRequest::Finish {
            run_id,
            report,
            cleanup,
        } => cleanup::finish(store, &run_id, report, cleanup).await,
        LedgerRequest::RunsToClean { request } => cleanup::runs_to_clean(config, &request).await,
        LedgerRequest::Cleaned { run_id } => cleanup::cleaned(store, &run_id).await,
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn reads_only_its_variables_and_uses_the_state_table_as_declared() {
        let config = crate::config::testing::reads_exactly::<Config>(Config::VARIABLES);
        assert_eq!(config.store.access(), Config::STATE_TABLE);
    }
}

//! The inventory configurator (`s3insights-inventory-configurator`), one account at a time:
//! discover its buckets and put the run's inventory configuration on each (`configure_account`),
//! remove exactly those configurations again (`remove_configurations`), or, in a smoke test, write
//! a small report in S3's documented format for each configured bucket (`smoke_reports`).
//!
//! An account whose role cannot be assumed is recorded as `unreachable` with STS's answer and the run
//! goes on: one broken account among a thousand must not stop the others, and the report names it.

mod configure;
mod remove;
mod smoke;

use aws_config::SdkConfig;
use platform::config::{ConfigError, Lookup};
use serde::Deserialize;
use serde_json::Value;

use crate::config::{self, HostRegions};
use crate::error::FunctionError;
use crate::member::MemberS3;
use crate::store::{Access, BucketRecord, StateStore};
use s3insights::input::AccountInput;
use s3insights::names::Deployment;

/// Buckets of one account handled at once.
const CONCURRENCY: usize = 8;

/// The configurator's configuration and clients.
pub struct Config {
    store: StateStore,
    consolidated_bucket: String,
    deployment: Deployment,
    region: String,
    members: MemberS3,
    regions: HostRegions,
}

impl Config {
    /// What it does with the state table (its template policy).
    pub const STATE_TABLE: Access = Access::ReadWrite;

    /// The variables it reads.
    pub const VARIABLES: &'static [&'static str] = &[
        "STATE_TABLE",
        "CONSOLIDATED_BUCKET",
        "DEPLOYMENT_NAME",
        "HOST_ACCOUNT_ID",
        "EXTERNAL_ID",
    ];
}

impl platform::serve::FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let deployment = config::deployment(env)?;
        Ok(Self {
            store: config::state_store(env, sdk)?,
            consolidated_bucket: config::consolidated_bucket(env)?,
            members: MemberS3::new(config::member_roles(env, sdk, &deployment)?),
            deployment,
            region: config::own_region(sdk),
            regions: HostRegions::new(sdk),
        })
    }
}

/// A request about one account of a run.
#[derive(Debug, Deserialize)]
pub struct AccountRequest {
    /// `configure_account`, `remove_configurations` or `smoke_reports`.
    pub action: String,
    /// Run id.
    pub run_id: String,
    /// The account, as listed in the input.
    pub account: AccountInput,
}

/// Handles one request.
pub async fn handle(config: &Config, request: Value) -> Result<Value, FunctionError> {
    let request: AccountRequest =
        serde_json::from_value(request).map_err(FunctionError::undecodable)?;
    match request.action.as_str() {
        "configure_account" => configure::configure_account(config, &request).await,
        "remove_configurations" => remove::remove_configurations(config, &request).await,
        "smoke_reports" => smoke::smoke_reports(config, &request).await,
        other => Err(FunctionError::no_action("the configurator", other)),
    }
}

/// The request's account's buckets in the run that `keep` selects.
async fn account_buckets_where(
    config: &Config,
    request: &AccountRequest,
    keep: impl Fn(&BucketRecord) -> bool,
) -> Result<Vec<BucketRecord>, FunctionError> {
    let buckets = config
        .store
        .account_buckets(&request.run_id, &request.account.id)
        .await?;
    Ok(buckets.into_iter().filter(|b| keep(b)).collect())
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

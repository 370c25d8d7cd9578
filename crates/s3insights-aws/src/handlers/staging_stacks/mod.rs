//! The staging stacks (`s3insights-staging-stacks`): a run's stack `<D>-<run>-staging` from
//! `regional-transient.yaml` in each region (staging bucket, topic, the inventory queue's
//! subscription), created before any inventory configuration points at its staging bucket, deleted
//! (after emptying the bucket) by Cleanup.
//!
//! Every action is idempotent: creating an existing stack, deleting a missing one, and emptying an
//! empty or missing bucket all succeed, so the state machines may retry any step and Cleanup may run
//! any number of times.

mod cloudformation;

use aws_config::SdkConfig;
use platform::config::{self as env_config, ConfigError, Lookup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::{self, HostRegions};
use crate::error::FunctionError;
use crate::s3::{empty_bucket, get_json};
use crate::store::{run_pk, staging_stack_sk, Access, StagingStackRecord, StateStore};
use cloudformation::CloudFormation;
use s3insights::input::HarvesterInput;
use s3insights::names::{keys, Deployment};
use s3insights::staging::{self, Creation, Deletion};

/// The template every staging stack is made from: the same file SAM users read.
pub const STAGING_STACK_TEMPLATE: &str = include_str!("../../../../../regional-transient.yaml");

/// The staging stacks' configuration and clients.
pub struct Config {
    store: StateStore,
    consolidated_bucket: String,
    deployment: Deployment,
    inventory_queue_arn: String,
    staging_stack_role_arn: String,
    s3: aws_sdk_s3::Client,
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
        "INVENTORY_QUEUE_ARN",
        "STAGING_STACK_ROLE_ARN",
    ];
}

impl platform::serve::FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            store: config::state_store(env, sdk)?,
            consolidated_bucket: config::consolidated_bucket(env)?,
            deployment: config::deployment(env)?,
            inventory_queue_arn: env_config::required(env, "INVENTORY_QUEUE_ARN")?,
            staging_stack_role_arn: env_config::required(env, "STAGING_STACK_ROLE_ARN")?,
            s3: platform::aws::s3_client(sdk),
            regions: HostRegions::new(sdk),
        })
    }
}

/// A request about one run's staging stack in one region.
#[derive(Debug, Deserialize)]
pub struct StagingStackRequest {
    /// `create_stack`, `create_status`, `delete_stack` or `delete_status`.
    pub action: String,
    /// Run id.
    pub run_id: String,
    /// Region.
    pub region: String,
}

/// Handles one request.
pub async fn handle(config: &Config, request: Value) -> Result<Value, FunctionError> {
    let request: StagingStackRequest =
        serde_json::from_value(request).map_err(FunctionError::undecodable)?;
    let cfn = CloudFormation::new(&config.regions.config(&request.region), &request.region);
    match request.action.as_str() {
        "create_stack" => create(config, &cfn, &request).await,
        "create_status" => create_status(config, &cfn, &request).await,
        "delete_stack" => delete(config, &cfn, &request).await,
        "delete_status" => delete_status(config, &cfn, &request).await,
        other => Err(FunctionError::no_action(
            "the staging stacks function",
            other,
        )),
    }
}

/// The region's record, or a fresh one (a retry after a crash, or Cleanup of a run that never got
/// this far).
async fn stored_record(
    config: &Config,
    request: &StagingStackRequest,
) -> Result<StagingStackRecord, FunctionError> {
    let pk = run_pk(&request.run_id);
    let sk = staging_stack_sk(&request.region);
    Ok(config.store.get(&pk, &sk).await?.unwrap_or_else(|| {
        staging::record(
            &config.deployment,
            &request.run_id,
            &request.region,
            "UNKNOWN",
        )
    }))
}

/// Whose reports the run's staging buckets accept: the organization the run's accounts come from,
/// and the listed accounts it does not cover (from the run's stored input).
async fn delivery_sources(
    config: &Config,
    run_id: &str,
) -> Result<(Option<String>, Vec<String>), FunctionError> {
    let input: HarvesterInput = get_json(
        &config.s3,
        &config.consolidated_bucket,
        &keys::input(run_id),
    )
    .await?;
    Ok(input.delivery_sources())
}

async fn create(
    config: &Config,
    cfn: &CloudFormation,
    request: &StagingStackRequest,
) -> Result<Value, FunctionError> {
    let run_id = &request.run_id;
    let record = staging::record(
        &config.deployment,
        run_id,
        &request.region,
        "CREATE_REQUESTED",
    );
    let (organization, accounts) = delivery_sources(config, run_id).await?;
    config.store.put_if_absent("staging stack", &record).await?;
    let mut parameters = vec![
        ("BucketName".to_string(), record.staging_bucket.clone()),
        (
            "TopicName".to_string(),
            config.deployment.staging_topic(run_id),
        ),
        ("QueueArn".to_string(), config.inventory_queue_arn.clone()),
    ];
    parameters.extend(staging::source_account_parameters(&accounts));
    parameters.push(("SourceOrgId".to_string(), organization.unwrap_or_default()));
    cfn.create(
        &record.stack_name,
        run_id,
        &config.staging_stack_role_arn,
        parameters,
    )
    .await?;
    Ok(json!({"region": request.region, "stack": record.stack_name, "settled": false}))
}

async fn create_status(
    config: &Config,
    cfn: &CloudFormation,
    request: &StagingStackRequest,
) -> Result<Value, FunctionError> {
    let mut record = stored_record(config, request).await?;
    let status = cfn.status(&record.stack_name).await?;
    let name = status.as_ref().map(|(s, _)| s.as_str());
    let (settled, failed) = match staging::creation(name) {
        Creation::Complete => (true, None),
        Creation::InProgress => (false, None),
        Creation::Failed => {
            let (status, reason) = status.clone().unwrap_or_default();
            let detail = cfn
                .failure_reason(&record.stack_name)
                .await
                .unwrap_or(reason);
            (true, Some(format!("{status}: {detail}")))
        }
        Creation::Missing => (true, Some("the stack does not exist".to_string())),
    };
    record.stack_status = name.unwrap_or(staging::DOES_NOT_EXIST).to_string();
    config.store.put("staging stack", &record).await?;
    if let Some(reason) = failed {
        return Err(FunctionError::StagingStackFailed {
            stack: record.stack_name,
            region: request.region.clone(),
            reason,
        });
    }
    Ok(json!({"region": request.region, "status": record.stack_status, "settled": settled}))
}

async fn delete(
    config: &Config,
    cfn: &CloudFormation,
    request: &StagingStackRequest,
) -> Result<Value, FunctionError> {
    let mut record = stored_record(config, request).await?;
    record.delete_attempts += 1;
    record.not_removed = None;
    // The bucket must be empty before CloudFormation can delete it.
    let s3 = config.regions.s3(&request.region);
    let emptied = empty_bucket(&s3, &record.staging_bucket).await?;
    cfn.delete(&record.stack_name, &config.staging_stack_role_arn)
        .await?;
    record.stack_status = "DELETE_REQUESTED".into();
    config.store.put("staging stack", &record).await?;
    Ok(json!({"region": request.region, "objects_deleted": emptied, "settled": false}))
}

async fn delete_status(
    config: &Config,
    cfn: &CloudFormation,
    request: &StagingStackRequest,
) -> Result<Value, FunctionError> {
    let mut record = stored_record(config, request).await?;
    let status = cfn.status(&record.stack_name).await?;
    let name = status.as_ref().map(|(s, _)| s.as_str());
    let settled = match staging::deletion(name, record.delete_attempts) {
        Deletion::Gone => {
            record.stack_status = staging::DELETE_COMPLETE.into();
            record.not_removed = None;
            true
        }
        Deletion::InProgress => {
            record.stack_status = "DELETE_IN_PROGRESS".into();
            false
        }
        Deletion::GiveUp => {
            let (status, reason) = status.clone().unwrap_or_default();
            let detail = cfn
                .failure_reason(&record.stack_name)
                .await
                .unwrap_or(reason);
            record.not_removed = Some(staging::not_removed(
                &status,
                record.delete_attempts,
                &detail,
            ));
            record.stack_status = status;
            true
        }
        Deletion::AskAgain => {
            config.store.put("staging stack", &record).await?;
            return delete(config, cfn, request).await;
        }
    };
    config.store.put("staging stack", &record).await?;
    Ok(json!({"region": request.region, "status": record.stack_status, "settled": settled}))
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

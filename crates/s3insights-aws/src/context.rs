//! Everything an S3Insights function needs, built once per cold start.

use aws_config::SdkConfig;
use platform::config::{self, ConfigError, Lookup};
use platform::roles::RoleAssumer;
use s3insights::names::Deployment;

/// The function's configuration (from the template's environment) and its AWS clients.
#[derive(Clone)]
pub struct HarvestContext {
    /// Deployment and host account: every transient name derives from them.
    pub deployment: Deployment,
    /// The state table.
    pub state_table: String,
    /// The consolidated bucket.
    pub consolidated_bucket: String,
    /// The host inventory queue (reports from every region land here).
    pub inventory_queue_url: String,
    /// Its ARN (the regional topics subscribe it).
    pub inventory_queue_arn: String,
    /// The role CloudFormation uses for the regional stacks.
    pub staging_stack_role_arn: String,
    /// Longest wait between two inventory checks.
    pub monitor_interval_seconds: u64,
    /// The host region (where this function runs).
    pub region: String,
    /// Base SDK configuration (host account, host region).
    pub sdk: SdkConfig,
    /// Member accounts through their role (the host account with `sdk` itself).
    pub roles: RoleAssumer,
    /// S3 in the host account and region.
    pub s3: aws_sdk_s3::Client,
    /// The state table's DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Athena (table checks, query results).
    pub athena: aws_sdk_athena::Client,
    /// SESv2 (identities, the report email).
    pub ses: aws_sdk_sesv2::Client,
    /// Step Functions (is a run's execution still running).
    pub sfn: aws_sdk_sfn::Client,
}

impl HarvestContext {
    /// Reads the environment the template sets and builds the clients.
    pub async fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        let deployment_name = config::required(env, "DEPLOYMENT_NAME")?;
        let external_id = config::required(env, "EXTERNAL_ID")?;
        let state_table = config::required(env, "STATE_TABLE")?;
        let consolidated_bucket = config::required(env, "CONSOLIDATED_BUCKET")?;
        let inventory_queue_url = config::required(env, "INVENTORY_QUEUE_URL")?;
        let inventory_queue_arn = config::required(env, "INVENTORY_QUEUE_ARN")?;
        let staging_stack_role_arn = config::required(env, "STAGING_STACK_ROLE_ARN")?;
        let monitor_interval_seconds = config::parsed_or(env, "MONITOR_INTERVAL_SECONDS", 900u64)?;
        let sdk = platform::aws::load().await;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        // The host account is the queue's account: no STS call at cold start.
        let host_account = inventory_queue_arn
            .split(':')
            .nth(4)
            .unwrap_or_default()
            .to_string();
        let roles = RoleAssumer::new(
            sdk.clone(),
            host_account.clone(),
            platform::roles::member_role_name(&deployment_name),
            external_id,
            format!("{deployment_name}-harvester"),
        );
        Ok(Self {
            deployment: Deployment::new(deployment_name, host_account),
            state_table,
            consolidated_bucket,
            inventory_queue_url,
            inventory_queue_arn,
            staging_stack_role_arn,
            monitor_interval_seconds,
            region,
            s3: platform::aws::s3_client(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            athena: aws_sdk_athena::Client::new(&sdk),
            ses: aws_sdk_sesv2::Client::new(&sdk),
            sfn: aws_sdk_sfn::Client::new(&sdk),
            roles,
            sdk,
        })
    }

    /// The host account.
    pub fn host_account(&self) -> &str {
        &self.deployment.host_account
    }

    /// S3 in the host account, in `region`.
    pub fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        platform::aws::s3_client(&self.in_region(region))
    }

    /// The base configuration in another region.
    pub fn in_region(&self, region: &str) -> SdkConfig {
        self.sdk
            .to_builder()
            .region(aws_config::Region::new(region.to_string()))
            .build()
    }
}

//! SDK configuration for the local AWS, acting as one account.
//!
//! The local AWS tells accounts apart by the access key: a 12-digit key acts as that account. The CLI
//! acts as the host account by default and as a member account to seed it or deliver its reports.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The account the CLI acts as unless told otherwise (the local AWS's default account).
pub const HOST_ACCOUNT: &str = "000000000000";
/// The region used when `AWS_REGION` is not set.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where to reach the local AWS and as which account and region.
#[derive(Debug, Clone)]
pub struct Target {
    /// The endpoint, e.g. `http://127.0.0.1:4566`.
    pub endpoint: String,
    /// The account to act as.
    pub account: String,
    /// The region to act in.
    pub region: String,
}

/// Why the local AWS cannot be targeted.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Neither `AWS_ENDPOINT_URL` nor a running emulator.
    #[error("no local AWS: set AWS_ENDPOINT_URL (eval \"$(offline emulator start)\") or start one with `offline emulator start`")]
    NoEndpoint,
}

impl Target {
    /// The endpoint from `AWS_ENDPOINT_URL`, else the emulator recorded in `state_dir`; the account
    /// from a 12-digit `AWS_ACCESS_KEY_ID`, else the host account; the region from `AWS_REGION`.
    pub fn from_env(state_dir: &std::path::Path) -> Result<Self, TargetError> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|e| !e.is_empty())
            .or_else(|| {
                crate::emulator::Running::read(state_dir)
                    .ok()
                    .map(|r| r.endpoint())
            })
            .ok_or(TargetError::NoEndpoint)?;
        let account = std::env::var("AWS_ACCESS_KEY_ID")
            .ok()
            .filter(|k| platform::roles::is_account_id(k))
            .unwrap_or_else(|| HOST_ACCOUNT.to_string());
        let region = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|_| DEFAULT_REGION.to_string());
        Ok(Self {
            endpoint,
            account,
            region,
        })
    }

    /// The same endpoint and region, acting as `account`.
    pub fn as_account(&self, account: &str) -> Self {
        Self {
            account: account.to_string(),
            ..self.clone()
        }
    }

    /// The same endpoint and account, in `region`.
    pub fn in_region(&self, region: &str) -> Self {
        Self {
            region: region.to_string(),
            ..self.clone()
        }
    }

    /// SDK configuration for this target.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    &self.account,
                    crate::emulator::ROOT_SECRET,
                    None,
                    None,
                    "offline",
                )),
            )
            .build()
    }

    /// A path-style S3 client for this target.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        platform::aws::s3_client(&self.sdk_config())
    }

    /// A CloudFormation client.
    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.sdk_config())
    }

    /// An IAM client.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config())
    }

    /// A Step Functions client.
    pub fn sfn(&self) -> aws_sdk_sfn::Client {
        aws_sdk_sfn::Client::new(&self.sdk_config())
    }
}

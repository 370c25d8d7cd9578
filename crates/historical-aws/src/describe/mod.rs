//! Listing and describing each technology's resources in one member account, for the Poller
//! (listing) and the Collector (describing).
//!
//! [`Describe`] is the seam: the collector and poller are generic over it, so their tests use a
//! fake, and [`AwsDescriber`] is the real one, dispatching on the [`Technology`]. Every call goes
//! through [`AccountClients`], built from the `SdkConfig` that
//! `platform::roles::RoleAssumer::config_for_region` returns for the account.
//!
//! What a description holds (`historical::resource::Described`) is the item the original stored
//! (minus the CloudTrail context the collector adds): `arn`, `accountId`, `Region`,
//! `configuration`, `Tags` (flattened), the technology's top-level attributes and `version`. Per
//! technology:
//!
//! | technology | top-level attributes | `version` | module |
//! | --- | --- | --- | --- |
//! | `s3` | `BucketName` | 10 | [`s3`] |
//! | `securitygroup` | `GroupId`, `GroupName`, `VpcId` (if any), `OwnerId` | 1 | [`security_group`] |
//! | `vpc` | `VpcId`, `State`, `CidrBlock`, `IsDefault`, `Name` (if tagged) | 2 | [`vpc`] |
//! | `iamrole` | `RoleName`, `RoleId`, `Path` | 1 | [`iam_role`] |
//!
//! Global technologies: S3 buckets and IAM roles are listed once per account whatever the
//! `region` argument (ListBuckets and ListRoles are global); each listed bucket carries its own
//! region, IAM roles carry `us-east-1` (`historical::tech::GLOBAL_REGION`, where CloudTrail
//! records IAM). The poller therefore lists
//! them in one region only, as the original polled S3 only in its primary region. Security groups
//! and VPCs are listed and described in the region given.

mod error;
pub mod iam_role;
mod json;
pub mod s3;
mod s3_config;
pub mod security_group;
pub mod vpc;

use std::future::Future;

use aws_config::SdkConfig;
use historical::resource::{Described, Listed};
use historical::Technology;

pub use error::DescribeError;

/// The SDK clients of one member account, built once per (account, region) and shared by every
/// call of a batch. Clients for another region are built from the same configuration on demand
/// (S3 bucket calls must go to the bucket's region).
#[derive(Clone, Debug)]
pub struct AccountClients {
    account: String,
    config: SdkConfig,
    s3: aws_sdk_s3::Client,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
}

impl AccountClients {
    /// Clients acting in `account` with `config` (its credentials and region). S3 is built with
    /// `platform::aws::s3_client`, path-style when an endpoint override is set (offline).
    pub fn new(account: impl Into<String>, config: &SdkConfig) -> Self {
        AccountClients {
            account: account.into(),
            config: config.clone(),
            s3: platform::aws::s3_client(config),
            ec2: aws_sdk_ec2::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
        }
    }

    /// The account these clients act in.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The region of the configuration the clients were built from.
    pub fn region(&self) -> Option<&str> {
        self.config.region().map(|r| r.as_ref())
    }

    fn in_region(&self, region: &str) -> Option<SdkConfig> {
        (self.region() != Some(region)).then(|| {
            self.config
                .to_builder()
                .region(aws_config::Region::new(region.to_string()))
                .build()
        })
    }

    /// The S3 client of the configuration's region (bucket-independent calls).
    pub(crate) fn s3(&self) -> aws_sdk_s3::Client {
        self.s3.clone()
    }

    /// An S3 client signing for `region` (calls on a bucket of that region).
    pub(crate) fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        match self.in_region(region) {
            Some(config) => platform::aws::s3_client(&config),
            None => self.s3.clone(),
        }
    }

    /// An EC2 client for `region` (EC2 is regional: always the event's region).
    pub(crate) fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        match self.in_region(region) {
            Some(config) => aws_sdk_ec2::Client::new(&config),
            None => self.ec2.clone(),
        }
    }

    /// The IAM client (IAM is global).
    pub(crate) fn iam(&self) -> aws_sdk_iam::Client {
        self.iam.clone()
    }
}

/// Listing and describing one technology's resources; the seam that lets the collector and
/// poller be tested without AWS.
pub trait Describe: Send + Sync {
    /// Every resource of the account, every page: in `region` for security groups and VPCs,
    /// the whole account for S3 and IAM whatever `region` is (see the module documentation).
    fn list(
        &self,
        clients: &AccountClients,
        region: &str,
    ) -> impl Future<Output = Result<Vec<Listed>, DescribeError>> + Send;

    /// The resource `id` as it is now in `region` (the event's region; S3 finds the bucket's own
    /// region with `GetBucketLocation`, IAM is global); `None` when it no longer exists. `id` is
    /// what `historical`'s `TechnologyRules::resource_ids` returns.
    fn describe(
        &self,
        clients: &AccountClients,
        region: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<Described>, DescribeError>> + Send;
}

/// The real [`Describe`]: AWS calls for one technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsDescriber {
    /// The technology listed and described.
    pub technology: Technology,
}

impl AwsDescriber {
    /// The describer of `technology`.
    pub fn new(technology: Technology) -> Self {
        AwsDescriber { technology }
    }
}

impl Describe for AwsDescriber {
    async fn list(
        &self,
        clients: &AccountClients,
        region: &str,
    ) -> Result<Vec<Listed>, DescribeError> {
        match self.technology {
            Technology::S3 => s3::list(clients).await,
            Technology::SecurityGroup => security_group::list(clients, region).await,
            Technology::Vpc => vpc::list(clients, region).await,
            Technology::IamRole => iam_role::list(clients).await,
        }
    }

    async fn describe(
        &self,
        clients: &AccountClients,
        region: &str,
        id: &str,
    ) -> Result<Option<Described>, DescribeError> {
        let result = match self.technology {
            Technology::S3 => s3::describe(clients, id).await,
            Technology::SecurityGroup => security_group::describe(clients, region, id).await,
            Technology::Vpc => vpc::describe(clients, region, id).await,
            Technology::IamRole => iam_role::describe(clients, id).await,
        };
        match result {
            Err(DescribeError::Gone { .. }) => Ok(None),
            other => other,
        }
    }
}

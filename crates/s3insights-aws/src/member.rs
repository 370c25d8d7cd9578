//! Source buckets in member accounts, reached through the deployment's member role (the host
//! account's own buckets with the function's own credentials), and one look at a bucket.

use platform::roles::{RoleAssumer, RoleError};
use s3insights::probe::Probe;

use crate::error::{error_code, http_status, sdk_error, FunctionError};

/// S3 in any member account and region.
#[derive(Clone)]
pub struct MemberS3(RoleAssumer);

impl MemberS3 {
    /// Through `roles`.
    pub fn new(roles: RoleAssumer) -> Self {
        Self(roles)
    }

    /// S3 in `account`, in `region` (credentials cached per account).
    pub async fn client(
        &self,
        account: &str,
        region: &str,
    ) -> Result<aws_sdk_s3::Client, RoleError> {
        let config = self.0.config_for_region(account, region).await?;
        Ok(platform::aws::s3_client(&config))
    }
}

/// One look at `bucket`: `ListObjectVersions` of one key (URL-encoded keys: XML cannot carry every
/// key S3 allows, `platform::s3_keys`). `NoSuchBucket` is [`Probe::Missing`]; any other answer with
/// an HTTP status below 500 but 429 is [`Probe::Refused`]; anything else (throttling, 5xx, network)
/// is an error, transient or not by the one rule.
pub async fn probe(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Probe, FunctionError> {
    let listing = s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .send()
        .await;
    match listing {
        Ok(page) if page.versions().is_empty() && page.delete_markers().is_empty() => {
            Ok(Probe::Empty)
        }
        Ok(_) => Ok(Probe::HasVersions),
        Err(err) if error_code(&err) == Some("NoSuchBucket") => Ok(Probe::Missing),
        Err(err) => match http_status(&err) {
            Some(status) if status < 500 && status != 429 => Ok(Probe::Refused {
                status,
                reason: platform::sdk_error::summary("ListObjectVersions", &err),
            }),
            _ => Err(sdk_error(format!("list versions of {bucket}"), err)),
        },
    }
}

//! `smoke_reports`: a smoke test's own reports (`s3insights::smoke`), one per waiting bucket of the
//! account, written to the run's staging bucket as S3 writes its own, so the processor is notified.

use serde_json::{json, Value};

use super::{account_buckets_where, AccountRequest, Config};
use crate::error::{sdk_error, FunctionError};
use crate::s3::put_bytes;
use crate::store::BucketRecord;
use s3insights::smoke::{self, Destination, SampledVersion};
use s3insights::BucketStatus;

pub(super) async fn smoke_reports(
    config: &Config,
    request: &AccountRequest,
) -> Result<Value, FunctionError> {
    let account = &request.account.id;
    let waiting =
        account_buckets_where(config, request, |b| b.status == BucketStatus::InProgress).await?;
    let mut written = 0u64;
    let mut not_sampled = Vec::new();
    for bucket in waiting {
        // A bucket that cannot be sampled (its role refused, the bucket gone or refused) gets no
        // report: it is said here and in the log, and the monitor records what happened to it.
        // A transient failure fails the request, which the state machine retries.
        let sampled = match config.members.client(account, &bucket.region).await {
            Ok(s3) => sample_versions(&s3, &bucket.bucket).await,
            Err(err) => Err(FunctionError::Aws {
                operation: "assume the member role".into(),
                message: err.to_string(),
            }),
        };
        let sampled = match sampled {
            Ok(sampled) => sampled,
            Err(err @ FunctionError::Transient { .. }) => return Err(err),
            Err(err) => {
                tracing::warn!(bucket = %bucket.bucket, account = %account, error = %err, "no smoke report: the bucket could not be sampled");
                not_sampled.push(json!({"bucket": bucket.bucket, "reason": err.to_string()}));
                continue;
            }
        };
        write_report(config, &request.run_id, &bucket, &sampled).await?;
        written += 1;
    }
    Ok(json!({"account": account, "smoke_reports": written, "not_sampled": not_sampled}))
}

/// Up to [`smoke::SAMPLE`] versions and delete markers of a bucket, keys decoded.
async fn sample_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Vec<SampledVersion>, FunctionError> {
    let page = s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(smoke::SAMPLE)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .send()
        .await
        .map_err(|e| sdk_error(format!("list versions of {bucket}"), e))?;
    let key = |listed: Option<&str>| {
        platform::s3_keys::decode(listed.unwrap_or_default()).map_err(|e| FunctionError::Aws {
            operation: format!("list versions of {bucket}"),
            message: e.to_string(),
        })
    };
    let time = |t: Option<&aws_smithy_types::DateTime>| {
        t.and_then(|t| chrono::DateTime::from_timestamp_millis(t.to_millis().ok()?))
    };
    let mut sampled = Vec::new();
    for v in page.versions() {
        sampled.push(SampledVersion {
            key: key(v.key())?,
            version_id: v.version_id().map(str::to_string),
            is_latest: v.is_latest(),
            is_delete_marker: false,
            size: v.size(),
            last_modified: time(v.last_modified()),
            e_tag: v.e_tag().map(str::to_string),
            storage_class: v.storage_class().map(|s| s.as_str().to_string()),
        });
    }
    for m in page.delete_markers() {
        sampled.push(SampledVersion {
            key: key(m.key())?,
            version_id: m.version_id().map(str::to_string),
            is_latest: m.is_latest(),
            is_delete_marker: true,
            last_modified: time(m.last_modified()),
            ..Default::default()
        });
    }
    Ok(sampled)
}

/// Writes the bucket's report: data file, `manifest.json`, then `manifest.checksum` (which S3
/// writes last and which triggers the processor).
async fn write_report(
    config: &Config,
    run_id: &str,
    bucket: &BucketRecord,
    sampled: &[SampledVersion],
) -> Result<(), FunctionError> {
    let staging_bucket = config.deployment.staging_bucket(run_id, &bucket.region);
    let configuration_id = config.deployment.configuration_id(run_id);
    let destination = Destination {
        account: &bucket.account,
        region: &bucket.region,
        bucket: &bucket.bucket,
        staging_bucket: &staging_bucket,
        configuration_id: &configuration_id,
    };
    let records = smoke::records(&bucket.bucket, sampled);
    let file_name = format!("{}.parquet", uuid::Uuid::new_v4());
    let objects =
        smoke::report(&destination, &records, chrono::Utc::now(), &file_name).map_err(|e| {
            FunctionError::Aws {
                operation: format!("write smoke report of {}", bucket.bucket),
                message: e.to_string(),
            }
        })?;
    let s3 = config.regions.s3(&bucket.region);
    for object in objects {
        put_bytes(
            &s3,
            &staging_bucket,
            &object.key,
            object.body,
            object.content_type,
        )
        .await?;
    }
    Ok(())
}

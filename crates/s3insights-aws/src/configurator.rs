//! One account at a time: discover its buckets and put the run's inventory configuration on each
//! (`configure_account`), remove exactly those configurations again (`remove_configurations`), or, in a
//! smoke test, write a small report in S3's documented format for each configured bucket
//! (`smoke_reports`).
//!
//! An account whose role cannot be assumed is recorded as `unreachable` with STS's answer and the run
//! goes on: one broken account among a thousand must not stop the others, and the report names it.

use std::collections::HashMap;

use aws_sdk_s3::types::{
    InventoryConfiguration, InventoryDestination, InventoryFormat, InventoryFrequency,
    InventoryIncludedObjectVersions, InventoryOptionalField, InventoryS3BucketDestination,
    InventorySchedule,
};
use futures::stream::{self, StreamExt};
use inventory_format::manifest::{
    data_file_key, manifest_checksum_key, manifest_json_key, md5_hex,
};
use inventory_format::{
    report_fields, write_data_file, FileFormat, InventoryField, InventoryManifest, InventoryRecord,
    ManifestFile,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{error_code, sdk_error, HarvestError};
use crate::s3util::put_bytes;
use crate::store::{
    account_sk, bucket_sk, now, run_pk, AccountRecord, BucketChange, BucketRecord, StateStore,
};
use crate::HarvestContext;
use s3insights::input::AccountInput;
use s3insights::BucketStatus;

/// Buckets of one account handled at once.
const CONCURRENCY: usize = 8;
/// Object versions sampled per bucket in a smoke test.
const SMOKE_SAMPLE: i32 = 1000;

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
pub async fn handle(ctx: &HarvestContext, request: Value) -> Result<Value, HarvestError> {
    let request: AccountRequest =
        serde_json::from_value(request).map_err(|e| HarvestError::UnknownRequest(e.to_string()))?;
    let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
    match request.action.as_str() {
        "configure_account" => configure_account(ctx, &store, &request).await,
        "remove_configurations" => remove_configurations(ctx, &store, &request).await,
        "smoke_reports" => smoke_reports(ctx, &store, &request).await,
        other => Err(HarvestError::UnknownRequest(format!(
            "the configurator has no action {other:?}"
        ))),
    }
}

/// The optional fields every configuration asks for: all of them, so reports answer every catalogue
/// query (encryption, replication, Object Lock, tiers, checksums, ACLs, lifecycle).
pub fn optional_fields() -> Vec<InventoryField> {
    InventoryField::ALL
        .into_iter()
        .filter(|f| f.is_optional())
        .collect()
}

/// The region a `GetBucketLocation` answer names: none means us-east-1, and the legacy `EU` is
/// eu-west-1.
pub fn location_region(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(other) => other.to_ascii_lowercase(),
    }
}

/// One of this deployment's own buckets (never inventoried).
fn is_own_bucket(ctx: &HarvestContext, name: &str) -> bool {
    name == ctx.consolidated_bucket
        || (name.starts_with(&format!("{}-", ctx.deployment.name))
            && name.contains(&format!("-stg-{}-", ctx.deployment.host_account)))
}

async fn s3_for(
    ctx: &HarvestContext,
    account: &str,
    region: &str,
) -> Result<aws_sdk_s3::Client, platform::roles::RoleError> {
    let config = ctx.roles.config_for_region(account, region).await?;
    Ok(platform::aws::s3_client(&config))
}

/// Every bucket the account owns, with its region.
async fn list_buckets(
    s3: &aws_sdk_s3::Client,
    account: &str,
) -> Result<Vec<(String, Option<String>)>, HarvestError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_buckets()
            .max_buckets(1000)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(format!("list buckets of {account}"), e))?;
        for bucket in page.buckets() {
            if let Some(name) = bucket.name() {
                out.push((name.to_string(), bucket.bucket_region().map(str::to_string)));
            }
        }
        match page.continuation_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(out),
        }
    }
}

async fn bucket_region(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    listed: Option<String>,
) -> Result<String, String> {
    if let Some(region) = listed.filter(|r| !r.is_empty()) {
        return Ok(region);
    }
    match s3.get_bucket_location().bucket(bucket).send().await {
        Ok(answer) => Ok(location_region(
            answer.location_constraint().map(|c| c.as_str()),
        )),
        Err(err) => Err(platform::sdk_error::summary("GetBucketLocation", &err)),
    }
}

async fn configure_account(
    ctx: &HarvestContext,
    store: &StateStore,
    request: &AccountRequest,
) -> Result<Value, HarvestError> {
    let run = store.require_run(&request.run_id).await?;
    let account = &request.account.id;
    let mut record = AccountRecord {
        pk: run_pk(&request.run_id),
        sk: account_sk(account),
        account: account.clone(),
        status: "configured".into(),
        ..Default::default()
    };
    let home = match s3_for(ctx, account, &ctx.region).await {
        Ok(s3) => s3,
        Err(err) => {
            record.status = "unreachable".into();
            record.reason = Some(err.to_string());
            store.put("account", &record).await?;
            return Ok(json!({"account": account, "status": "unreachable"}));
        }
    };
    let buckets = match list_buckets(&home, account).await {
        Ok(buckets) => buckets,
        Err(HarvestError::Aws { message, .. }) => {
            record.status = "unreachable".into();
            record.reason = Some(format!("ListBuckets: {message}"));
            store.put("account", &record).await?;
            return Ok(json!({"account": account, "status": "unreachable"}));
        }
        Err(other) => return Err(other),
    };
    record.buckets = buckets.len() as u64;
    let mut in_scope = Vec::new();
    for (name, listed_region) in buckets {
        if is_own_bucket(ctx, &name) {
            record.excluded += 1;
            continue;
        }
        if request.account.exclude.contains(&name.to_ascii_lowercase()) {
            record.excluded += 1;
            continue;
        }
        match bucket_region(&home, &name, listed_region).await {
            Ok(region) if run.regions.contains(&region) => in_scope.push((name, region)),
            Ok(_) => record.other_regions += 1,
            Err(reason) => in_scope.push((name, format!("unknown:{reason}"))),
        }
    }
    let configuration_id = ctx.deployment.configuration_id(&request.run_id);
    let results: Vec<Result<BucketStatus, HarvestError>> = stream::iter(in_scope)
        .map(|(bucket, region)| {
            let configuration_id = configuration_id.clone();
            async move {
                configure_bucket(
                    ctx,
                    store,
                    &request.run_id,
                    account,
                    &region,
                    &bucket,
                    &configuration_id,
                )
                .await
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut counts: HashMap<&'static str, u64> = HashMap::new();
    for result in results {
        *counts.entry(result?.as_str()).or_default() += 1;
    }
    store.put("account", &record).await?;
    Ok(json!({"account": account, "status": "configured", "buckets": counts}))
}

/// Records the bucket, then configures it. The record comes first so that Cleanup finds every bucket
/// that may carry our configuration, even if this function dies right after the put.
async fn configure_bucket(
    ctx: &HarvestContext,
    store: &StateStore,
    run_id: &str,
    account: &str,
    region: &str,
    bucket: &str,
    configuration_id: &str,
) -> Result<BucketStatus, HarvestError> {
    let sk = bucket_sk(account, region, bucket);
    let fresh = BucketRecord {
        pk: run_pk(run_id),
        sk: sk.clone(),
        account: account.to_string(),
        region: region.to_string(),
        bucket: bucket.to_string(),
        status: BucketStatus::InventoryConfigurationNotCreated,
        reason: Some(s3insights::state::NOT_CONFIGURED_YET.into()),
        in_progress_run: None,
        figures: None,
        manifest_key: None,
        files: 0,
        configured: false,
        updated_at: now(),
    };
    if !store.put_if_absent("bucket", &fresh).await? {
        // A retry of this account: keep what the first attempt decided unless it never finished.
        let existing: Option<BucketRecord> = store.get(&run_pk(run_id), &sk).await?;
        if let Some(existing) = existing {
            if existing.status != BucketStatus::InventoryConfigurationNotCreated {
                return Ok(existing.status);
            }
        }
    }
    let pending = [BucketStatus::InventoryConfigurationNotCreated];
    if let Some(reason) = region.strip_prefix("unknown:") {
        let reason = format!("GetBucketLocation failed: {reason}");
        store
            .transition_bucket(
                run_id,
                &sk,
                &pending,
                BucketChange::to(BucketStatus::InventoryConfigurationNotCreated).because(&reason),
            )
            .await?;
        return Ok(BucketStatus::InventoryConfigurationNotCreated);
    }
    let s3 = match s3_for(ctx, account, region).await {
        Ok(s3) => s3,
        Err(err) => {
            let reason = err.to_string();
            store
                .transition_bucket(
                    run_id,
                    &sk,
                    &pending,
                    BucketChange::to(BucketStatus::BucketAccessLost).because(&reason),
                )
                .await?;
            return Ok(BucketStatus::BucketAccessLost);
        }
    };
    // Empty means no version and no delete marker: S3 delivers no report for such a bucket.
    // URL-encoded keys: XML cannot carry every key S3 allows (platform::s3_keys).
    let listing = s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .send()
        .await;
    let (status, reason) = match listing {
        Ok(page) if page.versions().is_empty() && page.delete_markers().is_empty() => {
            (BucketStatus::BucketIsEmpty, None)
        }
        Ok(_) => {
            match put_configuration(&s3, ctx, run_id, account, region, bucket, configuration_id)
                .await
            {
                Ok(()) => (BucketStatus::InProgress, None),
                Err(reason) => (BucketStatus::InventoryConfigurationNotCreated, Some(reason)),
            }
        }
        Err(err) if error_code(&err) == Some("NoSuchBucket") => (
            BucketStatus::BucketNotAvailable,
            Some("the bucket was deleted before it could be configured".to_string()),
        ),
        Err(err) if crate::error::http_status(&err).is_some_and(|s| s < 500 && s != 429) => (
            BucketStatus::InventoryConfigurationNotCreated,
            Some(format!(
                "ListObjectVersions: {}",
                platform::sdk_error::summary("ListObjectVersions", &err)
            )),
        ),
        Err(err) => return Err(sdk_error(format!("list versions of {bucket}"), err)),
    };
    let mut change = BucketChange::to(status);
    change.reason = reason.as_deref();
    change.configured = Some(status == BucketStatus::InProgress);
    store
        .transition_bucket(run_id, &sk, &pending, change)
        .await?;
    Ok(status)
}

async fn put_configuration(
    s3: &aws_sdk_s3::Client,
    ctx: &HarvestContext,
    run_id: &str,
    account: &str,
    region: &str,
    bucket: &str,
    configuration_id: &str,
) -> Result<(), String> {
    let destination = InventoryS3BucketDestination::builder()
        .account_id(ctx.host_account())
        .bucket(format!(
            "arn:aws:s3:::{}",
            ctx.deployment.staging_bucket(run_id, region)
        ))
        .format(InventoryFormat::Parquet)
        .prefix(format!("{account}/{region}"))
        .build()
        .map_err(|e| e.to_string())?;
    let configuration = InventoryConfiguration::builder()
        .id(configuration_id)
        .is_enabled(true)
        .included_object_versions(InventoryIncludedObjectVersions::All)
        .destination(
            InventoryDestination::builder()
                .s3_bucket_destination(destination)
                .build(),
        )
        .schedule(
            InventorySchedule::builder()
                .frequency(InventoryFrequency::Daily)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .set_optional_fields(Some(
            optional_fields()
                .into_iter()
                .map(|f| InventoryOptionalField::from(f.config_name()))
                .collect(),
        ))
        .build()
        .map_err(|e| e.to_string())?;
    s3.put_bucket_inventory_configuration()
        .bucket(bucket)
        .id(configuration_id)
        .inventory_configuration(configuration)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "PutBucketInventoryConfiguration: {}",
                platform::sdk_error::summary("PutBucketInventoryConfiguration", &e)
            )
        })
}

/// Removes the run's configuration (by its id, never another) from one bucket. `Ok(true)` when it is
/// gone (removed now, or already absent with its bucket), `Err(reason)` when it could not be removed.
pub async fn remove_configuration(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    configuration_id: &str,
) -> Result<(), String> {
    match s3
        .delete_bucket_inventory_configuration()
        .bucket(bucket)
        .id(configuration_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err)
            if matches!(
                error_code(&err),
                Some("NoSuchConfiguration") | Some("NoSuchBucket")
            ) || crate::error::http_status(&err) == Some(404) =>
        {
            Ok(())
        }
        Err(err) => Err(platform::sdk_error::summary(
            "DeleteBucketInventoryConfiguration",
            &err,
        )),
    }
}

/// The request's account's buckets in the run that `keep` selects.
async fn account_buckets_where(
    store: &StateStore,
    request: &AccountRequest,
    keep: impl Fn(&BucketRecord) -> bool,
) -> Result<Vec<BucketRecord>, HarvestError> {
    let buckets = store
        .account_buckets(&request.run_id, &request.account.id)
        .await?;
    Ok(buckets.into_iter().filter(|b| keep(b)).collect())
}

async fn remove_configurations(
    ctx: &HarvestContext,
    store: &StateStore,
    request: &AccountRequest,
) -> Result<Value, HarvestError> {
    let account = &request.account.id;
    let configuration_id = ctx.deployment.configuration_id(&request.run_id);
    let buckets = account_buckets_where(store, request, |b| {
        b.configured || b.status == BucketStatus::InventoryConfigurationNotCreated
    })
    .await?;
    let results: Vec<(String, Result<(), String>)> = stream::iter(buckets)
        .map(|b| {
            let configuration_id = configuration_id.clone();
            async move {
                let outcome = match s3_for(ctx, account, &b.region).await {
                    Ok(s3) => remove_configuration(&s3, &b.bucket, &configuration_id).await,
                    Err(err) => Err(err.to_string()),
                };
                (b.bucket, outcome)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut removed = 0u64;
    let mut not_removed = Vec::new();
    for (bucket, outcome) in results {
        match outcome {
            Ok(()) => removed += 1,
            Err(reason) => not_removed.push(json!({"bucket": bucket, "reason": reason})),
        }
    }
    let mut record: AccountRecord = store
        .get(&run_pk(&request.run_id), &account_sk(account))
        .await?
        .unwrap_or_else(|| AccountRecord {
            pk: run_pk(&request.run_id),
            sk: account_sk(account),
            account: account.clone(),
            status: "not_configured".into(),
            ..Default::default()
        });
    let removal = json!({"removed": removed, "not_removed": not_removed});
    record.removal = Some(removal.to_string());
    store.put("account", &record).await?;
    Ok(json!({"account": account, "removed": removed, "not_removed": not_removed.len()}))
}

async fn smoke_reports(
    ctx: &HarvestContext,
    store: &StateStore,
    request: &AccountRequest,
) -> Result<Value, HarvestError> {
    let account = &request.account.id;
    let configuration_id = ctx.deployment.configuration_id(&request.run_id);
    let waiting =
        account_buckets_where(store, request, |b| b.status == BucketStatus::InProgress).await?;
    let mut written = 0u64;
    let mut not_sampled = Vec::new();
    for bucket in waiting {
        // A bucket that cannot be sampled (its role refused, the bucket gone or refused) gets no
        // report: it is said here and in the log, and the monitor records what happened to it.
        // A transient failure fails the request, which the state machine retries.
        let sampled = match s3_for(ctx, account, &bucket.region).await {
            Ok(s3) => sample_versions(&s3, &bucket.bucket).await,
            Err(err) => Err(HarvestError::Aws {
                operation: "assume the member role".into(),
                message: err.to_string(),
            }),
        };
        let records = match sampled {
            Ok(records) => records,
            Err(err @ HarvestError::Transient { .. }) => return Err(err),
            Err(err) => {
                tracing::warn!(bucket = %bucket.bucket, account = %account, error = %err, "no smoke report: the bucket could not be sampled");
                not_sampled.push(json!({"bucket": bucket.bucket, "reason": err.to_string()}));
                continue;
            }
        };
        write_smoke_report(ctx, &request.run_id, &bucket, &configuration_id, &records).await?;
        written += 1;
    }
    Ok(json!({"account": account, "smoke_reports": written, "not_sampled": not_sampled}))
}

/// Up to [`SMOKE_SAMPLE`] versions of a bucket, as inventory records.
async fn sample_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Vec<InventoryRecord>, HarvestError> {
    let page = s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(SMOKE_SAMPLE)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .send()
        .await
        .map_err(|e| sdk_error(format!("list versions of {bucket}"), e))?;
    let key = |listed: Option<&str>| {
        platform::s3_keys::decode(listed.unwrap_or_default()).map_err(|e| HarvestError::Aws {
            operation: format!("list versions of {bucket}"),
            message: e.to_string(),
        })
    };
    let to_time = |t: Option<&aws_smithy_types::DateTime>| {
        t.and_then(|t| chrono::DateTime::from_timestamp_millis(t.to_millis().ok()?))
    };
    let mut records = Vec::new();
    for v in page.versions() {
        records.push(InventoryRecord {
            bucket: bucket.to_string(),
            key: key(v.key())?,
            version_id: v.version_id().map(str::to_string),
            is_latest: v.is_latest(),
            is_delete_marker: Some(false),
            size: v.size(),
            last_modified: to_time(v.last_modified()),
            e_tag: v.e_tag().map(|e| e.trim_matches('"').to_string()),
            storage_class: v.storage_class().map(|s| s.as_str().to_string()),
            ..Default::default()
        });
    }
    for m in page.delete_markers() {
        records.push(InventoryRecord {
            bucket: bucket.to_string(),
            key: key(m.key())?,
            version_id: m.version_id().map(str::to_string),
            is_latest: m.is_latest(),
            is_delete_marker: Some(true),
            last_modified: to_time(m.last_modified()),
            ..Default::default()
        });
    }
    Ok(records)
}

/// Data file, `manifest.json`, then `manifest.checksum` (which S3 writes last and which triggers the
/// processor), at the keys S3 documents.
async fn write_smoke_report(
    ctx: &HarvestContext,
    run_id: &str,
    bucket: &BucketRecord,
    configuration_id: &str,
    records: &[InventoryRecord],
) -> Result<(), HarvestError> {
    let staging = ctx.deployment.staging_bucket(run_id, &bucket.region);
    let s3 = ctx.s3_in(&bucket.region);
    let prefix = format!("{}/{}", bucket.account, bucket.region);
    let fields = report_fields(
        &[
            InventoryField::Size,
            InventoryField::LastModifiedDate,
            InventoryField::ETag,
            InventoryField::StorageClass,
        ],
        true,
    );
    let data =
        write_data_file(FileFormat::Parquet, &fields, records).map_err(|e| HarvestError::Aws {
            operation: format!("write smoke report of {}", bucket.bucket),
            message: e.to_string(),
        })?;
    let file_name = format!("{}.parquet", uuid::Uuid::new_v4());
    let data_key = data_file_key(Some(&prefix), &bucket.bucket, configuration_id, &file_name);
    let file = ManifestFile::describe(data_key.clone(), &data);
    put_bytes(&s3, &staging, &data_key, data, "application/octet-stream").await?;
    let created = chrono::Utc::now();
    let manifest = InventoryManifest::new(
        &bucket.bucket,
        &staging,
        created,
        FileFormat::Parquet,
        &fields,
        vec![file],
    )
    .to_json();
    let checksum = md5_hex(&manifest);
    let json_key = manifest_json_key(Some(&prefix), &bucket.bucket, configuration_id, created);
    put_bytes(&s3, &staging, &json_key, manifest, "application/json").await?;
    let checksum_key =
        manifest_checksum_key(Some(&prefix), &bucket.bucket, configuration_id, created);
    put_bytes(
        &s3,
        &staging,
        &checksum_key,
        checksum.into_bytes(),
        "text/plain",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_name_regions_as_s3_documents() {
        assert_eq!(location_region(None), "us-east-1");
        assert_eq!(location_region(Some("")), "us-east-1");
        assert_eq!(location_region(Some("EU")), "eu-west-1");
        assert_eq!(location_region(Some("ap-southeast-2")), "ap-southeast-2");
    }

    #[test]
    fn every_optional_field_is_asked_for() {
        let names: Vec<&str> = optional_fields().iter().map(|f| f.config_name()).collect();
        for expected in [
            "Size",
            "EncryptionStatus",
            "ReplicationStatus",
            "ObjectLockMode",
            "StorageClass",
        ] {
            assert!(names.contains(&expected), "{names:?}");
        }
    }
}

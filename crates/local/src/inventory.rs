//! S3 Inventory delivery, as S3 documents it — the one thing no emulator does.
//!
//! For each enabled inventory configuration (read from the local AWS, which stores them), the source
//! bucket is listed with the source account's credentials (versions and delete markers when the
//! configuration asks for all versions; `HeadObject` only when an optional field needs it), the data
//! files are written in the configured format with the configured fields, and then — in S3's order —
//! the data files, `manifest.json`, `manifest.checksum` (written last: its arrival means the report
//! is complete) and the Hive `symlink.txt` are put into the destination bucket with its owner's
//! credentials, at the documented keys. Their S3 event notifications then drive the real pipeline.
//!
//! Documented choices where AWS leaves room: a report is delivered as soon as its configuration is
//! seen (AWS: within 48 hours); a bucket with nothing to list gets no report (as the original
//! S3Insights documents); data files hold at most [`Deliverer::rows_per_file`] rows.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use aws_sdk_s3::primitives::DateTime as S3DateTime;
use chrono::{DateTime, TimeZone, Utc};
use inventory_format::field::{report_fields, InventoryField};
use inventory_format::format::FileFormat;
use inventory_format::manifest::{self, InventoryManifest, ManifestFile};
use inventory_format::record::InventoryRecord;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::admin::{Admin, AdminError};
use crate::sdk::Target;

/// Concurrent `HeadObject` calls while gathering optional fields.
const HEAD_CONCURRENCY: usize = 16;

/// Delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The configurations could not be read.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// An S3 call failed.
    #[error("{action}: {message}")]
    S3 {
        /// What was being done.
        action: String,
        /// What S3 answered.
        message: String,
    },
    /// A configuration the local AWS accepted but that cannot be delivered.
    #[error("inventory configuration {id} of bucket {bucket}: {message}")]
    Configuration {
        /// Source bucket.
        bucket: String,
        /// Configuration id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The source bucket could not be read (deleted, or its owner's access lost): S3 writes no report.
    #[error("source bucket {bucket}: {message}")]
    Source {
        /// Source bucket.
        bucket: String,
        /// What S3 answered.
        message: String,
    },
    /// Writing a data file failed.
    #[error("writing the report of {bucket}: {source}")]
    Format {
        /// Source bucket.
        bucket: String,
        /// The format error.
        source: inventory_format::error::InventoryError,
    },
}

fn s3_error<E: std::error::Error + 'static>(
    action: impl Into<String>,
) -> impl FnOnce(E) -> DeliveryError {
    let action = action.into();
    move |e| DeliveryError::S3 {
        action,
        message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
    }
}

/// One inventory configuration as the local AWS stores it (the S3 API's shape).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StoredConfiguration {
    /// The source bucket's owner.
    pub account: String,
    /// The source bucket.
    pub bucket: String,
    /// The destination bucket's owner, if the destination exists.
    pub destination_account: Option<String>,
    /// The configuration.
    pub configuration: InventoryConfiguration,
}

/// `InventoryConfiguration` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct InventoryConfiguration {
    /// Configuration id.
    pub id: String,
    /// Whether reports are produced.
    pub is_enabled: bool,
    /// `All` or `Current`.
    pub included_object_versions: String,
    /// Where reports go.
    pub destination: Destination,
    /// Optional fields.
    #[serde(default)]
    pub optional_fields: Vec<String>,
    /// Key prefix filter.
    #[serde(default)]
    pub filter: Option<Filter>,
}

/// `Destination` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Destination {
    /// `S3BucketDestination`.
    pub s3_bucket_destination: BucketDestination,
}

/// `S3BucketDestination` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BucketDestination {
    /// Destination bucket ARN.
    pub bucket: String,
    /// `CSV`, `ORC` or `Parquet`.
    pub format: String,
    /// Key prefix.
    #[serde(default)]
    pub prefix: Option<String>,
}

/// `InventoryFilter` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    /// Only keys with this prefix.
    pub prefix: String,
}

/// What one delivery wrote.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredReport {
    /// Source bucket owner.
    pub source_account: String,
    /// Source bucket.
    pub source_bucket: String,
    /// Configuration id.
    pub configuration_id: String,
    /// Destination bucket.
    pub destination_bucket: String,
    /// Key of `manifest.json`.
    pub manifest_key: String,
    /// Keys of the data files.
    pub data_keys: Vec<String>,
    /// Rows written.
    pub rows: usize,
}

/// A configuration no report could be delivered for, and why (in AWS: no report arrives).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Undelivered {
    /// Source bucket owner.
    pub source_account: String,
    /// Source bucket.
    pub source_bucket: String,
    /// Configuration id.
    pub configuration_id: String,
    /// Why.
    pub reason: String,
}

/// What one round of delivery did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Delivery {
    /// Reports written.
    pub reports: Vec<DeliveredReport>,
    /// Configurations S3 could not serve: a missing source or destination bucket, an empty bucket.
    pub undelivered: Vec<Undelivered>,
}

/// Delivers reports, remembering which configurations it has served (one report each, as a daily
/// schedule gives during one run).
pub struct Deliverer {
    target: Target,
    delivered: HashSet<String>,
    /// Most rows in one data file (AWS splits large reports into several files too).
    pub rows_per_file: usize,
}

impl Deliverer {
    /// A deliverer acting through `target`'s endpoint.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            delivered: HashSet::new(),
            rows_per_file: 100_000,
        }
    }

    /// Deliver a report for every enabled configuration of the `buckets` (all, if empty) not served
    /// yet. A configuration S3 cannot serve is reported in [`Delivery::undelivered`] and not retried.
    pub async fn deliver_new(&mut self, buckets: &[String]) -> Result<Delivery, DeliveryError> {
        let mut delivery = Delivery::default();
        for stored in enabled_configurations(&self.target).await? {
            if !buckets.is_empty() && !buckets.contains(&stored.bucket) {
                continue;
            }
            let identity = serde_json::to_string(&stored).unwrap_or_default();
            if self.delivered.contains(&identity) {
                continue;
            }
            let undelivered = |reason: String| Undelivered {
                source_account: stored.account.clone(),
                source_bucket: stored.bucket.clone(),
                configuration_id: stored.configuration.id.clone(),
                reason,
            };
            match deliver(&self.target, &stored, self.rows_per_file).await {
                Ok(Some(report)) => delivery.reports.push(report),
                Ok(None) => delivery
                    .undelivered
                    .push(undelivered("nothing to list: S3 writes no report".into())),
                Err(e @ DeliveryError::Configuration { .. })
                | Err(e @ DeliveryError::Source { .. }) => {
                    delivery.undelivered.push(undelivered(e.to_string()))
                }
                Err(e) => return Err(e),
            }
            self.delivered.insert(identity);
        }
        Ok(delivery)
    }
}

/// Deliver a report for every enabled configuration of the `buckets` (all, if empty), now.
pub async fn deliver_all(target: &Target, buckets: &[String]) -> Result<Delivery, DeliveryError> {
    Deliverer::new(target.clone()).deliver_new(buckets).await
}

async fn enabled_configurations(
    target: &Target,
) -> Result<Vec<StoredConfiguration>, DeliveryError> {
    #[derive(Deserialize)]
    struct Listing {
        configurations: Vec<StoredConfiguration>,
    }
    let listing: Listing = Admin::new(&target.endpoint)
        .get("/_offline/s3/inventory-configurations")
        .await?;
    Ok(listing
        .configurations
        .into_iter()
        .filter(|c| c.configuration.is_enabled)
        .collect())
}

/// The region a bucket lives in (`EU` is the legacy name of eu-west-1).
async fn bucket_region(target: &Target, bucket: &str) -> Result<String, DeliveryError> {
    let answer = target
        .s3()
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error(format!("locate bucket {bucket}")))?;
    Ok(match answer.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(region) => region.to_string(),
    })
}

/// Deliver one report; `None` when the bucket has nothing to list.
pub async fn deliver(
    target: &Target,
    stored: &StoredConfiguration,
    rows_per_file: usize,
) -> Result<Option<DeliveredReport>, DeliveryError> {
    let config = &stored.configuration;
    let bad = |message: String| DeliveryError::Configuration {
        bucket: stored.bucket.clone(),
        id: config.id.clone(),
        message,
    };
    let destination = &config.destination.s3_bucket_destination;
    let destination_bucket = destination
        .bucket
        .strip_prefix("arn:aws:s3:::")
        .ok_or_else(|| {
            bad(format!(
                "destination {} is not a bucket ARN",
                destination.bucket
            ))
        })?
        .to_string();
    let destination_account = stored.destination_account.clone().ok_or_else(|| {
        bad(format!(
            "destination bucket {destination_bucket} does not exist"
        ))
    })?;
    let format: FileFormat = destination
        .format
        .parse()
        .map_err(|_| bad(format!("unknown format {}", destination.format)))?;
    let optional: Vec<InventoryField> = config
        .optional_fields
        .iter()
        .map(|name| {
            InventoryField::from_config_name(name)
                .ok_or_else(|| bad(format!("unknown optional field {name}")))
        })
        .collect::<Result<_, _>>()?;
    let all_versions = config.included_object_versions == "All";
    let fields = report_fields(&optional, all_versions);

    let source = target.as_account(&stored.account);
    let unreadable = |e: DeliveryError| DeliveryError::Source {
        bucket: stored.bucket.clone(),
        message: e.to_string(),
    };
    let region = bucket_region(&source, &stored.bucket)
        .await
        .map_err(unreadable)?;
    let source = source.in_region(&region);
    let records = list_source(&source, stored, &fields, all_versions)
        .await
        .map_err(unreadable)?;
    if records.is_empty() {
        return Ok(None);
    }

    let sink = target.as_account(&destination_account);
    let sink = sink.in_region(&bucket_region(&sink, &destination_bucket).await?);
    let started = Utc::now();
    let prefix = destination.prefix.as_deref().filter(|p| !p.is_empty());
    let mut files = Vec::new();
    let mut data_keys = Vec::new();
    for chunk in records.chunks(rows_per_file.max(1)) {
        let body =
            inventory_format::write::write_data_file(format, &fields, chunk).map_err(|source| {
                DeliveryError::Format {
                    bucket: stored.bucket.clone(),
                    source,
                }
            })?;
        let name = format!("{}.{}", uuid::Uuid::new_v4(), format.extension());
        let key = manifest::data_file_key(prefix, &stored.bucket, &config.id, &name);
        files.push(ManifestFile::describe(key.clone(), &body));
        put(&sink, &destination_bucket, &key, body).await?;
        data_keys.push(key);
    }
    let report = InventoryManifest::new(
        &stored.bucket,
        &destination_bucket,
        started,
        format,
        &fields,
        files,
    );
    let manifest_json = report.to_json();
    let checksum = manifest::md5_hex(&manifest_json);
    let manifest_key = manifest::manifest_json_key(prefix, &stored.bucket, &config.id, started);
    put(&sink, &destination_bucket, &manifest_key, manifest_json).await?;
    let checksum_key = manifest::manifest_checksum_key(prefix, &stored.bucket, &config.id, started);
    put(
        &sink,
        &destination_bucket,
        &checksum_key,
        checksum.into_bytes(),
    )
    .await?;
    let symlink = manifest::symlink_txt(&destination_bucket, &data_keys);
    let symlink_key = manifest::hive_symlink_key(prefix, &stored.bucket, &config.id, started);
    put(
        &sink,
        &destination_bucket,
        &symlink_key,
        symlink.into_bytes(),
    )
    .await?;
    Ok(Some(DeliveredReport {
        source_account: stored.account.clone(),
        source_bucket: stored.bucket.clone(),
        configuration_id: config.id.clone(),
        destination_bucket,
        manifest_key,
        data_keys,
        rows: records.len(),
    }))
}

async fn put(target: &Target, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), DeliveryError> {
    target
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .map_err(s3_error(format!("put s3://{bucket}/{key}")))?;
    Ok(())
}

fn to_chrono(t: Option<&S3DateTime>) -> Option<DateTime<Utc>> {
    let t = t?;
    Utc.timestamp_opt(t.secs(), t.subsec_nanos()).single()
}

/// Every listed object (or version and delete marker) with the fields the report needs.
async fn list_source(
    source: &Target,
    stored: &StoredConfiguration,
    fields: &[InventoryField],
    all_versions: bool,
) -> Result<Vec<InventoryRecord>, DeliveryError> {
    let s3 = source.s3();
    let bucket = &stored.bucket;
    let prefix = stored
        .configuration
        .filter
        .as_ref()
        .map(|f| f.prefix.clone());
    let mut records = Vec::new();
    if all_versions {
        let mut key_marker = None;
        let mut version_marker = None;
        loop {
            let page = s3
                .list_object_versions()
                .bucket(bucket)
                .set_prefix(prefix.clone())
                .set_key_marker(key_marker)
                .set_version_id_marker(version_marker)
                .send()
                .await
                .map_err(s3_error(format!("list versions of {bucket}")))?;
            for v in page.versions() {
                records.push(InventoryRecord {
                    bucket: bucket.clone(),
                    key: v.key().unwrap_or_default().to_string(),
                    version_id: v
                        .version_id()
                        .filter(|id| *id != "null")
                        .map(str::to_string),
                    is_latest: v.is_latest(),
                    is_delete_marker: Some(false),
                    size: v.size(),
                    last_modified: to_chrono(v.last_modified()),
                    e_tag: v.e_tag().map(|e| e.trim_matches('"').to_string()),
                    storage_class: v.storage_class().map(|c| c.as_str().to_string()),
                    checksum_algorithm: v
                        .checksum_algorithm()
                        .first()
                        .map(|c| c.as_str().to_string()),
                    object_owner: v.owner().and_then(|o| o.id()).map(str::to_string),
                    ..Default::default()
                });
            }
            for m in page.delete_markers() {
                records.push(InventoryRecord {
                    bucket: bucket.clone(),
                    key: m.key().unwrap_or_default().to_string(),
                    version_id: m
                        .version_id()
                        .filter(|id| *id != "null")
                        .map(str::to_string),
                    is_latest: m.is_latest(),
                    is_delete_marker: Some(true),
                    last_modified: to_chrono(m.last_modified()),
                    object_owner: m.owner().and_then(|o| o.id()).map(str::to_string),
                    ..Default::default()
                });
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
        }
    } else {
        let mut token = None;
        loop {
            let page = s3
                .list_objects_v2()
                .bucket(bucket)
                .set_prefix(prefix.clone())
                .fetch_owner(true)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(s3_error(format!("list objects of {bucket}")))?;
            for o in page.contents() {
                records.push(InventoryRecord {
                    bucket: bucket.clone(),
                    key: o.key().unwrap_or_default().to_string(),
                    size: o.size(),
                    last_modified: to_chrono(o.last_modified()),
                    e_tag: o.e_tag().map(|e| e.trim_matches('"').to_string()),
                    storage_class: o.storage_class().map(|c| c.as_str().to_string()),
                    checksum_algorithm: o
                        .checksum_algorithm()
                        .first()
                        .map(|c| c.as_str().to_string()),
                    object_owner: o.owner().and_then(|o| o.id()).map(str::to_string),
                    ..Default::default()
                });
            }
            token = page.next_continuation_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    records.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(b.last_modified.cmp(&a.last_modified))
    });
    for r in records.iter_mut() {
        r.is_multipart_uploaded = r.e_tag.as_ref().map(|e| e.contains('-'));
        if r.storage_class.is_none() && r.is_delete_marker != Some(true) {
            r.storage_class = Some("STANDARD".into());
        }
    }
    if fields.iter().any(|f| needs_head(*f)) {
        add_head_fields(&s3, bucket, &mut records).await?;
    }
    if fields.contains(&InventoryField::ObjectAccessControlList) {
        add_acls(&s3, bucket, &mut records).await?;
    }
    Ok(records)
}

/// Fields only `HeadObject` tells.
fn needs_head(field: InventoryField) -> bool {
    matches!(
        field,
        InventoryField::EncryptionStatus
            | InventoryField::ReplicationStatus
            | InventoryField::ObjectLockRetainUntilDate
            | InventoryField::ObjectLockMode
            | InventoryField::ObjectLockLegalHoldStatus
            | InventoryField::BucketKeyStatus
            | InventoryField::IntelligentTieringAccessTier
    )
}

async fn add_head_fields(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    records: &mut [InventoryRecord],
) -> Result<(), DeliveryError> {
    let permits = Arc::new(Semaphore::new(HEAD_CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, r) in records.iter().enumerate() {
        if r.is_delete_marker == Some(true) {
            continue;
        }
        let (s3, bucket, key, version) = (
            s3.clone(),
            bucket.to_string(),
            r.key.clone(),
            r.version_id.clone(),
        );
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let head = s3
                .head_object()
                .bucket(&bucket)
                .key(&key)
                .set_version_id(version)
                .send()
                .await
                .map_err(s3_error(format!("head s3://{bucket}/{key}")))?;
            Ok::<_, DeliveryError>((index, head))
        });
    }
    let mut heads = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, head) = joined.map_err(|e| DeliveryError::S3 {
            action: "head object".into(),
            message: e.to_string(),
        })??;
        heads.insert(index, head);
    }
    for (index, head) in heads {
        let r = &mut records[index];
        r.encryption_status = Some(
            match head.server_side_encryption().map(|s| s.as_str()) {
                Some("AES256") => "SSE-S3",
                Some("aws:kms") => "SSE-KMS",
                Some("aws:kms:dsse") => "DSSE-KMS",
                Some(_) => "SSE-S3",
                None if head.sse_customer_algorithm().is_some() => "SSE-C",
                None => "NOT-SSE",
            }
            .to_string(),
        );
        r.replication_status = head.replication_status().map(|s| s.as_str().to_string());
        r.object_lock_retain_until_date = to_chrono(head.object_lock_retain_until_date());
        r.object_lock_mode = head.object_lock_mode().map(|m| m.as_str().to_string());
        r.object_lock_legal_hold_status = head
            .object_lock_legal_hold_status()
            .map(|s| s.as_str().to_string());
        r.bucket_key_status = Some(
            if head.bucket_key_enabled() == Some(true) {
                "ENABLED"
            } else {
                "DISABLED"
            }
            .to_string(),
        );
        if r.storage_class.as_deref() == Some("INTELLIGENT_TIERING") {
            r.intelligent_tiering_access_tier = Some(
                match head.archive_status().map(|a| a.as_str()) {
                    Some("ARCHIVE_ACCESS") => "ARCHIVE",
                    Some("DEEP_ARCHIVE_ACCESS") => "DEEP_ARCHIVE",
                    _ => "FREQUENT",
                }
                .to_string(),
            );
        }
    }
    Ok(())
}

/// The Object ACL field as S3 Inventory documents it (userguide/objectacl.html): base64 of
/// `{"version": "2022-11-10", "status": "AVAILABLE", "grants": [...]}`, each grant a
/// `CanonicalUser` (`canonicalId`) or a `Group` (`uri`) with its `permission`.
pub fn object_acl_field(grants: &[aws_sdk_s3::types::Grant]) -> String {
    let grants: Vec<serde_json::Value> = grants
        .iter()
        .filter_map(|g| {
            let grantee = g.grantee()?;
            let permission = g.permission()?.as_str();
            Some(match grantee.r#type().as_str() {
                "Group" => serde_json::json!({
                    "uri": grantee.uri(), "permission": permission, "type": "Group"
                }),
                _ => serde_json::json!({
                    "canonicalId": grantee.id(), "permission": permission, "type": "CanonicalUser"
                }),
            })
        })
        .collect();
    let json =
        serde_json::json!({"version": "2022-11-10", "status": "AVAILABLE", "grants": grants});
    aws_smithy_types::base64::encode(json.to_string())
}

async fn add_acls(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    records: &mut [InventoryRecord],
) -> Result<(), DeliveryError> {
    for r in records
        .iter_mut()
        .filter(|r| r.is_delete_marker != Some(true))
    {
        let acl = s3
            .get_object_acl()
            .bucket(bucket)
            .key(&r.key)
            .set_version_id(r.version_id.clone())
            .send()
            .await
            .map_err(s3_error(format!("get ACL of s3://{bucket}/{}", r.key)))?;
        r.object_access_control_list = Some(object_acl_field(acl.grants()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_configurations_read_the_launchers_json() {
        let json = serde_json::json!({
            "account": "111111111111", "bucket": "src", "destinationAccount": "000000000000",
            "configuration": {"Id": "s3insights", "IsEnabled": true, "IncludedObjectVersions": "All",
                "Schedule": {"Frequency": "Daily"},
                "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::dst", "Format": "Parquet", "Prefix": "inv"}},
                "OptionalFields": ["Size", "ETag"]}
        });
        let stored: StoredConfiguration = serde_json::from_value(json).unwrap();
        assert_eq!(
            stored
                .configuration
                .destination
                .s3_bucket_destination
                .prefix
                .as_deref(),
            Some("inv")
        );
        assert_eq!(stored.configuration.optional_fields, ["Size", "ETag"]);
        assert!(stored.configuration.filter.is_none());
    }

    #[test]
    fn object_acl_field_is_base64_json_as_documented() {
        use aws_sdk_s3::types::{Grant, Grantee, Permission, Type};
        let grants = [
            Grant::builder()
                .grantee(
                    Grantee::builder()
                        .r#type(Type::CanonicalUser)
                        .id("abc")
                        .build()
                        .unwrap(),
                )
                .permission(Permission::FullControl)
                .build(),
            Grant::builder()
                .grantee(
                    Grantee::builder()
                        .r#type(Type::Group)
                        .uri("http://acs.amazonaws.com/groups/global/AllUsers")
                        .build()
                        .unwrap(),
                )
                .permission(Permission::Read)
                .build(),
        ];
        let decoded = aws_smithy_types::base64::decode(object_acl_field(&grants)).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"version": "2022-11-10", "status": "AVAILABLE", "grants": [
                {"canonicalId": "abc", "permission": "FULL_CONTROL", "type": "CanonicalUser"},
                {"uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permission": "READ", "type": "Group"}
            ]})
        );
    }
}

//! What S3 knows of a source bucket, as an inventory report lists it: every object (or version and
//! delete marker), with the optional fields that take more than a listing — `HeadObject` for
//! encryption, replication, object lock, bucket key and Intelligent-Tiering tier, `GetObjectAcl` for
//! the ACL field — fetched only when the configuration asks for them.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_s3::primitives::DateTime as S3DateTime;
use chrono::{DateTime, TimeZone, Utc};
use inventory_format::field::InventoryField;
use inventory_format::record::InventoryRecord;
use tokio::sync::Semaphore;

use platform::s3_keys::{self, LISTING_ENCODING};

use super::{s3_error, undecodable, DeliveryError, StoredConfiguration};
use crate::sdk::Target;

/// Concurrent `HeadObject` calls while gathering optional fields.
const HEAD_CONCURRENCY: usize = 16;

fn to_chrono(t: Option<&S3DateTime>) -> Option<DateTime<Utc>> {
    let t = t?;
    Utc.timestamp_opt(t.secs(), t.subsec_nanos()).single()
}

/// Every listed object (or version and delete marker) with the fields the report needs.
pub(super) async fn list_source(
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
    let mut records = if all_versions {
        list_versions(&s3, bucket, prefix).await?
    } else {
        list_current(&s3, bucket, prefix).await?
    };
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

/// Every version and delete marker under `prefix` (ListObjectVersions, URL-encoded keys).
async fn list_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<String>,
) -> Result<Vec<InventoryRecord>, DeliveryError> {
    let mut records = Vec::new();
    let mut key_marker = None;
    let mut version_marker = None;
    loop {
        let action = format!("list versions of {bucket}");
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .set_prefix(prefix.clone())
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .encoding_type(LISTING_ENCODING)
            .send()
            .await
            .map_err(s3_error(&action))?;
        let key =
            |k: Option<&str>| s3_keys::decode(k.unwrap_or_default()).map_err(undecodable(&action));
        for v in page.versions() {
            records.push(InventoryRecord {
                bucket: bucket.to_string(),
                key: key(v.key())?,
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
                bucket: bucket.to_string(),
                key: key(m.key())?,
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
        // The marker goes back decoded: the SDK encodes request parameters itself.
        key_marker = s3_keys::decode_opt(page.next_key_marker()).map_err(undecodable(&action))?;
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
    Ok(records)
}

/// Every current object under `prefix` (ListObjectsV2, URL-encoded keys).
async fn list_current(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<String>,
) -> Result<Vec<InventoryRecord>, DeliveryError> {
    let mut records = Vec::new();
    let mut token = None;
    loop {
        let action = format!("list objects of {bucket}");
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_prefix(prefix.clone())
            .fetch_owner(true)
            .set_continuation_token(token)
            .encoding_type(LISTING_ENCODING)
            .send()
            .await
            .map_err(s3_error(&action))?;
        for o in page.contents() {
            records.push(InventoryRecord {
                bucket: bucket.to_string(),
                key: s3_keys::decode(o.key().unwrap_or_default()).map_err(undecodable(&action))?,
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
            refused: false,
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

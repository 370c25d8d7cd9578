//! Small S3 chores shared by several functions.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use platform::s3_keys;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{error_code, sdk_error, HarvestError};

/// Deletes every object version and delete marker in `bucket`; a missing bucket is already empty.
/// Returns how many were deleted. Keys are listed URL-encoded (XML cannot carry every key S3
/// allows, `platform::s3_keys`); those a DeleteObjects body cannot carry are deleted one at a time.
pub async fn empty_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<u64, HarvestError> {
    let mut deleted = 0u64;
    loop {
        let page = match s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1000)
            .encoding_type(s3_keys::LISTING_ENCODING)
            .send()
            .await
        {
            Ok(page) => page,
            Err(err) if error_code(&err) == Some("NoSuchBucket") => return Ok(deleted),
            Err(err) => return Err(sdk_error(format!("list versions of {bucket}"), err)),
        };
        let mut objects = Vec::new();
        let listed = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        for (key, version) in listed.chain(markers) {
            let key = s3_keys::decode(key.unwrap_or_default()).map_err(|e| HarvestError::Aws {
                operation: format!("list versions of {bucket}"),
                message: e.to_string(),
            })?;
            objects.push((key, version.map(str::to_string)));
        }
        if objects.is_empty() {
            return Ok(deleted);
        }
        let (batched, single): (Vec<_>, Vec<_>) = objects
            .into_iter()
            .partition(|(key, _)| s3_keys::xml_safe(key));
        for (key, version) in single {
            s3.delete_object()
                .bucket(bucket)
                .key(&key)
                .set_version_id(version)
                .send()
                .await
                .map_err(|e| sdk_error(format!("delete {key:?} from {bucket}"), e))?;
            deleted += 1;
        }
        if !batched.is_empty() {
            deleted += delete_batch(s3, bucket, batched).await?;
        }
    }
}

/// One DeleteObjects call (at most 1,000 keys XML can carry); how many were deleted.
async fn delete_batch(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    objects: Vec<(String, Option<String>)>,
) -> Result<u64, HarvestError> {
    let identifiers = objects
        .into_iter()
        .filter_map(|(key, version)| {
            ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version)
                .build()
                .ok()
        })
        .collect::<Vec<_>>();
    let count = identifiers.len() as u64;
    let delete = Delete::builder()
        .set_objects(Some(identifiers))
        .quiet(true)
        .build()
        .map_err(|e| HarvestError::Aws {
            operation: format!("empty {bucket}"),
            message: e.to_string(),
        })?;
    let answer = s3
        .delete_objects()
        .bucket(bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| sdk_error(format!("delete objects in {bucket}"), e))?;
    if let Some(first) = answer.errors().first() {
        return Err(HarvestError::Transient {
            operation: format!("delete objects in {bucket}"),
            message: format!(
                "{} of {count} not deleted, e.g. {}: {}",
                answer.errors().len(),
                first.key().unwrap_or_default(),
                first.message().unwrap_or_default()
            ),
        });
    }
    Ok(count)
}

/// Reads a JSON object from S3.
pub async fn get_json<T: DeserializeOwned>(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<T, HarvestError> {
    let what = format!("s3://{bucket}/{key}");
    let body = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| sdk_error(format!("read {what}"), e))?
        .body
        .collect()
        .await
        .map_err(|e| HarvestError::Transient {
            operation: format!("read {what}"),
            message: e.to_string(),
        })?
        .into_bytes();
    serde_json::from_slice(&body).map_err(|e| HarvestError::CorruptState {
        what,
        message: e.to_string(),
    })
}

/// Writes a JSON object to S3.
pub async fn put_json<T: Serialize>(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    value: &T,
) -> Result<(), HarvestError> {
    let body = serde_json::to_vec(value).map_err(|e| HarvestError::CorruptState {
        what: key.to_string(),
        message: e.to_string(),
    })?;
    put_bytes(s3, bucket, key, body, "application/json").await
}

/// Writes bytes to S3.
pub async fn put_bytes(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<(), HarvestError> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(body.into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_error(format!("write s3://{bucket}/{key}"), e))
}

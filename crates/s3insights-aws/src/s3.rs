//! Small S3 chores shared by several functions: JSON and bytes in and out of a bucket, and emptying
//! one (every version and delete marker).

use platform::s3_keys;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{error_code, sdk_error, FunctionError};

/// Deletes every object version and delete marker in `bucket`; a missing bucket is already empty.
/// Returns how many were deleted. Keys are listed URL-encoded (XML cannot carry every key S3
/// allows, `platform::s3_keys`); those a DeleteObjects body cannot carry are deleted one at a time.
pub async fn empty_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<u64, FunctionError> {
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
            let key = s3_keys::decode(key.unwrap_or_default()).map_err(|e| FunctionError::Aws {
                operation: format!("list versions of {bucket}"),
                message: e.to_string(),
            })?;
            objects.push((key, version.map(str::to_string)));
        }
        if objects.is_empty() {
            return Ok(deleted);
        }
        deleted += s3_keys::delete_versions(s3, bucket, objects)
            .await
            .map_err(|failure| {
                let platform::s3_keys::DeleteFailure {
                    operation,
                    message,
                    transient,
                } = failure;
                if transient {
                    FunctionError::Transient { operation, message }
                } else {
                    FunctionError::Aws { operation, message }
                }
            })?;
    }
}

/// Reads a JSON object from S3.
pub async fn get_json<T: DeserializeOwned>(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<T, FunctionError> {
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
        .map_err(|e| FunctionError::Transient {
            operation: format!("read {what}"),
            message: e.to_string(),
        })?
        .into_bytes();
    serde_json::from_slice(&body).map_err(|e| FunctionError::CorruptState {
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
) -> Result<(), FunctionError> {
    let body = serde_json::to_vec(value).map_err(|e| FunctionError::CorruptState {
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
) -> Result<(), FunctionError> {
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

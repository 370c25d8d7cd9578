//! Configurations too large for a DynamoDB item, kept in S3 behind a pointer attribute.
//!
//! DynamoDB refuses items over 400 KB; an S3 bucket policy or an IAM role can describe to more.
//! When an item's estimated size is over [`OFFLOAD_THRESHOLD`] (350,000 bytes, leaving room for
//! the estimate's error and for what the Current table adds), its `configuration` is written to
//! S3 as JSON and replaced by `historical::item::POINTER_ATTRIBUTE` (`configuration_s3`: bucket, key, MD5 and
//! size). Readers resolve the pointer transparently ([`Offload::resolve`]) and check the MD5.
//!
//! Keys are `<prefix><arn>/<eventTime>/<md5 of the JSON>.json` (the ARN hashed when the key would
//! pass S3's 1,024 bytes): the same content at the same time is the same object, so a retried
//! write is idempotent, and a different content never overwrites an object another item still
//! points to. The MD5 is content addressing and a corruption check, not a security measure.
//! Objects are never deleted by the stores: Durable revisions point to theirs forever; a lifecycle
//! rule may expire the Current prefix well after the Current TTL.
//!
//! Until resolved, an offloaded item has no `configuration`, which `historical::differ::is_deleted`
//! reads as a deletion: anything reading raw images (stream records) must check
//! `historical::item::is_offloaded` first.

use aws_sdk_s3::primitives::ByteStream;
use historical::item::POINTER_ATTRIBUTE;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::codec::{item_size, to_item, Item};
use super::error::{sdk_error, StoreError};

/// Estimated item size above which the configuration goes to S3.
pub const OFFLOAD_THRESHOLD: usize = 350_000;
/// S3's maximum key length in bytes.
const S3_KEY_LIMIT: usize = 1024;

/// Where an offloaded configuration is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// Hex MD5 of the object's bytes (the JSON text of the configuration).
    pub md5: String,
    /// The object's size in bytes.
    pub size: u64,
}

/// The pointer of an offloaded item, if it has one.
pub fn pointer(item: &Value) -> Result<Option<Pointer>, StoreError> {
    match item.get(POINTER_ATTRIBUTE) {
        None => Ok(None),
        Some(p) => serde_json::from_value(p.clone())
            .map(Some)
            .map_err(|e| StoreError::corrupt(POINTER_ATTRIBUTE, e)),
    }
}

/// The object key of a configuration: see the module docs.
pub fn object_key(prefix: &str, arn: &str, event_time: &str, md5: &str) -> String {
    let key = format!("{prefix}{arn}/{event_time}/{md5}.json");
    if key.len() <= S3_KEY_LIMIT {
        return key;
    }
    let hashed = hex::encode(Md5::digest(arn.as_bytes()));
    format!("{prefix}{hashed}/{event_time}/{md5}.json")
}

/// The bucket and key prefix where one table's large configurations go.
#[derive(Debug, Clone)]
pub struct Offload {
    s3: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

impl Offload {
    /// Offload to `bucket` under `prefix` (e.g. `historical/s3/durable/`; one per table, so a
    /// lifecycle rule can tell Current's objects from Durable's).
    pub fn new(
        s3: aws_sdk_s3::Client,
        bucket: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Self {
        Self {
            s3,
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    /// The item ready for PutItem: unchanged when small enough, else with its configuration
    /// written to S3 and replaced by the pointer. Returns the item as written and its encoding.
    pub async fn shrink(&self, mut item: Value) -> Result<(Value, Item), StoreError> {
        let encoded = to_item("item", &item)?;
        if item_size(&encoded) <= OFFLOAD_THRESHOLD {
            return Ok((item, encoded));
        }
        let arn = super::codec::string_field(&item, "arn")?.to_string();
        let event_time = super::codec::string_field(&item, "eventTime")?.to_string();
        let Some(configuration) = item.as_object_mut().and_then(|m| m.remove("configuration"))
        else {
            return Ok((item, encoded));
        };
        let body = serde_json::to_vec(&configuration)
            .map_err(|e| StoreError::InvalidItem(format!("{arn}: configuration: {e}")))?;
        let md5 = hex::encode(Md5::digest(&body));
        let key = object_key(&self.prefix, &arn, &event_time, &md5);
        let size = body.len() as u64;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| sdk_error(format!("PutObject s3://{}/{key}", self.bucket), e))?;
        let pointer = Pointer {
            bucket: self.bucket.clone(),
            key,
            md5,
            size,
        };
        if let Some(map) = item.as_object_mut() {
            map.insert(POINTER_ATTRIBUTE.into(), serde_json::json!(pointer));
        }
        let encoded = to_item("item", &item)?;
        Ok((item, encoded))
    }

    /// The item with its configuration back in place of the pointer (unchanged if it has none).
    /// The object's MD5 must match the pointer's.
    pub async fn resolve(&self, mut item: Value) -> Result<Value, StoreError> {
        let Some(pointer) = pointer(&item)? else {
            return Ok(item);
        };
        let what = format!("s3://{}/{}", pointer.bucket, pointer.key);
        let object = self
            .s3
            .get_object()
            .bucket(&pointer.bucket)
            .key(&pointer.key)
            .send()
            .await
            .map_err(|e| sdk_error(format!("GetObject {what}"), e))?;
        let body = object
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Transient {
                operation: format!("GetObject {what}"),
                message: e.to_string(),
            })?
            .into_bytes();
        let md5 = hex::encode(Md5::digest(&body));
        if md5 != pointer.md5 {
            return Err(StoreError::corrupt(
                what,
                format!("MD5 {md5}, the pointer says {}", pointer.md5),
            ));
        }
        let configuration: Value =
            serde_json::from_slice(&body).map_err(|e| StoreError::corrupt(&what, e))?;
        if let Some(map) = item.as_object_mut() {
            map.remove(POINTER_ATTRIBUTE);
            map.insert("configuration".into(), configuration);
        }
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_readable_and_bounded() {
        assert_eq!(
            object_key(
                "h/s3/current/",
                "arn:aws:s3:::b",
                "2024-01-02T03:04:05Z",
                "ab"
            ),
            "h/s3/current/arn:aws:s3:::b/2024-01-02T03:04:05Z/ab.json"
        );
        let long = format!("arn:aws:iam::1:role/{}", "p/".repeat(600));
        let key = object_key("h/", &long, "2024-01-02T03:04:05Z", "ab");
        assert!(key.len() <= S3_KEY_LIMIT);
        assert!(key.starts_with("h/") && key.ends_with("/2024-01-02T03:04:05Z/ab.json"));
    }

    #[test]
    fn pointers_are_recognised_and_parsed() {
        let item = json!({"arn": "a", "configuration_s3":
            {"bucket": "b", "key": "k", "md5": "m", "size": 3}});
        assert!(historical::item::is_offloaded(&item));
        assert_eq!(pointer(&item).unwrap().unwrap().key, "k");
        assert!(!historical::item::is_offloaded(
            &json!({"configuration": {}})
        ));
        assert!(matches!(
            pointer(&json!({"configuration_s3": "nope"})),
            Err(StoreError::Corrupt { .. })
        ));
    }
}

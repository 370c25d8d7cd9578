//! The Current table: the latest known state of every resource of one technology.
//!
//! Hash key `arn` (S), stream `NEW_AND_OLD_IMAGES`, TTL on `ttl` (epoch seconds). Every write is
//! conditional on `eventTime` ([`NOT_OLDER`]): it succeeds only when no item exists or the stored
//! `eventTime` is at or before the new one, so a late event never overwrites a newer state, and an
//! equal time overwrites (a retried write is idempotent). `eventTime` is fixed-width ISO 8601
//! (`YYYY-MM-DDTHH:MM:SSZ`), so DynamoDB's string comparison is chronological.
//!
//! The TTL is computed at each write (now + `ttl_seconds`), not once per process as the original
//! did. A deletion follows the original's protocol: a tombstone (`configuration` `{}`) is written
//! under the same condition, then the item is deleted, so the stream carries the tombstone
//! (INSERT or MODIFY, which the Differ records as a deletion) and then a REMOVE without a service
//! identity (which the Differ ignores). The delete is conditional on the tombstone still being
//! there, so a newer state written in between survives.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use historical::differ::format_event_time;
use serde_json::{json, Value};

use super::codec::{from_item, item_size, string_field, DYNAMODB_ITEM_LIMIT};
use super::error::{sdk_error, StoreError};
use super::offload::Offload;

/// The write condition: no item yet, or one whose `eventTime` is not after the new one.
pub const NOT_OLDER: &str = "attribute_not_exists(arn) OR eventTime <= :event_time";
/// The delete condition of the tombstone protocol: the item is still our tombstone.
const STILL_TOMBSTONE: &str = "eventTime = :event_time AND size(configuration) = :zero";
/// TTL of a tombstone, in case the delete right after it never happens.
pub const TOMBSTONE_TTL_SECONDS: u64 = 3_600;

/// What a conditional write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The item was written.
    Written,
    /// A newer state is stored; nothing was written.
    Stale,
}

/// The `ttl` attribute for a write at `now`: epoch seconds, `now + ttl_seconds`.
pub fn ttl_at(now: DateTime<Utc>, ttl_seconds: u64) -> i64 {
    now.timestamp()
        .saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX))
}

/// Whether a stored `eventTime` lets a write at `new` through (the condition, for tests and logs).
pub fn accepts(stored: Option<&str>, new: &str) -> bool {
    stored.is_none_or(|stored| stored <= new)
}

/// The item as written: `eventTime` and `ttl` set by the store, whatever the caller had.
pub fn stamped(mut item: Value, event_time: &str, ttl: i64) -> Result<Value, StoreError> {
    let map = item
        .as_object_mut()
        .ok_or_else(|| StoreError::InvalidItem("a Current item must be a JSON object".into()))?;
    map.insert("eventTime".into(), json!(event_time));
    map.insert("ttl".into(), json!(ttl));
    string_field(&item, "arn")?;
    Ok(item)
}

/// One technology's Current table.
#[derive(Debug, Clone)]
pub struct CurrentStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    offload: Offload,
}

impl CurrentStore {
    /// The store over `table`, offloading large configurations with `offload`.
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        offload: Offload,
    ) -> Self {
        Self {
            client,
            table: table.into(),
            offload,
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Write `item` (which must have an `arn`) as the state at `event_time`, unless a newer state
    /// is stored. Sets `eventTime` and `ttl` (now + `ttl_seconds`).
    pub async fn put_if_newer(
        &self,
        item: &Value,
        event_time: DateTime<Utc>,
        ttl_seconds: u64,
    ) -> Result<Written, StoreError> {
        let event_time = format_event_time(event_time);
        let item = stamped(item.clone(), &event_time, ttl_at(Utc::now(), ttl_seconds))?;
        self.put_conditional(item, &event_time).await
    }

    /// Record a deletion at `event_time`: a tombstone (`context`'s fields, e.g. `accountId`,
    /// `Region`, `Tags` and the CloudTrail context, with `configuration` `{}`) under the same
    /// condition, then the item's removal. `Stale` when a newer state is stored (nothing done).
    pub async fn put_tombstone(
        &self,
        arn: &str,
        event_time: DateTime<Utc>,
        context: &Value,
    ) -> Result<Written, StoreError> {
        let event_time = format_event_time(event_time);
        let mut tombstone = match context {
            Value::Object(_) => context.clone(),
            Value::Null => json!({}),
            _ => {
                return Err(StoreError::InvalidItem(
                    "a tombstone context must be an object".into(),
                ))
            }
        };
        if let Some(map) = tombstone.as_object_mut() {
            map.insert("arn".into(), json!(arn));
            map.insert("configuration".into(), json!({}));
            map.remove(historical::item::POINTER_ATTRIBUTE);
        }
        let ttl = ttl_at(Utc::now(), TOMBSTONE_TTL_SECONDS);
        let tombstone = stamped(tombstone, &event_time, ttl)?;
        if self.put_conditional(tombstone, &event_time).await? == Written::Stale {
            return Ok(Written::Stale);
        }
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("arn", AttributeValue::S(arn.into()))
            .condition_expression(STILL_TOMBSTONE)
            .expression_attribute_values(":event_time", AttributeValue::S(event_time))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(Written::Written),
            // A newer state replaced the tombstone in between: it stays, the tombstone is recorded.
            Err(e) if is_condition_failed_delete(&e) => Ok(Written::Written),
            Err(e) => Err(sdk_error(format!("DeleteItem {} {arn}", self.table), e)),
        }
    }

    /// The stored state of `arn` (strongly consistent), configuration resolved from S3.
    pub async fn get(&self, arn: &str) -> Result<Option<Value>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("arn", AttributeValue::S(arn.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(format!("GetItem {} {arn}", self.table), e))?;
        match out.item {
            None => Ok(None),
            Some(item) => {
                let value = from_item(&format!("{} {arn}", self.table), item)?;
                Ok(Some(self.offload.resolve(value).await?))
            }
        }
    }

    /// Resolve an image read elsewhere (a stream record) the way [`CurrentStore::get`] does.
    pub async fn resolve(&self, item: Value) -> Result<Value, StoreError> {
        self.offload.resolve(item).await
    }

    async fn put_conditional(&self, item: Value, event_time: &str) -> Result<Written, StoreError> {
        let arn = string_field(&item, "arn")?.to_string();
        let (_, encoded) = self.offload.shrink(item).await?;
        let size = item_size(&encoded);
        if size > DYNAMODB_ITEM_LIMIT {
            return Err(StoreError::TooLarge {
                arn,
                size,
                limit: DYNAMODB_ITEM_LIMIT,
            });
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encoded))
            .condition_expression(NOT_OLDER)
            .expression_attribute_values(":event_time", AttributeValue::S(event_time.into()))
            .send()
            .await;
        match put {
            Ok(_) => Ok(Written::Written),
            Err(e) if is_condition_failed_put(&e) => Ok(Written::Stale),
            Err(e) => Err(sdk_error(format!("PutItem {} {arn}", self.table), e)),
        }
    }
}

fn is_condition_failed_put(
    err: &aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError>,
) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

fn is_condition_failed_delete(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::delete_item::DeleteItemError,
    >,
) -> bool {
    err.as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ttl_is_now_plus_the_expiry() {
        let now = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(ttl_at(now, 86_400), now.timestamp() + 86_400);
        assert_eq!(ttl_at(now, u64::MAX), i64::MAX);
        // computed per write: a later write gets a later TTL
        assert!(ttl_at(now + chrono::Duration::hours(1), 60) > ttl_at(now, 60));
    }

    #[test]
    fn the_condition_refuses_only_older_times() {
        assert!(accepts(None, "2024-01-02T03:04:05Z"));
        assert!(accepts(
            Some("2024-01-02T03:04:05Z"),
            "2024-01-02T03:04:05Z"
        ));
        assert!(accepts(
            Some("2024-01-02T03:04:05Z"),
            "2024-01-02T03:04:06Z"
        ));
        assert!(!accepts(
            Some("2024-01-02T03:04:05Z"),
            "2024-01-02T03:04:04Z"
        ));
        // fixed width: string order is time order across fields
        assert!(!accepts(
            Some("2024-10-01T00:00:00Z"),
            "2024-09-30T23:59:59Z"
        ));
    }

    #[test]
    fn stamping_sets_time_and_ttl_and_requires_an_arn() {
        let item = stamped(
            json!({"arn": "a", "eventTime": "old", "ttl": 1}),
            "2024-01-02T03:04:05Z",
            7,
        )
        .unwrap();
        assert_eq!(item["eventTime"], "2024-01-02T03:04:05Z");
        assert_eq!(item["ttl"], 7);
        assert!(matches!(
            stamped(json!({"configuration": {}}), "t", 1),
            Err(StoreError::InvalidItem(_))
        ));
        assert!(matches!(
            stamped(json!("x"), "t", 1),
            Err(StoreError::InvalidItem(_))
        ));
    }
}

//! The Durable table: every effective revision of every resource of one technology, forever.
//!
//! Hash key `arn` (S), range key `eventTime` (S, `YYYY-MM-DDTHH:MM:SSZ`), stream
//! `NEW_AND_OLD_IMAGES` (read by the Durable proxy), no TTL.
//!
//! **Whole seconds, as the original.** Subscribers receive `event_time` in this format and use it
//! with `arn` as the key to re-read a revision (`durable_key`), and CloudTrail's own `eventTime`
//! has whole seconds, so milliseconds would distinguish nothing for events; only two polls of one
//! resource in the same second collapse, and the later write wins, as it did.
//!
//! **The change on the revision.** The Differ stores the effective change it computed as the
//! revision's `change` attribute (`{kind, patch}`, `historical::item::with_change`), so the
//! Durable proxy publishes it from the stream record alone, without reading the previous
//! revision. When the patch would push the item over DynamoDB's limit even after the
//! configuration went to S3 (a `created` patch holds the whole state), it is stored as `{kind,
//! patch: [], patch_omitted: true}` (`historical::item::omit_patch`): the subscriber diffs the
//! two revisions itself, as the SNS message already allows.
//!
//! Writes are unconditional PutItems: the key is the revision's identity, so a retried write of
//! the same revision is idempotent.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use historical::differ::format_event_time;
use historical::item::omit_patch;
use historical::point_in_time::{in_force_at, Scope};
use historical::Revision;
use serde_json::Value;

use super::codec::{from_item, item_size, string_field, to_item, Item, DYNAMODB_ITEM_LIMIT};
use super::error::{sdk_error, StoreError};
use super::offload::{Offload, OFFLOAD_THRESHOLD};

/// A stored item as a [`Revision`] (its `eventTime` parsed).
pub fn revision(item: Value) -> Result<Revision, StoreError> {
    let time = string_field(&item, "eventTime")?;
    let event_time = DateTime::parse_from_rfc3339(time)
        .map_err(|e| StoreError::corrupt(format!("eventTime {time:?}"), e))?
        .with_timezone(&Utc);
    Ok(Revision { event_time, item })
}

/// One technology's Durable table.
#[derive(Debug, Clone)]
pub struct DurableStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    offload: Offload,
}

impl DurableStore {
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

    /// The revision the Differ compares an event at `event_time` with: the latest at or before
    /// it (strongly consistent), configuration resolved.
    pub async fn latest_at_or_before(
        &self,
        arn: &str,
        event_time: DateTime<Utc>,
    ) -> Result<Option<Revision>, StoreError> {
        self.latest_of(arn, Some(event_time)).await
    }

    /// The resource's latest revision (strongly consistent), configuration resolved.
    pub async fn latest(&self, arn: &str) -> Result<Option<Revision>, StoreError> {
        self.latest_of(arn, None).await
    }

    /// One Query, newest first, one item: the latest revision, at or before `until` if given.
    async fn latest_of(
        &self,
        arn: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<Option<Revision>, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":arn", AttributeValue::S(arn.into()));
        query = match until {
            Some(time) => query
                .key_condition_expression("arn = :arn AND eventTime <= :event_time")
                .expression_attribute_values(
                    ":event_time",
                    AttributeValue::S(format_event_time(time)),
                ),
            None => query.key_condition_expression("arn = :arn"),
        };
        let out = query
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(format!("Query {} {arn}", self.table), e))?;
        match out.items.unwrap_or_default().into_iter().next() {
            None => Ok(None),
            Some(item) => Ok(Some(self.decode(arn, item).await?)),
        }
    }

    /// Every revision of `arn`, oldest first (all pages; for tests and the CLI).
    pub async fn revisions(&self, arn: &str) -> Result<Vec<Revision>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("arn = :arn")
                .expression_attribute_values(":arn", AttributeValue::S(arn.into()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error(format!("Query {} {arn}", self.table), e))?;
            for item in page.items.unwrap_or_default() {
                out.push(self.decode(arn, item).await?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Every resource of the table as it was at `at`, within `scope`: the revision in force then per
    /// ARN, deletions left out, configurations read back from S3 (`historical::point_in_time`).
    ///
    /// A scan of the whole table (the time, account and region filter what comes back, not what is
    /// read): DynamoDB bills the table's size, so this is for an operator's question, not a loop.
    pub async fn in_force_at(
        &self,
        at: DateTime<Utc>,
        scope: &Scope,
    ) -> Result<Vec<Revision>, StoreError> {
        let mut read = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .scan_at_or_before(at, scope)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error(format!("Scan {}", self.table), e))?;
            for item in page.items.unwrap_or_default() {
                read.push(revision(from_item(&self.table, item)?)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        let mut out = Vec::new();
        for kept in in_force_at(read, at, scope) {
            out.push(revision(self.offload.resolve(kept.item).await?)?);
        }
        Ok(out)
    }

    /// The scan [`Self::in_force_at`] pages through: items at or before `at`, in `scope`.
    fn scan_at_or_before(
        &self,
        at: DateTime<Utc>,
        scope: &Scope,
    ) -> aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder {
        let mut filter = vec!["eventTime <= :at"];
        let mut scan = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_values(":at", AttributeValue::S(format_event_time(at)));
        if let Some(account) = &scope.account {
            filter.push("accountId = :account");
            scan = scan.expression_attribute_values(":account", AttributeValue::S(account.clone()));
        }
        if let Some(region) = &scope.region {
            // `Region` is not reserved, but named through a placeholder like any attribute might be.
            filter.push("#region = :region");
            scan = scan
                .expression_attribute_names("#region", "Region")
                .expression_attribute_values(":region", AttributeValue::S(region.clone()));
        }
        scan.filter_expression(filter.join(" AND "))
    }

    /// Write a revision (`arn` and `eventTime` required), offloading its configuration and, if
    /// still needed, leaving its patch out. Idempotent on (`arn`, `eventTime`).
    pub async fn put_revision(&self, item: &Value) -> Result<(), StoreError> {
        let arn = string_field(item, "arn")?.to_string();
        revision(item.clone())?;
        let (mut item, mut encoded) = self.offload.shrink(item.clone()).await?;
        if item_size(&encoded) > OFFLOAD_THRESHOLD && omit_patch(&mut item) {
            encoded = to_item("revision", &item)?;
        }
        let size = item_size(&encoded);
        if size > DYNAMODB_ITEM_LIMIT {
            return Err(StoreError::TooLarge {
                arn,
                size,
                limit: DYNAMODB_ITEM_LIMIT,
            });
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encoded))
            .send()
            .await
            .map_err(|e| sdk_error(format!("PutItem {} {arn}", self.table), e))?;
        Ok(())
    }

    async fn decode(&self, arn: &str, item: Item) -> Result<Revision, StoreError> {
        let value = from_item(&format!("{} {arn}", self.table), item)?;
        revision(self.offload.resolve(value).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn revisions_parse_their_time() {
        let r = revision(json!({"arn": "a", "eventTime": "2024-01-02T03:04:05Z"})).unwrap();
        assert_eq!(format_event_time(r.event_time), "2024-01-02T03:04:05Z");
        assert!(matches!(
            revision(json!({"arn": "a", "eventTime": "yesterday"})),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            revision(json!({"arn": "a"})),
            Err(StoreError::InvalidItem(_))
        ));
    }
}

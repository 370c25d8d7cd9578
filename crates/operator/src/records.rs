//! A run's items in the state table, as the operator reads them.
//!
//! The items are written by the `harvest` crate (`crates/harvest/src/store.rs`, documented in
//! docs/architecture.md, "State table"). That crate carries the Lambda runtime, Athena, SES and
//! the Parquet stack, so this binary reads the same items through these views of the fields it
//! shows, keeping the key formats (`pk = run#<run>`, `sk = run | account#… | region#… | bucket#…`).

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_dynamodb::types::AttributeValue;
use s3insights::BucketStatus;
use serde::Deserialize;

use crate::context::sdk_message;

/// The run record (`sk = run`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RunView {
    /// The run id.
    pub run_id: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// The Harvester execution that owns the run.
    pub execution_id: String,
    /// When the run was recorded.
    pub created_at: String,
    /// When waiting buckets become `timed_out`.
    pub deadline: String,
    /// Regions covered.
    pub regions: Vec<String>,
    /// Accounts listed.
    pub account_count: u64,
    /// Smoke test.
    pub is_smoke_test: bool,
    /// Athena database.
    pub database: String,
    /// Athena table.
    pub table: String,
    /// `pending` while transient resources may remain.
    pub cleanup_pending: Option<String>,
    /// The failing step's error type.
    pub error: Option<String>,
    /// The failing step's cause.
    pub cause: Option<String>,
    /// When the run ended.
    pub finished_at: Option<String>,
    /// Notes for the report.
    pub notes: Vec<String>,
}

/// An account record (`sk = account#<account>`), written once the account's buckets are handled.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AccountView {
    /// Account id.
    pub account: String,
    /// `configured` or `unreachable`.
    pub status: String,
    /// Why it is unreachable.
    pub reason: Option<String>,
    /// Buckets the account owns.
    pub buckets: u64,
    /// Buckets left alone (excluded by the input, or the deployment's own).
    pub excluded: u64,
    /// Buckets in regions the run does not cover.
    pub other_regions: u64,
}

/// A bucket record (`sk = bucket#<account>#<region>#<bucket>`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BucketView {
    /// Bucket name.
    #[serde(default)]
    pub bucket: String,
    /// Status.
    pub status: BucketStatus,
    /// Why, for most statuses.
    #[serde(default)]
    pub reason: Option<String>,
    /// Whether our inventory configuration was put (the bucket then waits for a report).
    #[serde(default)]
    pub configured: bool,
}

/// Every item of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunItems {
    /// The run record, if the run exists.
    pub run: Option<RunView>,
    /// Its account records.
    pub accounts: Vec<AccountView>,
    /// Its bucket records.
    pub buckets: Vec<BucketView>,
}

/// Partition key of a run.
pub fn run_pk(run_id: &str) -> String {
    format!("run#{run_id}")
}

type Item = HashMap<String, AttributeValue>;

/// Sorts a run's items by their sort key.
pub fn sort_items(items: Vec<Item>) -> anyhow::Result<RunItems> {
    let mut out = RunItems::default();
    for item in items {
        let sk = match item.get("sk") {
            Some(AttributeValue::S(sk)) => sk.clone(),
            _ => continue,
        };
        if sk == "run" {
            out.run = Some(serde_dynamo::from_item(item).context("the run record")?);
        } else if sk.starts_with("account#") {
            out.accounts
                .push(serde_dynamo::from_item(item).with_context(|| format!("item {sk}"))?);
        } else if sk.starts_with("bucket#") {
            out.buckets
                .push(serde_dynamo::from_item(item).with_context(|| format!("item {sk}"))?);
        }
    }
    Ok(out)
}

/// Reads every item of `run_id` from the state `table` (all pages, strongly consistent).
pub async fn read_run(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    run_id: &str,
) -> anyhow::Result<RunItems> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(run_pk(run_id)))
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| anyhow::anyhow!(sdk_message(&e)))
            .with_context(|| format!("read run `{run_id}` from the state table `{table}`"))?;
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    sort_items(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(value: serde_json::Value) -> Item {
        serde_dynamo::to_item(value).unwrap()
    }

    #[test]
    fn items_are_sorted_by_their_sort_key() {
        let items = vec![
            item(
                json!({"pk": "run#r1", "sk": "run", "run_id": "r1", "status": "running",
                        "regions": ["us-east-1"], "account_count": 2, "notes": []}),
            ),
            item(
                json!({"pk": "run#r1", "sk": "account#111111111111", "account": "111111111111",
                        "status": "configured", "buckets": 3, "excluded": 1, "other_regions": 0}),
            ),
            item(
                json!({"pk": "run#r1", "sk": "bucket#111111111111#us-east-1#b", "bucket": "b",
                        "status": "in_progress", "configured": true, "updated_at": "x"}),
            ),
            item(json!({"pk": "run#r1", "sk": "region#us-east-1", "region": "us-east-1"})),
        ];
        let run = sort_items(items).unwrap();
        assert_eq!(run.run.as_ref().unwrap().account_count, 2);
        assert_eq!(run.accounts[0].buckets, 3);
        assert_eq!(run.buckets[0].status, BucketStatus::InProgress);
        assert!(run.buckets[0].configured);
    }
}

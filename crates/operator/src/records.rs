//! A run's items in the state table, as the operator reads them.
//!
//! The items are written by the `harvest` crate and defined once in `s3insights::state` (documented
//! in docs/architecture.md, "State table"), so the operator reads exactly what the functions write.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_dynamodb::types::AttributeValue;
use s3insights::state::{run_pk, AccountRecord, BucketRecord, RunRecord};

use crate::context::{sdk_message, Context};

/// Every item of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunItems {
    /// The run record, if the run exists.
    pub run: Option<RunRecord>,
    /// Its account records.
    pub accounts: Vec<AccountRecord>,
    /// Its bucket records.
    pub buckets: Vec<BucketRecord>,
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

/// Reads every item of `run_id` from the deployment's state table; the run record must exist (an
/// error names the run, the table, the stack and the region otherwise).
pub async fn read_known_run(ctx: &Context, run_id: &str) -> anyhow::Result<(RunRecord, RunItems)> {
    let table_name = ctx.output("StateTableName").await?;
    let items = read_run(&ctx.dynamodb(), &table_name, run_id).await?;
    match items.run.clone() {
        Some(run) => Ok((run, items)),
        None => anyhow::bail!(
            "no run `{run_id}` in the state table `{table_name}` (stack `{}`, region `{}`)",
            ctx.stack,
            ctx.region
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3insights::BucketStatus;
    use serde_json::json;

    fn item(value: serde_json::Value) -> Item {
        record(&value)
    }

    fn record<T: serde::Serialize>(value: &T) -> Item {
        serde_dynamo::to_item(value).unwrap()
    }

    #[test]
    fn items_are_sorted_by_their_sort_key() {
        let run = RunRecord {
            pk: run_pk("r1"),
            sk: "run".into(),
            run_id: "r1".into(),
            regions: vec!["us-east-1".into()],
            account_count: 2,
            ..Default::default()
        };
        let account = AccountRecord {
            pk: run_pk("r1"),
            sk: "account#111111111111".into(),
            account: "111111111111".into(),
            status: "configured".into(),
            buckets: 3,
            excluded: 1,
            ..Default::default()
        };
        let items = vec![
            record(&run),
            record(&account),
            item(
                json!({"pk": "run#r1", "sk": "bucket#111111111111#us-east-1#b", "account": "111111111111",
                        "region": "us-east-1", "bucket": "b", "status": "in_progress",
                        "configured": true, "updated_at": "x"}),
            ),
            item(json!({"pk": "run#r1", "sk": "region#us-east-1", "region": "us-east-1"})),
        ];
        let sorted = sort_items(items).unwrap();
        assert_eq!(sorted.run, Some(run));
        assert_eq!(sorted.accounts, vec![account]);
        assert_eq!(sorted.buckets[0].status, BucketStatus::InProgress);
        assert!(sorted.buckets[0].configured);
    }
}

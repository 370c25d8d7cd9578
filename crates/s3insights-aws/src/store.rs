//! The state table: one partition per run, never wiped.
//!
//! | pk | sk | item |
//! |---|---|---|
//! | `run#<run_id>` | `run` | [`RunRecord`] |
//! | `run#<run_id>` | `account#<account>` | [`AccountRecord`] |
//! | `run#<run_id>` | `region#<region>` | [`RegionRecord`] |
//! | `run#<run_id>` | `bucket#<account>#<region>#<bucket>` | [`BucketRecord`] |
//!
//! Two sparse indexes: `InProgress` (hash `in_progress_run`) holds only the buckets still waiting for
//! their report, so the monitor never reads finished ones; `CleanupPending` (hash `cleanup_pending`)
//! holds only runs whose transient resources may remain, so Cleanup finds them without a scan.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use s3insights::{BucketFigures, BucketStatus};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{sdk_error, HarvestError};

pub use s3insights::state::{
    account_sk, bucket_sk, region_sk, run_pk, AccountRecord, BucketRecord, RegionRecord, RunRecord,
    RunStatus, CLEANUP_PENDING,
};

/// Now, RFC 3339 (seconds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The state table.
#[derive(Clone)]
pub struct StateStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn to_item<T: Serialize>(
    what: &str,
    value: &T,
) -> Result<HashMap<String, AttributeValue>, HarvestError> {
    serde_dynamo::to_item(value).map_err(|e| HarvestError::CorruptState {
        what: what.to_string(),
        message: e.to_string(),
    })
}

fn from_item<T: DeserializeOwned>(
    what: &str,
    item: HashMap<String, AttributeValue>,
) -> Result<T, HarvestError> {
    serde_dynamo::from_item(item).map_err(|e| HarvestError::CorruptState {
        what: what.to_string(),
        message: e.to_string(),
    })
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl StateStore {
    /// The store over `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Puts `item` unless an item with its key exists; `Ok(false)` when one does.
    pub async fn put_if_absent<T: Serialize>(
        &self,
        what: &str,
        item: &T,
    ) -> Result<bool, HarvestError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(what, item)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if conditional_failed(&err) => Ok(false),
            Err(err) => Err(sdk_error(format!("put {what}"), err)),
        }
    }

    /// Puts `item`, replacing any item with its key.
    pub async fn put<T: Serialize>(&self, what: &str, item: &T) -> Result<(), HarvestError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(what, item)?))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(format!("put {what}"), e))
    }

    /// The item at (`pk`, `sk`).
    pub async fn get<T: DeserializeOwned>(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<T>, HarvestError> {
        let answer = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(format!("get {pk} {sk}"), e))?;
        answer
            .item
            .map(|item| from_item(&format!("{pk} {sk}"), item))
            .transpose()
    }

    /// The run record of `run_id`.
    pub async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, HarvestError> {
        self.get(&run_pk(run_id), "run").await
    }

    /// The run record of `run_id`, or `RunNotFound`.
    pub async fn require_run(&self, run_id: &str) -> Result<RunRecord, HarvestError> {
        self.run(run_id)
            .await?
            .ok_or_else(|| HarvestError::RunNotFound(run_id.to_string()))
    }

    /// Every page of a query: `query` is the request without its start key.
    async fn query_all<T: DeserializeOwned>(
        &self,
        what: &str,
        query: impl Fn() -> QueryFluentBuilder,
    ) -> Result<Vec<T>, HarvestError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let answer = query()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error(format!("query {what}"), e))?;
            for item in answer.items.unwrap_or_default() {
                out.push(from_item(what, item)?);
            }
            match answer.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }

    /// Every item of the run whose sort key starts with `prefix`, all pages.
    pub async fn query_prefix<T: DeserializeOwned>(
        &self,
        run_id: &str,
        prefix: &str,
    ) -> Result<Vec<T>, HarvestError> {
        self.query_all(&format!("run {run_id} {prefix}"), || {
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(run_pk(run_id)))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true)
        })
        .await
    }

    /// Every bucket of the run.
    pub async fn buckets(&self, run_id: &str) -> Result<Vec<BucketRecord>, HarvestError> {
        self.query_prefix(run_id, "bucket#").await
    }

    /// Every bucket of one account of the run.
    pub async fn account_buckets(
        &self,
        run_id: &str,
        account: &str,
    ) -> Result<Vec<BucketRecord>, HarvestError> {
        self.query_prefix(run_id, &format!("bucket#{account}#"))
            .await
    }

    /// Buckets still waiting for their report (the sparse `InProgress` index), all pages.
    pub async fn waiting_buckets(&self, run_id: &str) -> Result<Vec<BucketRecord>, HarvestError> {
        self.query_all(&format!("waiting buckets of {run_id}"), || {
            self.client
                .query()
                .table_name(&self.table)
                .index_name("InProgress")
                .key_condition_expression("in_progress_run = :run")
                .expression_attribute_values(":run", s(run_id))
        })
        .await
    }

    /// Runs whose transient resources may remain (the sparse `CleanupPending` index).
    pub async fn runs_pending_cleanup(&self) -> Result<Vec<RunRecord>, HarvestError> {
        self.query_all("runs pending cleanup", || {
            self.client
                .query()
                .table_name(&self.table)
                .index_name("CleanupPending")
                .key_condition_expression("cleanup_pending = :p")
                .expression_attribute_values(":p", s(CLEANUP_PENDING))
        })
        .await
    }

    /// Moves a bucket to `to` if its status is one of `from`; `Ok(false)` when it was not (a duplicate
    /// or late message, or a concurrent decision that won). Leaving `in_progress` removes the
    /// sparse-index key.
    pub async fn transition_bucket(
        &self,
        run_id: &str,
        sk: &str,
        from: &[BucketStatus],
        change: BucketChange<'_>,
    ) -> Result<bool, HarvestError> {
        let mut update = String::from("SET #status = :to, updated_at = :now");
        let mut remove = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(run_pk(run_id)))
            .key("sk", s(sk))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(change.to.as_str()))
            .expression_attribute_values(":now", s(now()));
        match change.reason {
            Some(reason) => {
                update.push_str(", reason = :reason");
                request = request.expression_attribute_values(":reason", s(reason));
            }
            None => remove.push("reason"),
        }
        if let Some(figures) = change.figures {
            let value = serde_dynamo::to_attribute_value(figures).map_err(|e| {
                HarvestError::CorruptState {
                    what: "bucket figures".into(),
                    message: e.to_string(),
                }
            })?;
            update.push_str(", figures = :figures");
            request = request.expression_attribute_values(":figures", value);
        }
        if let Some(manifest) = change.manifest_key {
            update.push_str(", manifest_key = :manifest");
            request = request.expression_attribute_values(":manifest", s(manifest));
        }
        if let Some(files) = change.files {
            update.push_str(", files = :files");
            request =
                request.expression_attribute_values(":files", AttributeValue::N(files.to_string()));
        }
        if let Some(configured) = change.configured {
            update.push_str(", configured = :configured");
            request = request
                .expression_attribute_values(":configured", AttributeValue::Bool(configured));
        }
        if change.to == BucketStatus::InProgress {
            update.push_str(", in_progress_run = :run");
            request = request.expression_attribute_values(":run", s(run_id));
        } else {
            remove.push("in_progress_run");
        }
        if !remove.is_empty() {
            update.push_str(" REMOVE ");
            update.push_str(&remove.join(", "));
        }
        let mut condition = Vec::new();
        for (i, status) in from.iter().enumerate() {
            let name = format!(":from{i}");
            condition.push(format!("#status = {name}"));
            request = request.expression_attribute_values(name, s(status.as_str()));
        }
        let condition = format!("attribute_exists(pk) AND ({})", condition.join(" OR "));
        match request
            .update_expression(update)
            .condition_expression(condition)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if conditional_failed(&err) => Ok(false),
            Err(err) => Err(sdk_error(
                format!("update bucket {sk} of run {run_id}"),
                err,
            )),
        }
    }
}

/// What a bucket transition writes besides the status.
#[derive(Debug, Clone, Copy)]
pub struct BucketChange<'a> {
    /// The new status.
    pub to: BucketStatus,
    /// Why (removed when `None`).
    pub reason: Option<&'a str>,
    /// Figures of the consolidated report.
    pub figures: Option<&'a BucketFigures>,
    /// The consolidated manifest.
    pub manifest_key: Option<&'a str>,
    /// Consolidated files written.
    pub files: Option<u64>,
    /// Whether our configuration is on the bucket.
    pub configured: Option<bool>,
}

impl<'a> BucketChange<'a> {
    /// A change to `to` and nothing else.
    pub fn to(to: BucketStatus) -> Self {
        Self {
            to,
            reason: None,
            figures: None,
            manifest_key: None,
            files: None,
            configured: None,
        }
    }

    /// With a reason.
    pub fn because(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }
}

fn conditional_failed<E>(err: &aws_sdk_dynamodb::error::SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    crate::error::error_code(err) == Some("ConditionalCheckFailedException")
}

//! The state table: one partition per run, never wiped.
//!
//! | pk | sk | item |
//! |---|---|---|
//! | `run#<run_id>` | `run` | [`RunRecord`] |
//! | `run#<run_id>` | `account#<account>` | [`AccountRecord`] |
//! | `run#<run_id>` | `region#<region>` | [`StagingStackRecord`] |
//! | `run#<run_id>` | `bucket#<account>#<region>#<bucket>` | [`BucketRecord`] |
//! | `run#<run_id>` | `file#<account>#<region>#<bucket>#<index>` | `DataFileRecord` (one consolidated data file of the bucket's report) |
//!
//! Two sparse indexes: `InProgress` (hash `in_progress_run`) holds only the buckets still waiting for
//! their report, so the monitor never reads finished ones; `CleanupPending` (hash `cleanup_pending`)
//! holds only runs whose transient resources may remain, so Cleanup finds them without a scan.

mod bucket;
mod data_file;

pub use data_file::FileRecorded;

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{sdk_error, FunctionError};

pub use s3insights::state::{
    account_sk, bucket_sk, run_pk, staging_stack_sk, AccountRecord, BucketChange, BucketRecord,
    RunRecord, RunStatus, StagingStackRecord, CLEANUP_PENDING,
};

/// Now, RFC 3339 (seconds), as every time in the state table is written.
pub fn now() -> String {
    s3insights::run::timestamp(chrono::Utc::now())
}

/// What a function may do with the state table: the policy its template entry grants
/// (`DynamoDBReadPolicy` or `DynamoDBCrudPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read items and query ([`StateReader`]).
    Read,
    /// Read and write ([`StateStore`]).
    ReadWrite,
}

/// The state table, read only: a function that only reads it holds this, so it cannot write what
/// its policy does not allow.
#[derive(Clone)]
pub struct StateReader {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// The state table, read and write ([`StateReader`]'s reads, and the writes).
#[derive(Clone)]
pub struct StateStore {
    reader: StateReader,
}

impl std::ops::Deref for StateStore {
    type Target = StateReader;

    fn deref(&self) -> &StateReader {
        &self.reader
    }
}

fn to_item<T: Serialize>(
    what: &str,
    value: &T,
) -> Result<HashMap<String, AttributeValue>, FunctionError> {
    serde_dynamo::to_item(value).map_err(|e| FunctionError::CorruptState {
        what: what.to_string(),
        message: e.to_string(),
    })
}

fn from_item<T: DeserializeOwned>(
    what: &str,
    item: HashMap<String, AttributeValue>,
) -> Result<T, FunctionError> {
    serde_dynamo::from_item(item).map_err(|e| FunctionError::CorruptState {
        what: what.to_string(),
        message: e.to_string(),
    })
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl StateStore {
    /// The table `table`, read and write.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            reader: StateReader::new(client, table),
        }
    }

    /// What the holder may do.
    pub fn access(&self) -> Access {
        Access::ReadWrite
    }

    /// Puts `item` unless an item with its key exists; `Ok(false)` when one does.
    pub async fn put_if_absent<T: Serialize>(
        &self,
        what: &str,
        item: &T,
    ) -> Result<bool, FunctionError> {
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

    /// Records where the run monitor's next check starts looking (`None`: from the first).
    pub async fn set_probe_cursor(
        &self,
        run_id: &str,
        cursor: Option<&str>,
    ) -> Result<(), FunctionError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(run_pk(run_id)))
            .key("sk", s("run"))
            .condition_expression("attribute_exists(pk)");
        let update = match cursor {
            Some(sk) => update
                .update_expression("SET probe_cursor = :cursor")
                .expression_attribute_values(":cursor", s(sk)),
            None => update.update_expression("REMOVE probe_cursor"),
        };
        update
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(format!("record the monitor's place in run {run_id}"), e))
    }

    /// Puts `item`, replacing any item with its key.
    pub async fn put<T: Serialize>(&self, what: &str, item: &T) -> Result<(), FunctionError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(what, item)?))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(format!("put {what}"), e))
    }
}

impl StateReader {
    /// The table `table`, read only.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// What the holder may do.
    pub fn access(&self) -> Access {
        Access::Read
    }

    /// The item at (`pk`, `sk`).
    pub async fn get<T: DeserializeOwned>(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<T>, FunctionError> {
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
    pub async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, FunctionError> {
        self.get(&run_pk(run_id), "run").await
    }

    /// The run record of `run_id`, or `RunNotFound`.
    pub async fn require_run(&self, run_id: &str) -> Result<RunRecord, FunctionError> {
        self.run(run_id)
            .await?
            .ok_or_else(|| FunctionError::RunNotFound(run_id.to_string()))
    }

    /// Every page of a query: `query` is the request without its start key.
    async fn query_all<T: DeserializeOwned>(
        &self,
        what: &str,
        query: impl Fn() -> QueryFluentBuilder,
    ) -> Result<Vec<T>, FunctionError> {
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
    ) -> Result<Vec<T>, FunctionError> {
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
    pub async fn buckets(&self, run_id: &str) -> Result<Vec<BucketRecord>, FunctionError> {
        self.query_prefix(run_id, "bucket#").await
    }

    /// Every bucket of one account of the run.
    pub async fn account_buckets(
        &self,
        run_id: &str,
        account: &str,
    ) -> Result<Vec<BucketRecord>, FunctionError> {
        self.query_prefix(run_id, &format!("bucket#{account}#"))
            .await
    }

    /// Every account of the run.
    pub async fn accounts(&self, run_id: &str) -> Result<Vec<AccountRecord>, FunctionError> {
        self.query_prefix(run_id, "account#").await
    }

    /// Every staging stack of the run.
    pub async fn staging_stacks(
        &self,
        run_id: &str,
    ) -> Result<Vec<StagingStackRecord>, FunctionError> {
        self.query_prefix(run_id, "region#").await
    }

    /// At most `limit` buckets still waiting for their report, in the order of the sparse
    /// `InProgress` index, after the bucket whose sort key is `after` (from the first without).
    pub async fn waiting_buckets(
        &self,
        run_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<BucketRecord>, FunctionError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("InProgress")
            .expression_attribute_values(":run", s(run_id))
            .limit(limit.max(1) as i32);
        query = match after {
            Some(sk) => query
                .key_condition_expression("in_progress_run = :run AND sk > :after")
                .expression_attribute_values(":after", s(sk)),
            None => query.key_condition_expression("in_progress_run = :run"),
        };
        let answer = query
            .send()
            .await
            .map_err(|e| sdk_error(format!("query waiting buckets of {run_id}"), e))?;
        let what = format!("waiting buckets of {run_id}");
        answer
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item(&what, item))
            .collect()
    }

    /// Runs whose transient resources may remain (the sparse `CleanupPending` index).
    pub async fn runs_pending_cleanup(&self) -> Result<Vec<RunRecord>, FunctionError> {
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
}

pub(crate) fn conditional_failed<E>(err: &aws_sdk_dynamodb::error::SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    crate::error::error_code(err) == Some("ConditionalCheckFailedException")
}

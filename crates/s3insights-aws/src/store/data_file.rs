//! A report's data files: the plan recorded on the bucket, and each consolidated file recorded once
//! together with the bucket's count of files in.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use s3insights::data_file::{data_file_sk_prefix, DataFileRecord};
use s3insights::BucketStatus;

use super::{conditional_failed, run_pk, s, to_item, StateReader, StateStore};
use crate::error::{error_code, sdk_error, FunctionError};

/// What recording a consolidated data file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRecorded {
    /// Recorded now, and counted on the bucket.
    Now,
    /// Recorded and counted before (a duplicate or retried task).
    Before,
    /// The bucket no longer waits for this report: nothing recorded.
    NotAwaited,
}

/// Attempts after the first when a transaction loses a conflict.
const CONFLICT_ATTEMPTS: u32 = 6;

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl StateStore {
    /// Records on a waiting bucket that its report `manifest_key` has `files` data files, unless it
    /// waits for another report; `Ok(false)` when the bucket no longer waits or waits for another.
    /// Recording the same plan again (a retried message) keeps the count of files already in.
    pub async fn plan_report(
        &self,
        run_id: &str,
        sk: &str,
        manifest_key: &str,
        files: u64,
    ) -> Result<bool, FunctionError> {
        let answer = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(run_pk(run_id)))
            .key("sk", s(sk))
            .update_expression(
                "SET manifest_key = :manifest, files = :files, \
                 files_done = if_not_exists(files_done, :zero)",
            )
            .condition_expression(
                "#status = :waiting AND (attribute_not_exists(manifest_key) OR manifest_key = :manifest)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":manifest", s(manifest_key))
            .expression_attribute_values(":files", n(files))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":waiting", s(BucketStatus::InProgress.as_str()))
            .send()
            .await;
        match answer {
            Ok(_) => Ok(true),
            Err(err) if conditional_failed(&err) => Ok(false),
            Err(err) => Err(sdk_error(
                format!("record the report of bucket {sk} of run {run_id}"),
                err,
            )),
        }
    }

    /// Records a consolidated data file once and counts it on its bucket, in one transaction: the
    /// record only if absent, the count only while the bucket waits for the record's report.
    /// Files of one bucket finishing together contend for its record: DynamoDB cancels all but
    /// one (`TransactionConflict`), and the others are tried again after a jittered pause.
    pub async fn record_data_file(
        &self,
        run_id: &str,
        bucket_sk: &str,
        record: &DataFileRecord,
    ) -> Result<FileRecorded, FunctionError> {
        let mut attempt = 0;
        loop {
            match self.try_record_data_file(run_id, bucket_sk, record).await? {
                Some(recorded) => return Ok(recorded),
                None if attempt < CONFLICT_ATTEMPTS => {
                    attempt += 1;
                    let pause = platform::outbox::jitter_millis(25 << attempt);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                None => {
                    return Err(FunctionError::Transient {
                        operation: format!("record {} of run {run_id}", record.sk),
                        message: format!(
                            "TransactionConflict on bucket {bucket_sk}, {} attempts",
                            CONFLICT_ATTEMPTS + 1
                        ),
                    })
                }
            }
        }
    }

    /// One attempt: `None` when it lost a conflict with another file's transaction.
    async fn try_record_data_file(
        &self,
        run_id: &str,
        bucket_sk: &str,
        record: &DataFileRecord,
    ) -> Result<Option<FileRecorded>, FunctionError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item("data file record", record)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| FunctionError::corrupt("data file record", e))?;
        let count = Update::builder()
            .table_name(&self.table)
            .key("pk", s(run_pk(run_id)))
            .key("sk", s(bucket_sk))
            .update_expression("ADD files_done :one")
            .condition_expression("#status = :waiting AND manifest_key = :manifest")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":waiting", s(BucketStatus::InProgress.as_str()))
            .expression_attribute_values(":manifest", s(&record.manifest_key))
            .build()
            .map_err(|e| FunctionError::corrupt("data file count", e))?;
        let answer = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await;
        let err = match answer {
            Ok(_) => return Ok(Some(FileRecorded::Now)),
            Err(err) => err,
        };
        if error_code(&err) != Some("TransactionCanceledException") {
            return Err(sdk_error(
                format!("record {} of run {run_id}", record.sk),
                err,
            ));
        }
        // Which condition failed: the record's (it exists) or the bucket's (it no longer waits).
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
        let reasons: Vec<Option<String>> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let failed =
            |i: usize| reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed");
        let conflict = reasons
            .iter()
            .any(|r| r.as_deref() == Some("TransactionConflict"));
        match (failed(0), failed(1)) {
            (true, _) => Ok(Some(FileRecorded::Before)),
            (false, true) => Ok(Some(FileRecorded::NotAwaited)),
            _ if conflict => Ok(None),
            _ => Err(sdk_error(
                format!("record {} of run {run_id}", record.sk),
                err,
            )),
        }
    }
}

impl StateReader {
    /// The consolidated data files of a bucket's report, all pages.
    pub async fn data_files(
        &self,
        run_id: &str,
        account: &str,
        region: &str,
        bucket: &str,
    ) -> Result<Vec<DataFileRecord>, FunctionError> {
        self.query_prefix(run_id, &data_file_sk_prefix(account, region, bucket))
            .await
    }
}

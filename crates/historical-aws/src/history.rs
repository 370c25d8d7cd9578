//! The history table's objects: each Durable revision written to S3 as a one-row Parquet file
//! under its partition (`history/tech=<tech>/day=<YYYY-MM-DD>/`), which `template.yaml`'s Glue table
//! `HistoryTable` reads (partition projection: a new day needs no registration).
//!
//! The Durable proxy writes a revision's row before it publishes the revision on the change feed; the
//! key comes from the revision's identity ([`historical::history::object_key`]), so a retry replaces
//! the object and the table never holds a revision twice.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use aws_sdk_s3::primitives::ByteStream;
use historical::history::{object_key, row, HistoryRow, COLUMNS};
use historical::Technology;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;

use crate::store::{Offload, StoreError};

/// Why a revision's row was not written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The revision is not a complete Durable item.
    #[error("history row of {arn}: {source}")]
    Row {
        /// The revision's ARN, if it had one.
        arn: String,
        /// What is missing.
        source: historical::history::MissingField,
    },
    /// Its offloaded configuration could not be read back.
    #[error("history row of {arn}: {source}")]
    Offload {
        /// The revision's ARN.
        arn: String,
        /// The store's error.
        source: StoreError,
    },
    /// Parquet encoding failed.
    #[error("history row of {arn}: Parquet: {message}")]
    Encode {
        /// The revision's ARN.
        arn: String,
        /// What the encoder said.
        message: String,
    },
    /// S3 refused or failed the write.
    #[error("history row of {arn}: s3:PutObject {key}: {message}")]
    Put {
        /// The revision's ARN.
        arn: String,
        /// The object key.
        key: String,
        /// What S3 answered.
        message: String,
    },
}

impl HistoryError {
    /// Whether a later retry may succeed: a failed read or write may, a bad item will not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Row { .. } | Self::Encode { .. } => false,
            Self::Offload { source, .. } => source.is_transient(),
            Self::Put { .. } => true,
        }
    }
}

/// The Arrow schema of the history table's files: [`COLUMNS`], the time as UTC milliseconds.
pub fn schema() -> SchemaRef {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .map(|(name, kind)| {
            let data_type = match *kind {
                "timestamp" => DataType::Timestamp(TimeUnit::Millisecond, Some(Arc::from("UTC"))),
                _ => DataType::Utf8,
            };
            // Everything but the identity may be absent (a poll has no principal).
            Field::new(
                *name,
                data_type,
                !matches!(*name, "arn" | "event_time" | "tech"),
            )
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Rows as one Parquet file (ZSTD).
pub fn to_parquet(rows: &[HistoryRow]) -> Result<Vec<u8>, parquet::errors::ParquetError> {
    let text = |f: &dyn Fn(&HistoryRow) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<ArrayRef> = vec![
        text(&|r| Some(r.arn.clone())),
        Arc::new(
            TimestampMillisecondArray::from(
                rows.iter().map(|r| r.event_time_millis).collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        ),
        text(&|r| Some(r.account_id.clone())),
        text(&|r| Some(r.region.clone())),
        text(&|r| Some(r.change_kind.clone())),
        text(&|r| Some(r.event_name.clone())),
        text(&|r| r.principal.clone()),
        text(&|r| r.source_ip.clone()),
        text(&|r| Some(r.configuration.clone())),
        text(&|r| Some(r.patch.clone())),
    ];
    let batch = RecordBatch::try_new(schema(), columns)
        .map_err(|e| parquet::errors::ParquetError::General(e.to_string()))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(properties))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}

/// Writes revisions' rows into the history table's bucket.
#[derive(Debug, Clone)]
pub struct HistoryWriter {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl HistoryWriter {
    /// A writer into `bucket` (the table's location is `s3://<bucket>/history/`).
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            s3,
            bucket: bucket.into(),
        }
    }

    /// Writes the row of a Durable revision of `tech`; an offloaded configuration is read back
    /// with `offload` first. Returns the object key.
    pub async fn write(
        &self,
        tech: Technology,
        item: Value,
        offload: &Offload,
    ) -> Result<String, HistoryError> {
        let arn = item["arn"].as_str().unwrap_or_default().to_owned();
        let item = offload
            .resolve(item)
            .await
            .map_err(|source| HistoryError::Offload {
                arn: arn.clone(),
                source,
            })?;
        let row = row(tech, &item).map_err(|source| HistoryError::Row {
            arn: arn.clone(),
            source,
        })?;
        let body = to_parquet(std::slice::from_ref(&row)).map_err(|e| HistoryError::Encode {
            arn: arn.clone(),
            message: e.to_string(),
        })?;
        let key = object_key(&row);
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/vnd.apache.parquet")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| HistoryError::Put {
                arn,
                key: key.clone(),
                message: platform::sdk_error::summary("s3:PutObject", &e),
            })?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use serde_json::json;

    #[test]
    fn a_row_reads_back_from_its_parquet_file() {
        let item = json!({
            "arn": "arn:aws:s3:::b", "eventTime": "2026-12-01T09:30:00Z", "accountId": "111111111111",
            "Region": "eu-west-1", "eventName": "PutBucketPolicy",
            "configuration": {"Policy": null}, "change": {"kind": "updated", "patch": []},
        });
        let row = row(Technology::S3, &item).expect("a row");
        let bytes = to_parquet(&[row]).expect("encoded");
        let path = std::env::temp_dir().join(format!("history-row-{}.parquet", std::process::id()));
        std::fs::write(&path, bytes).expect("write the file");
        let file = std::fs::File::open(&path).expect("open the file");
        let mut reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("a Parquet file")
            .build()
            .expect("a reader");
        let batch = reader.next().expect("a batch").expect("read");
        let _ = std::fs::remove_file(&path);
        assert_eq!(batch.num_rows(), 1);
        let schema = batch.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let expected: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, expected);
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
                .map(|c| (!c.is_null(0)).then(|| c.value(0).to_owned()))
                .expect("a string column")
        };
        assert_eq!(text("event_name").as_deref(), Some("PutBucketPolicy"));
        assert_eq!(text("principal"), None, "a poll-like item has none");
        assert_eq!(text("configuration").as_deref(), Some(r#"{"Policy":null}"#));
        let time = batch
            .column_by_name("event_time")
            .and_then(|c| c.as_any().downcast_ref::<TimestampMillisecondArray>())
            .expect("a timestamp column");
        assert_eq!(time.value(0), 1_796_117_400_000);
    }
}

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

/// How every file of the history table is written: ZSTD.
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build()
}

/// Rows as one Parquet file ([`writer_properties`]).
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
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(writer_properties()))?;
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

/// What compacting one technology's day did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DayCompaction {
    /// The technology.
    pub tech: String,
    /// The day.
    pub day: String,
    /// Files read (and then removed); 0 when the day had one file or none.
    pub files: usize,
    /// Rows in the compacted file (a revision written twice counts once).
    pub rows: usize,
}

/// Why a day was not compacted. Nothing is removed before the compacted file is written, so a
/// failure leaves the day readable (at worst with a row twice, until the next run merges again).
#[derive(Debug, thiserror::Error)]
#[error("compacting {prefix}: {operation}: {message}")]
pub struct CompactionError {
    /// The day's folder.
    pub prefix: String,
    /// What failed.
    pub operation: &'static str,
    /// Why.
    pub message: String,
}

impl HistoryWriter {
    /// Merges a technology's day into one file: every row of every file in the day's folder once
    /// (a revision is known by its ARN and time), written as a new file, then the files read removed.
    /// A file written meanwhile is not in the listing and stays; the next run merges it.
    pub async fn compact_day(
        &self,
        tech: Technology,
        day: &str,
        now_millis: i64,
    ) -> Result<DayCompaction, CompactionError> {
        let prefix = historical::history::day_prefix(tech, day);
        let fail = |operation: &'static str| {
            let prefix = prefix.clone();
            move |message: String| CompactionError {
                prefix: prefix.clone(),
                operation,
                message,
            }
        };
        let keys = self.list(&prefix).await.map_err(fail("s3:ListObjectsV2"))?;
        let mut done = DayCompaction {
            tech: tech.to_string(),
            day: day.to_owned(),
            ..DayCompaction::default()
        };
        if keys.len() <= 1 {
            return Ok(done);
        }
        let mut merged = Merged::new().map_err(fail("Parquet"))?;
        for key in &keys {
            let body = self
                .s3
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| platform::sdk_error::summary("s3:GetObject", &e))
                .map_err(fail("s3:GetObject"))?
                .body
                .collect()
                .await
                .map_err(|e| e.to_string())
                .map_err(fail("s3:GetObject"))?
                .into_bytes();
            merged.add(body).map_err(fail("Parquet"))?;
        }
        done.rows = merged.rows;
        let compacted = historical::history::compacted_key(tech, day, now_millis);
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&compacted)
            .content_type("application/vnd.apache.parquet")
            .body(ByteStream::from(merged.finish().map_err(fail("Parquet"))?))
            .send()
            .await
            .map_err(|e| platform::sdk_error::summary("s3:PutObject", &e))
            .map_err(fail("s3:PutObject"))?;
        let merged_files = keys.iter().map(|k| (k.clone(), None)).collect();
        platform::s3_keys::delete_versions(&self.s3, &self.bucket, merged_files)
            .await
            .map_err(|e| e.to_string())
            .map_err(fail("s3:DeleteObjects"))?;
        done.files = keys.len();
        Ok(done)
    }

    /// Every key under `prefix`.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| platform::sdk_error::summary("s3:ListObjectsV2", &e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(keys)
    }
}

/// Rows of several history files merged into one, each revision once.
struct Merged {
    writer: ArrowWriter<Vec<u8>>,
    seen: std::collections::HashSet<(String, i64)>,
    rows: usize,
}

impl Merged {
    fn new() -> Result<Self, String> {
        let writer = ArrowWriter::try_new(Vec::new(), schema(), Some(writer_properties()))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            writer,
            seen: Default::default(),
            rows: 0,
        })
    }

    /// The rows of one file not already taken.
    fn add<R: parquet::file::reader::ChunkReader + 'static>(
        &mut self,
        file: R,
    ) -> Result<(), String> {
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        for batch in reader {
            let batch = batch.map_err(|e| e.to_string())?;
            let batch = RecordBatch::try_new(schema(), batch.columns().to_vec())
                .map_err(|e| format!("a file of another schema: {e}"))?;
            let arns = batch
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or("arn is not a string column")?;
            let times = batch
                .column(1)
                .as_any()
                .downcast_ref::<TimestampMillisecondArray>()
                .ok_or("event_time is not a timestamp column")?;
            let keep: arrow::array::BooleanArray = (0..batch.num_rows())
                .map(|i| Some(self.seen.insert((arns.value(i).to_owned(), times.value(i)))))
                .collect();
            let kept =
                arrow::compute::filter_record_batch(&batch, &keep).map_err(|e| e.to_string())?;
            self.rows += kept.num_rows();
            self.writer.write(&kept).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<u8>, String> {
        self.writer.into_inner().map_err(|e| e.to_string())
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

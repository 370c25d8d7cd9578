//! One data file of a report: streamed from the staging bucket into normalised Parquet, published
//! once its MD5 matched the manifest's, recorded once, and the bucket completed by the task that
//! brings in its last file.

use consolidation::{consolidate_file, BucketFigures};
use inventory_format::manifest::fields_from_schema;
use inventory_format::read::ForwardStats;
use inventory_format::{FileFormat, ForwardFile};
use tokio::runtime::Handle;
use tracing::info;

use super::stream::{BlockingBody, ObjectRanges, Upload};
use super::{invalid, remove_configuration, transient, Config, ProcessError};
use crate::error::{error_code, sdk_error, FunctionError};
use crate::store::{now, run_pk, FileRecorded};
use s3insights::arrival::{AcceptedReport, Outcome, WAITING};
use s3insights::data_file::{self, DataFileRecord, DataFileTask, FileVerdict};
use s3insights::names::keys;
use s3insights::state::{bucket_sk, BucketChange, BucketRecord};
use s3insights::BucketStatus;

/// The stream's bytes kept for a columnar reader's reads back within a row group (stripe): a row
/// group larger than this costs ranged reads, not memory.
const WINDOW_BYTES: u64 = 64 * 1024 * 1024;

/// The last bytes of an ORC or Parquet file read first (their footer and metadata).
const TAIL_BYTES: u64 = 1024 * 1024;

/// Consolidates one data file, unless its bucket no longer waits for its report, then completes
/// the bucket if it was the last file in.
pub(super) async fn process(config: &Config, task: &DataFileTask) -> Result<Outcome, ProcessError> {
    let pk = run_pk(&task.run_id);
    let bucket: Option<BucketRecord> = config.store.get(&pk, &task.bucket_sk()).await?;
    match task.verdict(bucket.as_ref()) {
        FileVerdict::Consolidate => {}
        FileVerdict::Duplicate => return Ok(Outcome::Duplicate),
        FileVerdict::Ignore(reason) => return Ok(Outcome::Ignored(reason)),
        FileVerdict::StillInvalid(reason) => {
            let key = task.file.key.clone();
            return Err(ProcessError::Invalid { key, reason });
        }
    }
    let before: Option<DataFileRecord> = config.store.get(&pk, &task.record_sk()).await?;
    let rows = match before {
        // Consolidated and counted before: only the completion may be left to do.
        Some(record) => record.figures.rows,
        None => match consolidate(config, task).await {
            Ok(record) => {
                let recorded = config
                    .store
                    .record_data_file(&task.run_id, &task.bucket_sk(), &record)
                    .await?;
                if recorded == FileRecorded::NotAwaited {
                    let reason = format!("bucket {} no longer waits for this report", task.bucket);
                    return Ok(Outcome::Ignored(reason));
                }
                record.figures.rows
            }
            Err(ProcessError::Invalid { key, reason }) => {
                let reason = task.refusal(&reason);
                let change = refused(&task.manifest_key, &reason);
                config
                    .store
                    .transition_bucket(&task.run_id, &task.bucket_sk(), &WAITING, change)
                    .await?;
                return Err(ProcessError::Invalid { key, reason });
            }
            Err(other) => return Err(other),
        },
    };
    let bucket: Option<BucketRecord> = config.store.get(&pk, &task.bucket_sk()).await?;
    let all_in = bucket.is_some_and(|b| {
        b.status == BucketStatus::InProgress
            && b.manifest_key.as_deref() == Some(task.manifest_key.as_str())
            && b.files_done >= b.files
    });
    if !all_in {
        return Ok(Outcome::FileConsolidated {
            bucket: task.bucket.clone(),
            index: task.index,
            rows,
        });
    }
    complete(config, &Completion::of_task(task)).await
}

/// The bucket's change when a data file is refused.
fn refused<'a>(manifest_key: &'a str, reason: &'a str) -> BucketChange<'a> {
    let mut change = BucketChange::to(BucketStatus::ReportInvalid).because(reason);
    change.manifest_key = Some(manifest_key);
    change.configured = Some(true);
    change
}

/// A bucket's report to complete.
pub(super) struct Completion<'a> {
    run_id: &'a str,
    account: &'a str,
    region: &'a str,
    bucket: &'a str,
    configuration_id: &'a str,
    manifest_key: &'a str,
    files: u64,
}

impl<'a> Completion<'a> {
    pub(super) fn of_report(report: &'a AcceptedReport, files: u64) -> Self {
        Self {
            run_id: &report.run_id,
            account: &report.key.account,
            region: &report.key.region,
            bucket: &report.key.bucket,
            configuration_id: &report.key.configuration_id,
            manifest_key: &report.manifest_key,
            files,
        }
    }

    fn of_task(task: &'a DataFileTask) -> Self {
        Self {
            run_id: &task.run_id,
            account: &task.account,
            region: &task.region,
            bucket: &task.bucket,
            configuration_id: &task.configuration_id,
            manifest_key: &task.manifest_key,
            files: task.files,
        }
    }
}

/// Merges every data file's figures and moves the bucket to `done`, once: of several tasks that
/// see the last file in, one update succeeds and the others are duplicates.
pub(super) async fn complete(config: &Config, c: &Completion<'_>) -> Result<Outcome, ProcessError> {
    let records = config
        .store
        .data_files(c.run_id, c.account, c.region, c.bucket)
        .await?;
    let figures: BucketFigures = data_file::completed(c.manifest_key, c.files, &records)
        .map_err(|reason| FunctionError::corrupt(format!("data files of {}", c.bucket), reason))?;
    let change = data_file::done(c.manifest_key, &figures, c.files);
    let sk = bucket_sk(c.account, c.region, c.bucket);
    if !config
        .store
        .transition_bucket(c.run_id, &sk, &WAITING, change)
        .await?
    {
        return Ok(Outcome::Duplicate);
    }
    remove_configuration(config, c.account, c.region, c.bucket, c.configuration_id).await;
    Ok(Outcome::Consolidated {
        bucket: c.bucket.to_string(),
        rows: figures.rows,
    })
}

/// The data file opened for streaming: its body, and for ORC and Parquet its tail and version.
struct Opened {
    body: aws_sdk_s3::primitives::ByteStream,
    columnar: Option<(bytes::Bytes, String)>,
}

/// Reads the tail of a columnar file (checking the object's size against the manifest's) and
/// starts the stream of the same version.
async fn open(staging: &aws_sdk_s3::Client, task: &DataFileTask) -> Result<Opened, ProcessError> {
    let (bucket, key, size) = (&task.staging_bucket, &task.file.key, task.file.size);
    let missing = |e: &dyn std::fmt::Display| {
        let _ = e;
        invalid(key, format!("data file {key} is missing"))
    };
    let mut columnar = None;
    let mut request = staging.get_object().bucket(bucket).key(key);
    if task.file_format != FileFormat::Csv && size > 0 {
        let tail = staging
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(format!("bytes=-{}", size.min(TAIL_BYTES)))
            .send()
            .await
            .map_err(|e| match error_code(&e) {
                Some("NoSuchKey") => missing(&e),
                _ => sdk_error(format!("read the tail of s3://{bucket}/{key}"), e).into(),
            })?;
        let total = tail
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|t| t.parse::<u64>().ok());
        check_size(key, size, total)?;
        let etag = tail.e_tag().unwrap_or_default().to_string();
        let bytes = tail
            .body
            .collect()
            .await
            .map_err(|e| transient(format!("read s3://{bucket}/{key}"), e))?
            .into_bytes();
        request = request.if_match(&etag);
        columnar = Some((bytes, etag));
    }
    let object = request.send().await.map_err(|e| match error_code(&e) {
        Some("NoSuchKey") => missing(&e),
        _ => sdk_error(format!("read s3://{bucket}/{key}"), e).into(),
    })?;
    if columnar.is_none() {
        check_size(key, size, object.content_length().map(|n| n as u64))?;
    }
    Ok(Opened {
        body: object.body,
        columnar,
    })
}

fn check_size(key: &str, listed: u64, actual: Option<u64>) -> Result<(), ProcessError> {
    match actual {
        Some(actual) if actual != listed => Err(invalid(
            key,
            format!("data file {key} is {actual} bytes, the manifest says {listed}"),
        )),
        _ => Ok(()),
    }
}

/// Streams the file into normalised Parquet under the bucket's partition, published only if the
/// file's MD5 matches the manifest's; its record.
async fn consolidate(config: &Config, task: &DataFileTask) -> Result<DataFileRecord, ProcessError> {
    let key = task.file.key.clone();
    let fields = fields_from_schema(task.file_format, &task.file_schema)
        .map_err(|e| invalid(&task.manifest_key, format!("manifest.json fileSchema: {e}")))?;
    let partition =
        keys::inventory_partition(&task.run_id, &task.account, &task.region, &task.bucket);
    let output_key = format!(
        "{partition}{}.parquet",
        task.file.md5_checksum.trim().to_ascii_lowercase()
    );
    let staging = config.regions.s3(&task.staging_region);
    let opened = open(&staging, task).await?;
    let handle = Handle::current();
    let ranges = |etag: String| ObjectRanges {
        handle: handle.clone(),
        s3: staging.clone(),
        bucket: task.staging_bucket.clone(),
        key: key.clone(),
        etag,
    };
    let mut forward = ForwardFile::new(
        BlockingBody::new(handle.clone(), opened.body),
        task.file.size,
    );
    if let Some((tail, etag)) = opened.columnar {
        forward = forward
            .with_tail(tail)
            .retaining(WINDOW_BYTES)
            .with_ranges(ranges(etag));
    }
    let upload = Upload::new(
        handle,
        config.s3.clone(),
        &config.consolidated_bucket,
        &output_key,
    );
    let (file, format) = (task.file.clone(), task.file_format);
    let converted =
        tokio::task::spawn_blocking(move || convert(&file, format, &fields, forward, upload))
            .await
            .map_err(|e| transient(format!("consolidate {}", task.file.key), e))?;
    let (figures, stats) = match converted {
        Ok(done) => done,
        Err(Refusal::Bad(reason)) => return Err(invalid(&task.file.key, reason)),
        Err(Refusal::Retry(message)) => {
            return Err(transient(format!("consolidate {}", task.file.key), message).into())
        }
    };
    info!(
        key = %task.file.key, index = task.index, files = task.files, rows = figures.rows,
        streamed = stats.streamed, ranged_reads = stats.ranged_reads,
        peak_window = stats.peak_window, "data file consolidated"
    );
    Ok(task.consolidated(&output_key, figures, now()))
}

/// Why a conversion did not publish: the file is bad, or something worth retrying failed.
enum Refusal {
    Bad(String),
    Retry(String),
}

/// Converts on this (blocking) thread, checks the MD5 of everything streamed, then publishes. A
/// file whose MD5 differs is reported as such even when it also failed to decode.
fn convert(
    file: &inventory_format::ManifestFile,
    format: FileFormat,
    fields: &[inventory_format::InventoryField],
    forward: ForwardFile,
    mut upload: Upload,
) -> Result<(BucketFigures, ForwardStats), Refusal> {
    let converted = consolidate_file(&file.key, format, fields, forward.clone(), &mut upload);
    let hashed = forward.finish();
    if let Ok((md5, _)) = &hashed {
        if let Err(e) = file.verify_md5(md5) {
            return Err(Refusal::Bad(e.to_string()));
        }
    }
    let figures = match converted {
        Ok(figures) => figures,
        Err(e) if e.is_bad_input() => return Err(Refusal::Bad(e.to_string())),
        Err(e) => return Err(Refusal::Retry(e.to_string())),
    };
    let (_, stats) = hashed.map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => Refusal::Bad(format!("{}: {e}", file.key)),
        _ => Refusal::Retry(format!("read {}: {e}", file.key)),
    })?;
    upload
        .publish()
        .map_err(|e| Refusal::Retry(format!("write the Parquet of {}: {e}", file.key)))?;
    Ok((figures, stats))
}

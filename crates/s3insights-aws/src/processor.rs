//! The inventory processor: consolidates each delivered report.
//!
//! It is **manifest-driven**. The staging bucket notifies only `manifest.checksum`, which S3 writes
//! after the data files and `manifest.json`; the processor then reads `manifest.json`, checks it
//! against the checksum, downloads each listed data file to `/tmp` while hashing it, refuses any file
//! whose MD5 differs from the manifest's, and streams it into normalised Parquet, written once under
//! the bucket's partition (`inventory/run=…/account=…/region=…/bucket=…/<md5>.parquet`): a reader never
//! sees a partial object, and the same file always lands at the same key. The bucket becomes `done` with
//! its figures through a conditional update, so duplicate and late notifications change nothing.
//!
//! A report that cannot be consolidated (checksum mismatch, unreadable file) marks the bucket
//! `report_invalid` with the reason, and the message is reported as a batch item failure, so after the
//! queue's receive limit it rests in the dead-letter queue for inspection. Transient failures are
//! retried the same way, without touching the bucket.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use consolidation::{consolidate_file, BucketFigures};
use inventory_format::manifest::md5_hex;
use inventory_format::InventoryManifest;
use md5::{Digest, Md5};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tracing::{info, warn};

use crate::configurator::remove_configuration;
use crate::error::{sdk_error, HarvestError};
use crate::store::{bucket_sk, BucketChange, BucketRecord, StateStore};
use crate::HarvestContext;
use s3insights::names::keys;
use s3insights::BucketStatus;

/// What became of one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The report was consolidated and the bucket is `done`.
    Consolidated {
        /// Source bucket.
        bucket: String,
        /// Rows consolidated.
        rows: u64,
    },
    /// The same manifest was consolidated before.
    Duplicate,
    /// Not ours to act on; the reason is logged.
    Ignored(String),
}

/// Why a notification failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The report is bad; the bucket is marked `report_invalid`.
    #[error("invalid report {key}: {reason}")]
    Invalid {
        /// The manifest.checksum key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// AWS failed; retry.
    #[error(transparent)]
    Harvest(#[from] HarvestError),
}

/// One `manifest.checksum` arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArrival {
    /// Staging bucket.
    pub staging_bucket: String,
    /// Its region.
    pub region: String,
    /// The key of `manifest.checksum`, decoded.
    pub checksum_key: String,
}

/// Decodes an S3 event key (URL-encoded, `+` for space).
pub fn decode_event_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The report arrivals an SQS message body carries: an S3 event (raw SNS delivery), an SNS envelope
/// around one, or an S3 test event (none).
pub fn arrivals(body: &str) -> Result<Vec<ReportArrival>, String> {
    let value: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let value = match value.get("Message").and_then(Value::as_str) {
        Some(inner) if value.get("Type").is_some() => {
            serde_json::from_str(inner).map_err(|e| format!("SNS message is not JSON: {e}"))?
        }
        _ => value,
    };
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    let records = value
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| "neither an S3 event nor an S3 test event".to_string())?;
    let mut out = Vec::new();
    for record in records {
        let name = record["eventName"].as_str().unwrap_or_default();
        let key = decode_event_key(record["s3"]["object"]["key"].as_str().unwrap_or_default());
        if name.starts_with("ObjectCreated:") && key.ends_with("/manifest.checksum") {
            out.push(ReportArrival {
                staging_bucket: record["s3"]["bucket"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                region: record["awsRegion"].as_str().unwrap_or_default().to_string(),
                checksum_key: key,
            });
        }
    }
    Ok(out)
}

/// Handles an SQS batch: every record on its own, failures reported per item (so the batch itself
/// never fails).
pub async fn handle(
    ctx: &HarvestContext,
    event: SqsEvent,
) -> Result<SqsBatchResponse, HarvestError> {
    let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
    let mut failures = Vec::new();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        let arrivals = match arrivals(body) {
            Ok(arrivals) => arrivals,
            Err(reason) => {
                // Not an S3 notification at all: keep it (DLQ) for a person to look at.
                warn!(message_id = %id, %reason, "unreadable inventory message");
                failures.push(id);
                continue;
            }
        };
        let mut failed = false;
        for arrival in arrivals {
            match process(ctx, &store, &arrival).await {
                Ok(outcome) => {
                    info!(message_id = %id, key = %arrival.checksum_key, ?outcome, "report handled")
                }
                Err(err) => {
                    warn!(message_id = %id, key = %arrival.checksum_key, error = %err, "report failed");
                    failed = true;
                }
            }
        }
        if failed {
            failures.push(id);
        }
    }
    let mut response = SqsBatchResponse::default();
    for id in failures {
        response.add_failure(id);
    }
    Ok(response)
}

/// The parts of `A/G/B/config-id/timestamp/manifest.checksum`.
struct ReportKey<'a> {
    account: &'a str,
    region: &'a str,
    bucket: &'a str,
    configuration_id: &'a str,
    dir: String,
}

fn report_key(key: &str) -> Option<ReportKey<'_>> {
    let parts: Vec<&str> = key.split('/').collect();
    if parts.len() != 6 || parts[5] != "manifest.checksum" {
        return None;
    }
    Some(ReportKey {
        account: parts[0],
        region: parts[1],
        bucket: parts[2],
        configuration_id: parts[3],
        dir: parts[..5].join("/"),
    })
}

/// Consolidates one report.
pub async fn process(
    ctx: &HarvestContext,
    store: &StateStore,
    arrival: &ReportArrival,
) -> Result<Outcome, ProcessError> {
    let Some(run_id) = ctx
        .deployment
        .run_of_staging_bucket(&arrival.staging_bucket, &arrival.region)
    else {
        return Ok(Outcome::Ignored(format!(
            "{} is not a staging bucket of this deployment",
            arrival.staging_bucket
        )));
    };
    let Some(key) = report_key(&arrival.checksum_key) else {
        return Ok(Outcome::Ignored(format!(
            "{} is not at account/region/bucket/configuration/timestamp/manifest.checksum",
            arrival.checksum_key
        )));
    };
    if key.configuration_id != ctx.deployment.configuration_id(&run_id) {
        return Ok(Outcome::Ignored(format!(
            "configuration {} is not run {run_id}'s",
            key.configuration_id
        )));
    }
    let sk = bucket_sk(key.account, key.region, key.bucket);
    let Some(record) = store
        .get::<BucketRecord>(&crate::store::run_pk(&run_id), &sk)
        .await?
    else {
        return Ok(Outcome::Ignored(format!(
            "bucket {} is not part of run {run_id}",
            key.bucket
        )));
    };
    let manifest_key = format!("{}/manifest.json", key.dir);
    match record.status {
        BucketStatus::InProgress => {}
        BucketStatus::Done if record.manifest_key.as_deref() == Some(&manifest_key) => {
            return Ok(Outcome::Duplicate)
        }
        BucketStatus::ReportInvalid if record.manifest_key.as_deref() == Some(&manifest_key) => {
            return Err(ProcessError::Invalid {
                key: arrival.checksum_key.clone(),
                reason: record.reason.unwrap_or_default(),
            })
        }
        other => {
            return Ok(Outcome::Ignored(format!(
                "bucket {} is {other}; report {manifest_key} arrived too late or twice",
                key.bucket
            )))
        }
    }
    let staging = ctx.s3_in(&arrival.region);
    match consolidate(ctx, &staging, &run_id, arrival, &key, &manifest_key).await {
        Ok((figures, files)) => {
            let rows = figures.rows;
            let mut change = BucketChange::to(BucketStatus::Done);
            change.figures = Some(&figures);
            change.manifest_key = Some(&manifest_key);
            change.files = Some(files);
            change.configured = Some(true);
            if !store
                .transition_bucket(&run_id, &sk, &[BucketStatus::InProgress], change)
                .await?
            {
                return Ok(Outcome::Duplicate);
            }
            // One report is all a run needs: stop the daily schedule now (Cleanup would later).
            if let Ok(config) = ctx.roles.config_for_region(key.account, key.region).await {
                let s3 = platform::aws::s3_client(&config);
                if let Err(reason) =
                    remove_configuration(&s3, key.bucket, key.configuration_id).await
                {
                    warn!(bucket = key.bucket, %reason, "configuration left for Cleanup");
                }
            }
            Ok(Outcome::Consolidated {
                bucket: key.bucket.to_string(),
                rows,
            })
        }
        Err(ProcessError::Invalid { key: k, reason }) => {
            let mut change = BucketChange::to(BucketStatus::ReportInvalid).because(&reason);
            change.manifest_key = Some(&manifest_key);
            change.configured = Some(true);
            store
                .transition_bucket(&run_id, &sk, &[BucketStatus::InProgress], change)
                .await?;
            Err(ProcessError::Invalid { key: k, reason })
        }
        Err(other) => Err(other),
    }
}

async fn read_all(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, ProcessError> {
    let answer = s3.get_object().bucket(bucket).key(key).send().await;
    match answer {
        Ok(object) => Ok(object
            .body
            .collect()
            .await
            .map_err(|e| HarvestError::Transient {
                operation: format!("read s3://{bucket}/{key}"),
                message: e.to_string(),
            })?
            .into_bytes()
            .to_vec()),
        Err(err) if crate::error::error_code(&err) == Some("NoSuchKey") => {
            Err(ProcessError::Invalid {
                key: key.to_string(),
                reason: format!("s3://{bucket}/{key} is missing"),
            })
        }
        Err(err) => Err(sdk_error(format!("read s3://{bucket}/{key}"), err).into()),
    }
}

fn invalid(key: &str, reason: impl Into<String>) -> ProcessError {
    ProcessError::Invalid {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// Downloads `key` to a temporary file, hashing it on the way; returns the path and the MD5 hex.
async fn download(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<(TempFile, String), ProcessError> {
    let object = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| match crate::error::error_code(&e) {
            Some("NoSuchKey") => invalid(key, format!("data file {key} is missing")),
            _ => sdk_error(format!("read s3://{bucket}/{key}"), e).into(),
        })?;
    let temp = TempFile::new("report");
    let io_error = |e: std::io::Error| HarvestError::Transient {
        operation: format!("download {key} to {}", temp_display()),
        message: e.to_string(),
    };
    let mut file = tokio::fs::File::create(&temp.0).await.map_err(io_error)?;
    let mut hasher = Md5::new();
    let mut body = object.body;
    while let Some(chunk) = body.try_next().await.map_err(|e| HarvestError::Transient {
        operation: format!("read s3://{bucket}/{key}"),
        message: e.to_string(),
    })? {
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(io_error)?;
    }
    file.flush().await.map_err(io_error)?;
    Ok((temp, hex::encode(hasher.finalize())))
}

fn temp_display() -> String {
    std::env::temp_dir().display().to_string()
}

/// A file in the temporary directory, removed when dropped (Lambda reuses `/tmp` across invocations).
struct TempFile(PathBuf);

impl TempFile {
    fn new(label: &str) -> Self {
        Self(std::env::temp_dir().join(format!("{label}-{}", uuid::Uuid::new_v4())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn consolidate(
    ctx: &HarvestContext,
    staging: &aws_sdk_s3::Client,
    run_id: &str,
    arrival: &ReportArrival,
    key: &ReportKey<'_>,
    manifest_key: &str,
) -> Result<(BucketFigures, u64), ProcessError> {
    let bucket = &arrival.staging_bucket;
    let checksum = read_all(staging, bucket, &arrival.checksum_key).await?;
    let manifest_bytes = read_all(staging, bucket, manifest_key).await?;
    let expected = String::from_utf8_lossy(&checksum)
        .trim()
        .to_ascii_lowercase();
    let actual = md5_hex(&manifest_bytes);
    if expected != actual {
        return Err(invalid(
            &arrival.checksum_key,
            format!("manifest.json has MD5 {actual}, manifest.checksum says {expected}"),
        ));
    }
    let manifest = InventoryManifest::parse(&manifest_bytes)
        .map_err(|e| invalid(manifest_key, format!("manifest.json: {e}")))?;
    let fields = manifest
        .fields()
        .map_err(|e| invalid(manifest_key, format!("manifest.json fileSchema: {e}")))?;
    let partition = keys::inventory_partition(run_id, key.account, key.region, key.bucket);
    let mut figures = BucketFigures::default();
    for file in &manifest.files {
        let (downloaded, md5) = download(staging, bucket, &file.key).await?;
        if let Err(e) = file.verify_md5(&md5) {
            return Err(invalid(&file.key, e.to_string()));
        }
        let output = TempFile::new("consolidated");
        let path = downloaded.0.clone();
        let out_path = output.0.clone();
        let format = manifest.file_format;
        let file_key = file.key.clone();
        let fields = fields.clone();
        let file_figures = tokio::task::spawn_blocking(move || {
            let source = std::fs::File::open(&path).map_err(|e| e.to_string())?;
            let sink = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
            let mut sink = BufWriter::new(sink);
            let figures = consolidate_file(&file_key, format, &fields, source, &mut sink)
                .map_err(|e| (e.is_bad_input(), e.to_string()))
                .map_err(|(bad, message)| {
                    if bad {
                        format!("bad:{message}")
                    } else {
                        message
                    }
                })?;
            sink.flush().map_err(|e| e.to_string())?;
            Ok::<_, String>(figures)
        })
        .await
        .map_err(|e| HarvestError::Transient {
            operation: format!("consolidate {}", file.key),
            message: e.to_string(),
        })?;
        let file_figures = match file_figures {
            Ok(f) => f,
            Err(message) => match message.strip_prefix("bad:") {
                Some(reason) => return Err(invalid(&file.key, reason)),
                None => {
                    return Err(HarvestError::Transient {
                        operation: format!("consolidate {}", file.key),
                        message,
                    }
                    .into())
                }
            },
        };
        figures.merge(&file_figures);
        let target = format!("{partition}{}.parquet", file.md5_checksum);
        let body = aws_sdk_s3::primitives::ByteStream::from_path(&output.0)
            .await
            .map_err(|e| HarvestError::Transient {
                operation: format!("read {}", output.0.display()),
                message: e.to_string(),
            })?;
        ctx.s3
            .put_object()
            .bucket(&ctx.consolidated_bucket)
            .key(&target)
            .content_type("application/vnd.apache.parquet")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    format!("write s3://{}/{target}", ctx.consolidated_bucket),
                    e,
                )
            })?;
    }
    Ok((figures, manifest.files.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_are_decoded_like_s3_encodes_them() {
        assert_eq!(
            decode_event_key("a/b+c/%3Cscript%3E.txt"),
            "a/b c/<script>.txt"
        );
        assert_eq!(decode_event_key("100%25"), "100%");
        assert_eq!(decode_event_key("bad%zz"), "bad%zz");
        assert_eq!(decode_event_key("end%4"), "end%4");
    }

    #[test]
    fn only_checksum_arrivals_matter() {
        let fixture = include_str!("../fixtures/s3-event-manifest-checksum.json");
        let found = arrivals(fixture).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].region, "eu-west-1");
        assert!(found[0].checksum_key.ends_with("/manifest.checksum"));
        assert!(
            arrivals(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#)
                .unwrap()
                .is_empty()
        );
        assert!(arrivals("[]").is_err());
    }

    #[test]
    fn report_keys_name_account_region_bucket_and_configuration() {
        let key = report_key(
            "111111111111/us-east-1/photos/s3insights-x-r1/2026-11-26T00-00Z/manifest.checksum",
        )
        .unwrap();
        assert_eq!(
            (key.account, key.region, key.bucket),
            ("111111111111", "us-east-1", "photos")
        );
        assert_eq!(key.configuration_id, "s3insights-x-r1");
        assert!(report_key("a/b/manifest.checksum").is_none());
    }
}

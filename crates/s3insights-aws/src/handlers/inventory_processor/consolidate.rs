//! One report's consolidation: the MD5-checked manifest, each data file downloaded while hashed,
//! streamed into normalised Parquet and written once under the bucket's partition.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use consolidation::{consolidate_file, BucketFigures};
use inventory_format::manifest::md5_hex;
use inventory_format::{FileFormat, InventoryField, InventoryManifest, ManifestFile};
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;

use super::{Config, ProcessError};
use crate::error::{error_code, sdk_error, FunctionError};
use s3insights::arrival::{AcceptedReport, ReportArrival};
use s3insights::names::keys;

fn invalid(key: &str, reason: impl Into<String>) -> ProcessError {
    ProcessError::Invalid {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn transient(operation: String, err: impl std::fmt::Display) -> FunctionError {
    FunctionError::Transient {
        operation,
        message: err.to_string(),
    }
}

/// The whole object; a missing one makes the report invalid.
async fn read_all(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, ProcessError> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(object) => Ok(object
            .body
            .collect()
            .await
            .map_err(|e| transient(format!("read s3://{bucket}/{key}"), e))?
            .into_bytes()
            .to_vec()),
        Err(err) if error_code(&err) == Some("NoSuchKey") => {
            Err(invalid(key, format!("s3://{bucket}/{key} is missing")))
        }
        Err(err) => Err(sdk_error(format!("read s3://{bucket}/{key}"), err).into()),
    }
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

/// Downloads `key` to a temporary file, hashing it on the way; returns the file and the MD5 hex.
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
        .map_err(|e| match error_code(&e) {
            Some("NoSuchKey") => invalid(key, format!("data file {key} is missing")),
            _ => sdk_error(format!("read s3://{bucket}/{key}"), e).into(),
        })?;
    let temp = TempFile::new("report");
    let temp_dir = std::env::temp_dir().display().to_string();
    let io_error = |e: std::io::Error| transient(format!("download {key} to {temp_dir}"), e);
    let mut file = tokio::fs::File::create(&temp.0).await.map_err(io_error)?;
    let mut hasher = Md5::new();
    let mut body = object.body;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| transient(format!("read s3://{bucket}/{key}"), e))?
    {
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(io_error)?;
    }
    file.flush().await.map_err(io_error)?;
    Ok((temp, hex::encode(hasher.finalize())))
}

/// Checks the manifest against its checksum and reads it.
async fn manifest(
    staging: &aws_sdk_s3::Client,
    arrival: &ReportArrival,
    manifest_key: &str,
) -> Result<(InventoryManifest, Vec<InventoryField>), ProcessError> {
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
    Ok((manifest, fields))
}

/// Consolidates the accepted report: its figures and the number of files written.
pub(super) async fn consolidate(
    config: &Config,
    arrival: &ReportArrival,
    accepted: &AcceptedReport,
) -> Result<(BucketFigures, u64), ProcessError> {
    let staging = config.regions.s3(&arrival.region);
    let (manifest, fields) = manifest(&staging, arrival, &accepted.manifest_key).await?;
    let key = &accepted.key;
    let partition =
        keys::inventory_partition(&accepted.run_id, &key.account, &key.region, &key.bucket);
    let mut figures = BucketFigures::default();
    for file in &manifest.files {
        let source = (&staging, arrival.staging_bucket.as_str());
        let file_figures = consolidate_one(
            config,
            source,
            file,
            manifest.file_format,
            &fields,
            &partition,
        )
        .await?;
        figures.merge(&file_figures);
    }
    Ok((figures, manifest.files.len() as u64))
}

/// Downloads one data file, checks its MD5, consolidates it and writes it under `partition`.
async fn consolidate_one(
    config: &Config,
    (staging, bucket): (&aws_sdk_s3::Client, &str),
    file: &ManifestFile,
    format: FileFormat,
    fields: &[InventoryField],
    partition: &str,
) -> Result<BucketFigures, ProcessError> {
    let (downloaded, md5) = download(staging, bucket, &file.key).await?;
    if let Err(e) = file.verify_md5(&md5) {
        return Err(invalid(&file.key, e.to_string()));
    }
    let output = TempFile::new("consolidated");
    let figures = convert(&downloaded, &output, &file.key, format, fields).await?;
    let target = format!("{partition}{}.parquet", file.md5_checksum);
    let body = aws_sdk_s3::primitives::ByteStream::from_path(&output.0)
        .await
        .map_err(|e| transient(format!("read {}", output.0.display()), e))?;
    let consolidated = &config.consolidated_bucket;
    config
        .s3
        .put_object()
        .bucket(consolidated)
        .key(&target)
        .content_type("application/vnd.apache.parquet")
        .body(body)
        .send()
        .await
        .map_err(|e| sdk_error(format!("write s3://{consolidated}/{target}"), e))?;
    Ok(figures)
}

/// Streams the downloaded file into normalised Parquet at `output`, off the async runtime. A file
/// that is bad input makes the report invalid; any other failure is transient.
async fn convert(
    downloaded: &TempFile,
    output: &TempFile,
    file_key: &str,
    format: FileFormat,
    fields: &[InventoryField],
) -> Result<BucketFigures, ProcessError> {
    let (path, out_path) = (downloaded.0.clone(), output.0.clone());
    let (key, fields) = (file_key.to_string(), fields.to_vec());
    let converted = tokio::task::spawn_blocking(move || {
        let io = |e: std::io::Error| (false, e.to_string());
        let source = std::fs::File::open(&path).map_err(io)?;
        let mut sink = BufWriter::new(std::fs::File::create(&out_path).map_err(io)?);
        let figures = consolidate_file(&key, format, &fields, source, &mut sink)
            .map_err(|e| (e.is_bad_input(), e.to_string()))?;
        sink.flush().map_err(io)?;
        Ok::<_, (bool, String)>(figures)
    })
    .await
    .map_err(|e| transient(format!("consolidate {file_key}"), e))?;
    match converted {
        Ok(figures) => Ok(figures),
        Err((true, reason)) => Err(invalid(file_key, reason)),
        Err((false, message)) => Err(transient(format!("consolidate {file_key}"), message).into()),
    }
}

//! A report's arrival: its manifest checked against `manifest.checksum`, the report recorded on the
//! bucket, and one task sent per data file.

use inventory_format::manifest::md5_hex;
use inventory_format::{InventoryManifest, ManifestFile};
use platform::outbox::{send_every, Outgoing};

use super::{data_file, invalid, Config, ProcessError};
use crate::error::{error_code, sdk_error};
use crate::store::run_pk;
use s3insights::arrival::{self, AcceptedReport, Outcome, ReportArrival, Verdict, WAITING};
use s3insights::data_file::DataFileMessage;
use s3insights::state::BucketRecord;

/// Checks an arrived report and sends a task for each of its data files, if it is accepted.
pub(super) async fn process(
    config: &Config,
    arrival: &ReportArrival,
) -> Result<Outcome, ProcessError> {
    let accepted = match arrival::accept(&config.deployment, arrival) {
        Ok(accepted) => accepted,
        Err(reason) => return Ok(Outcome::Ignored(reason)),
    };
    let pk = run_pk(&accepted.run_id);
    let record: Option<BucketRecord> = config.store.get(&pk, &accepted.bucket_sk).await?;
    match accepted.verdict(record.as_ref()) {
        Verdict::Consolidate => {}
        Verdict::Duplicate => return Ok(Outcome::Duplicate),
        Verdict::Ignore(reason) => return Ok(Outcome::Ignored(reason)),
        Verdict::StillInvalid(reason) => {
            let key = arrival.checksum_key.clone();
            return Err(ProcessError::Invalid { key, reason });
        }
    }
    match manifest(config, arrival, &accepted.manifest_key).await {
        Ok(manifest) => plan(config, arrival, &accepted, &manifest).await,
        Err(ProcessError::Invalid { key, reason }) => {
            let change = accepted.invalid(&reason);
            let (run_id, sk) = (&accepted.run_id, &accepted.bucket_sk);
            config
                .store
                .transition_bucket(run_id, sk, &WAITING, change)
                .await?;
            Err(ProcessError::Invalid { key, reason })
        }
        Err(other) => Err(other),
    }
}

/// Records the report and its number of data files on the bucket, then sends one task per file
/// (all of them again when the message is a retry: a task done before is a duplicate). A report
/// without data files completes the bucket at once.
async fn plan(
    config: &Config,
    arrival: &ReportArrival,
    accepted: &AcceptedReport,
    manifest: &InventoryManifest,
) -> Result<Outcome, ProcessError> {
    let files = manifest.files.len() as u64;
    let (run_id, sk) = (&accepted.run_id, &accepted.bucket_sk);
    let planned = config
        .store
        .plan_report(run_id, sk, &accepted.manifest_key, files)
        .await?;
    if !planned {
        return Ok(Outcome::Ignored(format!(
            "bucket {} no longer waits for report {}",
            accepted.key.bucket, accepted.manifest_key
        )));
    }
    let bucket = accepted.key.bucket.clone();
    if files == 0 {
        return data_file::complete(config, &data_file::Completion::of_report(accepted, 0)).await;
    }
    let tasks = accepted.tasks(
        &arrival.staging_bucket,
        manifest.file_format,
        &manifest.file_schema,
        &manifest.files,
    );
    let messages: Vec<Outgoing> = tasks
        .into_iter()
        .map(|data_file| {
            let body = serde_json::to_string(&DataFileMessage { data_file })
                .map_err(|e| invalid(&accepted.manifest_key, format!("data file task: {e}")))?;
            Ok(Outgoing::now(body))
        })
        .collect::<Result<_, ProcessError>>()?;
    send_every(&config.sqs, &config.queue_url, &messages)
        .await
        .map_err(crate::error::FunctionError::from)?;
    Ok(Outcome::Planned { bucket, files })
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
            .map_err(|e| super::transient(format!("read s3://{bucket}/{key}"), e))?
            .into_bytes()
            .to_vec()),
        Err(err) if error_code(&err) == Some("NoSuchKey") => {
            Err(invalid(key, format!("s3://{bucket}/{key} is missing")))
        }
        Err(err) => Err(sdk_error(format!("read s3://{bucket}/{key}"), err).into()),
    }
}

/// The manifest, checked against its checksum, with readable fields and well-formed file entries.
async fn manifest(
    config: &Config,
    arrival: &ReportArrival,
    manifest_key: &str,
) -> Result<InventoryManifest, ProcessError> {
    let staging = config.regions.s3(&arrival.region);
    let bucket = &arrival.staging_bucket;
    let checksum = read_all(&staging, bucket, &arrival.checksum_key).await?;
    let manifest_bytes = read_all(&staging, bucket, manifest_key).await?;
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
    manifest
        .fields()
        .map_err(|e| invalid(manifest_key, format!("manifest.json fileSchema: {e}")))?;
    if let Some(file) = manifest.files.iter().find(|f| !well_formed(f)) {
        return Err(invalid(
            manifest_key,
            format!(
                "manifest.json lists data file {:?} without a key or a hex MD5",
                file.key
            ),
        ));
    }
    Ok(manifest)
}

fn well_formed(file: &ManifestFile) -> bool {
    let md5 = file.md5_checksum.trim();
    !file.key.is_empty() && md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit())
}

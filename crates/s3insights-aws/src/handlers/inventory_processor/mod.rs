//! The inventory processor (`s3insights-inventory-processor`): consolidates each delivered report.
//!
//! It is **manifest-driven**. The staging bucket notifies only `manifest.checksum`, which S3 writes
//! after the data files and `manifest.json`; the processor then reads `manifest.json`, checks it
//! against the checksum, downloads each listed data file to `/tmp` while hashing it, refuses any file
//! whose MD5 differs from the manifest's, and streams it into normalised Parquet, written once under
//! the bucket's partition (`inventory/run=…/account=…/region=…/bucket=…/<md5>.parquet`): a reader never
//! sees a partial object, and the same file always lands at the same key. Which notifications are
//! accepted and the status a bucket moves to are `s3insights::arrival`'s decisions; the bucket
//! becomes `done` with its figures through a conditional update, so duplicate and late
//! notifications change nothing.
//!
//! A report that cannot be consolidated (checksum mismatch, unreadable file) marks the bucket
//! `report_invalid` with the reason, and the message is reported as a batch item failure, so after the
//! queue's receive limit it rests in the dead-letter queue for inspection. Transient failures are
//! retried the same way, without touching the bucket.

mod consolidate;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use platform::config::{ConfigError, Lookup};
use tracing::{info, warn};

use crate::config::{self, HostRegions};
use crate::error::FunctionError;
use crate::inventory_configuration;
use crate::member::MemberS3;
use crate::store::{run_pk, Access, BucketRecord, StateStore};
use s3insights::arrival::{self, AcceptedReport, Outcome, ReportArrival, Verdict, WAITING};
use s3insights::names::Deployment;

/// The processor's configuration and clients.
pub struct Config {
    store: StateStore,
    consolidated_bucket: String,
    deployment: Deployment,
    s3: aws_sdk_s3::Client,
    members: MemberS3,
    regions: HostRegions,
}

impl Config {
    /// What it does with the state table (its template policy).
    pub const STATE_TABLE: Access = Access::ReadWrite;

    /// The variables it reads.
    pub const VARIABLES: &'static [&'static str] = &[
        "STATE_TABLE",
        "CONSOLIDATED_BUCKET",
        "DEPLOYMENT_NAME",
        "HOST_ACCOUNT_ID",
        "EXTERNAL_ID",
    ];
}

impl platform::serve::FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let deployment = config::deployment(env)?;
        Ok(Self {
            store: config::state_store(env, sdk)?,
            consolidated_bucket: config::consolidated_bucket(env)?,
            members: MemberS3::new(config::member_roles(env, sdk, &deployment)?),
            deployment,
            s3: platform::aws::s3_client(sdk),
            regions: HostRegions::new(sdk),
        })
    }
}

/// Why a report failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The report is bad; the bucket is marked `report_invalid`.
    #[error("invalid report {key}: {reason}")]
    Invalid {
        /// The object that is bad.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// AWS failed; retry.
    #[error(transparent)]
    Function(#[from] FunctionError),
}

/// Handles an SQS batch: every record on its own, failures reported per item (so the batch itself
/// never fails).
pub async fn handle(config: &Config, event: SqsEvent) -> Result<SqsBatchResponse, FunctionError> {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        let arrivals = match arrival::arrivals(body) {
            Ok(arrivals) => arrivals,
            Err(reason) => {
                // Not an S3 notification at all: keep it (DLQ) for a person to look at.
                warn!(message_id = %id, %reason, "unreadable inventory message");
                response.add_failure(id);
                continue;
            }
        };
        let mut failed = false;
        for arrival in arrivals {
            let key = &arrival.checksum_key;
            match process(config, &arrival).await {
                Ok(outcome) => info!(message_id = %id, %key, ?outcome, "report handled"),
                Err(err) => {
                    warn!(message_id = %id, %key, error = %err, "report failed");
                    failed = true;
                }
            }
        }
        if failed {
            response.add_failure(id);
        }
    }
    Ok(response)
}

/// Consolidates one report, if it is accepted.
pub async fn process(config: &Config, arrival: &ReportArrival) -> Result<Outcome, ProcessError> {
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
    let (run_id, sk) = (&accepted.run_id, &accepted.bucket_sk);
    match consolidate::consolidate(config, arrival, &accepted).await {
        Ok((figures, files)) => {
            let change = accepted.consolidated(&figures, files);
            if !config
                .store
                .transition_bucket(run_id, sk, &WAITING, change)
                .await?
            {
                return Ok(Outcome::Duplicate);
            }
            remove_configuration(config, &accepted).await;
            Ok(Outcome::Consolidated {
                bucket: accepted.key.bucket.clone(),
                rows: figures.rows,
            })
        }
        Err(ProcessError::Invalid { key, reason }) => {
            let change = accepted.invalid(&reason);
            config
                .store
                .transition_bucket(run_id, sk, &WAITING, change)
                .await?;
            Err(ProcessError::Invalid { key, reason })
        }
        Err(other) => Err(other),
    }
}

/// One report is all a run needs: stop the daily schedule now (Cleanup would later).
async fn remove_configuration(config: &Config, accepted: &AcceptedReport) {
    let key = &accepted.key;
    if let Ok(s3) = config.members.client(&key.account, &key.region).await {
        let removed = inventory_configuration::remove(&s3, &key.bucket, &key.configuration_id);
        if let Err(reason) = removed.await {
            warn!(bucket = %key.bucket, %reason, "configuration left for Cleanup");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn reads_only_its_variables_and_uses_the_state_table_as_declared() {
        let config = crate::config::testing::reads_exactly::<Config>(Config::VARIABLES);
        assert_eq!(config.store.access(), Config::STATE_TABLE);
    }
}

//! The inventory processor (`s3insights-inventory-processor`): consolidates each delivered report,
//! one data file at a time.
//!
//! It is **manifest-driven** and works in two steps, both fed by the inventory queue:
//!
//! 1. **The report** (`report`): the staging bucket notifies only `manifest.checksum`, which S3
//!    writes after the data files and `manifest.json`. The processor reads `manifest.json`, checks
//!    it against the checksum, records on the bucket the report and its number of data files, and
//!    sends itself one task per data file (`s3insights::data_file`) on the same queue.
//! 2. **Each data file** (`data_file`), on its own and in parallel with the others: streamed from
//!    S3 (no local copy; memory is one window of the stream and one row group of output, whatever
//!    the file's size) into normalised Parquet, uploaded as it is encoded, and published at
//!    `inventory/run=…/account=…/region=…/bucket=…/<md5>.parquet` only once the file's MD5 matched
//!    the manifest's: a reader never sees a partial object, and the same file always lands at the
//!    same key. The file is then recorded once, with its figures, and counted on the bucket; the
//!    task that counts the last file merges every file's figures and moves the bucket to `done`
//!    through a conditional update, so duplicate and late tasks change nothing.
//!
//! Which messages are accepted and the status a bucket moves to are `s3insights::arrival`'s and
//! `s3insights::data_file`'s decisions. A report that cannot be consolidated (checksum mismatch,
//! unreadable file) marks the bucket `report_invalid` with the reason, and the message is reported
//! as a batch item failure, so after the queue's receive limit it rests in the dead-letter queue
//! for inspection. Transient failures are retried the same way, without touching the bucket, and
//! only the failing file's task is retried.

mod data_file;
mod report;
mod stream;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use platform::config::{ConfigError, Lookup};
use tracing::{info, warn};

use crate::config::{self, HostRegions};
use crate::error::FunctionError;
use crate::inventory_configuration;
use crate::member::MemberS3;
use crate::store::{Access, StateStore};
use s3insights::arrival::{self, InventoryMessage};
use s3insights::names::Deployment;

/// The processor's configuration and clients.
pub struct Config {
    store: StateStore,
    consolidated_bucket: String,
    deployment: Deployment,
    s3: aws_sdk_s3::Client,
    members: MemberS3,
    regions: HostRegions,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
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
        "INVENTORY_QUEUE_URL",
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
            sqs: aws_sdk_sqs::Client::new(sdk),
            queue_url: platform::config::required(env, "INVENTORY_QUEUE_URL")?,
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

/// Handles an SQS batch: every record on its own, failures reported per item (so the batch itself
/// never fails, and only a failed report or data file is retried).
pub async fn handle(config: &Config, event: SqsEvent) -> Result<SqsBatchResponse, FunctionError> {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        if !handle_message(config, &id, body).await {
            response.add_failure(id);
        }
    }
    Ok(response)
}

/// Handles one message; false when it failed (and is to be retried, then kept in the DLQ).
async fn handle_message(config: &Config, id: &str, body: &str) -> bool {
    let arrivals = match arrival::message(body) {
        Ok(InventoryMessage::Reports(arrivals)) => arrivals,
        Ok(InventoryMessage::DataFile(task)) => {
            let key = &task.file.key;
            return match data_file::process(config, &task).await {
                Ok(outcome) => {
                    info!(message_id = %id, %key, ?outcome, "data file handled");
                    true
                }
                Err(err) => {
                    warn!(message_id = %id, %key, error = %err, "data file failed");
                    false
                }
            };
        }
        Err(reason) => {
            // Neither an S3 notification nor a task: keep it (DLQ) for a person to look at.
            warn!(message_id = %id, %reason, "unreadable inventory message");
            return false;
        }
    };
    let mut handled = true;
    for arrival in arrivals {
        let key = &arrival.checksum_key;
        match report::process(config, &arrival).await {
            Ok(outcome) => info!(message_id = %id, %key, ?outcome, "report handled"),
            Err(err) => {
                warn!(message_id = %id, %key, error = %err, "report failed");
                handled = false;
            }
        }
    }
    handled
}

/// One report is all a run needs: stop the daily schedule now (Cleanup would later).
async fn remove_configuration(
    config: &Config,
    account: &str,
    region: &str,
    bucket: &str,
    id: &str,
) {
    if let Ok(s3) = config.members.client(account, region).await {
        let removed = inventory_configuration::remove(&s3, bucket, id);
        if let Err(reason) = removed.await {
            warn!(%bucket, %reason, "configuration left for Cleanup");
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

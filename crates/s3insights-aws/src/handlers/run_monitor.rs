//! The run monitor (`s3insights-run-monitor`): one check of a run's waiting buckets.
//!
//! Only buckets still `in_progress` are read (the sparse `InProgress` index), and a check costs the
//! same however many wait: it looks at the next `s3insights::monitor::LOOKS_PER_CHECK` of them, from
//! where the previous check stopped (the run's `probe_cursor`). Each is looked at through the
//! account's role, and what the look means is `s3insights::probe`'s decision: deleted →
//! `bucket_not_available`, role or bucket access refused → `bucket_access_lost`, emptied →
//! `bucket_is_empty`; the run's configuration is then removed if it can be. Once the run's deadline
//! passes, whatever still waits becomes `timed_out`, a bounded number per check. The run is complete
//! when no bucket waits: a bucket is `done` only after its report is consolidated, so there is
//! nothing else to wait for, and no fixed sleep once the last report is in.

use aws_config::SdkConfig;
use futures::stream::{self, StreamExt};
use platform::config::{self as env_config, ConfigError, Lookup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config;
use crate::error::FunctionError;
use crate::inventory_configuration;
use crate::member::{probe, MemberS3};
use crate::store::{Access, BucketChange, BucketRecord, StateStore};
use s3insights::monitor;
use s3insights::names::Deployment;
use s3insights::probe::role_refused;
use s3insights::BucketStatus;

/// Buckets looked at concurrently.
const CONCURRENCY: usize = 16;

/// The monitor's configuration and clients.
pub struct Config {
    store: StateStore,
    deployment: Deployment,
    members: MemberS3,
    interval_seconds: u64,
}

impl Config {
    /// What it does with the state table (its template policy).
    pub const STATE_TABLE: Access = Access::ReadWrite;

    /// The variables it reads.
    pub const VARIABLES: &'static [&'static str] = &[
        "STATE_TABLE",
        "DEPLOYMENT_NAME",
        "HOST_ACCOUNT_ID",
        "EXTERNAL_ID",
        "MONITOR_INTERVAL_SECONDS",
    ];
}

impl platform::serve::FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let deployment = config::deployment(env)?;
        Ok(Self {
            store: config::state_store(env, sdk)?,
            members: MemberS3::new(config::member_roles(env, sdk, &deployment)?),
            deployment,
            interval_seconds: env_config::parsed_or(env, "MONITOR_INTERVAL_SECONDS", 900u64)?,
        })
    }
}

/// A monitor request.
#[derive(Debug, Deserialize)]
pub struct MonitorRequest {
    /// `check`.
    pub action: String,
    /// Run id.
    pub run_id: String,
}

/// Handles one request.
pub async fn handle(config: &Config, request: Value) -> Result<Value, FunctionError> {
    let request: MonitorRequest =
        serde_json::from_value(request).map_err(FunctionError::undecodable)?;
    if request.action != "check" {
        return Err(FunctionError::no_action("the monitor", &request.action));
    }
    check(config, &request.run_id).await
}

/// What one look at a waiting bucket found: its new status and why, or `None` to go on waiting.
async fn look(config: &Config, bucket: &BucketRecord) -> Option<(BucketStatus, String)> {
    match config.members.client(&bucket.account, &bucket.region).await {
        Err(err) => Some(role_refused(err.to_string())),
        // An error (throttling, 5xx) is looked at again next time.
        Ok(s3) => probe(&s3, &bucket.bucket).await.ok()?.while_waiting(),
    }
}

async fn check(config: &Config, run_id: &str) -> Result<Value, FunctionError> {
    let run = config.store.require_run(run_id).await?;
    let now = chrono::Utc::now();
    let deadline = monitor::parse_deadline(&run.deadline)
        .map_err(|e| FunctionError::corrupt(format!("deadline of run {run_id}"), e))?;
    let wait_seconds = monitor::wait_seconds(config.interval_seconds, now, deadline);
    if monitor::past_deadline(now, deadline) {
        let page = config
            .store
            .waiting_buckets(run_id, None, monitor::TIMEOUTS_PER_CHECK)
            .await?;
        let more = page.len() >= monitor::TIMEOUTS_PER_CHECK;
        let timed_out = monitor::timed_out(&run.deadline);
        let decided = page
            .into_iter()
            .map(|b| (b, Some(timed_out.clone())))
            .collect();
        let (_, changed) = apply(config, run_id, decided).await?;
        return Ok(json!({
            "complete": !more,
            "looked_at": 0,
            "changed": changed,
            // More to time out: check again at once.
            "wait_seconds": if more { 1 } else { wait_seconds },
            "deadline": run.deadline,
        }));
    }
    let cursor = run.probe_cursor.as_deref();
    let limit = monitor::LOOKS_PER_CHECK;
    let mut page = config.store.waiting_buckets(run_id, cursor, limit).await?;
    let mut from_start = cursor.is_none();
    if page.is_empty() && !from_start {
        page = config.store.waiting_buckets(run_id, None, limit).await?;
        from_start = true;
    }
    let keys: Vec<String> = page.iter().map(|b| b.sk.clone()).collect();
    let next = monitor::next_cursor(&keys, limit);
    if next.as_deref() != cursor {
        config
            .store
            .set_probe_cursor(run_id, next.as_deref())
            .await?;
    }
    // The page was every waiting bucket: whether any still waits is known now.
    let whole = from_start && page.len() < limit;
    let looked_at = page.len();
    let decided = stream::iter(page)
        .map(|bucket| async move {
            let decision = look(config, &bucket).await;
            (bucket, decision)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let (still_waiting, changed) = apply(config, run_id, decided).await?;
    Ok(json!({
        "complete": looked_at == 0 || (whole && still_waiting == 0),
        "looked_at": looked_at,
        "changed": changed,
        "wait_seconds": wait_seconds,
        "deadline": run.deadline,
    }))
}

/// Moves each bucket with a decision to its new status (if it still waits), several at a time; how
/// many still wait and how many changed.
async fn apply(
    config: &Config,
    run_id: &str,
    decided: Vec<(BucketRecord, Option<(BucketStatus, String)>)>,
) -> Result<(u64, u64), FunctionError> {
    let outcomes: Vec<Result<Option<bool>, FunctionError>> = stream::iter(decided)
        .map(|(bucket, decision)| async move {
            let Some((status, reason)) = decision else {
                return Ok(None);
            };
            let change = BucketChange::to(status).because(&reason);
            let from = [BucketStatus::InProgress];
            let changed = config
                .store
                .transition_bucket(run_id, &bucket.sk, &from, change)
                .await?;
            if changed && monitor::removes_configuration(status) {
                remove_configuration(config, run_id, &bucket).await;
            }
            Ok(Some(changed))
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let (mut still_waiting, mut changed) = (0u64, 0u64);
    for outcome in outcomes {
        match outcome? {
            None => still_waiting += 1,
            Some(true) => changed += 1,
            Some(false) => {}
        }
    }
    Ok((still_waiting, changed))
}

/// Removes the run's configuration from a bucket that stopped waiting, if it can (Cleanup tries
/// again otherwise).
async fn remove_configuration(config: &Config, run_id: &str, bucket: &BucketRecord) {
    let configuration_id = config.deployment.configuration_id(run_id);
    if let Ok(s3) = config.members.client(&bucket.account, &bucket.region).await {
        let _ = inventory_configuration::remove(&s3, &bucket.bucket, &configuration_id).await;
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

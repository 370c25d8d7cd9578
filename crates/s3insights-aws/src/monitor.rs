//! The inventory monitor: one check of a run's waiting buckets.
//!
//! Only buckets still `in_progress` are read (the sparse `InProgress` index). For each, the bucket is
//! looked at through the account's role: deleted → `bucket_not_available`, role or bucket access refused →
//! `bucket_access_lost`, emptied → `bucket_is_empty`; in each case our configuration is removed if it
//! can be. Once the run's deadline passes, whatever still waits becomes `timed_out`. The run is complete
//! when no bucket waits: a bucket is `done` only after its report is consolidated, so there is nothing
//! else to wait for, and no fixed sleep once the last report is in.

use futures::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::configurator::remove_configuration;
use crate::error::{error_code, http_status, HarvestError};
use crate::store::{BucketChange, BucketRecord, StateStore};
use crate::HarvestContext;
use s3insights::BucketStatus;

/// Buckets looked at concurrently.
const CONCURRENCY: usize = 16;

/// A monitor request.
#[derive(Debug, Deserialize)]
pub struct MonitorRequest {
    /// `check`.
    pub action: String,
    /// Run id.
    pub run_id: String,
}

/// Handles one request.
pub async fn handle(ctx: &HarvestContext, request: Value) -> Result<Value, HarvestError> {
    let request: MonitorRequest =
        serde_json::from_value(request).map_err(|e| HarvestError::UnknownRequest(e.to_string()))?;
    if request.action != "check" {
        return Err(HarvestError::UnknownRequest(format!(
            "the monitor has no action {:?}",
            request.action
        )));
    }
    check(ctx, &request.run_id).await
}

/// What one look at a bucket found.
async fn look(ctx: &HarvestContext, bucket: &BucketRecord) -> Option<(BucketStatus, String)> {
    let config = match ctx
        .roles
        .config_for_region(&bucket.account, &bucket.region)
        .await
    {
        Ok(config) => config,
        Err(err) => return Some((BucketStatus::BucketAccessLost, err.to_string())),
    };
    let s3 = platform::aws::s3_client(&config);
    // URL-encoded keys: XML cannot carry every key S3 allows (platform::s3_keys).
    match s3
        .list_object_versions()
        .bucket(&bucket.bucket)
        .max_keys(1)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .send()
        .await
    {
        Ok(page) if page.versions().is_empty() && page.delete_markers().is_empty() => {
            Some((BucketStatus::BucketIsEmpty, "emptied during the run".into()))
        }
        Ok(_) => None,
        Err(err) if error_code(&err) == Some("NoSuchBucket") => Some((
            BucketStatus::BucketNotAvailable,
            "the bucket was deleted during the run".into(),
        )),
        Err(err) if matches!(http_status(&err), Some(401) | Some(403)) => Some((
            BucketStatus::BucketAccessLost,
            format!(
                "ListObjectVersions refused: {}",
                platform::sdk_error::summary("ListObjectVersions", &err)
            ),
        )),
        // Anything else (throttling, 5xx) is looked at again next time.
        Err(_) => None,
    }
}

async fn check(ctx: &HarvestContext, run_id: &str) -> Result<Value, HarvestError> {
    let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
    let run = store.require_run(run_id).await?;
    let waiting = store.waiting_buckets(run_id).await?;
    let now = chrono::Utc::now();
    let deadline = chrono::DateTime::parse_from_rfc3339(&run.deadline)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|e| HarvestError::CorruptState {
            what: format!("deadline of run {run_id}"),
            message: e.to_string(),
        })?;
    let configuration_id = ctx.deployment.configuration_id(run_id);
    let past_deadline = now >= deadline;
    let deadline_text = run.deadline.as_str();
    let decisions: Vec<(BucketRecord, Option<(BucketStatus, String)>)> = stream::iter(waiting)
        .map(|bucket| async move {
            let decision = if past_deadline {
                Some((
                    BucketStatus::TimedOut,
                    format!("no report by the run's deadline {deadline_text}"),
                ))
            } else {
                look(ctx, &bucket).await
            };
            (bucket, decision)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut still_waiting = 0u64;
    let mut changed = 0u64;
    for (bucket, decision) in decisions {
        let Some((status, reason)) = decision else {
            still_waiting += 1;
            continue;
        };
        if store
            .transition_bucket(
                run_id,
                &bucket.sk,
                &[BucketStatus::InProgress],
                BucketChange::to(status).because(&reason),
            )
            .await?
        {
            changed += 1;
            if status != BucketStatus::BucketAccessLost
                && status != BucketStatus::BucketNotAvailable
            {
                if let Ok(config) = ctx
                    .roles
                    .config_for_region(&bucket.account, &bucket.region)
                    .await
                {
                    let _ = remove_configuration(
                        &platform::aws::s3_client(&config),
                        &bucket.bucket,
                        &configuration_id,
                    )
                    .await;
                }
            }
        }
    }
    let complete = still_waiting == 0;
    let until_deadline = (deadline - now).num_seconds().max(1) as u64;
    let wait_seconds = ctx.monitor_interval_seconds.min(until_deadline).max(1);
    Ok(json!({
        "complete": complete,
        "waiting": still_waiting,
        "changed": changed,
        "wait_seconds": wait_seconds,
        "deadline": run.deadline,
    }))
}

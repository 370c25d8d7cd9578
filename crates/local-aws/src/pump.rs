//! `offline pump --until-idle`: return once nothing is moving.
//!
//! Event source mappings poll on their own in the local AWS, as in AWS; what a test or the demo needs
//! is to know when they are done. Idle means: every queue feeding a function is empty (in flight and
//! delayed messages included), every DynamoDB stream feeding a function has been read to its end, and
//! no function is executing — seen on several consecutive checks, because one function's output is
//! often the next one's input.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::admin::{Admin, AdminError};

/// Consecutive idle checks required.
const SETTLED_CHECKS: u32 = 3;
/// Time between checks.
const CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Pumping failed.
#[derive(Debug, thiserror::Error)]
pub enum PumpError {
    /// The emulator did not answer.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// Still busy at the deadline; the last activity snapshot says with what.
    #[error("still busy after {seconds} s: {activity}")]
    Timeout {
        /// The limit.
        seconds: u64,
        /// The last snapshot.
        activity: Value,
    },
}

/// Wait until the local AWS at `endpoint` is idle; returns how long it took.
pub async fn until_idle(endpoint: &str, timeout: Duration) -> Result<Duration, PumpError> {
    until_idle_of(endpoint, timeout, &[]).await
}

/// True when nothing that concerns the functions whose name (or ARN) contains one of `functions` is
/// moving: none of them executing, no message waiting in a queue that feeds one of them, no stream
/// record unread by one of them. With no `functions`, the whole local AWS must be idle (batches
/// being handed over included).
pub fn idle_for(activity: &Value, functions: &[&str]) -> bool {
    if functions.is_empty() {
        return activity["idle"] == Value::Bool(true);
    }
    let concerns = |name: &str| functions.iter().any(|f| name.contains(f));
    let waiting = |list: &str| {
        activity[list]
            .as_array()
            .into_iter()
            .flatten()
            .any(|entry| concerns(entry["function"].as_str().unwrap_or_default()))
    };
    let executing = activity["executingByFunction"]
        .as_object()
        .into_iter()
        .flatten()
        .any(|(name, n)| concerns(name) && n.as_u64().unwrap_or(1) > 0);
    !waiting("queues") && !waiting("streams") && !executing
}

/// [`until_idle`] for some functions only (see [`idle_for`]): tests of one tool need not wait for
/// another tool's work that other tests started on the same local AWS.
pub async fn until_idle_of(
    endpoint: &str,
    timeout: Duration,
    functions: &[&str],
) -> Result<Duration, PumpError> {
    let admin = Admin::new(endpoint);
    let begun = Instant::now();
    let mut settled = 0;
    loop {
        let activity: Value = admin.get("/_offline/activity").await?;
        if idle_for(&activity, functions) {
            settled += 1;
            if settled >= SETTLED_CHECKS {
                return Ok(begun.elapsed());
            }
        } else {
            settled = 0;
        }
        if begun.elapsed() > timeout {
            return Err(PumpError::Timeout {
                seconds: timeout.as_secs(),
                activity,
            });
        }
        tokio::time::sleep(CHECK_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn other_functions_work_does_not_count() {
        let busy_elsewhere = json!({
            "idle": false,
            "queues": [{"queue": "arn:aws:sqs:us-east-1:0:q", "messages": 3, "function": "arn:aws:lambda:us-east-1:0:function:platform-InventoryProcessorFunction-X"}],
            "streams": [],
            "executing": 20,
            "executingByFunction": {"0:us-east-1:platform-InventoryConfiguratorFunction-Y": 20},
            "batchesInFlight": 1
        });
        assert!(!idle_for(&busy_elsewhere, &[]));
        assert!(idle_for(
            &busy_elsewhere,
            &["CollectorFunction", "DifferFunction"]
        ));
        assert!(!idle_for(
            &busy_elsewhere,
            &["InventoryConfiguratorFunction"]
        ));
        assert!(!idle_for(&busy_elsewhere, &["InventoryProcessorFunction"]));
        let stream_behind = json!({
            "idle": false, "queues": [], "executingByFunction": {},
            "streams": [{"stream": "s", "behind": 1, "function": "platform-DifferFunction-Z"}]
        });
        assert!(!idle_for(&stream_behind, &["DifferFunction"]));
        assert!(idle_for(&stream_behind, &["CollectorFunction"]));
    }
}

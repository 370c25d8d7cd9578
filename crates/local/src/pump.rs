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
    let admin = Admin::new(endpoint);
    let begun = Instant::now();
    let mut settled = 0;
    loop {
        let activity: Value = admin.get("/_offline/activity").await?;
        if activity["idle"] == Value::Bool(true) {
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

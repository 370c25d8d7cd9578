//! CloudTrail events offline. The local AWS has no CloudTrail, so whatever drives Historical (the
//! demo, the pipeline benchmark, the integration tests) takes the documented event shapes of
//! `crates/historical/fixtures`, retargets them at its own accounts, resources and times, and puts
//! them on a default bus with PutEvents, as a member account's forwarding rule would (the offline
//! PutEvents keeps `detail.recipientAccountId` as the event's account). One copy of that, here.

use std::path::{Path, PathBuf};

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use chrono::{DateTime, Utc};
use historical::differ::format_event_time;
use serde_json::{json, Value};

use crate::sdk::Target;

/// The account every fixture names: callers replace it with the member account they act in.
pub const FIXTURE_ACCOUNT: &str = "111122223333";

/// The fixtures' folder, relative to the workspace root: the tests and the benchmark read them from
/// disk, the demo embeds them (`include_str!`) so that the `offline` binary needs no checkout.
pub const FIXTURES_DIR: &str = "crates/historical/fixtures";

/// PutEvents takes at most 10 entries a call.
pub const PUT_EVENTS_BATCH: usize = 10;

/// Retargeting or putting CloudTrail events failed.
#[derive(Debug, thiserror::Error)]
pub enum CloudTrailError {
    /// A fixture file could not be read.
    #[error("fixture {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A fixture, once retargeted, is not JSON (a replacement broke it).
    #[error("fixture JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An event lacks a field PutEvents needs.
    #[error("event {event_name} has no {field}")]
    Field {
        /// The missing field (`source`, `detail-type`).
        field: &'static str,
        /// The event's `detail.eventName`.
        event_name: String,
    },
    /// The PutEvents call itself failed.
    #[error("PutEvents: {0}")]
    Api(String),
    /// PutEvents answered, but refused entries (its FailedEntryCount).
    #[error("PutEvents refused {failed} of {sent} event(s): {failures}")]
    Refused {
        /// FailedEntryCount.
        failed: i32,
        /// Entries of the call.
        sent: usize,
        /// Each refused event's name and error.
        failures: String,
    },
}

/// The text of fixture `name` under the workspace `root` (for callers that read the fixtures from
/// disk rather than embedding them).
pub fn read_fixture(root: &Path, name: &str) -> Result<String, CloudTrailError> {
    let path = root.join(FIXTURES_DIR).join(name);
    std::fs::read_to_string(&path).map_err(|e| CloudTrailError::Read {
        path,
        message: e.to_string(),
    })
}

/// The fixture `text` (a whole EventBridge CloudTrail event) with every occurrence of each `replace`
/// pair's first string replaced by its second, in order, and `detail.eventTime` set to `time`: the
/// collector keeps a change only if it is newer than what it has, so each caller sets its own clock.
pub fn retarget(
    text: &str,
    replace: &[(&str, &str)],
    time: DateTime<Utc>,
) -> Result<Value, CloudTrailError> {
    let mut text = text.to_string();
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    let mut event: Value = serde_json::from_str(&text)?;
    event["detail"]["eventTime"] = json!(format_event_time(time));
    Ok(event)
}

/// Puts one CloudTrail `event` on the default bus of `target` (see [`put_events`]).
pub async fn put_event(target: &Target, event: &Value) -> Result<(), CloudTrailError> {
    put_events(target, std::slice::from_ref(event)).await
}

/// Puts CloudTrail `events` (whole EventBridge events: `source`, `detail-type`, `detail`) on the
/// default bus of `target`, in order, [`PUT_EVENTS_BATCH`] a call; stops at the first call with a
/// refused entry, naming each refused event and its error (PutEvents answers 200 even then).
pub async fn put_events(target: &Target, events: &[Value]) -> Result<(), CloudTrailError> {
    let client = aws_sdk_eventbridge::Client::new(&target.sdk_config());
    for chunk in events.chunks(PUT_EVENTS_BATCH) {
        let entries = chunk.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
        let answer = client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                CloudTrailError::Api(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
            })?;
        if answer.failed_entry_count() > 0 {
            let mut failures: Vec<String> = answer
                .entries()
                .iter()
                .zip(chunk)
                .filter(|(result, _)| result.error_code().is_some())
                .map(|(result, event)| {
                    format!(
                        "{} ({}: {})",
                        event["detail"]["eventName"],
                        result.error_code().unwrap_or_default(),
                        result.error_message().unwrap_or_default()
                    )
                })
                .collect();
            if failures.is_empty() {
                failures.push(format!("{answer:?}"));
            }
            return Err(CloudTrailError::Refused {
                failed: answer.failed_entry_count(),
                sent: chunk.len(),
                failures: failures.join(", "),
            });
        }
    }
    Ok(())
}

fn entry(event: &Value) -> Result<PutEventsRequestEntry, CloudTrailError> {
    let field = |field: &'static str| {
        event[field].as_str().ok_or_else(|| CloudTrailError::Field {
            field,
            event_name: event["detail"]["eventName"].to_string(),
        })
    };
    Ok(PutEventsRequestEntry::builder()
        .source(field("source")?)
        .detail_type(field("detail-type")?)
        .detail(event["detail"].to_string())
        .build())
}

/// The ingress rule `sg-authorize-ingress.json` records (TCP 443 from 0.0.0.0/0, "HTTPS from
/// anywhere"): the real change to make before putting that event, so that the collector's
/// description of the group agrees with the event.
pub fn authorized_ingress() -> aws_sdk_ec2::types::IpPermission {
    aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(
            aws_sdk_ec2::types::IpRange::builder()
                .cidr_ip("0.0.0.0/0")
                .description("HTTPS from anywhere")
                .build(),
        )
        .build()
}

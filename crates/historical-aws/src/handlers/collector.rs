//! The Collector: CloudTrail change events (event queue) and poll events (poll queue) become
//! Current writes.
//!
//! For each message: unwrap an SNS envelope if there is one (off-region forwarders), ask every
//! recorded technology what the event means (`historical::event::decide`), then for each
//! resource named either describe it in its account (through the member role, ExternalId
//! required) and write it to Current unless a newer state is stored, or write its tombstone. A
//! poll event carrying its description (`detail.collected`) is written without a describe. Items
//! carry the event's CloudTrail context (who, from where, which call; `historical::item`); the
//! TTL is set per write.
//!
//! An event no technology acts on is logged with each technology's reason. An event some
//! technology acts on is first checked against the time our queue received it (SQS
//! `SentTimestamp`): one out of time (`historical::timeliness`: dated more than 5 minutes after
//! its receipt, or more than 14 days before) is refused before any describe or write, so it can
//! never become a Current item's time. A resource that no longer exists when an update is
//! described is logged: its deletion event (or the TTL) records the deletion. Anything else that
//! fails — an unreadable message, an event out of time, a refused role, a failed describe or
//! write — is a batch item failure: retried, then parked in the queue's DLQ.

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use futures::{stream, StreamExt};
use historical::event::{decide, CloudTrailEvent, Collected, ResourceRef};
use historical::item::{current_item, tombstone};
use historical::resource::carried_description;
use historical::timeliness::sent_timestamp;
use historical::{EventKind, Technology};
use platform::config::{self, ConfigError, Lookup};
use platform::roles::RoleAssumer;
use platform::serve::FromEnv;
use tracing::{info, warn};

use crate::describe::{AccountClients, AwsDescriber, Describe};
use crate::error::{failed_message, FunctionError};
use crate::settings::{member_roles, own_region, CurrentTables};
use crate::store::current::Written;

/// Default Current TTL: a resource not seen for a day (four polls) expires.
pub const DEFAULT_TTL_SECONDS: u64 = 86_400;
/// Messages of one batch handled at once.
pub const CONCURRENCY: usize = 8;

/// The collector's configuration and clients.
pub struct Config {
    roles: RoleAssumer,
    current: CurrentTables,
    region: String,
    ttl_seconds: u64,
}

impl Config {
    /// The variables [`FromEnv::from_env`] reads: exactly the function's template `Environment`.
    pub const VARIABLES: &'static [&'static str] = &[
        "DEPLOYMENT_NAME",
        "EXTERNAL_ID",
        "HOST_ACCOUNT_ID",
        "CURRENT_TABLES",
        "OFFLOAD_BUCKET",
        "TTL_SECONDS",
    ];
}

impl FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            roles: member_roles(env, sdk, "collector")?,
            current: CurrentTables::current_from_env(env, sdk)?,
            region: own_region(sdk),
            ttl_seconds: config::parsed_or(env, "TTL_SECONDS", DEFAULT_TTL_SECONDS)?,
        })
    }
}

/// The event in a queue message: the body itself, or the `Message` of an SNS envelope
/// ([`CloudTrailEvent::from_queue_body`]); the error names the field that is wrong.
pub fn event_of(body: &str) -> Result<CloudTrailEvent, String> {
    CloudTrailEvent::from_queue_body(body).map_err(|e| e.to_string())
}

/// When our queue received `message`: its `SentTimestamp` attribute (epoch milliseconds, set by
/// SQS and delivered by the event source mapping in the record's `attributes`,
/// <https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html>), else `now` (a direct
/// invocation carries none).
pub fn receive_time(message: &SqsMessage, now: DateTime<Utc>) -> DateTime<Utc> {
    let Some(value) = message.attributes.get("SentTimestamp") else {
        return now;
    };
    sent_timestamp(value).unwrap_or_else(|| {
        warn!(sent_timestamp = %value, "SentTimestamp is not epoch milliseconds; the collector's clock is the receive time");
        now
    })
}

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Written to Current.
    Written,
    /// A newer state is stored; nothing written.
    Stale,
    /// Described as gone during an update.
    Gone,
    /// Tombstone written.
    Deleted,
    /// Not a change (unreachable through `collect`, kept explicit).
    Ignored,
}

async fn record(
    ctx: &Config,
    tech: Technology,
    event: &CloudTrailEvent,
    collected: &Collected,
    clients: &AccountClients,
    resource: &ResourceRef,
) -> Result<Recorded, FunctionError> {
    let store = ctx.current.get(tech)?;
    let detail = &event.detail;
    match collected.kind {
        EventKind::Update => {
            let described = match carried_description(detail, resource) {
                Some(d) => Some(d),
                None => {
                    AwsDescriber::new(tech)
                        .describe(clients, &collected.region, &resource.id)
                        .await?
                }
            };
            let Some(described) = described else {
                return Ok(Recorded::Gone);
            };
            let item = current_item(&described, detail);
            let written = store
                .put_if_newer(&item, collected.event_time, ctx.ttl_seconds)
                .await?;
            Ok(match written {
                Written::Written => Recorded::Written,
                Written::Stale => Recorded::Stale,
            })
        }
        // `collect` never applies an ignored event; never turn one into a deletion.
        EventKind::Ignore => Ok(Recorded::Ignored),
        EventKind::Delete => {
            let stored = store.get(&resource.arn).await?;
            let tombstone = tombstone(stored, collected, detail);
            let written = store
                .put_tombstone(&resource.arn, collected.event_time, &tombstone)
                .await?;
            Ok(match written {
                Written::Written => Recorded::Deleted,
                Written::Stale => Recorded::Stale,
            })
        }
    }
}

/// Handles one message; returns how many resources it recorded.
pub async fn collect_message(ctx: &Config, message: &SqsMessage) -> Result<usize, FunctionError> {
    let id = message.message_id.clone().unwrap_or_default();
    let event = event_of(message.body.as_deref().unwrap_or(""))
        .map_err(|reason| FunctionError::invalid(&id, reason))?;
    let decision = decide(ctx.current.technologies(), &event, &ctx.region)
        .map_err(|e| FunctionError::invalid(&id, e.to_string()))?;
    if decision.applied.is_empty() {
        let reasons: Vec<String> = decision
            .ignored
            .iter()
            .map(|(tech, reason)| format!("{tech}: {reason:?}"))
            .collect();
        info!(message_id = %id, event_name = %event.detail.event_name, reasons = ?reasons, "event ignored");
        return Ok(0);
    }
    // Before any describe or write: an event out of time must never become a Current item's time.
    decision
        .check_times(receive_time(message, Utc::now()))
        .map_err(|source| FunctionError::OutOfTime {
            message_id: id.clone(),
            source,
        })?;
    let mut recorded = 0;
    for (tech, collected) in &decision.applied {
        let config = ctx
            .roles
            .config_for_region(&collected.account, &collected.region)
            .await?;
        let clients = AccountClients::new(&collected.account, &config);
        for resource in &collected.resources {
            let done = record(ctx, *tech, &event, collected, &clients, resource).await?;
            info!(
                tech = %tech,
                arn = %resource.arn,
                event_name = %event.detail.event_name,
                event_time = %event.detail.event_time,
                outcome = ?done,
                "collected"
            );
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// Records every message of the batch; failed messages are reported for retry.
pub async fn handle(
    ctx: &'static Config,
    event: SqsEvent,
) -> Result<SqsBatchResponse, FunctionError> {
    let results: Vec<(String, Result<usize, FunctionError>)> = stream::iter(event.records)
        .map(|message| async move {
            let id = message.message_id.clone().unwrap_or_default();
            (id, collect_message(ctx, &message).await)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for (id, result) in results {
        if let Err(e) = result {
            response.batch_item_failures.push(failed_message(id, &e));
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const PUT_POLICY: &str = include_str!("../../../historical/fixtures/s3-put-bucket-policy.json");

    #[test]
    fn events_arrive_raw_or_in_an_sns_envelope() {
        let raw = event_of(PUT_POLICY).unwrap();
        let envelope = json!({
            "Type": "Notification",
            "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:eu-west-1:111122223333:forwarder",
            "Message": PUT_POLICY,
        });
        assert_eq!(event_of(&envelope.to_string()).unwrap(), raw);
        assert!(event_of("{").unwrap_err().starts_with("not JSON"));
        assert!(event_of("{\"a\":1}")
            .unwrap_err()
            .starts_with("not a CloudTrail event"));
    }

    #[test]
    fn the_receive_time_is_the_sent_timestamp_else_the_clock() {
        let now = Utc::now();
        let mut message = SqsMessage::default();
        assert_eq!(receive_time(&message, now), now);
        message
            .attributes
            .insert("SentTimestamp".into(), "1545082649183".into());
        assert_eq!(
            receive_time(&message, now).timestamp_millis(),
            1_545_082_649_183
        );
        message
            .attributes
            .insert("SentTimestamp".into(), "soon".into());
        assert_eq!(receive_time(&message, now), now);
    }

    #[test]
    fn an_unreadable_event_names_its_field() {
        let mut event: Value = serde_json::from_str(PUT_POLICY).unwrap();
        event["detail"]["eventTime"] = json!(["2024-01-01T00:00:00Z"]);
        let envelope = json!({"Type": "Notification", "Message": event.to_string()});
        let reason = event_of(&envelope.to_string()).unwrap_err();
        assert!(
            reason.starts_with("not a CloudTrail event: Message.detail.eventTime: invalid type"),
            "{reason}"
        );
    }
}

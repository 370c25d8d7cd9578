//! The Collector: CloudTrail change events (event queue) and poll events (poll queue) become
//! Current writes.
//!
//! For each message: unwrap an SNS envelope if there is one (off-region forwarders), ask every
//! recorded technology what the event means (`historical::event::collect`), then for each
//! resource named either describe it in its account (through the member role, ExternalId
//! required) and write it to Current unless a newer state is stored, or write its tombstone. A
//! poll event carrying its description (`detail.collected`) is written without a describe. Items
//! carry the event's CloudTrail context (who, from where, which call); the TTL is set per write.
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
use historical::event::{collect, CloudTrailEvent, Collected, Detail, Outcome, ResourceRef};
use historical::timeliness::{check_event_time, sent_timestamp};
use historical::{EventKind, Technology};
use platform::config::{self, ConfigError, Lookup};
use platform::roles::RoleAssumer;
use serde_json::{json, Map, Value};
use tracing::{info, warn};

use super::entry::FromEnv;
use super::settings::{member_roles, own_region, CurrentTables};
use super::{failed_message, FunctionError};
use crate::describe::{AccountClients, AwsDescriber, Describe, Described};
use crate::store::current::Written;
use crate::store::offload::POINTER_ATTRIBUTE;

/// Default Current TTL: a resource not seen for a day (four polls) expires.
pub const DEFAULT_TTL_SECONDS: u64 = 86_400;
/// Messages of one batch handled at once.
pub const CONCURRENCY: usize = 8;

/// The collector's configuration and clients.
pub struct Collector {
    roles: RoleAssumer,
    current: CurrentTables,
    region: String,
    ttl_seconds: u64,
}

impl FromEnv for Collector {
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

/// The CloudTrail context every written item carries (none of it counts as a change).
pub fn context(detail: &Detail) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("eventSource".into(), json!(detail.event_source));
    map.insert("eventName".into(), json!(detail.event_name));
    map.insert("userIdentity".into(), json!(detail.user_identity));
    map.insert("principalId".into(), json!(detail.principal_id()));
    map.insert("userAgent".into(), json!(detail.user_agent));
    map.insert("sourceIpAddress".into(), json!(detail.source_ip_address));
    map.insert("requestParameters".into(), json!(detail.request_parameters));
    map
}

/// A poll event's own description of `resource`, if it carries one in the stored shape.
pub fn carried_description(detail: &Detail, resource: &ResourceRef) -> Option<Described> {
    let described: Described = serde_json::from_value(detail.collected.clone()?).ok()?;
    (described.arn == resource.arn).then_some(described)
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
    ctx: &Collector,
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
            let mut item = described.to_item();
            item.extend(context(detail));
            let written = store
                .put_if_newer(&Value::Object(item), collected.event_time, ctx.ttl_seconds)
                .await?;
            Ok(match written {
                Written::Written => Recorded::Written,
                Written::Stale => Recorded::Stale,
            })
        }
        // `collect` never applies an ignored event; never turn one into a deletion.
        EventKind::Ignore => Ok(Recorded::Ignored),
        EventKind::Delete => {
            let mut tombstone = match store.get(&resource.arn).await? {
                Some(Value::Object(mut stored)) => {
                    for key in ["configuration", POINTER_ATTRIBUTE, "ttl", "eventTime"] {
                        stored.remove(key);
                    }
                    stored
                }
                _ => {
                    let mut fresh = Map::new();
                    fresh.insert("accountId".into(), json!(collected.account));
                    fresh.insert("Region".into(), json!(collected.region));
                    fresh.insert("Tags".into(), json!({}));
                    fresh
                }
            };
            tombstone.extend(context(detail));
            let written = store
                .put_tombstone(
                    &resource.arn,
                    collected.event_time,
                    &Value::Object(tombstone),
                )
                .await?;
            Ok(match written {
                Written::Written => Recorded::Deleted,
                Written::Stale => Recorded::Stale,
            })
        }
    }
}

/// What the recorded technologies do with an event: the technologies that apply it (with what to
/// apply), and why the others ignore it.
type Decision = (Vec<(Technology, Collected)>, Vec<String>);

/// What every recorded technology does with `event`, decided before anything is described or
/// written.
fn decide(ctx: &Collector, id: &str, event: &CloudTrailEvent) -> Result<Decision, FunctionError> {
    let mut applied = Vec::new();
    let mut ignored = Vec::new();
    for tech in ctx.current.technologies() {
        match collect(tech, event, &ctx.region)
            .map_err(|e| FunctionError::invalid(id, e.to_string()))?
        {
            Outcome::Ignore(reason) => ignored.push(format!("{tech}: {reason:?}")),
            Outcome::Apply(collected) => applied.push((tech, collected)),
        }
    }
    Ok((applied, ignored))
}

/// Handles one message; returns how many resources it recorded.
pub async fn collect_message(
    ctx: &Collector,
    message: &SqsMessage,
) -> Result<usize, FunctionError> {
    let id = message.message_id.clone().unwrap_or_default();
    let event = event_of(message.body.as_deref().unwrap_or(""))
        .map_err(|reason| FunctionError::invalid(&id, reason))?;
    let (applied, ignored) = decide(ctx, &id, &event)?;
    if applied.is_empty() {
        info!(message_id = %id, event_name = %event.detail.event_name, reasons = ?ignored, "event ignored");
        return Ok(0);
    }
    // Before any describe or write: an event out of time must never become a Current item's time.
    let received = receive_time(message, Utc::now());
    for (_, collected) in &applied {
        check_event_time(collected.event_time, received).map_err(|source| {
            FunctionError::OutOfTime {
                message_id: id.clone(),
                source,
            }
        })?;
    }
    let mut recorded = 0;
    for (tech, collected) in &applied {
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
    ctx: &'static Collector,
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

    #[test]
    fn the_context_is_taken_from_the_call() {
        let event = event_of(PUT_POLICY).unwrap();
        let context = context(&event.detail);
        assert_eq!(context["eventName"], json!("PutBucketPolicy"));
        assert_eq!(context["eventSource"], json!("s3.amazonaws.com"));
        assert_eq!(context["principalId"], json!(event.detail.principal_id()));
        assert!(context["userIdentity"].is_object());
        assert!(context["requestParameters"]["bucketName"].is_string());
    }

    #[test]
    fn a_carried_description_must_be_of_the_resource() {
        let mut event = event_of(PUT_POLICY).unwrap();
        let described = Described {
            arn: "arn:aws:s3:::mine".into(),
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            configuration: json!({"Versioning": {}}),
            tags: Default::default(),
            version: 10,
            attributes: Map::new(),
        };
        event.detail.collected = Some(json!(described));
        let mine = ResourceRef {
            id: "mine".into(),
            arn: "arn:aws:s3:::mine".into(),
        };
        let other = ResourceRef {
            id: "other".into(),
            arn: "arn:aws:s3:::other".into(),
        };
        assert_eq!(carried_description(&event.detail, &mine), Some(described));
        assert_eq!(carried_description(&event.detail, &other), None);
        event.detail.collected = Some(json!({"GroupId": "sg-1"}));
        assert_eq!(carried_description(&event.detail, &mine), None);
    }
}

//! The Differ's rule: a new Durable revision is written only for an effective change, judged
//! against the latest Durable revision at or before the event's time.
//!
//! Everything is pure: the caller queries Durable (`arn`, `eventTime <= t`, newest first) and
//! hands the revisions here. Consequences, tested below: a duplicate event writes nothing; an
//! older event arriving late is compared with the revision before it (and, as in the original,
//! the revisions after it are not re-judged); a deletion is a tombstone revision (`configuration`
//! `{}`); a TTL expiry writes a deletion marker with the expiry's time and the DynamoDB service
//! as its author; a re-creation after a deletion is `created` again.
//!
//! A Differ message ([`crate::proxy::DifferMessage`]) is judged in four steps, the reads between
//! them the caller's: its [`technology`], the [`source`] of its state (the message's item, a TTL
//! expiry's deletion marker, a re-read of Current, or nothing to judge), the [`incoming`] revision
//! that state would be, and [`judge`]. [`by_arn`] keeps the messages of one resource in order.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::item::durable_item;
use crate::normalise::normalise;
use crate::patch::{diff, PatchOp};
use crate::proxy::{DifferMessage, StreamEvent};
use crate::tech::Technology;

/// Kind of an effective change, the `change` message attribute subscribers filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The resource exists and did not before (or was deleted before).
    Created,
    /// The resource's configuration changed.
    Updated,
    /// The resource no longer exists.
    Deleted,
}

impl ChangeKind {
    /// The wire name (`created`, `updated`, `deleted`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// An effective change: its kind and the RFC 6902 patch from the previous normalised state to
/// the new one, where an absent resource is the document `null` (so `created` is one `replace` of
/// `""` with the new state, and `deleted` one `replace` of `""` with `null`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Created, updated or deleted.
    pub kind: ChangeKind,
    /// Ops turning the previous normalised state into the new one.
    pub patch: Vec<PatchOp>,
}

/// One Durable revision: its range key and the stored item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// The `eventTime` range key.
    pub event_time: DateTime<Utc>,
    /// The stored item (`configuration` `{}` = deleted).
    pub item: Value,
}

/// Whether a stored item is a deletion tombstone: `configuration` empty, null or missing (the
/// original's convention, which subscribers rely on).
pub fn is_deleted(item: &Value) -> bool {
    match item.get("configuration") {
        None | Some(Value::Null) => true,
        Some(Value::Object(map)) => map.is_empty(),
        Some(_) => false,
    }
}

/// The comparable state of an item: `None` for a tombstone, else its normalised form.
pub fn state(tech: Technology, item: &Value) -> Option<Value> {
    (!is_deleted(item)).then(|| normalise(tech, item))
}

/// The effective change between two normalised states (`None` = absent or deleted), if any.
pub fn effective_change(previous: Option<&Value>, current: Option<&Value>) -> Option<Change> {
    match (previous, current) {
        (None, None) => None,
        (None, Some(now)) => Some(Change {
            kind: ChangeKind::Created,
            patch: diff(&Value::Null, now),
        }),
        (Some(_), None) => Some(Change {
            kind: ChangeKind::Deleted,
            patch: vec![PatchOp::Replace {
                path: String::new(),
                value: Value::Null,
            }],
        }),
        (Some(before), Some(now)) => {
            let patch = diff(before, now);
            (!patch.is_empty()).then_some(Change {
                kind: ChangeKind::Updated,
                patch,
            })
        }
    }
}

/// The revision an event at `event_time` is compared with: the latest at or before it
/// (revisions may come in any order).
pub fn revision_to_compare(revisions: &[Revision], event_time: DateTime<Utc>) -> Option<&Revision> {
    revisions
        .iter()
        .filter(|r| r.event_time <= event_time)
        .max_by_key(|r| r.event_time)
}

/// The Differ's decision for an incoming item: `Some(change)` means write `incoming` as a new
/// revision and publish the change; `None` means nothing effectively changed.
pub fn judge(tech: Technology, revisions: &[Revision], incoming: &Revision) -> Option<Change> {
    let previous =
        revision_to_compare(revisions, incoming.event_time).and_then(|r| state(tech, &r.item));
    let current = state(tech, &incoming.item);
    effective_change(previous.as_ref(), current.as_ref())
}

/// `eventTime` as stored (`YYYY-MM-DDTHH:MM:SSZ`, whole seconds: the original's range key).
pub fn format_event_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Whether a DynamoDB stream REMOVE was a TTL expiry: `userIdentity` is the DynamoDB service
/// (as AWS documents it). Other removals were already recorded as tombstones.
pub fn is_ttl_expiry(user_identity: Option<&Value>) -> bool {
    user_identity.is_some_and(|u| {
        u.get("type").and_then(Value::as_str) == Some("Service")
            && u.get("principalId").and_then(Value::as_str) == Some("dynamodb.amazonaws.com")
    })
}

/// The Durable deletion marker for a Current item whose TTL expired at `expired_at` (the stream
/// record's time, not "now" as the original, and without the last write's stale CloudTrail
/// context): the old image minus Current-only fields, `configuration` `{}`.
pub fn ttl_deletion_marker(old_image: &Value, expired_at: DateTime<Utc>) -> Value {
    let mut marker = durable_item(old_image.clone());
    if let Value::Object(map) = &mut marker {
        map.insert("configuration".into(), json!({}));
        map.insert("eventTime".into(), json!(format_event_time(expired_at)));
        map.insert(
            "userIdentity".into(),
            json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"}),
        );
        map.insert("principalId".into(), json!("dynamodb.amazonaws.com"));
        map.insert("eventName".into(), json!("TtlExpiry"));
        for key in ["userAgent", "sourceIpAddress", "requestParameters"] {
            map.insert(key.into(), Value::Null);
        }
    }
    marker
}

/// A Differ message the Differ cannot judge: it is retried, then parked, never dropped.
#[derive(Debug, thiserror::Error)]
pub enum UnjudgeableMessage {
    /// The message's ARN is of no technology Historical records.
    #[error("{0} is no recorded technology's ARN")]
    UnknownArn(String),
    /// A time in the message or its item is not RFC 3339.
    #[error("{what} {value:?}: {source}")]
    BadTime {
        /// `stream_time` or `eventTime`.
        what: &'static str,
        /// The value found.
        value: String,
        /// Why it did not parse.
        source: chrono::ParseError,
    },
    /// A REMOVE by the TTL without the old image its deletion marker is made of.
    #[error("a TTL expiry without its old image")]
    TtlExpiryWithoutImage,
    /// The item has no `eventTime`, the revision's key.
    #[error("the item has no eventTime")]
    NoEventTime,
}

/// The technology of a Differ message, from its ARN.
pub fn technology(message: &DifferMessage) -> Result<Technology, UnjudgeableMessage> {
    Technology::of_arn(&message.arn)
        .ok_or_else(|| UnjudgeableMessage::UnknownArn(message.arn.clone()))
}

fn parse_time(what: &'static str, value: &str) -> Result<DateTime<Utc>, UnjudgeableMessage> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|source| UnjudgeableMessage::BadTime {
            what,
            value: value.to_string(),
            source,
        })
}

/// Where the Differ finds the state a message is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A REMOVE that follows a tombstone: the deletion is already recorded, nothing to judge.
    RemovalAfterTombstone,
    /// A TTL expiry: this deletion marker ([`ttl_deletion_marker`]) is the state.
    TtlExpiry(Value),
    /// The message's item, its configuration to be resolved from S3 if it was offloaded.
    Image(Value),
    /// The item was too big to send: re-read Current by ARN.
    ReadCurrent,
}

/// Where the state of `message` comes from (see [`Source`]).
pub fn source(message: &DifferMessage) -> Result<Source, UnjudgeableMessage> {
    match (message.event_name, &message.item) {
        (StreamEvent::Remove, _) if !message.ttl_expiry => Ok(Source::RemovalAfterTombstone),
        (StreamEvent::Remove, Some(old)) => {
            let expired_at = parse_time("stream_time", &message.stream_time)?;
            Ok(Source::TtlExpiry(ttl_deletion_marker(old, expired_at)))
        }
        (StreamEvent::Remove, None) => Err(UnjudgeableMessage::TtlExpiryWithoutImage),
        (_, Some(item)) => Ok(Source::Image(item.clone())),
        (_, None) => Ok(Source::ReadCurrent),
    }
}

/// The revision a Current state would be: its Durable item ([`durable_item`]) at its `eventTime`.
pub fn incoming(item: Value) -> Result<Revision, UnjudgeableMessage> {
    let item = durable_item(item);
    let time = item
        .get("eventTime")
        .and_then(Value::as_str)
        .ok_or(UnjudgeableMessage::NoEventTime)?
        .to_string();
    Ok(Revision {
        event_time: parse_time("eventTime", &time)?,
        item,
    })
}

/// Messages (each with its id) grouped by ARN, each group in arrival order, groups in order of
/// first arrival: changes of one resource are judged in order, different resources at once.
pub fn by_arn<T>(messages: Vec<(T, DifferMessage)>) -> Vec<Vec<(T, DifferMessage)>> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<(T, DifferMessage)>> = BTreeMap::new();
    for (id, message) in messages {
        if !groups.contains_key(&message.arn) {
            order.push(message.arn.clone());
        }
        groups
            .entry(message.arn.clone())
            .or_default()
            .push((id, message));
    }
    order
        .into_iter()
        .filter_map(|arn| groups.remove(&arn))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(arn: &str, time: &str) -> DifferMessage {
        DifferMessage {
            arn: arn.into(),
            event_time: Some(time.into()),
            event_name: StreamEvent::Modify,
            stream_time: time.into(),
            ttl_expiry: false,
            item: Some(json!({"arn": arn})),
            item_too_big: false,
        }
    }

    #[test]
    fn messages_of_one_arn_stay_in_order() {
        let batch = vec![
            ("1", message("arn:aws:s3:::a", "2026-01-01T00:00:02Z")),
            ("2", message("arn:aws:s3:::b", "2026-01-01T00:00:01Z")),
            ("3", message("arn:aws:s3:::a", "2026-01-01T00:00:01Z")),
        ];
        let groups = by_arn(batch);
        let ids: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.iter().map(|(id, _)| *id).collect())
            .collect();
        assert_eq!(ids, vec![vec!["1", "3"], vec!["2"]]);
    }

    #[test]
    fn the_source_of_each_kind_of_message() {
        let mut m = message("arn:aws:s3:::a", "2026-01-01T00:00:02Z");
        assert_eq!(technology(&m).unwrap(), Technology::S3);
        assert_eq!(
            source(&m).unwrap(),
            Source::Image(json!({"arn": "arn:aws:s3:::a"}))
        );
        m.item = None;
        m.item_too_big = true;
        assert_eq!(source(&m).unwrap(), Source::ReadCurrent);

        m.event_name = StreamEvent::Remove;
        assert_eq!(source(&m).unwrap(), Source::RemovalAfterTombstone);
        m.ttl_expiry = true;
        assert!(matches!(
            source(&m),
            Err(UnjudgeableMessage::TtlExpiryWithoutImage)
        ));
        m.item = Some(json!({"arn": "arn:aws:s3:::a", "ttl": 5, "Region": "eu-west-1"}));
        let Source::TtlExpiry(marker) = source(&m).unwrap() else {
            panic!("not a marker");
        };
        assert_eq!(marker["eventTime"], "2026-01-01T00:00:02Z");
        assert!(is_deleted(&marker) && marker.get("ttl").is_none());
        m.stream_time = "soon".into();
        let err = source(&m).unwrap_err().to_string();
        assert!(err.starts_with("stream_time \"soon\": "), "{err}");

        m.arn = "arn:aws:sqs:us-east-1:1:q".into();
        assert_eq!(
            technology(&m).unwrap_err().to_string(),
            "arn:aws:sqs:us-east-1:1:q is no recorded technology's ARN"
        );
    }

    #[test]
    fn the_incoming_revision_is_the_durable_item_at_its_time() {
        let r =
            incoming(json!({"arn": "a", "eventTime": "2026-01-01T00:00:02Z", "ttl": 1})).unwrap();
        assert_eq!(format_event_time(r.event_time), "2026-01-01T00:00:02Z");
        assert_eq!(
            r.item,
            json!({"arn": "a", "eventTime": "2026-01-01T00:00:02Z"})
        );
        assert_eq!(
            incoming(json!({"arn": "a"})).unwrap_err().to_string(),
            "the item has no eventTime"
        );
        assert!(matches!(
            incoming(json!({"arn": "a", "eventTime": "t"})),
            Err(UnjudgeableMessage::BadTime {
                what: "eventTime",
                ..
            })
        ));
    }
}

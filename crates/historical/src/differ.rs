//! The Differ's rule: a new Durable revision is written only for an effective change, judged
//! against the latest Durable revision at or before the event's time.
//!
//! Everything is pure: the caller queries Durable (`arn`, `eventTime <= t`, newest first) and
//! hands the revisions here. Consequences, tested below: a duplicate event writes nothing; an
//! older event arriving late is compared with the revision before it (and, as in the original,
//! the revisions after it are not re-judged); a deletion is a tombstone revision (`configuration`
//! `{}`); a TTL expiry writes a deletion marker with the expiry's time and the DynamoDB service
//! as its author; a re-creation after a deletion is `created` again.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::normalise::normalise;
use crate::patch::{diff, PatchOp};
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
    let mut marker = old_image.clone();
    if let Value::Object(map) = &mut marker {
        map.retain(|k, _| k != "ttl" && k != "eventSource" && !k.starts_with("aws:rep:"));
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

//! The Durable change message published on SNS for every new revision.
//!
//! It keeps the original's simple schema, `{arn, event_time, tech, item | event_too_big}`, and
//! adds `change: {kind, patch}` (RFC 6902 from the previous normalised revision) and SNS message
//! attributes (`tech`, `account`, `region`, `change`) for filter policies.
//!
//! SNS refuses messages over 262,144 bytes, counting the body and every attribute's name, type and
//! value. When the whole message would be larger, `item` is left out, `event_too_big: true` is
//! set and `durable_key: {arn, eventTime}` says where to read the revision (the original's
//! contract: re-read Durable by its key); if the patch alone is still too large it is left out
//! too (`change.patch_omitted: true`), and the subscriber diffs the two revisions itself.
//! The original's `"<empty>"` placeholder is published as `""` (whole values only, not
//! substrings as the original's text replacement did).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::differ::{Change, ChangeKind};
use crate::normalise::EMPTY_PLACEHOLDER;
use crate::patch::PatchOp;
use crate::tech::Technology;

/// SNS's maximum message size in bytes (body plus attributes).
pub const SNS_MESSAGE_LIMIT: usize = 262_144;

/// Where a subscriber reads a revision left out of a message: the Durable table's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurableKey {
    /// Hash key.
    pub arn: String,
    /// Range key, `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(rename = "eventTime")]
    pub event_time: String,
}

/// The change carried by a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSummary {
    /// `created`, `updated` or `deleted`.
    pub kind: ChangeKind,
    /// The patch (empty when omitted).
    #[serde(default)]
    pub patch: Vec<PatchOp>,
    /// Set when the patch was too large to publish.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub patch_omitted: bool,
}

/// The SNS message body for one new Durable revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurableMessage {
    /// The resource's ARN.
    pub arn: String,
    /// The revision's `eventTime`.
    pub event_time: String,
    /// The technology id.
    pub tech: Technology,
    /// The stored revision, when the message fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Value>,
    /// Set instead of `item` when the message would not fit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub event_too_big: bool,
    /// Where to read the revision when `event_too_big`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable_key: Option<DurableKey>,
    /// The effective change.
    pub change: ChangeSummary,
}

/// A message ready for `sns:Publish`.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    /// The message as built.
    pub message: DurableMessage,
    /// Its JSON text (`Message`).
    pub body: String,
    /// `MessageAttributes`, all of type `String`.
    pub attributes: BTreeMap<String, String>,
}

/// A revision that cannot be published as a message.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The stored item lacks a field the message or its attributes need.
    #[error("Durable item has no string field {0:?}")]
    MissingField(&'static str),
    /// Serialisation failed (cannot happen for JSON values; kept typed, not unwrapped).
    #[error("cannot serialise the message: {0}")]
    Json(#[from] serde_json::Error),
}

fn field<'a>(item: &'a Value, name: &'static str) -> Result<&'a str, MessageError> {
    item.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(MessageError::MissingField(name))
}

fn without_placeholder(value: Value) -> Value {
    match value {
        Value::String(s) if s == EMPTY_PLACEHOLDER => Value::String(String::new()),
        Value::Array(items) => Value::Array(items.into_iter().map(without_placeholder).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_placeholder(v)))
                .collect(),
        ),
        other => other,
    }
}

impl DurableMessage {
    /// SNS message attributes for filter policies: `tech`, `account` (`accountId`), `region`
    /// (`Region`), `change` (kind). Every value is a non-empty string, as SNS requires.
    pub fn message_attributes(&self, account: &str, region: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("tech".to_string(), self.tech.id().to_string()),
            ("account".to_string(), account.to_string()),
            ("region".to_string(), region.to_string()),
            ("change".to_string(), self.change.kind.as_str().to_string()),
        ])
    }
}

/// Bytes SNS counts for a message: the body plus each attribute's name, type and value.
pub fn sns_size(body: &str, attributes: &BTreeMap<String, String>) -> usize {
    body.len()
        + attributes
            .iter()
            .map(|(k, v)| k.len() + "String".len() + v.len())
            .sum::<usize>()
}

/// Build the message for a new revision `item` of `tech` with its `change`, within `limit` bytes
/// (use [`SNS_MESSAGE_LIMIT`]).
pub fn publication(
    tech: Technology,
    item: &Value,
    change: &Change,
    limit: usize,
) -> Result<Publication, MessageError> {
    let arn = field(item, "arn")?.to_string();
    let event_time = field(item, "eventTime")?.to_string();
    let account = field(item, "accountId")?.to_string();
    let region = field(item, "Region")?.to_string();
    let mut message = DurableMessage {
        arn: arn.clone(),
        event_time: event_time.clone(),
        tech,
        item: Some(without_placeholder(item.clone())),
        event_too_big: false,
        durable_key: None,
        change: ChangeSummary {
            kind: change.kind,
            patch: change.patch.clone(),
            patch_omitted: false,
        },
    };
    let attributes = message.message_attributes(&account, &region);
    let mut body = serde_json::to_string(&message)?;
    if sns_size(&body, &attributes) > limit {
        message.item = None;
        message.event_too_big = true;
        message.durable_key = Some(DurableKey { arn, event_time });
        body = serde_json::to_string(&message)?;
    }
    if sns_size(&body, &attributes) > limit {
        message.change.patch.clear();
        message.change.patch_omitted = true;
        body = serde_json::to_string(&message)?;
    }
    Ok(Publication {
        message,
        body,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(policy_len: usize) -> Value {
        json!({"arn": "arn:aws:s3:::b", "eventTime": "2024-01-02T03:04:05Z",
               "accountId": "123456789012", "Region": "eu-west-1", "BucketName": "b",
               "Tags": {"Owner": "<empty>"}, "version": 9,
               "configuration": {"Policy": "x".repeat(policy_len)}})
    }

    fn change(patch_len: usize) -> Change {
        Change {
            kind: ChangeKind::Updated,
            patch: vec![PatchOp::Replace {
                path: "/configuration/Policy".into(),
                value: json!("y".repeat(patch_len)),
            }],
        }
    }

    #[test]
    fn small_message_keeps_the_item_and_round_trips() {
        let p = publication(Technology::S3, &item(10), &change(10), SNS_MESSAGE_LIMIT).unwrap();
        let v: Value = serde_json::from_str(&p.body).unwrap();
        assert_eq!(v["arn"], "arn:aws:s3:::b");
        assert_eq!(v["event_time"], "2024-01-02T03:04:05Z");
        assert_eq!(v["tech"], "s3");
        assert_eq!(v["item"]["Tags"]["Owner"], "");
        assert_eq!(v["change"]["kind"], "updated");
        assert_eq!(v["change"]["patch"][0]["op"], "replace");
        assert!(v.get("event_too_big").is_none());
        let back: DurableMessage = serde_json::from_str(&p.body).unwrap();
        assert_eq!(back, p.message);
        assert_eq!(
            p.attributes,
            BTreeMap::from([
                ("account".into(), "123456789012".into()),
                ("change".into(), "updated".into()),
                ("region".into(), "eu-west-1".into()),
                ("tech".into(), "s3".into()),
            ])
        );
    }

    #[test]
    fn too_big_drops_the_item_then_the_patch() {
        let p = publication(
            Technology::S3,
            &item(300_000),
            &change(10),
            SNS_MESSAGE_LIMIT,
        )
        .unwrap();
        assert!(p.message.event_too_big && p.message.item.is_none());
        assert_eq!(
            p.message.durable_key,
            Some(DurableKey {
                arn: "arn:aws:s3:::b".into(),
                event_time: "2024-01-02T03:04:05Z".into()
            })
        );
        assert_eq!(p.message.change.patch.len(), 1);
        assert!(sns_size(&p.body, &p.attributes) <= SNS_MESSAGE_LIMIT);
        let back: DurableMessage = serde_json::from_str(&p.body).unwrap();
        assert_eq!(back, p.message);

        let p = publication(
            Technology::S3,
            &item(300_000),
            &change(300_000),
            SNS_MESSAGE_LIMIT,
        )
        .unwrap();
        assert!(p.message.event_too_big && p.message.change.patch_omitted);
        assert!(p.message.change.patch.is_empty());
        assert!(sns_size(&p.body, &p.attributes) <= SNS_MESSAGE_LIMIT);
    }

    #[test]
    fn the_limit_is_exact_in_bytes() {
        let p = publication(Technology::S3, &item(1000), &change(10), SNS_MESSAGE_LIMIT).unwrap();
        let size = sns_size(&p.body, &p.attributes);
        let fits = publication(Technology::S3, &item(1000), &change(10), size).unwrap();
        assert!(!fits.message.event_too_big);
        let over = publication(Technology::S3, &item(1000), &change(10), size - 1).unwrap();
        assert!(over.message.event_too_big);
        // multi-byte characters are counted in bytes, not characters
        let mut wide = item(0);
        wide["configuration"]["Policy"] = json!("é".repeat(140_000));
        let p = publication(Technology::S3, &wide, &change(10), SNS_MESSAGE_LIMIT).unwrap();
        assert!(p.message.event_too_big);
    }

    #[test]
    fn missing_fields_are_typed_errors() {
        let mut i = item(1);
        i.as_object_mut().unwrap().remove("Region");
        assert!(matches!(
            publication(Technology::S3, &i, &change(1), SNS_MESSAGE_LIMIT),
            Err(MessageError::MissingField("Region"))
        ));
    }
}

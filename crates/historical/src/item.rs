//! The items Historical stores, and how each is built: a Current item per resource (its
//! description plus the CloudTrail context of the write), a Current tombstone per deletion, and a
//! Durable revision per effective change (the Current item without its Current-only fields, with
//! the change recorded on it).
//!
//! Two attributes are added by the stores and read by the stream proxies:
//! [`POINTER_ATTRIBUTE`] (a configuration too large for DynamoDB, kept in S3) and
//! [`CHANGE_ATTRIBUTE`] (the Differ's change on a revision).

use serde_json::{json, Map, Value};

use crate::differ::Change;
use crate::event::{Collected, Detail};
use crate::message::ChangeSummary;
use crate::resource::Described;

/// The attribute holding the S3 pointer in place of `configuration` (an offloaded item).
pub const POINTER_ATTRIBUTE: &str = "configuration_s3";
/// The attribute holding a Durable revision's effective change (`{kind, patch, patch_omitted}`).
pub const CHANGE_ATTRIBUTE: &str = "change";

/// Whether an item (a raw stream image, say) has its configuration in S3. Until resolved, such an
/// item has no `configuration`, which [`crate::differ::is_deleted`] reads as a deletion: anything
/// reading raw images must check this first.
pub fn is_offloaded(item: &Value) -> bool {
    item.get(POINTER_ATTRIBUTE).is_some()
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

/// The Current item of a described resource, written for the event whose record is `detail`.
pub fn current_item(described: &Described, detail: &Detail) -> Value {
    let mut item = described.to_item();
    item.extend(context(detail));
    Value::Object(item)
}

/// The tombstone of a deleted resource (the Current store adds `arn`, `configuration` `{}`, the
/// time and its TTL): the stored item's attributes without its configuration, TTL and time, or,
/// when nothing is stored, the account, region and no tags from the event; then the event's
/// CloudTrail context.
pub fn tombstone(stored: Option<Value>, collected: &Collected, detail: &Detail) -> Value {
    let mut tombstone = match stored {
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
    Value::Object(tombstone)
}

/// A Current item as a Durable revision's item: without `ttl`, `eventSource` and the global-table
/// `aws:rep:*` attributes (the original's Current → Durable rule).
pub fn durable_item(mut item: Value) -> Value {
    if let Value::Object(map) = &mut item {
        map.retain(|k, _| k != "ttl" && k != "eventSource" && !k.starts_with("aws:rep:"));
    }
    item
}

/// `item` with `change` recorded as its [`CHANGE_ATTRIBUTE`].
pub fn with_change(mut item: Value, change: &Change) -> Value {
    if let Some(map) = item.as_object_mut() {
        let summary = ChangeSummary {
            kind: change.kind,
            patch: change.patch.clone(),
            patch_omitted: false,
        };
        map.insert(CHANGE_ATTRIBUTE.into(), json!(summary));
    }
    item
}

/// `item` with its change's patch left out (`{kind, patch: [], patch_omitted: true}`: the
/// subscriber diffs the two revisions itself); `false` if it had no change.
pub fn omit_patch(item: &mut Value) -> bool {
    let Some(change) = item
        .get_mut(CHANGE_ATTRIBUTE)
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    change.insert("patch".into(), json!([]));
    change.insert("patch_omitted".into(), json!(true));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{collect, CloudTrailEvent, Outcome};
    use crate::{ChangeKind, PatchOp, Technology};
    use std::collections::BTreeMap;

    const PUT_POLICY: &str = include_str!("../fixtures/s3-put-bucket-policy.json");
    const DELETE_BUCKET: &str = include_str!("../fixtures/s3-delete-bucket.json");

    fn collected(event: &CloudTrailEvent) -> Collected {
        match collect(Technology::S3, event, "us-east-1").unwrap() {
            Outcome::Apply(c) => c,
            Outcome::Ignore(why) => panic!("ignored: {why:?}"),
        }
    }

    #[test]
    fn the_context_is_taken_from_the_call() {
        let event = CloudTrailEvent::from_json(PUT_POLICY).unwrap();
        let context = context(&event.detail);
        assert_eq!(context["eventName"], json!("PutBucketPolicy"));
        assert_eq!(context["eventSource"], json!("s3.amazonaws.com"));
        assert_eq!(context["principalId"], json!(event.detail.principal_id()));
        assert!(context["userIdentity"].is_object());
        assert!(context["requestParameters"]["bucketName"].is_string());
    }

    #[test]
    fn a_current_item_is_the_description_and_the_context() {
        let event = CloudTrailEvent::from_json(PUT_POLICY).unwrap();
        let described = Described {
            arn: "arn:aws:s3:::b".into(),
            account_id: "123456789012".into(),
            region: "eu-west-1".into(),
            configuration: json!({"Policy": {}}),
            tags: BTreeMap::new(),
            version: 10,
            attributes: Map::new(),
        };
        let item = current_item(&described, &event.detail);
        assert_eq!(item["configuration"], json!({"Policy": {}}));
        assert_eq!(item["Region"], "eu-west-1");
        assert_eq!(item["eventName"], "PutBucketPolicy");
        assert_eq!(item["principalId"], json!(event.detail.principal_id()));
    }

    #[test]
    fn a_tombstone_keeps_what_was_stored_but_its_configuration_and_time() {
        let event = CloudTrailEvent::from_json(DELETE_BUCKET).unwrap();
        let collected = collected(&event);
        let stored = json!({
            "arn": "arn:aws:s3:::b", "accountId": "123456789012", "Region": "eu-west-2",
            "Tags": {"Owner": "ops"}, "configuration": {"Versioning": {}},
            "configuration_s3": {"key": "k"}, "ttl": 1, "eventTime": "2024-01-01T00:00:00Z",
            "eventName": "PutBucketVersioning", "BucketName": "b"
        });
        let t = tombstone(Some(stored), &collected, &event.detail);
        for gone in ["configuration", "configuration_s3", "ttl", "eventTime"] {
            assert!(t.get(gone).is_none(), "{gone}: {t}");
        }
        assert_eq!(t["Tags"], json!({"Owner": "ops"}));
        assert_eq!(t["Region"], "eu-west-2");
        assert_eq!(t["BucketName"], "b");
        assert_eq!(t["eventName"], "DeleteBucket");

        // nothing stored (or not an object): the event's account and region, no tags
        for stored in [None, Some(json!("x"))] {
            let t = tombstone(stored, &collected, &event.detail);
            assert_eq!(t["accountId"], json!(collected.account));
            assert_eq!(t["Region"], json!(collected.region));
            assert_eq!(t["Tags"], json!({}));
            assert_eq!(t["eventName"], "DeleteBucket");
            assert!(t.get("configuration").is_none());
        }
    }

    #[test]
    fn current_only_fields_are_left_out_of_revisions() {
        let item = json!({
            "arn": "a", "eventTime": "t", "ttl": 1, "eventSource": "s3.amazonaws.com",
            "aws:rep:updatetime": 1, "configuration": {"x": 1}, "eventName": "PutBucketPolicy"
        });
        assert_eq!(
            durable_item(item),
            json!({"arn": "a", "eventTime": "t", "configuration": {"x": 1}, "eventName": "PutBucketPolicy"})
        );
    }

    #[test]
    fn the_change_rides_on_the_revision() {
        let change = Change {
            kind: ChangeKind::Updated,
            patch: vec![PatchOp::Replace {
                path: "/configuration/a".into(),
                value: json!(1),
            }],
        };
        let mut item = with_change(json!({"arn": "a"}), &change);
        let summary: ChangeSummary = serde_json::from_value(item["change"].clone()).unwrap();
        assert_eq!(summary.kind, ChangeKind::Updated);
        assert_eq!(summary.patch, change.patch);
        assert!(omit_patch(&mut item));
        let summary: ChangeSummary = serde_json::from_value(item["change"].clone()).unwrap();
        assert!(summary.patch_omitted && summary.patch.is_empty());
        assert!(!omit_patch(&mut json!({"arn": "a"})));
    }

    #[test]
    fn offloaded_items_are_recognised() {
        assert!(is_offloaded(&json!({"arn": "a", "configuration_s3": {}})));
        assert!(!is_offloaded(&json!({"configuration": {}})));
    }
}

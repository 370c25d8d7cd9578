//! A resource as a listing finds it ([`Listed`]) and as a describe returns it ([`Described`]): what
//! the AWS crate's describers produce and the poller and collector pass on.
//!
//! What a description holds is the item the original stored (minus the CloudTrail context the
//! collector adds, [`crate::item::context`]): `arn`, `accountId`, `Region`, `configuration`,
//! `Tags` (flattened), the technology's top-level attributes and `version`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::{Detail, ResourceRef};

/// One resource found by a listing: enough for the poller to build its synthetic event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    /// The resource id the collector describes (bucket name, group id, VPC id, role name).
    pub id: String,
    /// The resource's region (a bucket's own region; `us-east-1` for IAM roles).
    pub region: String,
    /// Creation time (ISO 8601) when the listing reports it (buckets, roles).
    pub created: Option<String>,
    /// The full description when the listing already carries it (security groups, as the
    /// original poller sent them as `collected`); `None` means the collector must describe.
    pub described: Option<Described>,
}

/// A resource as stored: the original's item fields without the CloudTrail context. Serialises to
/// the item's attribute names (`arn`, `accountId`, `Region`, `configuration`, `Tags`, `version`
/// and the technology's top-level attributes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Described {
    /// The resource's ARN, from the technology's rules.
    pub arn: String,
    /// The account the resource lives in.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// The resource's region (the proxy filters on it).
    #[serde(rename = "Region")]
    pub region: String,
    /// The resource's configuration in the AWS API's JSON names.
    pub configuration: Value,
    /// Tags as `{Key: Value}`.
    #[serde(rename = "Tags")]
    pub tags: BTreeMap<String, String>,
    /// The schema version of this technology's items.
    pub version: u32,
    /// The technology's top-level attributes (`BucketName`, `GroupId`, ...).
    #[serde(flatten)]
    pub attributes: Map<String, Value>,
}

impl Described {
    /// The item as a JSON object, the attributes the collector writes (before its context).
    pub fn to_item(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// A poll event's own description of `resource` (`detail.collected`), if it carries one in the
/// stored shape and of that resource: the collector then writes it without describing again.
pub fn carried_description(detail: &Detail, resource: &ResourceRef) -> Option<Described> {
    let described: Described = serde_json::from_value(detail.collected.clone()?).ok()?;
    (described.arn == resource.arn).then_some(described)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::CloudTrailEvent;
    use serde_json::json;

    const PUT_POLICY: &str = include_str!("../fixtures/s3-put-bucket-policy.json");

    fn bucket(name: &str) -> Described {
        let mut attributes = Map::new();
        attributes.insert("BucketName".into(), json!(name));
        Described {
            arn: format!("arn:aws:s3:::{name}"),
            account_id: "123456789012".into(),
            region: "eu-west-1".into(),
            configuration: json!({"Versioning": {}}),
            tags: BTreeMap::from([("k".to_string(), "v".to_string())]),
            version: 10,
            attributes,
        }
    }

    #[test]
    fn item_names() {
        assert_eq!(
            Value::Object(bucket("b").to_item()),
            json!({"arn": "arn:aws:s3:::b", "accountId": "123456789012", "Region": "eu-west-1",
                   "configuration": {"Versioning": {}}, "Tags": {"k": "v"}, "version": 10,
                   "BucketName": "b"})
        );
    }

    #[test]
    fn a_carried_description_must_be_of_the_resource() {
        let mut event = CloudTrailEvent::from_json(PUT_POLICY).unwrap();
        let described = bucket("mine");
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
        event.detail.collected = None;
        assert_eq!(carried_description(&event.detail, &mine), None);
    }
}

//! The technologies Historical records, behind one trait.
//!
//! A technology is one module implementing [`TechnologyRules`]: how its ARN is built, which
//! CloudTrail event names update, delete or are ignored, where an event names the resource, and
//! which fields of a stored item never count as a change. Adding a technology is one module here,
//! one [`Technology`] variant, and its template lines.

mod iam_role;
mod s3;
mod security_group;
mod vpc;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::Detail;

/// A technology Historical records; the ids are the original's `tech` names (`s3`,
/// `securitygroup`, `vpc`) plus `iamrole`, because subscribers filter and route on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Technology {
    /// S3 buckets (`s3`).
    #[serde(rename = "s3")]
    S3,
    /// EC2 security groups (`securitygroup`).
    #[serde(rename = "securitygroup")]
    SecurityGroup,
    /// VPCs (`vpc`).
    #[serde(rename = "vpc")]
    Vpc,
    /// IAM roles (`iamrole`), which the original announced and never shipped.
    #[serde(rename = "iamrole")]
    IamRole,
}

/// An unknown technology id, so configuration errors name what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown technology {0:?} (expected one of s3, securitygroup, vpc, iamrole)")]
pub struct UnknownTechnology(pub String);

impl Technology {
    /// Every technology, so tests and templates can iterate over them.
    pub const ALL: [Technology; 4] = [
        Technology::S3,
        Technology::SecurityGroup,
        Technology::Vpc,
        Technology::IamRole,
    ];

    /// The wire id (`tech` in messages and the `tech` message attribute).
    pub fn id(self) -> &'static str {
        match self {
            Technology::S3 => "s3",
            Technology::SecurityGroup => "securitygroup",
            Technology::Vpc => "vpc",
            Technology::IamRole => "iamrole",
        }
    }

    /// The technology whose ARNs look like `arn` (`arn:<partition>:<service>:…:<resource>`).
    pub fn of_arn(arn: &str) -> Option<Technology> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_), Some(service), Some(_), Some(_), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        Technology::ALL.into_iter().find(|t| {
            let (s, prefix) = t.rules().arn_service_and_resource();
            s == service && resource.starts_with(prefix) && resource.len() > prefix.len()
        })
    }

    /// The rules of this technology, so callers hold a `Technology` and never a trait object.
    pub fn rules(self) -> &'static dyn TechnologyRules {
        match self {
            Technology::S3 => &s3::S3Rules,
            Technology::SecurityGroup => &security_group::SecurityGroupRules,
            Technology::Vpc => &vpc::VpcRules,
            Technology::IamRole => &iam_role::IamRoleRules,
        }
    }
}

impl fmt::Display for Technology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Technology {
    type Err = UnknownTechnology;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Technology::ALL
            .into_iter()
            .find(|t| t.id() == s)
            .ok_or_else(|| UnknownTechnology(s.to_string()))
    }
}

/// What the collector does with an event: describe the resource again, record its deletion, or
/// nothing. An unknown event name is `Ignore`, never `Delete` (the original deleted on any name it
/// did not know, which falsely deleted security groups on rule-description updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The resource may have changed: describe it and write Current.
    Update,
    /// The resource was deleted: write a tombstone.
    Delete,
    /// Not a change of this technology's resources.
    Ignore,
}

/// Fields of every stored item that never count as a change: the CloudTrail context of the write,
/// the table keys, the Current-only fields, as the original's `pop_no_diff_fields` (plus keys,
/// which PynamoDB excluded implicitly, and the Durable revision's stored `change`). Attributes starting with `aws:rep:` (2017 global tables)
/// are dropped as well.
pub const CONTEXT_FIELDS: &[&str] = &[
    "arn",
    "eventTime",
    "eventSource",
    "ttl",
    "userIdentity",
    "principalId",
    "userAgent",
    "sourceIpAddress",
    "sourceIPAddress",
    "requestParameters",
    "responseElements",
    "eventName",
    // The Durable revision's own record of its change (the Differ stores it on the revision).
    "change",
];

/// A path into a stored item, one key per level; `*` matches every element of an array or every
/// value of an object. Used for fields that do not count and for JSON documents held as strings.
pub type FieldPath = &'static [&'static str];

/// The rules of one technology. Pure: no AWS calls, so every Lambda and test shares them.
pub trait TechnologyRules: Sync {
    /// Which technology these rules describe.
    fn technology(&self) -> Technology;

    /// CloudTrail `eventSource` of the technology's API calls (the EventBridge rule matches it).
    fn event_source(&self) -> &'static str;

    /// The synthetic poll event name (`PollS3`, ...), always an update.
    fn poll_event_name(&self) -> &'static str;

    /// The `eventSource` the poller stamps on its synthetic events.
    fn poll_event_source(&self) -> &'static str;

    /// CloudTrail event names that may change a resource (the poll name excluded).
    fn update_events(&self) -> &'static [&'static str];

    /// CloudTrail event names that delete a resource.
    fn delete_events(&self) -> &'static [&'static str];

    /// The resource's ARN from its account, region and id. Ids are what
    /// [`TechnologyRules::resource_ids`] returns (for IAM roles, optionally with the path).
    fn arn(&self, account: &str, region: &str, id: &str) -> String;

    /// The ARN's service and the prefix of its resource part (`("ec2", "vpc/")`), so an ARN alone
    /// says which technology's tables hold it (the Differ and the CLI route on it).
    fn arn_service_and_resource(&self) -> (&'static str, &'static str);

    /// The ids of the resources an event is about; several where AWS allows one call to touch
    /// several resources (EC2 `CreateTags`). Empty when the event names none of this technology.
    fn resource_ids(&self, detail: &Detail) -> Vec<String>;

    /// Where [`TechnologyRules::resource_ids`] looks, for an error that names the fields when an
    /// event names no resource (`requestParameters.bucketName`).
    fn resource_id_fields(&self) -> &'static str;

    /// Paths of the stored item (besides [`CONTEXT_FIELDS`]) that never count as a change.
    fn ignored_paths(&self) -> &'static [FieldPath];

    /// Paths whose string value is a JSON document (policies): compared as parsed JSON, so a
    /// reformatted or reordered policy is no change.
    fn embedded_json_paths(&self) -> &'static [FieldPath];

    /// The kind of an event name: the poll name and the update list are updates, the delete
    /// list deletes, anything else is ignored.
    fn event_kind(&self, event_name: &str) -> EventKind {
        if event_name == self.poll_event_name() || self.update_events().contains(&event_name) {
            EventKind::Update
        } else if self.delete_events().contains(&event_name) {
            EventKind::Delete
        } else {
            EventKind::Ignore
        }
    }
}

/// The region where CloudTrail records global services (IAM), and the region of IAM descriptions
/// and of their poll tasks.
pub const GLOBAL_REGION: &str = "us-east-1";

/// The AWS partition of a region, so ARNs outside the commercial partition are right.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The first non-empty string under one of `keys` in `value`, or in one of its direct object
/// children (CloudTrail nests some request shapes one level, e.g.
/// `ModifySecurityGroupRulesRequest`). An empty string names no resource.
pub(crate) fn find_id(value: Option<&Value>, keys: &[&str]) -> Option<String> {
    fn id_in<'v>(object: &'v serde_json::Map<String, Value>, keys: &[&str]) -> Option<&'v str> {
        keys.iter().find_map(|k| {
            object
                .get(*k)
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
        })
    }
    let object = value?.as_object()?;
    id_in(object, keys)
        .or_else(|| {
            object
                .values()
                .filter_map(Value::as_object)
                .find_map(|child| id_in(child, keys))
        })
        .map(str::to_string)
}

/// Resource ids of EC2 `CreateTags`/`DeleteTags` (`resourcesSet.items[].resourceId`) with the
/// given prefix (`sg-`, `vpc-`): one call may tag many resources of several kinds.
pub(crate) fn tagged_ec2_ids(detail: &Detail, prefix: &str) -> Vec<String> {
    let items = detail
        .request_parameters
        .as_ref()
        .and_then(|p| p.pointer("/resourcesSet/items"))
        .and_then(Value::as_array);
    items
        .into_iter()
        .flatten()
        .filter_map(|item| item.get("resourceId").and_then(Value::as_str))
        .filter(|id| id.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// Ids in order of appearance without repeats, so an event naming a resource twice yields one id.
pub(crate) fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for t in Technology::ALL {
            assert_eq!(t.id().parse::<Technology>().unwrap(), t);
            assert_eq!(t.rules().technology(), t);
            assert_eq!(serde_json::to_value(t).unwrap(), Value::from(t.id()));
        }
        assert!("iam".parse::<Technology>().is_err());
    }

    #[test]
    fn unknown_names_are_ignored_never_deleted() {
        for t in Technology::ALL {
            let r = t.rules();
            assert_eq!(r.event_kind("SomethingNew"), EventKind::Ignore);
            assert_eq!(r.event_kind(r.poll_event_name()), EventKind::Update);
            for name in r.update_events() {
                assert_eq!(r.event_kind(name), EventKind::Update, "{t} {name}");
                assert!(
                    !r.delete_events().contains(name),
                    "{t} {name} in both lists"
                );
            }
            for name in r.delete_events() {
                assert_eq!(r.event_kind(name), EventKind::Delete, "{t} {name}");
            }
        }
        let sg = Technology::SecurityGroup.rules();
        assert_eq!(
            sg.event_kind("UpdateSecurityGroupRuleDescriptionsIngress"),
            EventKind::Update
        );
    }

    #[test]
    fn technologies_are_found_from_their_arns() {
        let a = "123456789012";
        for tech in Technology::ALL {
            let arn = tech.rules().arn(a, "eu-west-1", "x-1");
            assert_eq!(Technology::of_arn(&arn), Some(tech), "{arn}");
        }
        assert_eq!(
            Technology::of_arn("arn:aws:ec2:eu-west-1:1:subnet/s-1"),
            None
        );
        assert_eq!(Technology::of_arn("arn:aws:iam::1:user/joe"), None);
        assert_eq!(Technology::of_arn("not an arn"), None);
    }

    #[test]
    fn arns() {
        let a = "123456789012";
        assert_eq!(
            Technology::S3.rules().arn(a, "eu-west-1", "my-bucket"),
            "arn:aws:s3:::my-bucket"
        );
        assert_eq!(
            Technology::SecurityGroup
                .rules()
                .arn(a, "eu-west-2", "sg-0123"),
            "arn:aws:ec2:eu-west-2:123456789012:security-group/sg-0123"
        );
        assert_eq!(
            Technology::Vpc.rules().arn(a, "cn-north-1", "vpc-1"),
            "arn:aws-cn:ec2:cn-north-1:123456789012:vpc/vpc-1"
        );
        let iam = Technology::IamRole.rules();
        assert_eq!(
            iam.arn(a, "us-east-1", "admin"),
            "arn:aws:iam::123456789012:role/admin"
        );
        assert_eq!(
            iam.arn(a, "us-east-1", "/service-role/ops/admin"),
            "arn:aws:iam::123456789012:role/service-role/ops/admin"
        );
    }
}

//! EC2 security groups: the original's event lists, plus rule-description updates (which the
//! original mistook for deletions), `ModifySecurityGroupRules` and tag changes.

use super::{dedup, find_id, partition, tagged_ec2_ids, FieldPath, Technology, TechnologyRules};
use crate::event::Detail;

/// Rules of the `securitygroup` technology.
pub(super) struct SecurityGroupRules;

const UPDATES: &[&str] = &[
    "AuthorizeSecurityGroupEgress",
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "CreateSecurityGroup",
    // additions
    "UpdateSecurityGroupRuleDescriptionsEgress",
    "UpdateSecurityGroupRuleDescriptionsIngress",
    "ModifySecurityGroupRules",
    "CreateTags",
    "DeleteTags",
];

const DELETES: &[&str] = &["DeleteSecurityGroup"];

impl TechnologyRules for SecurityGroupRules {
    fn technology(&self) -> Technology {
        Technology::SecurityGroup
    }
    fn event_source(&self) -> &'static str {
        "ec2.amazonaws.com"
    }
    fn poll_event_name(&self) -> &'static str {
        "PollSecurityGroups"
    }
    fn poll_event_source(&self) -> &'static str {
        "historical.ec2.poller"
    }
    fn update_events(&self) -> &'static [&'static str] {
        UPDATES
    }
    fn delete_events(&self) -> &'static [&'static str] {
        DELETES
    }
    fn arn_service_and_resource(&self) -> (&'static str, &'static str) {
        ("ec2", "security-group/")
    }
    /// `arn:aws:ec2:region:account:security-group/sg-…`, with the event's region (the original
    /// used the Lambda's region until PR #116).
    fn arn(&self, account: &str, region: &str, id: &str) -> String {
        format!(
            "arn:{}:ec2:{region}:{account}:security-group/{id}",
            partition(region)
        )
    }
    /// `groupId` of the request (or its nested request shape), of `CreateSecurityGroup`'s
    /// response, of a poll's `collected` group; the `sg-` ids of `CreateTags`/`DeleteTags`.
    /// A request naming the group only by `groupName` yields no id (the collector must resolve it).
    fn resource_ids(&self, detail: &Detail) -> Vec<String> {
        let keys = &["groupId", "GroupId"];
        let mut ids: Vec<String> = find_id(detail.request_parameters.as_ref(), keys)
            .or_else(|| find_id(detail.response_elements.as_ref(), keys))
            .or_else(|| find_id(detail.collected.as_ref(), keys))
            .into_iter()
            .collect();
        ids.extend(tagged_ec2_ids(detail, "sg-"));
        dedup(ids.into_iter().filter(|id| id.starts_with("sg-")).collect())
    }
    fn resource_id_fields(&self) -> &'static str {
        "an sg- groupId or GroupId in requestParameters, responseElements or collected"
    }
    fn ignored_paths(&self) -> &'static [FieldPath] {
        &[]
    }
    fn embedded_json_paths(&self) -> &'static [FieldPath] {
        &[]
    }
}

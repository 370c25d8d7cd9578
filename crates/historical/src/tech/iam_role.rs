//! IAM roles (global: CloudTrail records them in us-east-1). The stored configuration is the
//! role (`GetRole`) with `InlinePolicies: [{PolicyName, PolicyDocument}]` and
//! `AttachedManagedPolicies: [{PolicyName, PolicyArn}]`; `RoleLastUsed` changes whenever the role
//! is used, so it never counts as a change.

use super::{find_id, partition, FieldPath, Technology, TechnologyRules};
use crate::event::Detail;

/// Rules of the `iamrole` technology.
pub(super) struct IamRoleRules;

const UPDATES: &[&str] = &[
    "CreateRole",
    "CreateServiceLinkedRole",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "TagRole",
    "UntagRole",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    // deletion of a service-linked role is asynchronous: describe again, the collector sees it gone
    "DeleteServiceLinkedRole",
];

const DELETES: &[&str] = &["DeleteRole"];

const IGNORED: &[FieldPath] = &[&["configuration", "RoleLastUsed"]];

const EMBEDDED_JSON: &[FieldPath] = &[
    &["configuration", "AssumeRolePolicyDocument"],
    &["configuration", "InlinePolicies", "*", "PolicyDocument"],
];

impl TechnologyRules for IamRoleRules {
    fn technology(&self) -> Technology {
        Technology::IamRole
    }
    fn event_source(&self) -> &'static str {
        "iam.amazonaws.com"
    }
    fn poll_event_name(&self) -> &'static str {
        "PollIamRoles"
    }
    fn poll_event_source(&self) -> &'static str {
        "historical.iam.poller"
    }
    fn update_events(&self) -> &'static [&'static str] {
        UPDATES
    }
    fn delete_events(&self) -> &'static [&'static str] {
        DELETES
    }
    fn arn_service_and_resource(&self) -> (&'static str, &'static str) {
        ("iam", "role/")
    }
    /// `arn:aws:iam::account:role/name`: the role's key in Historical's tables. CloudTrail events
    /// name a role by its name only (never its path), and a name is unique in its account whatever
    /// the path, so the key leaves the path out; the role's real ARN, path included, is kept in
    /// `configuration.Arn`. IAM ARNs have no region, which only selects the partition.
    fn arn(&self, account: &str, region: &str, id: &str) -> String {
        let name = id.trim_start_matches('/');
        format!("arn:{}:iam::{account}:role/{name}", partition(region))
    }
    /// `roleName` of the request, else of the response (`CreateServiceLinkedRole` returns the
    /// role it created), else of a poll's `collected` role.
    fn resource_ids(&self, detail: &Detail) -> Vec<String> {
        let keys = &["roleName", "RoleName"];
        find_id(detail.request_parameters.as_ref(), keys)
            .or_else(|| find_id(detail.response_elements.as_ref(), keys))
            .or_else(|| find_id(detail.collected.as_ref(), keys))
            .into_iter()
            .collect()
    }
    fn resource_id_fields(&self) -> &'static str {
        "roleName or RoleName in requestParameters, responseElements or collected"
    }
    fn ignored_paths(&self) -> &'static [FieldPath] {
        IGNORED
    }
    fn embedded_json_paths(&self) -> &'static [FieldPath] {
        EMBEDDED_JSON
    }
}

//! A security group's restorable parts: its ingress and egress rules, and its tags.
//!
//! Rules are compared one source at a time (a protocol, a port range and one CIDR, IPv6 CIDR,
//! prefix list or group), as EC2 matches them when it revokes: a rule there now and not then is
//! revoked, one there then and not now is authorised, and one whose only change is its description
//! gets its description back. Revocations come first, so a rule opened since is closed at once.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{tag_changes, tag_list, ApiCall, Change, Unrestorable};

/// The sources of an `IpPermission`, by list.
const SOURCE_LISTS: [&str; 4] = [
    "IpRanges",
    "Ipv6Ranges",
    "PrefixListIds",
    "UserIdGroupPairs",
];

/// What identifies a group pair's source (the rest is EC2's own annotation).
const PAIR_FIELDS: [&str; 4] = ["GroupId", "UserId", "VpcId", "VpcPeeringConnectionId"];

/// One rule with one source: its identity (without the description), and its description.
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    /// `IpPermission` fields with one source, description left out (the identity EC2 matches).
    identity: Value,
    description: Option<Value>,
}

/// The calls restoring a group's rules and tags, and what differs beyond them.
pub(super) fn calls(change: &Change) -> (Vec<ApiCall>, Vec<Unrestorable>) {
    let group = change.attribute("GroupId");
    let mut calls = Vec::new();
    let mut cannot = Vec::new();
    for key in change.differing_keys() {
        match key {
            "IpPermissions" => calls.extend(rule_calls(&group, change, key, "Ingress")),
            "IpPermissionsEgress" => calls.extend(rule_calls(&group, change, key, "Egress")),
            other => cannot.push(Unrestorable::new(
                format!("/configuration/{other}"),
                "a security group's description, name and VPC are fixed when it is created",
            )),
        }
    }
    let (set, removed) = tag_changes(change.current_tags, change.target_tags);
    if !removed.is_empty() {
        let tags: Vec<Value> = removed.iter().map(|k| json!({"Key": k})).collect();
        calls.push(ApiCall::new(
            "ec2",
            "DeleteTags",
            json!({"Resources": [group], "Tags": tags}),
        ));
    }
    if !set.is_empty() {
        let tags = tag_list(&set);
        calls.push(ApiCall::new(
            "ec2",
            "CreateTags",
            json!({"Resources": [group], "Tags": tags}),
        ));
    }
    (calls, cannot)
}

/// Revoke, authorise, then describe again, for one direction (`Ingress` or `Egress`).
fn rule_calls(group: &str, change: &Change, key: &str, direction: &str) -> Vec<ApiCall> {
    let now = rules(change.current.get(key));
    let then = rules(change.target.get(key));
    let (revoke, authorize, describe) = match direction {
        "Ingress" => (
            "RevokeSecurityGroupIngress",
            "AuthorizeSecurityGroupIngress",
            "UpdateSecurityGroupRuleDescriptionsIngress",
        ),
        _ => (
            "RevokeSecurityGroupEgress",
            "AuthorizeSecurityGroupEgress",
            "UpdateSecurityGroupRuleDescriptionsEgress",
        ),
    };
    let gone: Vec<&Rule> = now
        .values()
        .filter(|r| !then.contains_key(&key_of(r)))
        .collect();
    let back: Vec<&Rule> = then
        .values()
        .filter(|r| !now.contains_key(&key_of(r)))
        .collect();
    let described: Vec<&Rule> = then
        .values()
        .filter(|r| {
            now.get(&key_of(r))
                .is_some_and(|n| n.description != r.description)
        })
        .collect();
    [(revoke, gone), (authorize, back), (describe, described)]
        .into_iter()
        .filter(|(_, rules)| !rules.is_empty())
        .map(|(operation, rules)| {
            // A revocation matches by the rule's identity; EC2 keeps descriptions out of it.
            let permissions: Vec<Value> = if operation == revoke {
                rules.into_iter().map(|r| r.identity.clone()).collect()
            } else {
                rules.into_iter().map(permission).collect()
            };
            ApiCall::new(
                "ec2",
                operation,
                json!({"GroupId": group, "IpPermissions": permissions}),
            )
        })
        .collect()
}

fn key_of(rule: &Rule) -> String {
    rule.identity.to_string()
}

/// Every (rule, one source) of a stored `IpPermissions` list, by identity.
fn rules(permissions: Option<&Value>) -> BTreeMap<String, Rule> {
    let mut out = BTreeMap::new();
    for permission in permissions.and_then(Value::as_array).into_iter().flatten() {
        let mut base = Map::new();
        for field in ["IpProtocol", "FromPort", "ToPort"] {
            if let Some(v) = permission.get(field).filter(|v| !v.is_null()) {
                base.insert(field.to_owned(), v.clone());
            }
        }
        for list in SOURCE_LISTS {
            for source in permission[list].as_array().into_iter().flatten() {
                let mut identity_source = Map::new();
                for (k, v) in source.as_object().into_iter().flatten() {
                    let kept = if list == "UserIdGroupPairs" {
                        PAIR_FIELDS.contains(&k.as_str())
                    } else {
                        k != "Description"
                    };
                    if kept && !v.is_null() {
                        identity_source.insert(k.clone(), v.clone());
                    }
                }
                let mut identity = base.clone();
                identity.insert(list.to_owned(), json!([identity_source]));
                let rule = Rule {
                    identity: Value::Object(identity),
                    description: source.get("Description").filter(|d| !d.is_null()).cloned(),
                };
                out.insert(key_of(&rule), rule);
            }
        }
    }
    out
}

/// A rule as one `IpPermission` of a request: its identity, with its description if it has one.
fn permission(rule: &Rule) -> Value {
    let mut value = rule.identity.clone();
    if let Some(description) = &rule.description {
        for list in SOURCE_LISTS {
            if let Some(Value::Array(sources)) = value.get_mut(list) {
                for source in sources {
                    source["Description"] = description.clone();
                }
            }
        }
    }
    value
}

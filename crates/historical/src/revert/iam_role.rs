//! An IAM role's restorable parts: the trust policy, inline policies, attached managed policies,
//! tags, the description and the maximum session duration.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{tag_changes, tag_list, ApiCall, Change, Unrestorable};

/// The calls restoring a role, and what differs beyond them.
pub(super) fn calls(change: &Change) -> (Vec<ApiCall>, Vec<Unrestorable>) {
    let role = change.attribute("RoleName");
    let mut calls = Vec::new();
    let mut cannot = Vec::new();
    let mut update_role = serde_json::Map::new();
    for key in change.differing_keys() {
        let target = change.target.get(key);
        match key {
            // Stored parsed; the API takes the document as a JSON string.
            "AssumeRolePolicyDocument" => calls.push(ApiCall::new(
                "iam",
                "UpdateAssumeRolePolicy",
                json!({"RoleName": role, "PolicyDocument": target.map(Value::to_string).unwrap_or_default()}),
            )),
            "InlinePolicies" => calls.extend(inline_policy_calls(&role, change)),
            "AttachedManagedPolicies" => calls.extend(attached_policy_calls(&role, change)),
            "Description" | "MaxSessionDuration" => {
                // UpdateRole sets what it is given: an absent description is set to "".
                let value = target.cloned().unwrap_or(if key == "Description" {
                    json!("")
                } else {
                    json!(3600)
                });
                update_role.insert(key.to_owned(), value);
            }
            other => cannot.push(Unrestorable::new(
                format!("/configuration/{other}"),
                "not among an IAM role's restorable parts (trust policy, inline and attached policies, tags, description, maximum session duration)",
            )),
        }
    }
    if !update_role.is_empty() {
        update_role.insert("RoleName".into(), json!(role));
        calls.push(ApiCall::new(
            "iam",
            "UpdateRole",
            Value::Object(update_role),
        ));
    }
    let (set, removed) = tag_changes(change.current_tags, change.target_tags);
    if !removed.is_empty() {
        calls.push(ApiCall::new(
            "iam",
            "UntagRole",
            json!({"RoleName": role, "TagKeys": removed}),
        ));
    }
    if !set.is_empty() {
        let tags = tag_list(&set);
        calls.push(ApiCall::new(
            "iam",
            "TagRole",
            json!({"RoleName": role, "Tags": tags}),
        ));
    }
    (calls, cannot)
}

/// `[{<name field>: name, ...}]` by name.
fn by(list: Option<&Value>, field: &str) -> BTreeMap<String, Value> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p.get(field)?.as_str()?.to_owned(), p.clone())))
        .collect()
}

/// Inline policies deleted when added since, put back when removed or changed since.
fn inline_policy_calls(role: &str, change: &Change) -> Vec<ApiCall> {
    let now = by(change.current.get("InlinePolicies"), "PolicyName");
    let then = by(change.target.get("InlinePolicies"), "PolicyName");
    let deleted = now
        .keys()
        .filter(|name| !then.contains_key(*name))
        .map(|name| {
            ApiCall::new(
                "iam",
                "DeleteRolePolicy",
                json!({"RoleName": role, "PolicyName": name}),
            )
        });
    let put = then
        .iter()
        .filter(|(name, policy)| now.get(*name) != Some(*policy))
        .map(|(name, policy)| {
            ApiCall::new(
                "iam",
                "PutRolePolicy",
                json!({"RoleName": role, "PolicyName": name,
                       "PolicyDocument": policy["PolicyDocument"].to_string()}),
            )
        });
    deleted.chain(put).collect()
}

/// Managed policies detached when attached since, attached again when detached since.
fn attached_policy_calls(role: &str, change: &Change) -> Vec<ApiCall> {
    let now = by(change.current.get("AttachedManagedPolicies"), "PolicyArn");
    let then = by(change.target.get("AttachedManagedPolicies"), "PolicyArn");
    let detach = now
        .keys()
        .filter(|arn| !then.contains_key(*arn))
        .map(|arn| {
            ApiCall::new(
                "iam",
                "DetachRolePolicy",
                json!({"RoleName": role, "PolicyArn": arn}),
            )
        });
    let attach = then
        .keys()
        .filter(|arn| !now.contains_key(*arn))
        .map(|arn| {
            ApiCall::new(
                "iam",
                "AttachRolePolicy",
                json!({"RoleName": role, "PolicyArn": arn}),
            )
        });
    detach.chain(attach).collect()
}

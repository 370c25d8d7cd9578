//! A revert plan: the change that takes a resource from its current recorded state back to the
//! revision in force at a past time. The JSON Patch (RFC 6902, over `{configuration, Tags}` in their
//! normalised form), the AWS API calls that would apply it for the parts a technology can restore,
//! and what cannot be restored, each with why.
//!
//! Restorable parts:
//! - S3 buckets: the bucket policy, tags, versioning, default encryption, the public access block
//!   and lifecycle rules;
//! - security groups: ingress and egress rules (a rule is revoked or authorised; a rule whose only
//!   change is its description gets its description back), and tags;
//! - IAM roles: the trust policy, inline policies, attached managed policies, tags, the description
//!   and the maximum session duration.
//!
//! Everything else that differs is listed as not restorable. Nothing here calls AWS: the plan is
//! data, which `insights historical revert` prints, and applies only when asked.

mod iam_role;
mod s3;
mod security_group;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::differ::{is_deleted, Revision};
use crate::normalise::normalise;
use crate::patch::{diff, PatchOp};
use crate::tech::Technology;

/// One AWS API call of a plan, its parameters in the API's own names (as the AWS CLI's
/// `--cli-input-json` takes them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiCall {
    /// The service's API name (`s3`, `ec2`, `iam`).
    pub service: &'static str,
    /// The operation (`PutBucketPolicy`).
    pub operation: &'static str,
    /// Its request parameters.
    pub parameters: Value,
}

impl ApiCall {
    fn new(service: &'static str, operation: &'static str, parameters: Value) -> Self {
        Self {
            service,
            operation,
            parameters,
        }
    }
}

/// A part of the state that differs and that the plan does not restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unrestorable {
    /// JSON Pointer of the part, in the state (`/configuration/Website`); empty for the whole
    /// resource.
    pub path: String,
    /// Why it is not restored.
    pub reason: String,
}

impl Unrestorable {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// What would take a resource back to the revision in force at a past time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevertPlan {
    /// The resource.
    pub arn: String,
    /// Its technology.
    pub tech: Technology,
    /// The `eventTime` of the current (latest) revision.
    pub current_revision: String,
    /// The `eventTime` of the revision in force at the time asked; `None` if there was none.
    pub target_revision: Option<String>,
    /// RFC 6902 patch from the current state to the target state (`{configuration, Tags}`,
    /// normalised).
    pub patch: Vec<PatchOp>,
    /// The calls that apply the restorable part of the patch, in order.
    pub calls: Vec<ApiCall>,
    /// What differs and is not restored.
    pub cannot_restore: Vec<Unrestorable>,
}

impl RevertPlan {
    /// Whether the resource already is as it was (nothing differs).
    pub fn is_nothing_to_do(&self) -> bool {
        self.patch.is_empty() && self.cannot_restore.is_empty()
    }
}

/// The state a plan compares: the configuration and the tags, normalised.
fn state(tech: Technology, item: &Value) -> Value {
    let configuration = item.get("configuration").cloned().unwrap_or(json!({}));
    let tags = item.get("Tags").cloned().unwrap_or(json!({}));
    let normalised = normalise(tech, &json!({"configuration": configuration, "Tags": tags}));
    // `normalise` keeps what it was given; make the two parts always present.
    json!({
        "configuration": normalised.get("configuration").cloned().unwrap_or(json!({})),
        "Tags": normalised.get("Tags").cloned().unwrap_or(json!({})),
    })
}

/// What a technology's rules need to build calls: the two states and the resource's identity.
pub(crate) struct Change<'a> {
    /// The current state's `configuration`.
    pub current: &'a Map<String, Value>,
    /// The target state's `configuration`.
    pub target: &'a Map<String, Value>,
    /// The current tags.
    pub current_tags: &'a Map<String, Value>,
    /// The target tags.
    pub target_tags: &'a Map<String, Value>,
    /// The current stored item (its attributes: `BucketName`, `GroupId`, `RoleName`).
    pub item: &'a Value,
}

impl Change<'_> {
    /// The configuration keys whose values differ (either side may lack the key).
    pub fn differing_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .current
            .keys()
            .chain(self.target.keys())
            .map(String::as_str)
            .filter(|k| self.current.get(*k) != self.target.get(*k))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// A top-level attribute of the stored item (`BucketName`), or `""`.
    pub fn attribute(&self, name: &str) -> String {
        self.item
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
}

/// Tags added or changed, and tag keys removed, from `current` to `target`.
pub(crate) fn tag_changes(
    current: &Map<String, Value>,
    target: &Map<String, Value>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let set = target
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    let removed = current
        .keys()
        .filter(|k| !target.contains_key(*k))
        .cloned()
        .collect();
    (set, removed)
}

/// `[{Key, Value}]`, as EC2's and IAM's tag parameters take tags.
pub(crate) fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Value> {
    tags.iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect()
}

/// The plan that takes the resource from its `current` (latest) revision back to `target`, the
/// revision in force at the time asked (`None`: the resource was not recorded yet then).
pub fn plan(
    tech: Technology,
    arn: &str,
    current: &Revision,
    target: Option<&Revision>,
) -> RevertPlan {
    let mut out = RevertPlan {
        arn: arn.to_owned(),
        tech,
        current_revision: event_time(current),
        target_revision: target.map(event_time),
        patch: Vec::new(),
        calls: Vec::new(),
        cannot_restore: Vec::new(),
    };
    let gone_now = is_deleted(&current.item);
    let absent_then = target.is_none_or(|t| is_deleted(&t.item));
    match (gone_now, absent_then) {
        (true, true) => {}
        (true, false) => out.cannot_restore.push(Unrestorable::new(
            "",
            format!(
                "the resource was deleted at {}: recreating it is not planned",
                out.current_revision
            ),
        )),
        (false, true) => out.cannot_restore.push(Unrestorable::new(
            "",
            "the resource did not exist then: deleting it is not planned",
        )),
        (false, false) => {
            let target = target.expect("present when not absent");
            fill(&mut out, tech, &current.item, &target.item);
        }
    }
    out
}

/// The patch, calls and unrestorable parts between two present states.
fn fill(out: &mut RevertPlan, tech: Technology, current_item: &Value, target_item: &Value) {
    let (current, target) = (state(tech, current_item), state(tech, target_item));
    out.patch = diff(&current, &target);
    if out.patch.is_empty() {
        return;
    }
    let object = |v: &Value, part: &str| v[part].as_object().cloned().unwrap_or_default();
    let (current_configuration, target_configuration) = (
        object(&current, "configuration"),
        object(&target, "configuration"),
    );
    let (current_tags, target_tags) = (object(&current, "Tags"), object(&target, "Tags"));
    let change = Change {
        current: &current_configuration,
        target: &target_configuration,
        current_tags: &current_tags,
        target_tags: &target_tags,
        item: current_item,
    };
    let (calls, cannot) = match tech {
        Technology::S3 => s3::calls(&change),
        Technology::SecurityGroup => security_group::calls(&change),
        Technology::IamRole => iam_role::calls(&change),
        Technology::Vpc => (
            Vec::new(),
            change
                .differing_keys()
                .into_iter()
                .map(|k| {
                    Unrestorable::new(
                        format!("/configuration/{k}"),
                        "VPCs are not restored by a plan",
                    )
                })
                .chain(
                    (current_tags != target_tags)
                        .then(|| Unrestorable::new("/Tags", "VPCs are not restored by a plan")),
                )
                .collect(),
        ),
    };
    out.calls = calls;
    out.cannot_restore = cannot;
}

fn event_time(revision: &Revision) -> String {
    revision
        .item
        .get("eventTime")
        .and_then(Value::as_str)
        .map_or_else(
            || revision.event_time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            str::to_owned,
        )
}

#[cfg(test)]
mod tests;

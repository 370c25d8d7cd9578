//! An S3 bucket's restorable parts: the policy, tags, versioning, default encryption, the public
//! access block and lifecycle rules.

use serde_json::{json, Value};

use super::{ApiCall, Change, Unrestorable};

/// Derived by S3 from the policy: it follows when the policy is restored.
const DERIVED: &[&str] = &["PolicyStatus"];

/// The calls restoring a bucket, and what differs beyond them.
pub(super) fn calls(change: &Change) -> (Vec<ApiCall>, Vec<Unrestorable>) {
    let bucket = change.attribute("BucketName");
    let mut calls = Vec::new();
    let mut cannot = Vec::new();
    for key in change.differing_keys() {
        let target = change.target.get(key).filter(|v| !is_unset(v));
        match key {
            "Policy" => calls.push(policy(&bucket, target)),
            "Versioning" => versioning(&bucket, change, &mut calls, &mut cannot),
            "Encryption" => calls.push(match target {
                Some(rules) => ApiCall::new(
                    "s3",
                    "PutBucketEncryption",
                    json!({"Bucket": bucket, "ServerSideEncryptionConfiguration": rules}),
                ),
                None => ApiCall::new("s3", "DeleteBucketEncryption", json!({"Bucket": bucket})),
            }),
            "PublicAccessBlock" => calls.push(match target {
                Some(block) => ApiCall::new(
                    "s3",
                    "PutPublicAccessBlock",
                    json!({"Bucket": bucket, "PublicAccessBlockConfiguration": block}),
                ),
                None => ApiCall::new("s3", "DeletePublicAccessBlock", json!({"Bucket": bucket})),
            }),
            "LifecycleRules" => calls.push(match target {
                Some(rules) => ApiCall::new(
                    "s3",
                    "PutBucketLifecycleConfiguration",
                    json!({"Bucket": bucket, "LifecycleConfiguration": {"Rules": rules}}),
                ),
                None => ApiCall::new("s3", "DeleteBucketLifecycle", json!({"Bucket": bucket})),
            }),
            derived if DERIVED.contains(&derived) => {}
            other => cannot.push(Unrestorable::new(
                format!("/configuration/{other}"),
                "not among an S3 bucket's restorable parts (policy, tags, versioning, encryption, public access block, lifecycle)",
            )),
        }
    }
    if change.current_tags != change.target_tags {
        calls.push(if change.target_tags.is_empty() {
            ApiCall::new("s3", "DeleteBucketTagging", json!({"Bucket": bucket}))
        } else {
            // PutBucketTagging replaces the whole tag set.
            let set: Vec<Value> = change
                .target_tags
                .iter()
                .map(|(k, v)| json!({"Key": k, "Value": v.as_str().unwrap_or_default()}))
                .collect();
            ApiCall::new(
                "s3",
                "PutBucketTagging",
                json!({"Bucket": bucket, "Tagging": {"TagSet": set}}),
            )
        });
    }
    (calls, cannot)
}

/// `null`, `{}` and `[]` all mean "not set" in a stored configuration.
fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn policy(bucket: &str, target: Option<&Value>) -> ApiCall {
    match target {
        // The policy is stored parsed; the API takes it as a JSON string.
        Some(document) => ApiCall::new(
            "s3",
            "PutBucketPolicy",
            json!({"Bucket": bucket, "Policy": document.to_string()}),
        ),
        None => ApiCall::new("s3", "DeleteBucketPolicy", json!({"Bucket": bucket})),
    }
}

/// Versioning goes back to `Enabled` or `Suspended`; a bucket that never had it cannot return to
/// "never enabled" (S3 has no such call), so it is suspended, and the plan says so. MFA delete
/// needs the root user's MFA device in the request: not restored.
fn versioning(
    bucket: &str,
    change: &Change,
    calls: &mut Vec<ApiCall>,
    cannot: &mut Vec<Unrestorable>,
) {
    let status = |c: &serde_json::Map<String, Value>| {
        c.get("Versioning")
            .and_then(|v| v.get("Status"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mfa = |c: &serde_json::Map<String, Value>| {
        c.get("Versioning")
            .and_then(|v| v.get("MFADelete"))
            .cloned()
    };
    let (now, then) = (status(change.current), status(change.target));
    if now != then {
        let restored = then.clone().unwrap_or_else(|| "Suspended".to_owned());
        if then.is_none() {
            cannot.push(Unrestorable::new(
                "/configuration/Versioning/Status",
                "versioning was never enabled then; S3 cannot return a bucket to that, so the plan suspends it",
            ));
        }
        calls.push(ApiCall::new(
            "s3",
            "PutBucketVersioning",
            json!({"Bucket": bucket, "VersioningConfiguration": {"Status": restored}}),
        ));
    }
    if mfa(change.current) != mfa(change.target) {
        cannot.push(Unrestorable::new(
            "/configuration/Versioning/MFADelete",
            "MFA delete is set only with the root user's MFA device in the request",
        ));
    }
}

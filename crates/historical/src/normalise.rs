//! The canonical form the Differ compares: what does not count removed, order made irrelevant.
//!
//! [`normalise`] drops the CloudTrail context, keys and Current-only fields
//! ([`crate::tech::CONTEXT_FIELDS`], `aws:rep:*`) and the technology's ignored paths, parses JSON
//! documents held as strings (policies, URL-encoded as IAM returns them or not), reads the
//! original's `"<empty>"` placeholder as `""`, sorts every object's keys and sorts every array by
//! the canonical serialisation of its (normalised) elements. Two items are the same
//! configuration exactly when their normalised forms are equal. Arrays are compared as multisets:
//! a duplicated element is a change (DeepDiff's `ignore_order` ignores repetitions by default).

use serde_json::{Map, Value};

use crate::tech::{FieldPath, Technology, CONTEXT_FIELDS};

/// The original stored empty strings as this placeholder (DynamoDB once refused empty strings).
pub const EMPTY_PLACEHOLDER: &str = "<empty>";

/// The canonical, comparable form of a stored item (or of any configuration) of `tech`.
pub fn normalise(tech: Technology, item: &Value) -> Value {
    let rules = tech.rules();
    let mut value = item.clone();
    if let Value::Object(map) = &mut value {
        map.retain(|key, _| {
            !CONTEXT_FIELDS.contains(&key.as_str()) && !key.starts_with("aws:rep:")
        });
    }
    for path in rules.ignored_paths() {
        remove_path(&mut value, path);
    }
    for path in rules.embedded_json_paths() {
        parse_embedded(&mut value, path);
    }
    canonicalise(value)
}

/// Sort keys and arrays recursively; `"<empty>"` becomes `""`.
pub fn canonicalise(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (key, v) in entries {
                out.insert(key, canonicalise(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut keyed: Vec<(String, Value)> = items
                .into_iter()
                .map(|v| {
                    let v = canonicalise(v);
                    // Keys are inserted sorted, so the serialisation is canonical even with
                    // serde_json's `preserve_order`. (Measured: building the text bottom-up
                    // instead was no faster; subtrees are shallow.)
                    (serde_json::to_string(&v).unwrap_or_default(), v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Array(keyed.into_iter().map(|(_, v)| v).collect())
        }
        Value::String(s) if s == EMPTY_PLACEHOLDER => Value::String(String::new()),
        other => other,
    }
}

fn remove_path(value: &mut Value, path: FieldPath) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    for target in select_mut(value, parents) {
        if let Value::Object(map) = target {
            if *last == "*" {
                map.clear();
            } else {
                map.remove(*last);
            }
        }
    }
}

fn parse_embedded(value: &mut Value, path: FieldPath) {
    for target in select_mut(value, path) {
        if let Value::String(text) = target {
            let decoded = if text.trim_start().starts_with('%') {
                percent_decode(text)
            } else {
                Some(text.clone())
            };
            if let Some(parsed) = decoded.and_then(|d| serde_json::from_str::<Value>(&d).ok()) {
                if parsed.is_object() || parsed.is_array() {
                    *target = parsed;
                }
            }
        }
    }
}

/// Every value at `path` (`*` = every array element or object value).
fn select_mut<'a>(value: &'a mut Value, path: &[&str]) -> Vec<&'a mut Value> {
    let Some((first, rest)) = path.split_first() else {
        return vec![value];
    };
    let children: Vec<&mut Value> = match (value, *first) {
        (Value::Object(map), "*") => map.values_mut().collect(),
        (Value::Array(items), "*") => items.iter_mut().collect(),
        (Value::Object(map), key) => map.get_mut(key).into_iter().collect(),
        _ => Vec::new(),
    };
    children
        .into_iter()
        .flat_map(|child| select_mut(child, rest))
        .collect()
}

/// Decode `%XX` escapes (IAM returns policy documents URL-encoded); `None` if malformed.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn context_does_not_count() {
        let a = json!({"arn": "x", "eventTime": "t1", "configuration": {"A": 1}, "Tags": {},
                       "userIdentity": {"a": 1}, "principalId": "joe", "userAgent": "cli",
                       "sourceIpAddress": "1.2.3.4", "requestParameters": {"b": 1},
                       "eventName": "PutBucketAcl", "ttl": 5, "eventSource": "s3",
                       "aws:rep:updatetime": 1.5, "version": 9});
        let b = json!({"arn": "x", "eventTime": "t2", "configuration": {"A": 1}, "Tags": {},
                       "version": 9});
        assert_eq!(normalise(Technology::S3, &a), normalise(Technology::S3, &b));
        let c = json!({"arn": "x", "configuration": {"A": 1}, "Tags": {}, "version": 10});
        assert_ne!(normalise(Technology::S3, &a), normalise(Technology::S3, &c));
    }

    #[test]
    fn order_does_not_count() {
        let a = json!({"configuration": {"IpPermissions": [
            {"FromPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "1.1.1.1/32"}]},
            {"FromPort": 443, "IpRanges": []}]}});
        let b = json!({"configuration": {"IpPermissions": [
            {"IpRanges": [], "FromPort": 443},
            {"IpRanges": [{"CidrIp": "1.1.1.1/32"}, {"CidrIp": "10.0.0.0/8"}], "FromPort": 22}]}});
        let t = Technology::SecurityGroup;
        assert_eq!(normalise(t, &a), normalise(t, &b));
        assert_eq!(
            serde_json::to_string(&normalise(t, &a)).unwrap(),
            serde_json::to_string(&normalise(t, &b)).unwrap()
        );
    }

    #[test]
    fn policies_compare_as_json_and_ephemeral_fields_do_not_count() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["b","a"]}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22a%22%2C%22b%22%5D%7D%5D%7D";
        let a = json!({"configuration": {"AssumeRolePolicyDocument": doc,
            "RoleLastUsed": {"LastUsedDate": "2024-01-01"},
            "InlinePolicies": [{"PolicyName": "p", "PolicyDocument": doc}]}});
        let b = json!({"configuration": {"AssumeRolePolicyDocument": encoded,
            "RoleLastUsed": {"LastUsedDate": "2024-02-02"},
            "InlinePolicies": [{"PolicyName": "p", "PolicyDocument": encoded}]}});
        assert_eq!(
            normalise(Technology::IamRole, &a),
            normalise(Technology::IamRole, &b)
        );
        let s3a = json!({"configuration": {"Policy": doc, "GrantReferences": {"x": "Joe"}}});
        let s3b = json!({"configuration": {"Policy": doc, "GrantReferences": {"x": "Jo"}}});
        assert_eq!(
            normalise(Technology::S3, &s3a),
            normalise(Technology::S3, &s3b)
        );
    }

    #[test]
    fn empty_placeholder_is_empty() {
        let a = json!({"Tags": {"Empty": "<empty>"}});
        let b = json!({"Tags": {"Empty": ""}});
        assert_eq!(
            normalise(Technology::SecurityGroup, &a),
            normalise(Technology::SecurityGroup, &b)
        );
    }
}

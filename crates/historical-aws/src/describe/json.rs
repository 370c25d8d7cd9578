//! The small pure conversions every technology shares: SDK values into the AWS API's JSON (the SDK
//! types are not serde, and subscribers read the API's PascalCase names), tag flattening, policy
//! documents and S3 location constraints.

use std::collections::BTreeMap;

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde_json::Value;

/// `value` without the object members that are `null`, recursively: the API's JSON omits absent
/// members, and `json!` writes every `Option` that is `None` as `null`. Arrays keep their length.
pub(crate) fn prune(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, prune(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune).collect()),
        other => other,
    }
}

/// An SDK timestamp as the API's JSON writes it (ISO 8601, UTC).
pub(crate) fn time(t: Option<&DateTime>) -> Value {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
        .map(Value::String)
        .unwrap_or(Value::Null)
}

/// Tags as the `{Key: Value}` map stored in `Tags`, from (key, value) pairs; a later duplicate key
/// wins (AWS forbids duplicates, so this never matters).
pub(crate) fn flatten_tags<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

/// The value of the `Name` tag, matching the key case-insensitively as the original did.
pub(crate) fn name_tag(tags: &BTreeMap<String, String>) -> Option<String> {
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("name"))
        .map(|(_, v)| v.clone())
}

/// Tags as the API's `[{Key, Value}]` list, for configurations that embed them (S3 filters).
pub(crate) fn tag_list<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Array(
        pairs
            .into_iter()
            .map(|(k, v)| serde_json::json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// A policy document as parsed JSON. IAM returns documents URL-encoded (RFC 3986), S3 plain: both
/// are decoded here. Text that is not JSON is kept as a string rather than lost.
pub(crate) fn policy_document(text: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return v;
    }
    let decoded = percent_decode(text);
    serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
}

/// `%XX` sequences decoded (and `+` kept: IAM encodes spaces as `%20`). Invalid sequences are kept
/// as they are; invalid UTF-8 is replaced, since a policy is UTF-8 JSON.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The region of a bucket from its `LocationConstraint`: empty or absent is `us-east-1`, the legacy
/// `EU` is `eu-west-1`, anything else is the region itself.
pub(crate) fn bucket_region(constraint: Option<&str>) -> String {
    match constraint.map(str::trim) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(region) => region.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn location_constraints() {
        assert_eq!(bucket_region(None), "us-east-1");
        assert_eq!(bucket_region(Some("")), "us-east-1");
        assert_eq!(bucket_region(Some("EU")), "eu-west-1");
        assert_eq!(bucket_region(Some("eu-central-1")), "eu-central-1");
    }

    #[test]
    fn tags_flatten_and_name() {
        let tags = flatten_tags([
            (Some("Name"), Some("main")),
            (Some("empty"), None),
            (None, Some("orphan")),
        ]);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags["empty"], "");
        assert_eq!(name_tag(&tags).as_deref(), Some("main"));
        let lower = flatten_tags([(Some("name"), Some("x"))]);
        assert_eq!(name_tag(&lower).as_deref(), Some("x"));
        assert_eq!(name_tag(&BTreeMap::new()), None);
    }

    #[test]
    fn policies_decode() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            policy_document(encoded),
            json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(policy_document(r#"{"a": "50%"}"#), json!({"a": "50%"}));
        assert_eq!(policy_document("not json %"), json!("not json %"));
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn prune_drops_nulls_only() {
        let v = prune(json!({"a": null, "b": [null, {"c": null, "d": 1}], "e": []}));
        assert_eq!(v, json!({"b": [null, {"d": 1}], "e": []}));
    }
}

//! JSON items ↔ DynamoDB items, and what DynamoDB counts as an item's size.
//!
//! Items are plain `serde_json` objects; [`serde_dynamo`] maps them to attribute values: strings
//! to `S`, numbers to `N`, booleans to `BOOL`, `null` to `NULL`, arrays to `L` (never sets, so a
//! list keeps its order and duplicates), objects to `M`. Round trips keep the JSON equal, with one
//! exception DynamoDB itself imposes: a float with an integral value comes back as an integer
//! (`1.0` → `1`; DynamoDB normalises numbers and has no float/integer distinction). Both sides of
//! every Differ comparison have been through DynamoDB, so this never counts as a change.
//!
//! Empty strings: DynamoDB refuses them only in key attributes since 2020, so configurations keep
//! their `""` as they are; the original's `"<empty>"` placeholder is not written any more (it is
//! still read as `""` by `historical::normalise` for tables the original filled).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use super::error::StoreError;

/// A DynamoDB item as the SDK takes it.
pub type Item = HashMap<String, AttributeValue>;

/// DynamoDB's maximum item size (400 KB), names and values counted in UTF-8 bytes.
pub const DYNAMODB_ITEM_LIMIT: usize = 409_600;

/// A JSON object as a DynamoDB item. `what` names the item in errors.
pub fn to_item(what: &str, value: &Value) -> Result<Item, StoreError> {
    if !value.is_object() {
        return Err(StoreError::InvalidItem(format!(
            "{what} is not a JSON object"
        )));
    }
    serde_dynamo::to_item(value).map_err(|e| StoreError::InvalidItem(format!("{what}: {e}")))
}

/// A DynamoDB item as a JSON object. `what` names the item in errors.
pub fn from_item(what: &str, item: Item) -> Result<Value, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::corrupt(what, e))
}

/// The size DynamoDB counts for an item: attribute names plus values, as AWS documents it
/// ("Item sizes and formats"); numbers are over-estimated (their text length plus one) so the
/// estimate never falls short.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len() + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.len() + 1).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        // 3 bytes per list or map, plus 1 per element (and the key's name in a map).
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// A string field of an item, required to be present and non-empty.
pub fn string_field<'a>(item: &'a Value, name: &str) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| StoreError::InvalidItem(format!("no string field {name:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_attribute_values() {
        let value = json!({
            "arn": "arn:aws:s3:::b",
            "float": 0.1, "negative": -2.5e-7, "big": 1.5e20, "int": 9, "neg": -3,
            "u64": 18_446_744_073_709_551_615u64, "yes": true, "no": false, "nothing": null,
            "empty": "", "nested": [[1, [2.5, "x"]], [], {"a": [true, null]}], "map": {},
            "dup": ["a", "a"], "unicode": "é✓"
        });
        let item = to_item("t", &value).unwrap();
        assert!(matches!(item["nested"], AttributeValue::L(_)));
        assert!(matches!(item["dup"], AttributeValue::L(_)));
        assert_eq!(item["empty"], AttributeValue::S(String::new()));
        assert_eq!(from_item("t", item).unwrap(), value);
    }

    #[test]
    fn integral_floats_come_back_as_integers() {
        let item = to_item("t", &json!({"f": 1.0})).unwrap();
        assert_eq!(from_item("t", item).unwrap(), json!({"f": 1}));
    }

    #[test]
    fn only_objects_are_items() {
        assert!(matches!(
            to_item("t", &json!([1])),
            Err(StoreError::InvalidItem(_))
        ));
    }

    #[test]
    fn size_counts_names_and_values() {
        let item = to_item(
            "t",
            &json!({"ab": "xyz", "n": 12, "l": ["a"], "m": {"k": true}}),
        )
        .unwrap();
        // ab+xyz = 5; n + "12"+1 = 4; l + 3 + 1 + 1 = 6; m + 3 + 1 + k + 1 = 7
        assert_eq!(item_size(&item), 22);
        let big = to_item("t", &json!({"c": "x".repeat(500_000)})).unwrap();
        assert!(item_size(&big) > DYNAMODB_ITEM_LIMIT);
    }
}

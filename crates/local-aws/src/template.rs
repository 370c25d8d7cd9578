//! CloudFormation/SAM templates as JSON, the way `sam package` hands them to CloudFormation.
//!
//! Our templates are YAML with CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...). They
//! are read into JSON with each tag turned into its long form (`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`),
//! which is what CloudFormation itself does; nothing else about the template changes.

use std::path::Path;

use serde_json::{json, Map, Value};

/// A template could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read template {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The YAML is invalid or uses a tag CloudFormation does not know.
    #[error("template {path} is invalid: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// Read a YAML or JSON template file into CloudFormation JSON.
pub fn load(path: &Path) -> Result<Value, TemplateError> {
    let text = std::fs::read_to_string(path).map_err(|e| TemplateError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse(&text).map_err(|message| TemplateError::Invalid {
        path: path.display().to_string(),
        message,
    })
}

/// Parse template text (YAML, of which JSON is a subset).
pub fn parse(text: &str) -> Result<Value, String> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    to_json(yaml)
}

fn to_json(yaml: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).map_err(|e| e.to_string())?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("mapping key {other:?} is not a string")),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = to_json(tagged.value)?;
            intrinsic(name, value)?
        }
    })
}

/// The long form of a short-form intrinsic function tag.
fn intrinsic(name: &str, value: Value) -> Result<Value, String> {
    Ok(match name {
        "Ref" => json!({ "Ref": value }),
        "Condition" => json!({ "Condition": value }),
        "GetAtt" => match value {
            Value::String(s) => match s.split_once('.') {
                Some((resource, attribute)) => json!({ "Fn::GetAtt": [resource, attribute] }),
                None => return Err(format!("!GetAtt {s} needs Resource.Attribute")),
            },
            other => json!({ "Fn::GetAtt": other }),
        },
        "Base64" | "Cidr" | "FindInMap" | "GetAZs" | "ImportValue" | "Join" | "Select"
        | "Split" | "Sub" | "Transform" | "And" | "Equals" | "If" | "Not" | "Or"
        | "ToJsonString" | "Length" => json!({ format!("Fn::{name}"): value }),
        other => return Err(format!("unknown intrinsic function tag !{other}")),
    })
}

/// The template's resources of `kind` (e.g. `AWS::Serverless::Function`), by logical id.
pub fn resources_of<'a>(
    template: &'a Value,
    kind: &'a str,
) -> impl Iterator<Item = (&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flat_map(|r| r.iter())
        .filter(move |(_, res)| res["Type"] == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_tags_become_long_form() {
        let t = parse(
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      A: !Ref X\n      B: !GetAtt Fn.Arn\n      C: !Sub '${AWS::StackName}-x'\n      D: !Join ['', [a, !Ref Y]]\n      E: !GetAtt [Fn, Arn]\n      F: !If [Cond, 1, !Ref AWS::NoValue]\n",
        )
        .unwrap();
        let p = &t["Resources"]["Q"]["Properties"];
        assert_eq!(p["A"], json!({"Ref": "X"}));
        assert_eq!(p["B"], json!({"Fn::GetAtt": ["Fn", "Arn"]}));
        assert_eq!(p["C"], json!({"Fn::Sub": "${AWS::StackName}-x"}));
        assert_eq!(p["D"], json!({"Fn::Join": ["", ["a", {"Ref": "Y"}]]}));
        assert_eq!(p["E"], json!({"Fn::GetAtt": ["Fn", "Arn"]}));
        assert_eq!(
            p["F"],
            json!({"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]})
        );
    }

    #[test]
    fn unknown_tags_and_bad_getatt_are_refused() {
        assert!(parse("A: !Nope x").unwrap_err().contains("!Nope"));
        assert!(parse("A: !GetAtt Fn")
            .unwrap_err()
            .contains("Resource.Attribute"));
    }

    #[test]
    fn resources_are_found_by_type() {
        let t = parse("Resources:\n  A: {Type: X}\n  B: {Type: Y}\n  C: {Type: X}\n").unwrap();
        let ids: Vec<_> = resources_of(&t, "X").map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["A", "C"]);
    }
}

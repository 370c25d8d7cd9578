//! The Cleanup input contract: `{"run_id"?, "requested_by"?, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"?}`.
//!
//! Only an ABSENT `run_id` means "every run whose cleanup is pending": a `run_id` that is null, a
//! number or anything but a run id is refused, so that a typo never widens a Cleanup to every run.

use serde_json::Value;

use super::{fields, kind, shown, Collector, Contract, InvalidInput};

/// The fields Cleanup reads. `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID` is the field Step
/// Functions adds to the input of an execution started by another (`startExecution.sync:2`).
pub const CLEANUP_FIELDS: [&str; 3] = [
    "run_id",
    "requested_by",
    "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID",
];

/// Longest ARN IAM accepts.
const MAX_ARN: usize = 2048;

/// A Cleanup input that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupInput {
    /// The run to clean; `None` (the field absent) means every run whose cleanup is pending.
    pub run_id: Option<String>,
    /// The Harvester execution that asks for its own run's cleanup (its Teardown sets it), so a run
    /// whose execution is still running may be cleaned by that execution.
    pub requested_by: Option<String>,
    /// The parent execution, when Step Functions started this one from another.
    pub started_by: Option<String>,
}

/// Validates a raw Cleanup input, reporting every problem at once, each naming its field.
pub fn validate_cleanup(raw: &Value) -> Result<CleanupInput, InvalidInput> {
    let mut c = Collector::new(Contract::Cleanup);
    let Some(object) = raw.as_object() else {
        c.add(
            "(input)",
            format!(
                "must be a JSON object ({{\"run_id\": \"r1\"}}, or {{}} for every pending run), got {}",
                kind(raw)
            ),
        );
        return Err(c.into_error());
    };
    for key in object.keys() {
        if !CLEANUP_FIELDS.contains(&key.as_str()) {
            c.add(
                key.clone(),
                format!(
                    "unknown field (known fields: {})",
                    CLEANUP_FIELDS.join(", ")
                ),
            );
        }
    }
    let run_id = match object.get("run_id") {
        None => None,
        Some(Value::Null) => {
            c.add(
                "run_id",
                "must be a run id, got null; leave run_id out to clean every pending run",
            );
            None
        }
        Some(value) => Some(fields::run_id_value(value, &mut c)),
    };
    let requested_by = execution_arn(object.get("requested_by"), "requested_by", &mut c);
    let started_by = execution_arn(object.get(CLEANUP_FIELDS[2]), CLEANUP_FIELDS[2], &mut c);
    c.finish(CleanupInput {
        run_id,
        requested_by,
        started_by,
    })
}

/// An optional execution ARN: absent is fine, anything but an ARN string is a problem.
fn execution_arn(value: Option<&Value>, field: &str, c: &mut Collector) -> Option<String> {
    match value? {
        Value::String(s) if s.starts_with("arn:") && s.len() <= MAX_ARN => Some(s.clone()),
        Value::String(s) => {
            c.add(
                field,
                format!(
                    "must be an execution ARN (arn:…, at most {MAX_ARN} characters), got {}",
                    shown(&Value::String(s.clone()))
                ),
            );
            None
        }
        other => {
            c.add(
                field,
                format!("must be an execution ARN (a string), got {}", kind(other)),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:h:e1";

    #[test]
    fn valid_inputs_are_read_as_they_are() {
        assert_eq!(
            validate_cleanup(&json!({})).unwrap(),
            CleanupInput {
                run_id: None,
                requested_by: None,
                started_by: None
            }
        );
        let full = validate_cleanup(&json!({
            "run_id": "r1",
            "requested_by": ARN,
            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": ARN,
        }))
        .unwrap();
        assert_eq!(full.run_id.as_deref(), Some("r1"));
        assert_eq!(full.requested_by.as_deref(), Some(ARN));
        assert_eq!(full.started_by.as_deref(), Some(ARN));
    }

    #[test]
    fn only_an_absent_run_id_means_every_run() {
        for (input, field) in [
            (json!({"run_id": 5}), "run_id"),
            (json!({"run_id": null}), "run_id"),
            (json!({"run_id": ""}), "run_id"),
            (json!({"run_id": "R1"}), "run_id"),
            (json!({"run_id": ["r1"]}), "run_id"),
            (json!({"run_id": {"id": "r1"}}), "run_id"),
            (json!({"run_id": true}), "run_id"),
            (json!({"runid": "r1"}), "runid"),
            (json!({"requested_by": 7}), "requested_by"),
            (json!({"requested_by": null}), "requested_by"),
            (json!({"requested_by": "me"}), "requested_by"),
            (
                json!({"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": false}),
                "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID",
            ),
            (json!([]), "(input)"),
            (json!(null), "(input)"),
            (json!("r1"), "(input)"),
        ] {
            let err = validate_cleanup(&input).expect_err(&input.to_string());
            assert_eq!(err.problems.len(), 1, "{err}");
            assert_eq!(err.problems[0].field, field, "{err}");
            let message = err.to_string();
            assert!(
                message.starts_with("invalid Cleanup input (1 problem): "),
                "{message}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err =
            validate_cleanup(&json!({"run_id": null, "requested_by": 1, "x": 2})).unwrap_err();
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["x", "run_id", "requested_by"]);
        assert!(err.to_string().contains("leave run_id out"), "{err}");
    }
}

//! The Harvester's bad-input corpus (`tests/inputs/harvester-bad.json` at the workspace root, shared
//! with the integration tests that run it through the deployed state machine): every case is refused,
//! and the refusal names every field the case expects.

use s3insights::input::{validate, HarvesterInput};
use serde_json::Value;

fn corpus() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/inputs/harvester-bad.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("corpus file")).expect("corpus JSON")
}

fn no_unknown_placeholders(query: &str) -> Result<(), String> {
    s3insights::catalogue::check_placeholders(query).map_err(|e| e.to_string())
}

fn builtin_names() -> Vec<&'static str> {
    s3insights::catalogue::builtin_queries()
        .iter()
        .map(|q| q.name)
        .collect()
}

#[test]
fn the_corpus_base_is_valid_and_gets_defaults() {
    let corpus = corpus();
    let input: HarvesterInput =
        validate(&corpus["base"], &builtin_names(), no_unknown_placeholders)
            .expect("base is valid");
    assert_eq!(input.run_id, "r1");
    assert_eq!(input.athena_database_name, "s3insights");
    assert_eq!(input.athena_table_name, "r1inventorytable");
    assert_eq!(input.accounts[0].exclude, vec!["logs-bucket".to_string()]);
    assert!(!input.is_smoke_test);
    assert_eq!(input.inventory_timeout_hours, 48);
}

#[test]
fn every_bad_input_is_refused_naming_its_fields() {
    let corpus = corpus();
    let cases = corpus["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let builtin = builtin_names();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let err = validate(&case["input"], &builtin, no_unknown_placeholders)
            .expect_err(&format!("case {name:?} was accepted"));
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        for expected in case["fields"].as_array().unwrap() {
            let expected = expected.as_str().unwrap();
            assert!(
                fields.contains(&expected),
                "case {name:?}: expected a problem at {expected}, got {fields:?}"
            );
            assert!(err.to_string().contains(expected), "{err}");
        }
        assert_eq!(
            fields.len(),
            case["fields"].as_array().unwrap().len(),
            "case {name:?}: unexpected extra problems {err}"
        );
    }
}

#[test]
fn a_builtin_query_name_cannot_be_reused() {
    let mut input = corpus()["base"].clone();
    let builtin = builtin_names();
    input["athena_queries"] = serde_json::json!([{"name": builtin[0], "query": "SELECT 1"}]);
    let err = validate(&input, &builtin, no_unknown_placeholders).unwrap_err();
    assert_eq!(err.problems[0].field, "athena_queries[0].name");
}

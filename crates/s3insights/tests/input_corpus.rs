//! The Harvester's bad-input corpus (`tests/inputs/harvester-bad.json` at the workspace root, shared
//! with the integration tests that run it through the deployed state machine): every case is refused,
//! and the refusal names every field the case expects.

use s3insights::catalogue::input_rules;
use s3insights::cost::PriceTable;
use s3insights::input::{
    partition, validate, HarvesterInput, InvalidInput, Rules, DEFAULT_REGIONS,
    MAX_EXECUTION_INPUT_BYTES,
};
use serde_json::{json, Value};

fn corpus() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/inputs/harvester-bad.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("corpus file")).expect("corpus JSON")
}

/// The rules the run ledger applies in a host of the `aws` partition.
fn rules() -> Rules<'static> {
    input_rules(partition("aws").expect("the aws partition"))
}

fn refused(input: &Value) -> InvalidInput {
    match validate(input, &rules()) {
        Ok(_) => panic!("accepted: {}", truncated(input)),
        Err(err) => err,
    }
}

fn truncated(input: &Value) -> String {
    input.to_string().chars().take(300).collect()
}

#[test]
fn the_corpus_base_is_valid_and_gets_defaults() {
    let corpus = corpus();
    let input: HarvesterInput = validate(&corpus["base"], &rules()).expect("base is valid");
    assert_eq!(input.run_id, "r1");
    assert_eq!(input.athena_database_name, "s3insights");
    assert_eq!(input.athena_table_name, "r1inventorytable");
    assert_eq!(input.accounts[0].exclude, vec!["logs-bucket".to_string()]);
    assert!(!input.is_smoke_test);
    assert_eq!(input.inventory_timeout_hours, 48);
}

#[test]
fn operator_storage_prices_are_kept_and_replace_the_builtin_ones_class_by_class() {
    let mut input = corpus()["base"].clone();
    input["storage_prices"] = json!({
        "source": "our EDP rates",
        "date": "2026-11",
        "regions": {"eu-west-1": {"STANDARD": 0.02, "GLACIER": 0.003}},
        "intelligent_tiering_monitoring_per_1000_objects": 0.002
    });
    let valid = validate(&input, &rules()).expect("valid");
    let table = valid
        .storage_prices
        .as_ref()
        .expect("kept")
        .applied_to(PriceTable::builtin());
    assert_eq!(table.regions["eu-west-1"]["STANDARD"], 0.02);
    assert_eq!(table.regions["eu-west-1"]["GLACIER"], 0.003);
    assert_eq!(table.regions["eu-west-1"].len(), 2, "the rest falls back");
    assert_eq!(table.regions["us-east-1"]["STANDARD"], 0.023);
    assert_eq!(table.intelligent_tiering_monitoring_per_1000_objects, 0.002);
    let label = table.label();
    assert!(
        label.contains("our EDP rates") && label.contains("2026-11"),
        "{label}"
    );
    // The run keeps them through its stored input.
    let stored: HarvesterInput =
        serde_json::from_value(serde_json::to_value(&valid).expect("to JSON")).expect("back");
    assert_eq!(stored, valid);
}

#[test]
fn every_bad_input_is_refused_naming_its_fields() {
    let corpus = corpus();
    let cases = corpus["cases"].as_array().expect("cases");
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let Err(err) = validate(&case["input"], &rules()) else {
            failures.push(format!("case {name:?} was accepted"));
            continue;
        };
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        let expected: Vec<&str> = case["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        for field in &expected {
            if !fields.contains(field) || !err.to_string().contains(field) {
                failures.push(format!("case {name:?}: no problem at {field}: {err}"));
            }
        }
        if fields.len() != expected.len() {
            failures.push(format!(
                "case {name:?}: expected problems at {expected:?}, got {err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_builtin_query_name_cannot_be_reused() {
    let mut input = corpus()["base"].clone();
    let builtin = s3insights::catalogue::builtin_query_names();
    input["athena_queries"] = json!([{"name": builtin[0], "query": "SELECT 1"}]);
    let err = refused(&input);
    assert_eq!(err.problems[0].field, "athena_queries[0].name");
}

/// Step Functions refuses an execution input over 262,144 bytes (UTF-8): the probe was one
/// account with 4,700 `exclude` names (315 KB).
#[test]
fn an_input_over_the_execution_input_limit_is_refused_with_the_limit() {
    let mut input = corpus()["base"].clone();
    let names: Vec<String> = (0..4700)
        .map(|i| format!("a-bucket-that-is-excluded-from-the-run-by-its-owner-{i:05}"))
        .collect();
    input["accounts"][0]["exclude"] = json!(names);
    let size = serde_json::to_vec(&input).unwrap().len();
    assert!(size > 262_144, "{size}");
    let Err(err) = validate(&input, &rules()) else {
        panic!("an input of {size} bytes was accepted");
    };
    let problem = err
        .problems
        .iter()
        .find(|p| p.field == "(input)")
        .unwrap_or_else(|| panic!("no problem on (input): {err}"));
    assert!(problem.message.contains("262,144 bytes"), "{problem}");
    assert!(
        problem.message.contains(&format!("{size}")) || problem.message.contains(&group(size)),
        "{problem}"
    );
    assert!(problem.message.contains("exclude"), "{problem}");
}

fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The base input padded (with exclude names) to exactly `size` bytes of compact JSON.
fn input_of_size(size: usize) -> Value {
    let mut input = corpus()["base"].clone();
    input["accounts"][0]["exclude"] = json!(["b-first"]);
    // Each further name adds its length and 3 bytes (`,"…"`).
    let mut current = serde_json::to_vec(&input).unwrap().len();
    let mut names = vec!["b-first".to_string()];
    let name = |i: usize, len: usize| {
        let stem = format!("b{i}-");
        format!("{stem}{}", "x".repeat(len - stem.len()))
    };
    // Whole 63-character names while two more fit, then one or two that hit `size` exactly.
    while current + 2 * 66 <= size {
        names.push(name(names.len(), 63));
        current += 66;
    }
    let remaining = size - current;
    if remaining - 3 <= 63 {
        names.push(name(names.len(), remaining - 3));
    } else {
        let first = (remaining - 6) / 2;
        names.push(name(names.len(), first));
        names.push(name(names.len(), remaining - 6 - first));
    }
    input["accounts"][0]["exclude"] = json!(names);
    assert_eq!(serde_json::to_vec(&input).unwrap().len(), size);
    input
}

#[test]
fn an_input_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not() {
    let at_limit = input_of_size(MAX_EXECUTION_INPUT_BYTES);
    if let Err(err) = validate(&at_limit, &rules()) {
        panic!("an input of exactly the limit was refused: {err}");
    }
    let over = input_of_size(MAX_EXECUTION_INPUT_BYTES + 1);
    let err = refused(&over);
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].field, "(input)");
    assert!(err.problems[0].message.contains("262,145 bytes"), "{err}");
}

#[test]
fn a_refused_query_is_named_with_the_statement_found() {
    let mut input = corpus()["base"].clone();
    input["athena_queries"] = json!([
        {"name": "fine", "query": "SELECT count(*) FROM {database}.{table}"},
        {"name": "cleanup", "query": "DROP TABLE {database}.r0inventorytable"},
        {"name": "sneaky", "query": "SELECT 1; DELETE FROM {table}"},
    ]);
    let err = refused(&input);
    let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["athena_queries[1].query", "athena_queries[2].query"]
    );
    assert!(
        err.problems[0].message.starts_with(
            "\"cleanup\" is a DROP statement; user queries must be one read-only query (SELECT or WITH … SELECT"
        ),
        "{err}"
    );
    assert!(
        err.problems[1]
            .message
            .starts_with("\"sneaky\" holds a second statement after ';' (a DELETE statement"),
        "{err}"
    );
}

#[test]
fn unknown_regions_are_named_one_by_one_and_together() {
    let mut input = corpus()["base"].clone();
    input["supported_regions"] = json!(["us-east-1", "moon-1", "us-east-9", "us-gov-west-1"]);
    let err = refused(&input);
    let messages: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages[..3],
        [
            "supported_regions[1]: \"moon-1\" is not a region of partition aws",
            "supported_regions[2]: \"us-east-9\" is not a region of partition aws",
            "supported_regions[3]: \"us-gov-west-1\" is not a region of partition aws (it is in partition aws-us-gov; a run covers its host's partition only)",
        ]
    );
    assert!(
        messages[3].starts_with(
            "supported_regions: 3 regions are not in partition aws: \"moon-1\", \"us-east-9\", \"us-gov-west-1\"; the partition's regions are af-south-1, "
        ),
        "{}",
        messages[3]
    );
    assert_eq!(messages.len(), 4);
}

#[test]
fn the_default_regions_are_regions_of_the_aws_partition() {
    let aws = partition("aws").unwrap();
    for region in DEFAULT_REGIONS {
        assert!(aws.has_region(region), "{region}");
    }
    let input = validate(
        &corpus()["base"].clone().tap_remove("supported_regions"),
        &rules(),
    )
    .unwrap();
    assert_eq!(input.supported_regions, DEFAULT_REGIONS.map(String::from));
}

#[test]
fn another_partition_defaults_to_all_its_regions_and_accepts_only_them() {
    let gov = partition("aws-us-gov").unwrap();
    let rules = input_rules(gov);
    let input = validate(
        &corpus()["base"].clone().tap_remove("supported_regions"),
        &rules,
    )
    .unwrap();
    assert_eq!(input.supported_regions, ["us-gov-east-1", "us-gov-west-1"]);
    let mut base = corpus()["base"].clone();
    base["supported_regions"] = json!(["us-gov-west-1"]);
    assert!(validate(&base, &rules).is_ok());
    base["supported_regions"] = json!(["us-east-1"]);
    let err = validate(&base, &rules).unwrap_err();
    assert_eq!(
        err.problems[0].to_string(),
        "supported_regions[0]: \"us-east-1\" is not a region of partition aws-us-gov (it is in partition aws; a run covers its host's partition only)"
    );
}

#[test]
fn addresses_ses_cannot_use_are_refused_naming_the_character() {
    let mut input = corpus()["base"].clone();
    input["sender_email_address"] = json!("s3insights\u{200B}@example.com");
    input["recipient_email_addresses"] = json!([
        "ok@example.com",
        "ops\u{202E}@example.com",
        "op\u{E9}@example.com"
    ]);
    let err = refused(&input);
    let messages: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{err}");
    assert!(messages[0].starts_with("sender_email_address: \"s3insights\\u{200B}@example.com\" contains U+200B (ZERO WIDTH SPACE) in its local part"), "{}", messages[0]);
    assert!(
        messages[1].starts_with("recipient_email_addresses[1]: "),
        "{}",
        messages[1]
    );
    assert!(
        messages[1].contains("U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        "{}",
        messages[1]
    );
    assert!(
        messages[2].starts_with("recipient_email_addresses[2]: "),
        "{}",
        messages[2]
    );
    assert!(
        messages[2].contains("U+00E9") && messages[2].contains("SMTPUTF8"),
        "{}",
        messages[2]
    );
}

/// `value` without `key`, for building inputs in one expression.
trait TapRemove {
    fn tap_remove(self, key: &str) -> Self;
}

impl TapRemove for Value {
    fn tap_remove(mut self, key: &str) -> Self {
        self.as_object_mut().unwrap().remove(key);
        self
    }
}

//! `template.yaml`'s Historical section agrees with the code: the CloudTrail rules match exactly the
//! event names the technologies act on, within EventBridge's pattern size; every technology has its
//! Current and Durable tables with the original's keys, TTL and streams, and every function that
//! reads tables names them all; every Historical queue has a dead-letter queue; each function gets
//! exactly the variables its configuration reads.

use std::collections::{BTreeMap, BTreeSet};

use historical::Technology;
use serde_json::Value;

/// EventBridge's default limit on an event pattern, in characters.
const PATTERN_LIMIT: usize = 2_048;

fn load(file: &str) -> Value {
    let root = local_aws::paths::Workspace::locate().root;
    local_aws::template::load(&root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn template() -> Value {
    load("template.yaml")
}

fn resources(template: &Value) -> &serde_json::Map<String, Value> {
    template["Resources"].as_object().expect("Resources")
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

#[test]
fn cloudtrail_rules_match_the_technologies_event_names() {
    check_rules(&template(), "template.yaml", |target| {
        target["Arn"]["Fn::GetAtt"][0] == "HistoricalEventQueue"
    });
}

#[test]
fn off_region_rules_are_the_primary_rules() {
    check_rules(
        &load("historical-off-region.yaml"),
        "historical-off-region.yaml",
        |target| target["Arn"]["Ref"] == "ForwarderTopic",
    );
}

fn check_rules(template: &Value, file: &str, feeds_collector: impl Fn(&Value) -> bool) {
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for tech in Technology::ALL {
        let rules = tech.rules();
        let names = wanted.entry(rules.event_source().to_string()).or_default();
        names.extend(rules.update_events().iter().map(|s| s.to_string()));
        names.extend(rules.delete_events().iter().map(|s| s.to_string()));
    }
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, resource) in resources(template) {
        if resource["Type"] != "AWS::Events::Rule"
            || resource["Properties"]["EventPattern"].is_null()
        {
            continue;
        }
        let pattern = &resource["Properties"]["EventPattern"];
        let text = serde_json::to_string(pattern).unwrap();
        assert!(
            text.len() < PATTERN_LIMIT,
            "{name}: pattern of {} characters",
            text.len()
        );
        assert_eq!(
            strings(&pattern["detail-type"]),
            BTreeSet::from(["AWS API Call via CloudTrail".to_string()]),
            "{name}"
        );
        let sources = strings(&pattern["detail"]["eventSource"]);
        assert_eq!(sources.len(), 1, "{name}: one service per rule");
        let source = sources.into_iter().next().unwrap();
        let service = source.trim_end_matches(".amazonaws.com");
        assert_eq!(
            strings(&pattern["source"]),
            BTreeSet::from([format!("aws.{service}")]),
            "{name}"
        );
        assert!(
            feeds_collector(&resource["Properties"]["Targets"][0]),
            "{file} {name}: target {}",
            resource["Properties"]["Targets"]
        );
        let previous = found.insert(source.clone(), strings(&pattern["detail"]["eventName"]));
        assert!(previous.is_none(), "{file}: two rules for {source}");
    }
    assert_eq!(found, wanted, "{file}");
}

#[test]
fn every_technology_has_its_tables_and_every_reader_names_them() {
    let template = template();
    let resources = resources(&template);
    let table_name = |r: &Value| {
        r["Properties"]["TableName"]["Fn::Sub"]
            .as_str()
            .map(String::from)
    };
    for tech in Technology::ALL {
        let current = resources
            .values()
            .find(|r| table_name(r) == Some(format!("${{HistoricalTablePrefix}}-{tech}-current")))
            .unwrap_or_else(|| panic!("no Current table for {tech}"));
        let p = &current["Properties"];
        assert_eq!(
            p["KeySchema"].as_array().unwrap().len(),
            1,
            "{tech}: hash arn"
        );
        assert_eq!(p["KeySchema"][0]["AttributeName"], "arn");
        assert_eq!(p["TimeToLiveSpecification"]["AttributeName"], "ttl");
        assert_eq!(
            p["StreamSpecification"]["StreamViewType"],
            "NEW_AND_OLD_IMAGES"
        );
        let durable = resources
            .values()
            .find(|r| table_name(r) == Some(format!("${{HistoricalTablePrefix}}-{tech}-durable")))
            .unwrap_or_else(|| panic!("no Durable table for {tech}"));
        let p = &durable["Properties"];
        assert_eq!(p["KeySchema"][0]["AttributeName"], "arn");
        assert_eq!(p["KeySchema"][1]["AttributeName"], "eventTime");
        assert_eq!(p["KeySchema"][1]["KeyType"], "RANGE");
        assert!(
            p["TimeToLiveSpecification"].is_null(),
            "{tech}: history never expires"
        );
        assert_eq!(
            p["StreamSpecification"]["StreamViewType"],
            "NEW_AND_OLD_IMAGES"
        );
    }
    for (name, resource) in resources {
        let variables = &resource["Properties"]["Environment"]["Variables"];
        for (variable, kind) in [("CURRENT_TABLES", "Current"), ("DURABLE_TABLES", "Durable")] {
            let Some(value) = variables[variable]["Fn::Sub"].as_str() else {
                continue;
            };
            let names: BTreeSet<&str> = value
                .split(',')
                .map(|pair| pair.split('=').next().unwrap())
                .collect();
            let all: BTreeSet<&str> = Technology::ALL.iter().map(|t| t.id()).collect();
            assert_eq!(names, all, "{name} {variable}");
            for pair in value.split(',') {
                let (tech, table) = pair.split_once('=').unwrap();
                let logical = table.trim_start_matches("${").trim_end_matches('}');
                assert!(
                    logical.ends_with(&format!("{kind}Table")),
                    "{name}: {tech} -> {logical}"
                );
            }
        }
    }
}

/// The names of a template `Environment.Variables` map.
fn variable_names(variables: &Value) -> BTreeSet<&str> {
    variables
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| name.as_str())
        .collect()
}

/// Each function's entry sets exactly what its configuration reads (`VARIABLES`, which the unit test
/// of `historical_aws::handlers` proves are what `from_env` reads); `template_policy.rs` checks that
/// `Globals` sets nothing else but `RUST_LOG`.
#[test]
fn each_historical_function_sets_exactly_the_variables_its_configuration_reads() {
    use historical_aws::handlers::FUNCTIONS;
    let template = template();
    let resources = resources(&template);
    for function in FUNCTIONS {
        let properties = &resources[function.logical_id]["Properties"];
        assert_eq!(
            resources[function.logical_id]["Metadata"]["BuildProperties"]["Binary"],
            function.binary,
            "{}",
            function.logical_id
        );
        let read: BTreeSet<&str> = function.variables.iter().copied().collect();
        assert_eq!(
            variable_names(&properties["Environment"]["Variables"]),
            read,
            "{}: set by the template, read by its configuration",
            function.logical_id
        );
    }
    // Every Historical function is in the registry.
    let binaries: BTreeSet<&str> = resources
        .values()
        .filter_map(|r| r["Metadata"]["BuildProperties"]["Binary"].as_str())
        .filter(|b| b.starts_with("historical-"))
        .collect();
    let registered: BTreeSet<&str> = FUNCTIONS.iter().map(|f| f.binary).collect();
    assert_eq!(binaries, registered);
}

#[test]
fn every_historical_queue_has_a_dead_letter_queue() {
    let template = template();
    let resources = resources(&template);
    for name in [
        "HistoricalEventQueue",
        "PollerTaskQueue",
        "PollQueue",
        "DifferQueue",
    ] {
        let queue = &resources[name]["Properties"];
        assert_eq!(
            queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0],
            Value::String(format!("{name}DeadLetterQueue")),
            "{name}"
        );
    }
    // stream mappings record what they could not forward
    for function in ["CurrentProxyFunction", "DurableProxyFunction"] {
        let events = resources[function]["Properties"]["Events"]
            .as_object()
            .unwrap();
        assert_eq!(
            events.len(),
            Technology::ALL.len(),
            "{function}: one stream per technology"
        );
        for (event, spec) in events {
            let p = &spec["Properties"];
            assert_eq!(spec["Type"], "DynamoDB", "{function} {event}");
            assert_eq!(
                p["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0],
                "StreamFailureQueue",
                "{function} {event}"
            );
            assert_eq!(p["FunctionResponseTypes"][0], "ReportBatchItemFailures");
        }
    }
}

/// Every action of the statements of `policy_statements` (inline IAM or SAM `Statement` lists).
fn actions(statements: &Value) -> BTreeSet<String> {
    statements
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            other => strings(other).into_iter().collect(),
        })
        .collect()
}

#[test]
fn the_host_account_is_described_with_the_member_roles_permissions() {
    let member = load("cross-account-role.yaml");
    let policies = member["Resources"]["CrossAccountRole"]["Properties"]["Policies"]
        .as_array()
        .expect("member role policies");
    let record = policies
        .iter()
        .find(|p| p["PolicyName"] == "RecordConfigurations")
        .expect("RecordConfigurations policy");
    let wanted = actions(&record["PolicyDocument"]["Statement"]);
    assert!(wanted.contains("ec2:DescribeVpcs") && wanted.len() > 20);
    let template = template();
    let granted = |function: &str| -> BTreeSet<String> {
        template["Resources"][function]["Properties"]["Policies"]
            .as_array()
            .expect("policies")
            .iter()
            .flat_map(|p| actions(&p["Statement"]))
            .collect()
    };
    // Least privilege splits the member role's grant by use: the poller lists, the collector
    // describes. Together they hold all of it.
    let (poller, collector) = (granted("PollerFunction"), granted("CollectorFunction"));
    let together: BTreeSet<String> = poller.union(&collector).cloned().collect();
    let missing: Vec<&String> = wanted.difference(&together).collect();
    assert!(
        missing.is_empty(),
        "the host account cannot be recorded: {missing:?}"
    );
    assert!(poller.contains("iam:ListRoles") && !poller.contains("iam:GetRole"));
    assert!(collector.contains("iam:GetRole") && !collector.contains("iam:ListRoles"));
}

#[test]
fn the_history_table_declares_the_columns_the_durable_proxy_writes() {
    let template = template();
    let table = &resources(&template)["HistoryTable"]["Properties"]["TableInput"];
    let pairs = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["Name"].as_str().unwrap_or_default().to_owned(),
                    c["Type"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let columns: Vec<(String, String)> = historical::history::COLUMNS
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(pairs(&table["StorageDescriptor"]["Columns"]), columns);
    let keys: Vec<(String, String)> = historical::history::PARTITION_KEYS
        .iter()
        .map(|k| ((*k).to_owned(), "string".to_owned()))
        .collect();
    assert_eq!(pairs(&table["PartitionKeys"]), keys);
    // Partition projection names every technology, and the objects' folders are where the writer
    // puts them (history/tech=<tech>/day=<day>/).
    let parameters = &table["Parameters"];
    let techs: Vec<String> = Technology::ALL.iter().map(|t| t.to_string()).collect();
    assert_eq!(parameters["projection.tech.values"], techs.join(","));
    let location = serde_json::to_string(&parameters["storage.location.template"]).unwrap();
    assert!(
        location.contains(&format!(
            "/{}tech=${{!tech}}/day=${{!day}}/",
            historical::history::PREFIX
        )),
        "{location}"
    );
}

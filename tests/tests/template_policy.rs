//! Least privilege and encryption, checked on all four templates (issue 5, item 3):
//!
//! - no IAM statement (roles' inline policies, managed and inline policy resources, SAM `Policies`)
//!   allows `*` or `service:*` actions, or uses `NotAction`/`NotResource` to allow;
//! - write actions are scoped: their Resource is never `*`, but for the few APIs that accept only `*`
//!   ([`ONLY_STAR`]);
//! - SAM policies are either inline statements (checked as above) or policy templates scoped by
//!   construction ([`SAM_POLICY_TEMPLATES`]); no managed policy is attached by name;
//! - every role another account may assume requires `sts:ExternalId` (the cross-account role has one);
//! - every bucket blocks public access, encrypts, and has a bucket policy denying non-TLS requests;
//! - every queue and topic is encrypted;
//! - every queue has a dead-letter queue, but the queues that are one (named by another queue's
//!   RedrivePolicy) and the on-failure destinations of event source mappings (DestinationConfig);
//! - each S3Insights function gets exactly the variables its configuration reads (none in
//!   `Globals` but `RUST_LOG`), and may use the state table as its code does (issue 16);
//! - functions and state machines hold statements of the actions their code calls, not SAM's broad
//!   CRUD and read policy templates (issue 17; the suite's access report shows what they used).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

const TEMPLATES: [&str; 4] = [
    "template.yaml",
    "regional-transient.yaml",
    "cross-account-role.yaml",
    "historical-off-region.yaml",
];

/// SAM policy templates this project uses: each grants a fixed action list on the one resource its
/// parameter names (a table, bucket, queue, topic or function of this deployment).
const SAM_POLICY_TEMPLATES: [&str; 8] = [
    "DynamoDBCrudPolicy",
    "DynamoDBReadPolicy",
    "S3CrudPolicy",
    "S3ReadPolicy",
    "SQSSendMessagePolicy",
    "SQSPollerPolicy",
    "SNSPublishMessagePolicy",
    "LambdaInvokePolicy",
];

/// Write actions whose API takes no resource ARN: IAM accepts only `*` for them.
const ONLY_STAR: [(&str, &str); 2] = [
    // A key has no ARN before it exists (regional-transient.yaml's StagingKey, created by the
    // StagingStackRole); the statement requires the run tag.
    ("kms:CreateKey", "creates a key, which has no ARN yet"),
    // Tags given to CreateKey are authorised as kms:TagResource on `*` (the stack's run tag).
    (
        "kms:TagResource",
        "tags a key being created (CreateKey with Tags)",
    ),
];

/// Action verbs that change something. An action is a write if its name starts with one of them.
const WRITE_VERBS: [&str; 40] = [
    "Put",
    "Delete",
    "Create",
    "Update",
    "Send",
    "Publish",
    "Start",
    "Stop",
    "Set",
    "Tag",
    "Untag",
    "Attach",
    "Detach",
    "Add",
    "Remove",
    "Modify",
    "Invoke",
    "Schedule",
    "Enable",
    "Disable",
    "BatchCreate",
    "BatchDelete",
    "BatchPut",
    "BatchWrite",
    "BatchUpdate",
    "Subscribe",
    "Unsubscribe",
    "Authorize",
    "Revoke",
    "Pass",
    "Write",
    "Upload",
    "Copy",
    "Restore",
    "Associate",
    "Disassociate",
    "Register",
    "Deregister",
    "Terminate",
    "Abort",
];

fn load(file: &str) -> Value {
    let root = local_aws::paths::Workspace::locate().root;
    local_aws::template::load(&root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn all() -> Vec<(&'static str, Value)> {
    TEMPLATES.iter().map(|f| (*f, load(f))).collect()
}

fn resources(template: &Value) -> &Map<String, Value> {
    template["Resources"].as_object().expect("Resources")
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    resources(template)
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// A value's alternatives: both branches of `Fn::If` (recursively), without `AWS::NoValue`.
fn branches(value: &Value) -> Vec<&Value> {
    if let Some([_, yes, no]) = value
        .get("Fn::If")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return branches(yes).into_iter().chain(branches(no)).collect();
    }
    if value.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue") {
        return Vec::new();
    }
    vec![value]
}

/// A string-or-list field (Action, Resource, Statement) as its items, `Fn::If` branches flattened.
fn items(value: &Value) -> Vec<&Value> {
    branches(value)
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(list) => list.iter().flat_map(branches).collect(),
            other => vec![other],
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn statements(document: &Value) -> Vec<&Value> {
    items(&document["Statement"])
}

/// Where an identity policy statement was found, for messages.
struct Found<'a> {
    place: String,
    statement: &'a Value,
}

/// Every identity-policy statement of a template (not trust or resource policies).
fn identity_statements<'a>(file: &str, template: &'a Value) -> (Vec<Found<'a>>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (name, resource) in resources(template) {
        let props = &resource["Properties"];
        let kind = resource["Type"].as_str().unwrap_or_default();
        let mut documents: Vec<(String, &Value)> = Vec::new();
        match kind {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                for policy in items(&props["Policies"]) {
                    let label = policy["PolicyName"].as_str().unwrap_or("?").to_string();
                    documents.push((label, &policy["PolicyDocument"]));
                }
                for arn in items(&props["ManagedPolicyArns"]) {
                    problems.push(format!(
                        "{file} {name}: attaches managed policy {arn}: state the statements inline"
                    ));
                }
            }
            "AWS::IAM::ManagedPolicy" | "AWS::IAM::Policy" => {
                documents.push(("PolicyDocument".into(), &props["PolicyDocument"]));
            }
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                for policy in items(&props["Policies"]) {
                    if policy.get("Statement").is_some() {
                        documents.push(("inline".into(), policy));
                        continue;
                    }
                    let template_name = policy
                        .as_object()
                        .filter(|o| o.len() == 1)
                        .and_then(|o| o.keys().next());
                    match template_name {
                        Some(t) if SAM_POLICY_TEMPLATES.contains(&t.as_str()) => {}
                        _ => problems.push(format!(
                            "{file} {name}: SAM policy {policy} is neither inline statements nor a \
                             known scoped policy template"
                        )),
                    }
                }
            }
            _ => {}
        }
        for (label, document) in documents {
            for statement in statements(document) {
                found.push(Found {
                    place: format!("{file} {name} ({label})"),
                    statement,
                });
            }
        }
    }
    (found, problems)
}

fn is_write(action: &str) -> bool {
    let verb = action.split_once(':').map_or(action, |(_, v)| v);
    WRITE_VERBS.iter().any(|w| {
        verb == *w
            || (verb.starts_with(w)
                && verb[w.len()..].starts_with(|c: char| c.is_ascii_uppercase() || c == '*'))
    })
}

/// The identity statements' actions and resources; returns how many statements it read.
fn check_actions(file: &str, template: &Value, problems: &mut Vec<String>) -> usize {
    let mut checked = 0;
    let (found, mut more) = identity_statements(file, template);
    problems.append(&mut more);
    for Found { place, statement } in found {
        checked += 1;
        if statement["Effect"] != "Allow" {
            continue;
        }
        for not in ["NotAction", "NotResource"] {
            if statement.get(not).is_some() {
                problems.push(format!("{place}: an Allow with {not}"));
            }
        }
        let actions: Vec<&str> = items(&statement["Action"])
            .into_iter()
            .map(|a| a.as_str().unwrap_or_else(|| panic!("{place}: action {a}")))
            .collect();
        let star_resource = items(&statement["Resource"])
            .iter()
            .any(|r| r.as_str() == Some("*"));
        for action in actions {
            if action == "*" || action.ends_with(":*") {
                problems.push(format!("{place}: allows every action ({action})"));
                continue;
            }
            if star_resource && is_write(action) {
                let allowed = ONLY_STAR
                    .iter()
                    .any(|(a, _)| a.eq_ignore_ascii_case(action));
                if !allowed {
                    problems.push(format!("{place}: write action {action} on Resource '*'"));
                }
            }
        }
    }
    checked
}

#[test]
fn no_wildcard_actions_and_writes_are_scoped() {
    let (checked, problems) = over_all(check_actions);
    assert!(
        checked > 40,
        "only {checked} statements found: is the walk broken?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_write_verbs_are_recognised() {
    for write in [
        "s3:PutObject",
        "sqs:SendMessage",
        "sns:Publish",
        "states:StartExecution",
        "kms:CreateKey",
        "dynamodb:BatchWriteItem",
        "iam:PassRole",
    ] {
        assert!(is_write(write), "{write}");
    }
    for read in [
        "s3:GetObject",
        "s3:ListAllMyBuckets",
        "ec2:DescribeVpcs",
        "sts:AssumeRole",
        "kms:Decrypt",
        "sqs:GetQueueAttributes",
        "ec2:DescribeTags",
    ] {
        assert!(!is_write(read), "{read}");
    }
}

/// Role trust statements that admit another account (an `AWS` principal) require `sts:ExternalId`.
/// Returns how many trust statements admit another account.
fn check_external_id(file: &str, template: &Value, problems: &mut Vec<String>) -> usize {
    let mut cross_account = 0;
    for (name, role) in of_type(template, "AWS::IAM::Role") {
        let trust = &role["Properties"]["AssumeRolePolicyDocument"];
        for statement in statements(trust) {
            if statement["Effect"] != "Allow" || statement["Principal"].get("AWS").is_none() {
                continue;
            }
            cross_account += 1;
            let condition = &statement["Condition"];
            let external_id = ["StringEquals", "StringLike"]
                .iter()
                .any(|op| !condition[op]["sts:ExternalId"].is_null());
            if !external_id {
                problems.push(format!("{file} {name}: trust without sts:ExternalId"));
            }
        }
    }
    cross_account
}

#[test]
fn cross_account_roles_require_an_external_id() {
    let mut problems = Vec::new();
    let cross_account = check_external_id(
        "cross-account-role.yaml",
        &load("cross-account-role.yaml"),
        &mut problems,
    );
    assert!(
        cross_account > 0,
        "cross-account-role.yaml: no role another account may assume"
    );
    let (_, problems) = over_all(check_external_id);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The logical id a `Ref` or `Fn::GetAtt` names, if `value` is one.
fn referenced(value: &Value) -> Option<&str> {
    value["Ref"].as_str().or_else(|| {
        value["Fn::GetAtt"]
            .get(0)
            .and_then(Value::as_str)
            .or_else(|| {
                value["Fn::GetAtt"]
                    .as_str()
                    .and_then(|s| s.split('.').next())
            })
    })
}

/// Returns how many buckets it checked.
fn check_buckets(file: &str, template: &Value, problems: &mut Vec<String>) -> usize {
    let mut buckets = 0;
    let policies = of_type(template, "AWS::S3::BucketPolicy");
    for (name, bucket) in of_type(template, "AWS::S3::Bucket") {
        buckets += 1;
        let props = &bucket["Properties"];
        let block = &props["PublicAccessBlockConfiguration"];
        for flag in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            if block[flag] != true {
                problems.push(format!("{file} {name}: {flag} is not true"));
            }
        }
        let encryption = &props["BucketEncryption"]["ServerSideEncryptionConfiguration"];
        if items(encryption).is_empty() {
            problems.push(format!("{file} {name}: no BucketEncryption"));
        }
        let denies_plain_http = policies
            .iter()
            .filter(|(_, p)| referenced(&p["Properties"]["Bucket"]) == Some(name.as_str()))
            .flat_map(|(_, p)| statements(&p["Properties"]["PolicyDocument"]))
            .any(|s| {
                let secure = &s["Condition"]["Bool"]["aws:SecureTransport"];
                s["Effect"] == "Deny"
                    && s["Principal"] == "*"
                    && items(&s["Action"]).iter().any(|a| *a == "s3:*")
                    && (*secure == "false" || *secure == false)
            });
        if !denies_plain_http {
            problems.push(format!(
                "{file} {name}: no bucket policy denies s3:* when aws:SecureTransport is false"
            ));
        }
    }
    buckets
}

#[test]
fn buckets_block_public_access_encrypt_and_require_tls() {
    let (buckets, problems) = over_all(check_buckets);
    assert!(buckets >= 3, "only {buckets} buckets found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Returns how many queues and topics it checked.
fn check_encryption(file: &str, template: &Value, problems: &mut Vec<String>) -> usize {
    let mut checked = 0;
    for (name, queue) in of_type(template, "AWS::SQS::Queue") {
        checked += 1;
        let props = &queue["Properties"];
        if props["SqsManagedSseEnabled"] != true && props["KmsMasterKeyId"].is_null() {
            problems.push(format!("{file} {name}: queue not encrypted"));
        }
    }
    for (name, topic) in of_type(template, "AWS::SNS::Topic") {
        checked += 1;
        if topic["Properties"]["KmsMasterKeyId"].is_null() {
            problems.push(format!("{file} {name}: topic without KmsMasterKeyId"));
        }
    }
    checked
}

#[test]
fn queues_and_topics_are_encrypted() {
    let (checked, problems) = over_all(check_encryption);
    assert!(checked >= 14, "only {checked} queues and topics found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `DestinationConfig` object anywhere under `value` (SAM event sources and event source
/// mappings): the logical ids its destinations name.
fn destinations<'a>(value: &'a Value, out: &mut BTreeSet<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "DestinationConfig" {
                    for target in ["OnFailure", "OnSuccess"] {
                        let destination = &inner[target]["Destination"];
                        out.extend(referenced(destination));
                    }
                }
                destinations(inner, out);
            }
        }
        Value::Array(list) => list.iter().for_each(|v| destinations(v, out)),
        _ => {}
    }
}

/// Returns how many queues it found exempt (dead-letter queues, on-failure destinations).
fn check_dead_letter_queues(file: &str, template: &Value, problems: &mut Vec<String>) -> usize {
    let mut exempt_total = 0;
    let queues = of_type(template, "AWS::SQS::Queue");
    // Queues that are dead-letter queues, and on-failure destinations: nothing redrives them.
    let mut exempt: BTreeSet<&str> = queues
        .iter()
        .filter_map(|(_, q)| referenced(&q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
        .collect();
    destinations(&template["Resources"], &mut exempt);
    for (name, queue) in &queues {
        if exempt.contains(name.as_str()) {
            exempt_total += 1;
            continue;
        }
        let redrive = &queue["Properties"]["RedrivePolicy"];
        if referenced(&redrive["deadLetterTargetArn"]).is_none()
            || redrive["maxReceiveCount"].is_null()
        {
            problems.push(format!(
                "{file} {name}: no RedrivePolicy to a dead-letter queue"
            ));
        }
    }
    exempt_total
}

#[test]
fn every_queue_has_a_dead_letter_queue() {
    let (exempt, problems) = over_all(check_dead_letter_queues);
    assert!(exempt > 0, "no dead-letter queue found at all");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

type Check = fn(&str, &Value, &mut Vec<String>) -> usize;

/// A check over the four templates: the sum of its counts, and every problem.
fn over_all(check: Check) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let count = all()
        .iter()
        .map(|(file, template)| check(file, template, &mut problems))
        .sum();
    (count, problems)
}

/// Each check finds what it is for: a template breaking every rule once.
#[test]
fn the_checks_catch_violations() {
    let bad = local_aws::template::parse(BAD).expect("BAD parses");
    let checks: [(Check, &[&str]); 5] = [
        (
            check_actions,
            &[
                "Role (P): allows every action (s3:*)",
                "Role (P): write action sqs:SendMessage on Resource '*'",
                "Role: attaches managed policy",
                "Fn (inline): allows every action (*)",
                "Fn: SAM policy \"AmazonS3FullAccess\"",
                "Fn: SAM policy {\"S3FullAccessPolicy\"",
                "Fn (inline): an Allow with NotAction",
            ],
        ),
        (check_external_id, &["Role: trust without sts:ExternalId"]),
        (
            check_buckets,
            &[
                "Bucket: RestrictPublicBuckets is not true",
                "Bucket: no BucketEncryption",
                "Bucket: no bucket policy denies",
            ],
        ),
        (
            check_encryption,
            &[
                "Queue: queue not encrypted",
                "Topic: topic without KmsMasterKeyId",
            ],
        ),
        (check_dead_letter_queues, &["Queue: no RedrivePolicy"]),
    ];
    for (check, expected) in checks {
        let mut problems = Vec::new();
        check("bad.yaml", &bad, &mut problems);
        for e in expected {
            assert!(
                problems.iter().any(|p| p.contains(e)),
                "expected a problem containing {e:?}, got:\n{}",
                problems.join("\n")
            );
        }
        assert_eq!(problems.len(), expected.len(), "{}", problems.join("\n"));
    }
}

const BAD: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: 'arn:aws:iam::111111111111:root'}
            Action: sts:AssumeRole
      ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess']
      Policies:
        - PolicyName: P
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:*]
                Resource: !Sub 'arn:aws:s3:::b'
              - !If
                - C
                - Effect: Allow
                  Action: [sqs:SendMessage, sqs:GetQueueUrl, kms:CreateKey]
                  Resource: '*'
                - !Ref AWS::NoValue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - AmazonS3FullAccess
        - S3FullAccessPolicy: {BucketName: b}
        - DynamoDBCrudPolicy: {TableName: t}
        - Statement:
            - Effect: Allow
              Action: '*'
              Resource: !GetAtt Queue.Arn
            - Effect: Allow
              NotAction: s3:GetObject
              Resource: !GetAtt Queue.Arn
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
  OtherBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: other
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: '*'
            Action: 's3:*'
            Resource: 'arn:aws:s3:::other/*'
            Condition: {Bool: {'aws:SecureTransport': 'false'}}
  Queue:
    Type: AWS::SQS::Queue
  Dlq:
    Type: AWS::SQS::Queue
    Properties: {SqsManagedSseEnabled: true}
  Redriven:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: true
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
  Topic:
    Type: AWS::SNS::Topic
"#;

/// The logical id a `!GetAtt X.Arn` (either form) names.
fn get_att_target(value: &Value) -> Option<&str> {
    match value.get("Fn::GetAtt")? {
        Value::String(dotted) => dotted.split('.').next(),
        Value::Array(parts) => parts.first()?.as_str(),
        _ => None,
    }
}

/// Every Task of a state machine definition, at any depth (Map and Parallel branches included).
fn tasks<'a>(states: &'a Value, out: &mut Vec<(&'a String, &'a Value)>) {
    for (name, state) in states.as_object().into_iter().flatten() {
        if state["Type"] == "Task" {
            out.push((name, state));
        }
        for inner in [&state["ItemProcessor"], &state["Iterator"]] {
            tasks(&inner["States"], out);
        }
        for branch in items(&state["Branches"]) {
            tasks(&branch["States"], out);
        }
    }
}

/// Issue 15, item 2: the analysis's queries (built-in and the input's) run as a role that can read
/// the catalogue and the inventory and write query results, and nothing else; the Harvester's own
/// role, which creates the database, the table and its partitions, runs none of them.
#[test]
fn queries_run_as_a_role_that_cannot_change_the_catalogue() {
    let root = local_aws::paths::Workspace::locate().root;
    let text = std::fs::read_to_string(root.join("statemachines/harvester.asl.json")).unwrap();
    // The numeric substitutions stand unquoted; the others are inside strings and stay as they are.
    let filled = text
        .replace("${RetryIntervalSeconds}", "1")
        .replace("${StackPollSeconds}", "1");
    let definition: Value = serde_json::from_str(&filled).expect("harvester.asl.json");
    let mut found = Vec::new();
    tasks(&definition["States"], &mut found);
    let queries: Vec<_> = found
        .iter()
        .filter(|(_, t)| {
            t["Resource"]
                .as_str()
                .is_some_and(|r| r.starts_with("arn:aws:states:::athena:startQueryExecution"))
                && t["Parameters"]["QueryString.$"] == "$.sql"
        })
        .collect();
    assert_eq!(queries.len(), 1, "the query plan's task: {found:?}");
    let (name, query) = queries[0];
    assert_eq!(
        query["Credentials"]["RoleArn"], "${QueryRoleArn}",
        "{name} must run as the query role"
    );

    let template = load("template.yaml");
    let substitution = &resources(&template)["HarvesterStateMachine"]["Properties"]
        ["DefinitionSubstitutions"]["QueryRoleArn"];
    let role_id = get_att_target(substitution).expect("QueryRoleArn is a role's ARN");
    let role = &resources(&template)[role_id];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    let trusted =
        &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"];
    assert_eq!(
        get_att_target(trusted),
        Some("HarvesterStateMachineRole"),
        "only the Harvester's role may assume it"
    );
    let mut problems = Vec::new();
    for policy in items(&role["Properties"]["Policies"]) {
        for statement in statements(&policy["PolicyDocument"]) {
            let resources: Vec<String> = items(&statement["Resource"])
                .iter()
                .map(|r| r.to_string())
                .collect();
            for action in items(&statement["Action"])
                .iter()
                .filter_map(|a| a.as_str())
            {
                let (service, verb) = action.split_once(':').expect("service:Verb");
                let allowed = match service {
                    "glue" => verb.starts_with("Get") || verb.starts_with("BatchGet"),
                    "athena" => true,
                    "s3" if is_write(action) => resources.iter().all(|r| r.contains("/athena/*")),
                    "s3" => true,
                    _ => false,
                };
                if !allowed {
                    problems.push(format!("{action} on {resources:?}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "QueryRole may change something: {problems:#?}"
    );
}

/// The variable names a function's `Environment` sets.
fn variables(value: &Value) -> BTreeSet<&str> {
    value["Environment"]["Variables"]
        .as_object()
        .map(|vars| vars.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn each_s3insights_function_gets_exactly_the_variables_its_configuration_reads() {
    use s3insights_aws::handlers::FUNCTIONS;
    let template = load("template.yaml");
    let globals = variables(&template["Globals"]["Function"]);
    assert_eq!(
        globals,
        BTreeSet::from(["RUST_LOG"]),
        "Globals reach Historical's functions too"
    );
    let resources = resources(&template);
    for function in FUNCTIONS {
        let resource = &resources[function.logical_id];
        assert_eq!(
            resource["Metadata"]["BuildProperties"]["Binary"], function.binary,
            "{}",
            function.logical_id
        );
        let expected: BTreeSet<&str> = function.variables.iter().copied().collect();
        assert_eq!(
            variables(&resource["Properties"]),
            expected,
            "{}: the template's variables against its configuration's",
            function.logical_id
        );
    }
    // Every S3Insights function is in the registry.
    let binaries: BTreeSet<&str> = of_type(&template, "AWS::Serverless::Function")
        .into_iter()
        .filter_map(|(_, r)| r["Metadata"]["BuildProperties"]["Binary"].as_str())
        .filter(|b| b.starts_with("s3insights-"))
        .collect();
    let registered: BTreeSet<&str> = FUNCTIONS.iter().map(|f| f.binary).collect();
    assert_eq!(binaries, registered);
}

/// Whether a statement's Resource names `logical_id` (`!GetAtt X.Arn`, `!Ref X`, or `${X.Arn}` /
/// `${X}` inside a `!Sub`).
fn names_resource(statement: &Value, logical_id: &str) -> bool {
    items(&statement["Resource"]).into_iter().any(|r| {
        referenced(r) == Some(logical_id)
            || r["Fn::Sub"].as_str().is_some_and(|text| {
                text.contains(&format!("${{{logical_id}.Arn}}"))
                    || text.contains(&format!("${{{logical_id}}}"))
            })
    })
}

/// The actions of a function's inline statements that allow something on `logical_id`.
fn actions_on<'a>(function: &'a Value, logical_id: &str) -> BTreeSet<&'a str> {
    items(&function["Properties"]["Policies"])
        .into_iter()
        .flat_map(statements)
        .filter(|st| st["Effect"] == "Allow" && names_resource(st, logical_id))
        .flat_map(|st| items(&st["Action"]))
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn s3insights_functions_may_use_the_state_table_as_their_code_does() {
    use s3insights_aws::handlers::FUNCTIONS;
    use s3insights_aws::store::Access;
    let template = load("template.yaml");
    let resources = resources(&template);
    let mut problems = Vec::new();
    for function in FUNCTIONS {
        let resource = &resources[function.logical_id];
        let actions = actions_on(resource, "StateTable");
        let writes = actions.iter().any(|a| is_write(a));
        let granted = match (actions.is_empty(), writes) {
            (true, _) => None,
            (false, true) => Some(Access::ReadWrite),
            (false, false) => Some(Access::Read),
        };
        // Exactly what the code does: a writer may write, a reader no more than read.
        if granted != Some(function.state_table) {
            problems.push(format!(
                "{}: its code uses the state table as {:?}, its policy grants {granted:?} ({actions:?})",
                function.logical_id, function.state_table
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// No SAM policy template is left where a function needs less than it grants: the functions'
/// permissions are statements of exactly the actions their code calls (the access report of the
/// suite shows them used), with a comment where one is not obvious.
#[test]
fn functions_and_state_machines_hold_explicit_statements_not_broad_policy_templates() {
    let template = load("template.yaml");
    let broad = [
        "DynamoDBCrudPolicy",
        "DynamoDBReadPolicy",
        "S3CrudPolicy",
        "S3ReadPolicy",
    ];
    let mut problems = Vec::new();
    for kind in ["AWS::Serverless::Function", "AWS::Serverless::StateMachine"] {
        for (name, resource) in of_type(&template, kind) {
            for policy in items(&resource["Properties"]["Policies"]) {
                for template_name in broad {
                    if policy.get(template_name).is_some() {
                        problems.push(format!("{name}: {template_name}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The handler permissions the local AWS checks a stack role with
/// (`crates/local-aws/emulator/cfn_handler_permissions.json`).
fn handler_permissions() -> Value {
    let root = local_aws::paths::Workspace::locate().root;
    let path = root.join("crates/local-aws/emulator/cfn_handler_permissions.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("cfn_handler_permissions.json is JSON")
}

/// The data is what the pinned cfn-lint ships: re-extracted with the linters' Python
/// (`scripts/lint/run` installs it first in `scripts/test`), it is the same.
#[test]
fn the_handler_permissions_are_those_the_pinned_cfn_lint_ships() {
    let root = local_aws::paths::Workspace::locate().root;
    let python = root.join(".offline/lint/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/lint/run (scripts/test does) to install the pinned cfn-lint",
        python.display()
    );
    let out = std::process::Command::new(&python)
        .arg(root.join("crates/local-aws/emulator/extract_cfn_handler_permissions.py"))
        .arg("--print")
        .output()
        .expect("run the extractor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh: Value = serde_json::from_slice(&out.stdout).expect("the extractor prints JSON");
    assert_eq!(
        fresh,
        handler_permissions(),
        "cfn_handler_permissions.json is stale: run the extractor (its header says how)"
    );
}

/// Every action of the StagingStackRole's statements (template.yaml) and of the staging key's
/// policy for that role (regional-transient.yaml), as plain strings.
fn staging_role_actions() -> BTreeSet<String> {
    let template = load("template.yaml");
    let role = &resources(&template)["StagingStackRole"]["Properties"];
    let mut actions = BTreeSet::new();
    for policy in items(&role["Policies"]) {
        for statement in statements(&policy["PolicyDocument"]) {
            for action in items(&statement["Action"]) {
                actions.insert(action.as_str().unwrap_or_default().to_string());
            }
        }
    }
    let regional = load("regional-transient.yaml");
    let key = &resources(&regional)["StagingKey"]["Properties"]["KeyPolicy"];
    for statement in statements(key) {
        if statement["Sid"] == "StagingStackRoleManagesThisKey" {
            for action in items(&statement["Action"]) {
                actions.insert(action.as_str().unwrap_or_default().to_string());
            }
        }
    }
    actions
}

/// The role CloudFormation creates and deletes the staging stacks with holds every permission the
/// registry schemas list for the read and delete handlers of the stack's resource types (the
/// create handlers' are checked by the local AWS, as far as the template uses their features).
#[test]
fn the_staging_stack_role_holds_the_read_and_delete_handler_permissions() {
    let data = handler_permissions();
    let held = staging_role_actions();
    let regional = load("regional-transient.yaml");
    let types: BTreeSet<&str> = resources(&regional)
        .values()
        .filter_map(|r| r["Type"].as_str())
        .collect();
    let mut missing = Vec::new();
    for kind in &types {
        let handlers = data["types"]
            .get(*kind)
            .unwrap_or_else(|| panic!("{kind}: no handler permissions in the data"));
        for handler in ["read", "delete"] {
            for action in items(&handlers[handler]) {
                let action = action.as_str().unwrap_or_default();
                if !held.contains(action) {
                    missing.push(format!("{kind} {handler}: {action}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "StagingStackRole lacks: {missing:#?}");
}

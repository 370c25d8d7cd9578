//! Random JSON thrown at every deployed function (issue 15): each answers, or fails with one of our
//! stable `errorType` words, never a panic, a crash, a timeout or a Rust type name such as
//! `&lambda_runtime::deserializer::DeserializeError`.
//!
//! The real binaries run on the local AWS and are invoked directly, as Step Functions and the event
//! source mappings invoke them. Each function gets the same hostile payloads (wrong top-level types,
//! JSON nested deeper than decoders read, huge numbers, control characters) and random JSON built from
//! the field names and actions the functions read, so that many payloads get past the first check.
//! Random run ids never name a real run, so nothing a payload asks for can touch another test's work.
//! The seed is printed; `FUZZ_SEED=<n>` replays a run.

use aws_sdk_lambda::primitives::Blob;
use integration::{env, stack};
use local_aws::deploy;
use serde_json::{json, Map, Value};
use splitmix::SplitMix64;

/// Random payloads per function, on top of the fixed hostile ones.
const RANDOM_PAYLOADS: usize = 24;

/// Field names our functions read, so that random objects often have the right keys.
const KEYS: [&str; 24] = [
    "action",
    "run_id",
    "input",
    "execution_id",
    "error",
    "region",
    "account",
    "id",
    "exclude",
    "request",
    "report",
    "cleanup",
    "query_runs",
    "Records",
    "messageId",
    "body",
    "eventSource",
    "eventName",
    "dynamodb",
    "detail",
    "eventTime",
    "technologies",
    "accounts",
    "attributes",
];

/// The actions of the S3Insights functions.
const ACTIONS: [&str; 17] = [
    "start",
    "fail",
    "finish",
    "runs_to_clean",
    "cleaned",
    "create_stack",
    "create_status",
    "delete_stack",
    "delete_status",
    "configure_account",
    "remove_configurations",
    "smoke_reports",
    "check",
    "prepare",
    "summarise",
    "send",
    "aws:sqs",
];

const ODD_STRINGS: [&str; 10] = [
    "",
    "\u{0}\u{1}\u{7f}",
    "\u{202e}gpj.exe",
    "\u{200b}",
    "%00%ff",
    "../../etc/passwd",
    "2099-01-01T00:00:00Z",
    "arn:aws:s3:::x",
    "ñ\u{1F4A5}",
    "{\"nested\": \"json in a string\"}",
];

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// Payloads every function must survive (as JSON text: some are deeper than serde_json writes).
fn hostile() -> Vec<String> {
    let mut out: Vec<String> = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e308),
        json!(18446744073709551615u64),
        json!("a string"),
        json!([]),
        json!({"Records": "not a list"}),
        json!({"Records": [null, 1, "x"]}),
        json!({"action": null}),
        json!({"action": "start", "input": [], "execution_id": 7}),
        json!({"action": "cleaned", "run_id": {"$ne": ""}}),
        json!({"action": "runs_to_clean", "request": {"run_id": 5}}),
        json!({"action": "runs_to_clean", "request": {"run_id": null}}),
        json!({"technologies": ["nope"]}),
        json!({"accounts": ["not-an-account"]}),
        json!({"Records": [{"messageId": "m", "body": "{", "attributes": {}}]}),
        json!({"Records": [{"eventName": "REMOVE", "dynamodb": {"Keys": 5}}]}),
    ]
    .iter()
    .map(Value::to_string)
    .collect();
    out.push(nested(200));
    out.push(nested(5_000));
    out.push(format!(
        "{{\"action\":\"start\",\"input\":{{\"run_id\":{}}}}}",
        nested(300)
    ));
    out.push(format!("{{\"Records\":[{{\"body\":{}}}]}}", nested(150)));
    out
}

fn random_string(rng: &mut SplitMix64) -> String {
    match rng.below(4) {
        0 => rng.pick(&ODD_STRINGS).to_string(),
        1 => rng.pick(&ACTIONS).to_string(),
        2 => format!("fz{}", rng.hex(10)),
        _ => (0..rng.below(40))
            .map(|_| char::from_u32(rng.range(1, 0x2FFF) as u32).unwrap_or('?'))
            .collect(),
    }
}

fn random_value(rng: &mut SplitMix64, depth: u32) -> Value {
    let leaf = depth >= 5 || rng.chance(40);
    match (leaf, rng.below(6)) {
        (true, 0) => Value::Null,
        (true, 1) => Value::Bool(rng.chance(50)),
        (true, 2) => json!(rng.next() as i64),
        (true, 3) => json!((rng.next() as f64) / 7.0),
        (true, _) => Value::String(random_string(rng)),
        (false, 0 | 1) => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        (false, _) => {
            let mut object = Map::new();
            for _ in 0..rng.range(1, 5) {
                let key = if rng.chance(80) {
                    rng.pick(&KEYS).to_string()
                } else {
                    random_string(rng)
                };
                object.insert(key, random_value(rng, depth + 1));
            }
            if depth == 0 && rng.chance(50) {
                object.insert("action".into(), json!(rng.pick(&ACTIONS)));
            }
            Value::Object(object)
        }
    }
}

/// Every function of `template.yaml`, by logical id.
fn template_functions() -> Vec<String> {
    let root = local_aws::paths::Workspace::locate().root;
    let template = local_aws::template::load(&root.join("template.yaml")).expect("template.yaml");
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, _)| id.clone())
        .collect()
}

/// One UpperCamelCase word: what our errors are named, and nothing the runtime invents (Rust type
/// names, `Runtime.ExitError` for a crash, `Sandbox.Timedout`, `Lambda.Unknown`).
fn is_stable_error_type(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_function_answers_random_json_with_a_stable_error_type() {
    let env = env().await;
    stack().await;
    let lambda = aws_sdk_lambda::Client::new(&env.host.sdk_config());
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0);
    eprintln!("handler fuzz: FUZZ_SEED={seed}");
    let mut problems = Vec::new();
    let mut invoked = 0;
    let functions = template_functions();
    assert!(
        functions.len() >= 13,
        "functions of template.yaml: {functions:?}"
    );
    for logical in functions.iter().map(String::as_str) {
        let function = deploy::physical_id(&env.host, deploy::DEFAULT_STACK, logical)
            .await
            .unwrap_or_else(|e| panic!("{logical}: {e}"));
        let mut rng = SplitMix64::for_name(seed, logical);
        let mut payloads = hostile();
        while payloads.len() < hostile().len() + RANDOM_PAYLOADS {
            let value = random_value(&mut rng, 0);
            // `{}` is the poller tasker's documented "poll every account now": real work, not junk.
            if logical == "PollerTaskerFunction" && value == json!({}) {
                continue;
            }
            payloads.push(value.to_string());
        }
        for payload in payloads {
            invoked += 1;
            let answer = lambda
                .invoke()
                .function_name(&function)
                .payload(Blob::new(payload.clone()))
                .send()
                .await
                .unwrap_or_else(|e| panic!("invoke {logical}: {e:?}"));
            if answer.function_error().is_none() {
                continue;
            }
            let body = answer
                .payload()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default();
            let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let error_type = error["errorType"].as_str().unwrap_or_default();
            if !is_stable_error_type(error_type) {
                let shown: String = payload.chars().take(200).collect();
                problems.push(format!(
                    "{logical} answered {} to {shown}",
                    String::from_utf8_lossy(&body)
                ));
            }
        }
    }
    eprintln!("handler fuzz: {invoked} invocations");
    assert!(
        problems.is_empty(),
        "FUZZ_SEED={seed}: {} unstable answers:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

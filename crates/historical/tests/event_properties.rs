//! Property tests of CloudTrail event parsing (`CloudTrailEvent::from_queue_body`, the collector's
//! reading of a queue message, raw or in an SNS envelope) and of `collect` (what the collector does
//! with an event): arbitrary JSON and arbitrary text, and the real fixtures of `fixtures/` with a
//! field removed, of the wrong type, a huge or odd string, deeply nested, or arbitrary JSON. None
//! may panic; each either parses or fails with an error that names the field. A fixture whose
//! `eventTime` is shifted within the bounds of `historical::timeliness` yields the same resources.

use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, Utc};
use historical::event::{collect, CloudTrailEvent, Outcome};
use historical::timeliness::{check_event_time, CLOCK_TOLERANCE, MAX_EVENT_AGE};
use historical::Technology;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Every fixture: its file name and its JSON.
fn fixtures() -> &'static [(String, Value)] {
    static FIXTURES: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = format!("{}/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut all: Vec<(String, Value)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| {
                let path = entry.expect("fixture entry").path();
                let text = std::fs::read_to_string(&path).expect("fixture text");
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, serde_json::from_str(&text).expect("fixture JSON"))
            })
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(all.len() >= 20, "fixtures in {dir}");
        all
    })
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every path of `value` below the root, parents before children.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    let children: Vec<(Step, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (Step::Key(k.clone()), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (Step::Index(i), v))
            .collect(),
        _ => Vec::new(),
    };
    for (step, child) in children {
        prefix.push(step);
        out.push(prefix.clone());
        paths(child, prefix, out);
        prefix.pop();
    }
}

/// What to do at a path.
#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
}

/// Applies `mutation` at `path` (which exists in `doc`).
fn mutate(doc: &mut Value, path: &[Step], mutation: Mutation) {
    let (last, parents) = path.split_last().expect("a path below the root");
    let mut parent = doc;
    for step in parents {
        parent = match step {
            Step::Key(k) => &mut parent[k.as_str()],
            Step::Index(i) => &mut parent[*i],
        };
    }
    match (parent, last, mutation) {
        (Value::Object(map), Step::Key(k), Mutation::Remove) => {
            map.remove(k);
        }
        (Value::Array(items), Step::Index(i), Mutation::Remove) => {
            items.remove(*i);
        }
        (Value::Object(map), Step::Key(k), Mutation::Replace(v)) => {
            map.insert(k.clone(), v);
        }
        (Value::Array(items), Step::Index(i), Mutation::Replace(v)) => items[*i] = v,
        (parent, last, _) => panic!("no {last:?} in {parent}"),
    }
}

/// The field names of the path: the error must name one of them.
fn keys(path: &[Step]) -> Vec<&str> {
    path.iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
        .collect()
}

/// Field names the parser and the rules read, so generated objects look like events.
const FIELDS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
    "eventVersion",
    "userIdentity",
    "principalId",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "eventType",
    "recipientAccountId",
    "collected",
    "bucketName",
    "groupId",
    "GroupId",
    "vpcId",
    "VpcId",
    "roleName",
    "RoleName",
    "resourcesSet",
    "items",
    "resourceId",
    "Type",
    "Message",
];

/// Strings a hostile or broken producer sends.
fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            String::new(),
            " ".into(),
            "\u{0}".into(),
            "\u{1}\u{7f}".into(),
            "\u{202e}kcatta".into(),
            "a\u{200b}b".into(),
            "😀🇫🇷".into(),
            "\\\"'".into(),
            "../../etc/passwd".into(),
            "arn:aws:s3:::".into(),
            "sg-".into(),
            "vpc-".into(),
            "9999-99-99T99:99:99Z".into(),
            "2024-03-14T09:12:44Z".into(),
            "AWS API Call via CloudTrail".into(),
            "s3.amazonaws.com".into(),
            "ec2.amazonaws.com".into(),
            "iam.amazonaws.com".into(),
            "CreateBucket".into(),
            "DeleteSecurityGroup".into(),
            "Notification".into(),
            "{\"detail-type\":".into(),
        ]),
        (1usize..4).prop_map(|n| "é".repeat(n * 20_000)),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        odd_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        let key = prop_oneof![
            3 => prop::sample::select(FIELDS).prop_map(str::to_string),
            1 => odd_string(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// `depth` nested arrays or objects around `null`: past serde_json's recursion limit (128) too.
fn nested(depth: usize, objects: bool) -> Value {
    (0..depth).fold(Value::Null, |inner, _| {
        if objects {
            json!({ "eventTime": inner })
        } else {
            json!([inner])
        }
    })
}

fn replacement() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Remove),
        2 => prop::sample::select(vec![
            Value::Null,
            json!(true),
            json!(0),
            json!(-1.5),
            json!(u64::MAX),
            json!([]),
            json!({}),
            json!("x"),
        ])
        .prop_map(Mutation::Replace),
        2 => odd_string().prop_map(|s| Mutation::Replace(Value::String(s))),
        1 => (1usize..300, any::<bool>()).prop_map(|(d, o)| Mutation::Replace(nested(d, o))),
        1 => arbitrary_json().prop_map(Mutation::Replace),
    ]
}

/// The body of a queue message carrying `event`: raw, or in an SNS notification.
fn body(event: &Value, in_sns: bool) -> String {
    if in_sns {
        json!({
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:eu-west-2:111122223333:historical-forwarder",
            "Message": event.to_string(),
        })
        .to_string()
    } else {
        event.to_string()
    }
}

/// Runs the parser and every technology's `collect` on `body`; returns every error's text.
fn errors_of(body: &str) -> Vec<String> {
    let event = match CloudTrailEvent::from_queue_body(body) {
        Ok(event) => event,
        Err(e) => return vec![e.to_string()],
    };
    let mut errors = Vec::new();
    for tech in Technology::ALL {
        match collect(tech, &event, "us-east-1") {
            Ok(Outcome::Apply(c)) => {
                assert!(!c.resources.is_empty(), "{tech}: applied to nothing");
                for r in &c.resources {
                    assert!(!r.id.is_empty(), "{tech}: an empty id");
                    assert!(r.arn.ends_with(&r.id), "{tech}: {} for {}", r.arn, r.id);
                }
            }
            Ok(Outcome::Ignore(_)) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    errors
}

fn fixture_and_path() -> impl Strategy<Value = (usize, Vec<Step>)> {
    (0..fixtures().len()).prop_flat_map(|i| {
        let mut all = Vec::new();
        paths(&fixtures()[i].1, &mut Vec::new(), &mut all);
        (Just(i), prop::sample::select(all))
    })
}

proptest! {
    // About 2 s for the whole file in a debug build.
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_mutated_fixture_parses_or_names_the_field(
        (index, path) in fixture_and_path(),
        mutation in replacement(),
        in_sns in any::<bool>(),
    ) {
        let (name, fixture) = &fixtures()[index];
        let mut event = fixture.clone();
        mutate(&mut event, &path, mutation.clone());
        let names = keys(&path);
        for error in errors_of(&body(&event, in_sns)) {
            prop_assert!(
                names.iter().any(|k| error.contains(k)),
                "{name}: {mutation:?} at {path:?}: the error names none of {names:?}: {error}"
            );
        }
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json(), in_sns in any::<bool>()) {
        for error in errors_of(&body(&value, in_sns)) {
            prop_assert!(!error.is_empty());
        }
    }

    #[test]
    fn an_arbitrary_event_shaped_object_never_panics(
        detail in prop::collection::vec((prop::sample::select(FIELDS), arbitrary_json()), 0..12),
        source in odd_string(),
    ) {
        let event = json!({
            "detail-type": "AWS API Call via CloudTrail",
            "source": source,
            "account": "111122223333",
            "detail": Value::Object(detail.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        });
        for error in errors_of(&event.to_string()) {
            prop_assert!(!error.is_empty());
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Err(e) = CloudTrailEvent::from_queue_body(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn a_fixture_shifted_within_bounds_yields_the_same_resources(
        index in 0..fixtures().len(),
        shift in -MAX_EVENT_AGE.num_seconds()..=CLOCK_TOLERANCE.num_seconds(),
        in_sns in any::<bool>(),
    ) {
        let (name, fixture) = &fixtures()[index];
        let original = CloudTrailEvent::from_json(&fixture.to_string()).unwrap();
        let received: DateTime<Utc> = original.detail.event_time().unwrap();
        let shifted_time = received + TimeDelta::seconds(shift);
        let mut shifted = fixture.clone();
        shifted["detail"]["eventTime"] = json!(shifted_time.to_rfc3339());
        let shifted = CloudTrailEvent::from_queue_body(&body(&shifted, in_sns)).unwrap();
        prop_assert_eq!(check_event_time(shifted_time, received), Ok(()));
        for tech in Technology::ALL {
            let before = collect(tech, &original, "us-east-1").map_err(|e| e.to_string());
            let after = collect(tech, &shifted, "us-east-1").map_err(|e| e.to_string());
            match (before, after) {
                (Ok(Outcome::Apply(mut b)), Ok(Outcome::Apply(a))) => {
                    prop_assert_eq!(a.event_time, shifted_time, "{}", name);
                    b.event_time = a.event_time;
                    prop_assert_eq!(a, b, "{}", name);
                }
                (b, a) => prop_assert_eq!(a, b, "{} {}", name, tech),
            }
        }
    }
}

#[test]
fn errors_name_the_field() {
    let (_, fixture) = fixtures()
        .iter()
        .find(|(name, _)| name == "s3-put-bucket-policy.json")
        .expect("fixture");
    let reason = |path: &[Step], mutation: Mutation, in_sns: bool| {
        let mut event = fixture.clone();
        mutate(&mut event, path, mutation);
        errors_of(&body(&event, in_sns)).join(" | ")
    };
    let key = |k: &str| Step::Key(k.into());
    // (serde_json adds the position: "at line 1 column …")
    let wrong_type = reason(
        &[key("detail"), key("eventTime")],
        Mutation::Replace(json!(5)),
        false,
    );
    assert!(
        wrong_type.starts_with(
            "not a CloudTrail event: detail.eventTime: invalid type: integer `5`, expected a string"
        ),
        "{wrong_type}"
    );
    let missing = reason(&[key("detail"), key("eventName")], Mutation::Remove, true);
    assert!(
        missing.starts_with("not a CloudTrail event: Message.detail: missing field `eventName`"),
        "{missing}"
    );
    let missing = reason(&[key("detail-type")], Mutation::Remove, false);
    assert!(
        missing.starts_with("not a CloudTrail event: missing field `detail-type`"),
        "{missing}"
    );
    assert_eq!(
        reason(
            &[key("detail"), key("requestParameters"), key("bucketName")],
            Mutation::Replace(json!("")),
            false
        ),
        "s3 event PutBucketPolicy names no resource id (looked for requestParameters.bucketName)"
    );
    let deep = reason(
        &[key("detail"), key("userIdentity")],
        Mutation::Replace(nested(200, false)),
        false,
    );
    assert!(
        deep.starts_with("not JSON at detail.userIdentity") && deep.contains("recursion limit"),
        "{deep}"
    );
    let not_json = CloudTrailEvent::from_queue_body("{")
        .unwrap_err()
        .to_string();
    assert!(not_json.starts_with("not JSON: "), "{not_json}");
    let envelope = json!({"Type": "Notification", "Message": "{"}).to_string();
    assert!(CloudTrailEvent::from_queue_body(&envelope)
        .unwrap_err()
        .to_string()
        .starts_with("SNS Message is not JSON: "));
}

use super::*;
use std::sync::Mutex;

#[derive(Default)]
struct Recorded(Mutex<Vec<(String, Vec<u8>)>>);

impl Evidence for Recorded {
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), SampleError> {
        self.0.lock().unwrap().push((key.to_string(), body));
        Ok(())
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn echo_and_add_answer_directly() {
    let store = Recorded::default();
    let out = handle(json!({"action": "echo", "payload": [1, "a"]}), "fn", &store)
        .await
        .unwrap();
    assert_eq!(out, json!({"echo": [1, "a"], "function": "fn"}));
    let out = handle(json!({"action": "add", "a": 2, "b": 40}), "fn", &store)
        .await
        .unwrap();
    assert_eq!(out, json!({"sum": 42}));
    assert!(store.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn requested_failures_keep_their_error_type() {
    let err = handle(
        json!({"action": "fail", "error_type": "BucketAccessLost", "message": "gone"}),
        "fn",
        &Recorded::default(),
    )
    .await
    .unwrap_err();
    let failure = Failure::from(err);
    assert_eq!(failure.error_type, "BucketAccessLost");
    assert_eq!(failure.message, "gone");
}

#[tokio::test]
async fn unknown_input_is_invalid_input() {
    let err = handle(json!({"action": "dance"}), "fn", &Recorded::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput");
    let err = handle(json!({"a": 1, "b": i64::MAX}), "fn", &Recorded::default())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidInput");
}

#[tokio::test]
async fn sqs_batch_records_messages_and_reports_poison() {
    let mut event = fixture("example-sqs-event.json");
    let mut poison = event["Records"][0].clone();
    poison["messageId"] = json!("MessageID_2");
    poison["body"] = json!("this one is poison");
    event["Records"].as_array_mut().unwrap().push(poison);
    let store = Recorded::default();
    let out = handle(event, "fn", &store).await.unwrap();
    assert_eq!(
        out,
        json!({"batchItemFailures": [{"itemIdentifier": "MessageID_2"}]})
    );
    let stored = store.0.lock().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "sqs/MessageID_1");
    assert_eq!(stored[0].1, b"Message Body");
}

#[tokio::test]
async fn stream_batch_records_names_keys_and_identity() {
    let store = Recorded::default();
    let out = handle(fixture("example-dynamodb-event.json"), "fn", &store)
        .await
        .unwrap();
    assert_eq!(out, Value::Null);
    let stored = store.0.lock().unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].0, "stream/f07f8ca4b0b26cb9c4e5e77e69f274ee.json");
    let first: Value = serde_json::from_slice(&stored[0].1).unwrap();
    assert_eq!(first["eventName"], "INSERT");
    assert_eq!(first["keys"]["key"], json!({"S": "binary"}));
    assert_eq!(
        first["userIdentity"],
        json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    );
    let second: Value = serde_json::from_slice(&stored[1].1).unwrap();
    assert_eq!(second["userIdentity"], Value::Null);
}

//! The sample Lambda binary, deployed from the platform sample fixture (tests/templates/sample.yaml,
//! stack `sample`), invoked the three ways our functions are:
//! directly, by SQS (partial batch failures, redrive to the DLQ), and by a DynamoDB stream (TTL
//! expiry included).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;
use integration::{env, pump, sample_stack, unique};
use serde_json::{json, Value};

async fn evidence(prefix: &str) -> Vec<Value> {
    let env = env().await;
    let outputs = sample_stack().await;
    let s3 = env.host.s3();
    let bucket = &outputs["EvidenceBucketName"];
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for object in listed.contents() {
        let body = s3
            .get_object()
            .bucket(bucket)
            .key(object.key().unwrap())
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        out.push(json!({
            "key": object.key(),
            "body": serde_json::from_slice::<Value>(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())),
        }));
    }
    out
}

#[tokio::test]
async fn direct_invocations_answer_and_fail_with_their_error_type() {
    let env = env().await;
    let outputs = sample_stack().await;
    let lambda = aws_sdk_lambda::Client::new(&env.host.sdk_config());
    let answer = lambda
        .invoke()
        .function_name(&outputs["SampleFunctionName"])
        .payload(Blob::new(
            json!({"action": "add", "a": 2, "b": 3}).to_string(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.function_error(), None);
    let payload: Value = serde_json::from_slice(answer.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload, json!({"sum": 5}));

    let answer = lambda
        .invoke()
        .function_name(&outputs["SampleFunctionName"])
        .payload(Blob::new(
            json!({"action": "fail", "error_type": "BucketAccessLost", "message": "no role"})
                .to_string(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.function_error(), Some("Unhandled"));
    let payload: Value = serde_json::from_slice(answer.payload().unwrap().as_ref()).unwrap();
    assert_eq!(payload["errorType"], "BucketAccessLost");
    assert_eq!(payload["errorMessage"], "no role");
}

#[tokio::test]
async fn an_sqs_batch_reports_the_poison_message_which_reaches_the_dlq() {
    let env = env().await;
    let outputs = sample_stack().await;
    let sqs = aws_sdk_sqs::Client::new(&env.host.sdk_config());
    let run = unique("sqs");
    let mut sent = BTreeMap::new();
    for body in ["first", "second", "poison", "third"] {
        let body = format!("{run} {body}");
        let id = sqs
            .send_message()
            .queue_url(&outputs["SampleQueueUrl"])
            .message_body(&body)
            .send()
            .await
            .unwrap()
            .message_id()
            .unwrap()
            .to_string();
        sent.insert(id, body);
    }
    pump().await;

    let recorded: BTreeMap<String, String> = evidence("sqs/")
        .await
        .into_iter()
        .filter(|e| e["body"].as_str().is_some_and(|b| b.starts_with(&run)))
        .map(|e| {
            (
                e["key"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("sqs/")
                    .to_string(),
                e["body"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = sent
        .iter()
        .filter(|(_, body)| !body.contains("poison"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(recorded, expected);

    let dead = sqs
        .receive_message()
        .queue_url(&outputs["SampleDeadLetterQueueUrl"])
        .max_number_of_messages(10)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let ours: Vec<_> = dead
        .messages()
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.starts_with(&run)))
        .collect();
    assert_eq!(ours.len(), 1, "exactly the poison message is dead-lettered");
    assert_eq!(ours[0].body(), Some(format!("{run} poison").as_str()));
    let receives = ours[0]
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
        })
        .cloned();
    // Moved after maxReceiveCount (2) receives; the count is not reset by the move, and our own
    // ReceiveMessage on the DLQ is the third receive.
    assert_eq!(receives.as_deref(), Some("3"));
}

async fn stream_records_for(id: &str) -> Vec<Value> {
    let mut records: Vec<Value> = evidence("stream/")
        .await
        .into_iter()
        .map(|e| e["body"].clone())
        .filter(|b| b["keys"]["id"]["S"] == id)
        .collect();
    records.sort_by_key(|r| match r["eventName"].as_str() {
        Some("INSERT") => 0,
        Some("MODIFY") => 1,
        _ => 2,
    });
    records
}

#[tokio::test]
async fn a_dynamodb_stream_delivers_inserts_updates_and_deletes() {
    let env = env().await;
    let outputs = sample_stack().await;
    let table = &outputs["SampleTableName"];
    let ddb = aws_sdk_dynamodb::Client::new(&env.host.sdk_config());
    let id = unique("item");
    let key = AttributeValue::S(id.clone());
    ddb.put_item()
        .table_name(table)
        .item("id", key.clone())
        .item("v", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    ddb.put_item()
        .table_name(table)
        .item("id", key.clone())
        .item("v", AttributeValue::N("2".into()))
        .send()
        .await
        .unwrap();
    ddb.delete_item()
        .table_name(table)
        .key("id", key)
        .send()
        .await
        .unwrap();
    pump().await;
    let records = stream_records_for(&id).await;
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
    assert!(
        records.iter().all(|r| r["userIdentity"].is_null()),
        "a user's DeleteItem carries no service identity: {records:?}"
    );
}

#[tokio::test]
async fn ttl_expiry_reaches_the_stream_as_a_service_remove() {
    let env = env().await;
    let outputs = sample_stack().await;
    let table = &outputs["SampleTableName"];
    let ddb = aws_sdk_dynamodb::Client::new(&env.host.sdk_config());
    let id = unique("expiring");
    let past = chrono::Utc::now().timestamp() - 60;
    ddb.put_item()
        .table_name(table)
        .item("id", AttributeValue::S(id.clone()))
        .item("expires", AttributeValue::N(past.to_string()))
        .send()
        .await
        .unwrap();
    let out = env.offline(&["expire-ttl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pump().await;
    let gone = ddb
        .get_item()
        .table_name(table)
        .key("id", AttributeValue::S(id.clone()))
        .send()
        .await
        .unwrap();
    assert!(gone.item().is_none(), "the expired item is deleted");
    let records = stream_records_for(&id).await;
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["INSERT", "REMOVE"]);
    assert_eq!(
        records[1]["userIdentity"],
        json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    );
}

//! The Current and Durable tables against the local AWS: conditional writes on `eventTime`, the
//! tombstone protocol, the Differ's "latest at or before" query, S3 offload of large
//! configurations, and JSON values that survive DynamoDB.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use chrono::{DateTime, TimeZone, Utc};
use historical_aws::store::{CurrentStore, DurableStore, Offload, Written};
use integration::{env, unique};
use serde_json::{json, Value};

struct Tables {
    dynamodb: aws_sdk_dynamodb::Client,
    s3: aws_sdk_s3::Client,
    bucket: String,
    current: CurrentStore,
    durable: DurableStore,
    current_table: String,
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap()
}

fn stream() -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .unwrap()
}

/// A Current table (stream, TTL on `ttl`), a Durable table and an offload bucket, all new.
async fn tables() -> Tables {
    let env = env().await;
    let config = env.host.sdk_config();
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let s3 = env.host.s3();
    let current_table = unique("HistoricalS3Current");
    let durable_table = unique("HistoricalS3Durable");
    let bucket = unique("historical-offload");
    dynamodb
        .create_table()
        .table_name(&current_table)
        .attribute_definitions(string_attribute("arn"))
        .key_schema(key("arn", KeyType::Hash))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream())
        .send()
        .await
        .unwrap();
    dynamodb
        .update_time_to_live()
        .table_name(&current_table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("ttl")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    dynamodb
        .create_table()
        .table_name(&durable_table)
        .attribute_definitions(string_attribute("arn"))
        .attribute_definitions(string_attribute("eventTime"))
        .key_schema(key("arn", KeyType::Hash))
        .key_schema(key("eventTime", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream())
        .send()
        .await
        .unwrap();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    Tables {
        current: CurrentStore::new(
            dynamodb.clone(),
            &current_table,
            Offload::new(s3.clone(), &bucket, "historical/s3/current/"),
        ),
        durable: DurableStore::new(
            dynamodb.clone(),
            &durable_table,
            Offload::new(s3.clone(), &bucket, "historical/s3/durable/"),
        ),
        dynamodb,
        s3,
        bucket,
        current_table,
    }
}

fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 2, hour, minute, second)
        .unwrap()
}

fn bucket_item(arn: &str, status: &str) -> Value {
    json!({"arn": arn, "accountId": "123456789012", "Region": "us-east-1",
           "BucketName": "b", "Tags": {}, "version": 9, "eventSource": "s3.amazonaws.com",
           "configuration": {"Versioning": {"Status": status}}})
}

#[tokio::test]
async fn current_writes_refuse_older_event_times() {
    let t = tables().await;
    let arn = format!("arn:aws:s3:::{}", unique("b"));
    let before = Utc::now().timestamp();
    let w = t
        .current
        .put_if_newer(&bucket_item(&arn, "Enabled"), at(3, 4, 5), 86_400)
        .await
        .unwrap();
    assert_eq!(w, Written::Written);
    let stored = t.current.get(&arn).await.unwrap().unwrap();
    assert_eq!(stored["eventTime"], "2024-01-02T03:04:05Z");
    let ttl = stored["ttl"].as_i64().unwrap();
    assert!(ttl >= before + 86_400 && ttl <= Utc::now().timestamp() + 86_400);

    // older: refused, state unchanged
    let w = t
        .current
        .put_if_newer(&bucket_item(&arn, "Suspended"), at(3, 4, 4), 86_400)
        .await
        .unwrap();
    assert_eq!(w, Written::Stale);
    let stored = t.current.get(&arn).await.unwrap().unwrap();
    assert_eq!(stored["configuration"]["Versioning"]["Status"], "Enabled");

    // equal: accepted (a retry is idempotent, the last description wins)
    let w = t
        .current
        .put_if_newer(&bucket_item(&arn, "Suspended"), at(3, 4, 5), 86_400)
        .await
        .unwrap();
    assert_eq!(w, Written::Written);
    // newer: accepted
    let w = t
        .current
        .put_if_newer(&bucket_item(&arn, "Enabled"), at(3, 4, 6), 60)
        .await
        .unwrap();
    assert_eq!(w, Written::Written);
    let stored = t.current.get(&arn).await.unwrap().unwrap();
    assert_eq!(stored["eventTime"], "2024-01-02T03:04:06Z");
    assert_eq!(stored["configuration"]["Versioning"]["Status"], "Enabled");
    assert!(
        stored["ttl"].as_i64().unwrap() < ttl,
        "the TTL is computed per write"
    );
}

#[tokio::test]
async fn tombstones_leave_no_current_item_and_stale_ones_change_nothing() {
    let t = tables().await;
    let arn = format!("arn:aws:s3:::{}", unique("b"));
    t.current
        .put_if_newer(&bucket_item(&arn, "Enabled"), at(3, 0, 0), 86_400)
        .await
        .unwrap();
    let context = json!({"accountId": "123456789012", "Region": "us-east-1", "Tags": {},
                         "eventName": "DeleteBucket", "principalId": "joe"});
    // a deletion older than the stored state is refused and the state stays
    let w = t
        .current
        .put_tombstone(&arn, at(2, 0, 0), &context)
        .await
        .unwrap();
    assert_eq!(w, Written::Stale);
    assert!(t.current.get(&arn).await.unwrap().is_some());
    // a newer one: tombstone then delete
    let w = t
        .current
        .put_tombstone(&arn, at(4, 0, 0), &context)
        .await
        .unwrap();
    assert_eq!(w, Written::Written);
    assert!(t.current.get(&arn).await.unwrap().is_none());
    let scan = t
        .dynamodb
        .scan()
        .table_name(&t.current_table)
        .send()
        .await
        .unwrap();
    assert_eq!(scan.count(), 0, "no item left in Current");
    // and of a resource never seen
    let other = format!("arn:aws:s3:::{}", unique("b"));
    let w = t
        .current
        .put_tombstone(&other, at(4, 0, 0), &context)
        .await
        .unwrap();
    assert_eq!(w, Written::Written);
    assert!(t.current.get(&other).await.unwrap().is_none());
}

#[tokio::test]
async fn latest_at_or_before_picks_the_right_revision() {
    let t = tables().await;
    let arn = format!("arn:aws:s3:::{}", unique("b"));
    for (time, status) in [(at(1, 0, 0), "A"), (at(2, 0, 0), "B"), (at(3, 0, 0), "C")] {
        let mut item = bucket_item(&arn, status);
        item["eventTime"] = json!(historical::differ::format_event_time(time));
        item.as_object_mut().unwrap().remove("eventSource");
        t.durable.put_revision(&item).await.unwrap();
        // idempotent on the key
        t.durable.put_revision(&item).await.unwrap();
    }
    let status = |r: Option<historical::Revision>| {
        r.map(|r| r.item["configuration"]["Versioning"]["Status"].clone())
    };
    let latest = |time| t.durable.latest_at_or_before(&arn, time);
    assert_eq!(status(latest(at(0, 59, 59)).await.unwrap()), None);
    assert_eq!(status(latest(at(1, 0, 0)).await.unwrap()), Some(json!("A")));
    assert_eq!(
        status(latest(at(1, 30, 0)).await.unwrap()),
        Some(json!("A"))
    );
    assert_eq!(status(latest(at(2, 0, 0)).await.unwrap()), Some(json!("B")));
    assert_eq!(
        status(latest(at(2, 59, 59)).await.unwrap()),
        Some(json!("B"))
    );
    let after = latest(at(23, 0, 0)).await.unwrap().unwrap();
    assert_eq!(after.event_time, at(3, 0, 0));
    assert_eq!(after.item["configuration"]["Versioning"]["Status"], "C");
    let all = t.durable.revisions(&arn).await.unwrap();
    let times: Vec<_> = all.iter().map(|r| r.event_time).collect();
    assert_eq!(times, vec![at(1, 0, 0), at(2, 0, 0), at(3, 0, 0)]);
    // another resource's revisions are not mixed in
    assert!(t
        .durable
        .latest_at_or_before("arn:aws:s3:::nothing-here", at(23, 0, 0))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_500_kb_configuration_round_trips_through_s3() {
    let t = tables().await;
    let arn = format!("arn:aws:s3:::{}", unique("b"));
    let mut item = bucket_item(&arn, "Enabled");
    let statements: Vec<Value> = (0..2_500)
        .map(|i| {
            json!({"Sid": format!("s{i}"), "Effect": "Allow", "Weight": i as f64 + 0.5,
                        "Resource": format!("arn:aws:s3:::b/{}", "k".repeat(150))})
        })
        .collect();
    item["configuration"]["Policy"] = json!({"Statement": statements});
    let size = serde_json::to_vec(&item["configuration"]).unwrap().len();
    assert!(size > 500_000, "configuration is {size} bytes");

    t.current
        .put_if_newer(&item, at(5, 0, 0), 86_400)
        .await
        .unwrap();
    let stored = t.current.get(&arn).await.unwrap().unwrap();
    assert_eq!(stored["configuration"], item["configuration"]);
    assert!(stored.get("configuration_s3").is_none());
    // the raw item holds the pointer, not the configuration
    let raw = t
        .dynamodb
        .get_item()
        .table_name(&t.current_table)
        .key(
            "arn",
            aws_sdk_dynamodb::types::AttributeValue::S(arn.clone()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!raw.contains_key("configuration"));
    let pointer = raw["configuration_s3"].as_m().unwrap();
    assert_eq!(pointer["bucket"].as_s().unwrap(), &t.bucket);
    assert_eq!(pointer["size"].as_n().unwrap(), &size.to_string());
    let object =
        t.s3.head_object()
            .bucket(&t.bucket)
            .key(pointer["key"].as_s().unwrap())
            .send()
            .await
            .unwrap();
    assert_eq!(object.content_length(), Some(size as i64));

    // a Durable revision with a `created` patch as large as the state
    let mut revision = item.clone();
    revision["eventTime"] = json!("2024-01-02T05:00:00Z");
    let revision = historical::item::with_change(
        revision,
        &historical::effective_change(None, Some(&item["configuration"])).unwrap(),
    );
    t.durable.put_revision(&revision).await.unwrap();
    let got = t
        .durable
        .latest_at_or_before(&arn, at(6, 0, 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.item["configuration"], item["configuration"]);
    assert_eq!(got.item["change"]["kind"], "created");
    assert_eq!(got.item["change"]["patch_omitted"], true);
}

#[tokio::test]
async fn json_values_survive_dynamodb() {
    let t = tables().await;
    let arn = format!("arn:aws:s3:::{}", unique("b"));
    let mut item = bucket_item(&arn, "Enabled");
    item["configuration"] = json!({
        "floats": [0.1, -2.5e-7, 3.25, 1.5e20], "ints": [0, -1, 9_007_199_254_740_993i64],
        "bools": [true, false], "null": null, "empty": "", "emptyList": [], "emptyMap": {},
        "nested": [[1, [2, ["deep", {"x": [false, null, 0.5]}]]], [], [[]]],
        "dup": ["a", "a", "b"], "unicode": "é✓ <empty>"
    });
    item["Tags"] = json!({"Owner": "", "Team": "x"});
    t.current
        .put_if_newer(&item, at(7, 0, 0), 86_400)
        .await
        .unwrap();
    let stored = t.current.get(&arn).await.unwrap().unwrap();
    assert_eq!(stored["configuration"], item["configuration"]);
    assert_eq!(stored["Tags"], item["Tags"]);

    let mut revision = item.clone();
    revision["eventTime"] = json!("2024-01-02T07:00:00Z");
    t.durable.put_revision(&revision).await.unwrap();
    let got = t.durable.revisions(&arn).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].item, revision);
}

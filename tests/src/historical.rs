//! Helpers of the Historical integration tests: real CloudTrail event shapes (the fixtures of
//! `crates/historical/fixtures`, retargeted at a test's own account and resources) put on the host
//! account's default bus, the deployed pipeline pumped until idle, and what it left behind read back:
//! Current items, Durable revisions and the change-feed messages a subscriber queue received.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SubsecRound, Utc};
use historical::differ::format_event_time;
use historical::Technology;
use recorder::store::{CurrentStore, DurableStore, Offload};
use serde_json::{json, Value};

use crate::{env, pump, stack, unique};

/// Stack output of `name`.
pub async fn output(name: &str) -> String {
    stack()
        .await
        .get(name)
        .unwrap_or_else(|| panic!("stack output {name} missing"))
        .clone()
}

/// The output prefix of a technology's tables (`S3CurrentTableName`, ...).
fn table_output(tech: Technology, kind: &str) -> String {
    let name = match tech {
        Technology::S3 => "S3",
        Technology::SecurityGroup => "SecurityGroup",
        Technology::Vpc => "Vpc",
        Technology::IamRole => "IamRole",
    };
    format!("{name}{kind}TableName")
}

async fn offload(tech: Technology, kind: &str) -> Offload {
    Offload::new(
        env().await.host.s3(),
        output("HistoricalOffloadBucketName").await,
        format!("historical/{tech}/{kind}/"),
    )
}

/// The deployed Current store of `tech` (reads resolve offloaded configurations).
pub async fn current(tech: Technology) -> CurrentStore {
    let env = env().await;
    CurrentStore::new(
        aws_sdk_dynamodb::Client::new(&env.host.sdk_config()),
        output(&table_output(tech, "Current")).await,
        offload(tech, "current").await,
    )
}

/// The deployed Durable store of `tech`.
pub async fn durable(tech: Technology) -> DurableStore {
    let env = env().await;
    DurableStore::new(
        aws_sdk_dynamodb::Client::new(&env.host.sdk_config()),
        output(&table_output(tech, "Durable")).await,
        offload(tech, "durable").await,
    )
}

/// A CloudTrail event fixture (`crates/historical/fixtures/<name>`) with every occurrence of each
/// `replace` pair's first string replaced by its second, and `detail.eventTime` set to `time`.
pub fn cloudtrail(name: &str, replace: &[(&str, &str)], time: DateTime<Utc>) -> Value {
    let path = env_root().join("crates/historical/fixtures").join(name);
    let mut text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    let mut event: Value = serde_json::from_str(&text).expect("fixture JSON");
    event["detail"]["eventTime"] = json!(format_event_time(time));
    event
}

fn env_root() -> std::path::PathBuf {
    local::paths::Workspace::locate().root
}

/// Puts `event` (an EventBridge CloudTrail event) on the host account's default bus, as a member
/// account's forwarding rule would; the offline CloudTrail stand-in keeps `detail.recipientAccountId`
/// as the event's account.
pub async fn put_event(event: &Value) {
    put_event_in(local::sdk::DEFAULT_REGION, event).await;
}

/// [`put_event`] on the default bus of `region` (where an off-region forwarder's rules are).
pub async fn put_event_in(region: &str, event: &Value) {
    let env = env().await;
    let events = aws_sdk_eventbridge::Client::new(&env.host.in_region(region).sdk_config());
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .source(event["source"].as_str().expect("source"))
        .detail_type(event["detail-type"].as_str().expect("detail-type"))
        .detail(event["detail"].to_string())
        .build();
    let answer = events
        .put_events()
        .entries(entry)
        .send()
        .await
        .expect("PutEvents");
    assert_eq!(answer.failed_entry_count(), 0, "PutEvents: {answer:?}");
}

/// Sends `event` straight to the event queue (as an off-region forwarder would), bypassing the
/// rules' event-name filter.
pub async fn send_to_event_queue(event: &Value) {
    let env = env().await;
    let sqs = aws_sdk_sqs::Client::new(&env.host.sdk_config());
    sqs.send_message()
        .queue_url(output("HistoricalEventQueueUrl").await)
        .message_body(event.to_string())
        .send()
        .await
        .expect("SendMessage to the event queue");
}

/// Runs the poller tasker for `tech` in `account` (what the schedule does for every account), then
/// pumps until the poll's events have gone through the pipeline.
pub async fn poll(tech: Technology, account: &str) {
    let env = env().await;
    let function = local::deploy::physical_id(
        &env.host,
        local::deploy::DEFAULT_STACK,
        "PollerTaskerFunction",
    )
    .await
    .expect("poller tasker function");
    let lambda = aws_sdk_lambda::Client::new(&env.host.sdk_config());
    let payload = json!({"technologies": [tech], "accounts": [account]});
    let answer = lambda
        .invoke()
        .function_name(function)
        .payload(aws_smithy_types::Blob::new(payload.to_string()))
        .send()
        .await
        .expect("invoke the poller tasker");
    let body: Value =
        serde_json::from_slice(answer.payload().map(|b| b.as_ref()).unwrap_or(b"null"))
            .expect("tasker answer");
    assert!(
        answer.function_error().is_none(),
        "poller tasker failed: {body}"
    );
    assert!(
        body["tasks"].as_u64().unwrap_or(0) >= 1,
        "no poll task: {body}"
    );
    pump().await;
}

/// Forces the TTL of `arn`'s Current item into the past and runs the emulator's TTL sweep: the item
/// expires as DynamoDB's TTL would expire it (a REMOVE by the DynamoDB service).
pub async fn expire(tech: Technology, arn: &str) {
    let env = env().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&env.host.sdk_config());
    dynamodb
        .update_item()
        .table_name(output(&table_output(tech, "Current")).await)
        .key("arn", AttributeValue::S(arn.into()))
        .update_expression("SET #ttl = :past")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":past", AttributeValue::N("1".into()))
        .condition_expression("attribute_exists(arn)")
        .send()
        .await
        .expect("set the TTL in the past");
    pump().await;
    let _: Value = local::admin::Admin::new(&env.host.endpoint)
        .post("/_offline/dynamodb/expire-ttl", Value::Null)
        .await
        .expect("expire TTLs");
    pump().await;
}

/// Waits until the wall clock is past `after` (whole seconds) and returns the new time: successive
/// events of a test get distinct, increasing CloudTrail times.
pub async fn tick(after: DateTime<Utc>) -> DateTime<Utc> {
    loop {
        let now = Utc::now().trunc_subsecs(0);
        if now > after {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A revision as the golden tests compare it: time, kind and the event that made it.
pub fn summary(item: &Value) -> (String, String, String) {
    (
        item["eventTime"].as_str().unwrap_or_default().to_string(),
        item["change"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        item["eventName"].as_str().unwrap_or_default().to_string(),
    )
}

/// Every Durable revision of `arn`, oldest first.
pub async fn revisions(tech: Technology, arn: &str) -> Vec<Value> {
    durable(tech)
        .await
        .revisions(arn)
        .await
        .expect("Durable revisions")
        .into_iter()
        .map(|r| r.item)
        .collect()
}

/// A queue subscribed to the change feed with raw delivery and `filter_policy`.
pub struct Subscriber {
    sqs: aws_sdk_sqs::Client,
    /// The queue's URL.
    pub queue_url: String,
}

/// One change-feed message: its body and its message attributes.
#[derive(Debug, Clone)]
pub struct FeedMessage {
    /// The parsed body.
    pub body: Value,
    /// The String message attributes.
    pub attributes: BTreeMap<String, String>,
}

impl Subscriber {
    /// Subscribes a new queue to the change-feed topic.
    pub async fn new(filter_policy: &Value) -> Subscriber {
        let env = env().await;
        let config = env.host.sdk_config();
        let sqs = aws_sdk_sqs::Client::new(&config);
        let sns = aws_sdk_sns::Client::new(&config);
        let queue_url = sqs
            .create_queue()
            .queue_name(unique("feed"))
            .send()
            .await
            .expect("create subscriber queue")
            .queue_url
            .expect("queue url");
        let arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue arn")
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        sns.subscribe()
            .topic_arn(output("ChangeFeedTopicArn").await)
            .protocol("sqs")
            .endpoint(arn)
            .attributes("RawMessageDelivery", "true")
            .attributes("FilterPolicy", filter_policy.to_string())
            .return_subscription_arn(true)
            .send()
            .await
            .expect("subscribe to the change feed");
        Subscriber { sqs, queue_url }
    }

    /// Every message received so far (removed from the queue).
    pub async fn drain(&self) -> Vec<FeedMessage> {
        let mut out = Vec::new();
        loop {
            let answer = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive change-feed messages");
            let messages = answer.messages.unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                let body: Value =
                    serde_json::from_str(m.body().unwrap_or("null")).expect("message JSON");
                let attributes = m
                    .message_attributes()
                    .map(|a| {
                        a.iter()
                            .map(|(k, v)| {
                                (k.clone(), v.string_value().unwrap_or_default().to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(FeedMessage { body, attributes });
                if let Some(handle) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete message");
                }
            }
        }
    }
}

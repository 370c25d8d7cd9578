//! Helpers of the Historical integration tests: real CloudTrail event shapes (the fixtures of
//! `crates/historical/fixtures`, retargeted at a test's own account and resources) put on the host
//! account's default bus, the deployed pipeline pumped until idle, and what it left behind read back:
//! Current items, Durable revisions and the change-feed messages a subscriber queue received.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SubsecRound, Utc};
use historical::Technology;
use historical_aws::store::{CurrentStore, DurableStore, Offload};
use serde_json::{json, Value};

pub use crate::s3insights::output;
use crate::{env, unique};

/// Historical's functions (logical ids, part of their physical names).
pub const FUNCTIONS: [&str; 6] = [
    "PollerTaskerFunction",
    "PollerFunction",
    "CollectorFunction",
    "CurrentProxyFunction",
    "DifferFunction",
    "DurableProxyFunction",
];

/// Wait until Historical's pipeline is idle (its queues, streams and functions); S3Insights work
/// that other tests started on the same local AWS is not waited for.
pub async fn pump() {
    let env = env().await;
    local_aws::pump::until_idle_of(&env.host.endpoint, Duration::from_secs(120), &FUNCTIONS)
        .await
        .unwrap_or_else(|e| panic!("pump: {e}"));
}
pub use fixtures::change_feed::{FeedMessage, Subscriber};
pub use fixtures::cloudtrail::FIXTURE_ACCOUNT;

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

/// The Current item of `arn`, which must exist.
pub async fn current_item(tech: Technology, arn: &str) -> Value {
    current(tech)
        .await
        .get(arn)
        .await
        .expect("read Current")
        .unwrap_or_else(|| panic!("no Current item for {arn}"))
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
    let text =
        fixtures::cloudtrail::read_fixture(&local_aws::paths::Workspace::locate().root, name)
            .unwrap_or_else(|e| panic!("{e}"));
    fixtures::cloudtrail::retarget(&text, replace, time).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Puts `event` (an EventBridge CloudTrail event) on the host account's default bus, as a member
/// account's forwarding rule would; the offline CloudTrail stand-in keeps `detail.recipientAccountId`
/// as the event's account.
pub async fn put_event(event: &Value) {
    put_event_in(local_aws::sdk::DEFAULT_REGION, event).await;
}

/// [`put_event`] on the default bus of `region` (where an off-region forwarder's rules are).
pub async fn put_event_in(region: &str, event: &Value) {
    let target = env().await.host.in_region(region);
    fixtures::cloudtrail::put_event(&target, event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
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
    let payload = json!({"technologies": [tech], "accounts": [account]});
    let (body, error) = crate::invoke("PollerTaskerFunction", &payload).await;
    assert!(error.is_none(), "poller tasker failed: {body}");
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
    let _: Value = local_aws::admin::Admin::new(&env.host.endpoint)
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

/// A new queue subscribed to the change-feed topic with raw delivery and `filter_policy`.
pub async fn subscribe(filter_policy: &Value) -> Subscriber {
    let env = env().await;
    Subscriber::subscribe(
        &env.host,
        &output("ChangeFeedTopicArn").await,
        &unique("feed"),
        filter_policy,
    )
    .await
    .unwrap_or_else(|e| panic!("subscribe to the change feed: {e}"))
}

/// Every change-feed message `feed` received so far (removed from its queue).
pub async fn drain(feed: &Subscriber) -> Vec<FeedMessage> {
    feed.drain()
        .await
        .unwrap_or_else(|e| panic!("drain the change feed: {e}"))
}

/// Takes out of the event queue's dead-letter queue every message whose body contains one of
/// `markers` (deleting them) and returns their bodies, waiting up to `within` for all of them.
/// Messages of other tests are made visible again at once, so concurrent tests do not hide
/// each other's dead letters.
pub async fn take_dead_letters(markers: &[&str], within: Duration) -> Vec<String> {
    let env = env().await;
    let sqs = aws_sdk_sqs::Client::new(&env.host.sdk_config());
    let dlq = output("HistoricalEventQueueDeadLetterQueueUrl").await;
    let deadline = std::time::Instant::now() + within;
    let mut taken: Vec<String> = Vec::new();
    while std::time::Instant::now() < deadline
        && !markers
            .iter()
            .all(|m| taken.iter().any(|body| body.contains(m)))
    {
        let answer = sqs
            .receive_message()
            .queue_url(&dlq)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive from the event DLQ");
        let messages = answer.messages.unwrap_or_default();
        if messages.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        for m in messages {
            let body = m.body().unwrap_or_default().to_string();
            let handle = m.receipt_handle().unwrap_or_default();
            if markers.iter().any(|marker| body.contains(marker)) {
                sqs.delete_message()
                    .queue_url(&dlq)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete from the event DLQ");
                taken.push(body);
            } else {
                sqs.change_message_visibility()
                    .queue_url(&dlq)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .expect("release another test's dead letter");
            }
        }
    }
    taken
}

/// EC2 in `account` and `region`.
pub async fn ec2(account: &str, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&env().await.account(account).in_region(region).sdk_config())
}

/// A new VPC (10.20.0.0/16) in `account` and `region`; its id.
pub async fn new_vpc(account: &str, region: &str) -> String {
    ec2(account, region)
        .await
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .expect("create VPC")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc id")
}

/// A new security group (description "web tier", a unique name from `prefix`) in `vpc`; its id.
pub async fn new_security_group(account: &str, region: &str, vpc: &str, prefix: &str) -> String {
    ec2(account, region)
        .await
        .create_security_group()
        .group_name(unique(prefix))
        .description("web tier")
        .vpc_id(vpc)
        .send()
        .await
        .expect("create security group")
        .group_id
        .expect("group id")
}

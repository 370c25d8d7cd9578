//! Historical end to end, one golden history per technology, on the deployed template: real
//! resources changed in a member account, the matching CloudTrail events (the documented shapes of
//! `crates/historical/fixtures`) put on EventBridge, the real collector, Current tables, stream
//! proxies, Differ, Durable tables and change-feed topic, and a subscriber's queue.
//!
//! Each history: create → poll (no new revision) → change → the same event again (no new
//! revision) → an older event arriving late (no new revision) → an event name no rule knows (no
//! deletion) → delete → and, for a second resource, a TTL expiry (a deletion marker). The exact
//! Durable revisions and the exact change-feed messages are asserted.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use historical::differ::format_event_time;
use historical::Technology;
use integration::historical::{
    cloudtrail, current, current_item, drain, ec2, expire, new_security_group, new_vpc, poll, pump,
    put_event, revisions, send_to_event_queue, subscribe, summary, tick, FeedMessage,
    FIXTURE_ACCOUNT,
};
use integration::s3insights::{bucket, delete_bucket, member_account, s3};
use integration::{env, unique};
use serde_json::{json, Value};

/// One technology's resource in a golden history.
trait Subject: Sized {
    const TECH: Technology;
    /// The region of the fixtures (and of the resource).
    const REGION: &'static str;
    /// Fixtures of the creation, the change and the deletion.
    const CREATE: &'static str;
    const CHANGE: &'static str;
    const DELETE: &'static str;
    /// The fixtures' event names.
    const CREATE_NAME: &'static str;
    const CHANGE_NAME: &'static str;
    const DELETE_NAME: &'static str;

    /// Creates a new resource in `account`.
    async fn create(account: &str) -> Self;
    /// Changes it as the change fixture says.
    async fn change(&self, account: &str);
    /// Deletes it.
    async fn delete(&self, account: &str);
    /// Fixture strings to replace with this resource's (besides the account).
    fn replacements(&self) -> Vec<(&'static str, String)>;
    /// The resource's key in Historical's tables.
    fn arn(&self, account: &str) -> String;
}

fn event_of<S: Subject>(subject: &S, account: &str, fixture: &str, time: DateTime<Utc>) -> Value {
    let owned = subject.replacements();
    let mut replace: Vec<(&str, &str)> = owned.iter().map(|(a, b)| (*a, b.as_str())).collect();
    replace.push((FIXTURE_ACCOUNT, account));
    cloudtrail(fixture, &replace, time)
}

type Expected = Vec<(String, String, String)>;

fn revision(time: DateTime<Utc>, kind: &str, event: &str) -> (String, String, String) {
    (format_event_time(time), kind.to_string(), event.to_string())
}

async fn history(tech: Technology, arn: &str) -> Expected {
    revisions(tech, arn).await.iter().map(summary).collect()
}

async fn golden<S: Subject>() {
    let account = member_account().await;
    let feed = subscribe(&json!({"account": [account]})).await;

    // create
    let subject = S::create(&account).await;
    let arn = subject.arn(&account);
    let created = Utc::now().trunc_subsecs(0) - Duration::minutes(10);
    put_event(&event_of(&subject, &account, S::CREATE, created)).await;
    pump().await;
    let mut expected = vec![revision(created, "created", S::CREATE_NAME)];
    assert_eq!(history(S::TECH, &arn).await, expected, "after the creation");

    // poll: the same state again, no new revision
    poll(S::TECH, &account).await;
    let polled = current_item(S::TECH, &arn).await;
    assert_eq!(
        polled["eventName"],
        json!(S::TECH.rules().poll_event_name()),
        "the poll rewrote Current"
    );
    assert_eq!(history(S::TECH, &arn).await, expected, "after the poll");

    // change
    subject.change(&account).await;
    let changed = tick(Utc::now()).await;
    let change = event_of(&subject, &account, S::CHANGE, changed);
    put_event(&change).await;
    pump().await;
    expected.push(revision(changed, "updated", S::CHANGE_NAME));
    let after_change = revisions(S::TECH, &arn).await;
    assert_eq!(
        after_change.iter().map(summary).collect::<Expected>(),
        expected,
        "after the change"
    );
    let patch = after_change[1]["change"]["patch"]
        .as_array()
        .expect("patch")
        .clone();
    assert!(!patch.is_empty(), "an update carries its patch");
    for op in &patch {
        let path = op["path"].as_str().unwrap_or_default();
        assert!(
            path.starts_with("/configuration/") || path.starts_with("/Tags"),
            "only the configuration changed: {op}"
        );
    }

    // the same event again: nothing new
    put_event(&change).await;
    pump().await;
    assert_eq!(history(S::TECH, &arn).await, expected, "after a duplicate");

    // an older event arriving late: Current keeps the newer state, nothing new
    put_event(&event_of(
        &subject,
        &account,
        S::CHANGE,
        changed - Duration::seconds(1),
    ))
    .await;
    pump().await;
    assert_eq!(history(S::TECH, &arn).await, expected, "after a late event");
    let stored = current_item(S::TECH, &arn).await;
    assert_eq!(stored["eventTime"], json!(format_event_time(changed)));

    // an event name no rule knows: filtered out by the rules, and ignored by the collector when it
    // arrives anyway (off-region forwarders send to the queue directly); never a deletion
    let mut unknown = event_of(&subject, &account, S::CHANGE, tick(changed).await);
    unknown["detail"]["eventName"] = json!("UnknownFutureApiCall");
    put_event(&unknown).await;
    send_to_event_queue(&unknown).await;
    pump().await;
    assert_eq!(
        history(S::TECH, &arn).await,
        expected,
        "after an unknown event"
    );
    assert!(current(S::TECH).await.get(&arn).await.unwrap().is_some());

    // delete
    subject.delete(&account).await;
    let deleted = tick(Utc::now()).await;
    put_event(&event_of(&subject, &account, S::DELETE, deleted)).await;
    pump().await;
    expected.push(revision(deleted, "deleted", S::DELETE_NAME));
    assert_eq!(history(S::TECH, &arn).await, expected, "after the deletion");
    assert!(current(S::TECH).await.get(&arn).await.unwrap().is_none());

    // a second resource whose deletion event never came: its Current item expires
    let other = S::create(&account).await;
    let other_arn = other.arn(&account);
    let other_created = tick(Utc::now()).await;
    put_event(&event_of(&other, &account, S::CREATE, other_created)).await;
    pump().await;
    let _ = tick(other_created).await;
    expire(S::TECH, &other_arn).await;
    let other_history = revisions(S::TECH, &other_arn).await;
    assert_eq!(other_history.len(), 2, "{other_history:#?}");
    assert_eq!(
        summary(&other_history[0]),
        revision(other_created, "created", S::CREATE_NAME)
    );
    let marker = &other_history[1];
    assert_eq!(marker["change"]["kind"], json!("deleted"));
    assert_eq!(marker["eventName"], json!("TtlExpiry"));
    assert_eq!(marker["principalId"], json!("dynamodb.amazonaws.com"));
    assert_eq!(marker["configuration"], json!({}));
    assert!(
        marker["eventTime"].as_str().unwrap() > other_history[0]["eventTime"].as_str().unwrap()
    );
    other.delete(&account).await;

    // the change feed: exactly one message per revision, with its attributes
    let mut all = revisions(S::TECH, &arn).await;
    all.extend(other_history);
    // (the poll also recorded the account's other resources, e.g. its deployment bucket)
    let messages: Vec<FeedMessage> = drain(&feed)
        .await
        .into_iter()
        .filter(|m| m.body["arn"] == json!(arn) || m.body["arn"] == json!(other_arn))
        .collect();
    assert_eq!(messages.len(), all.len(), "{messages:#?}");
    let got: BTreeSet<(String, String, String)> = messages.iter().map(feed_key).collect();
    let want: BTreeSet<(String, String, String)> = all
        .iter()
        .map(|r| {
            (
                r["arn"].as_str().unwrap().to_string(),
                r["eventTime"].as_str().unwrap().to_string(),
                r["change"]["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
    for message in &messages {
        let revision = all
            .iter()
            .find(|r| {
                r["arn"] == message.body["arn"] && r["eventTime"] == message.body["event_time"]
            })
            .expect("a revision for every message");
        check_message::<S>(message, revision, &account);
    }
}

fn feed_key(m: &FeedMessage) -> (String, String, String) {
    (
        m.body["arn"].as_str().unwrap_or_default().to_string(),
        m.body["event_time"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        m.body["change"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

fn check_message<S: Subject>(message: &FeedMessage, revision: &Value, account: &str) {
    let body = &message.body;
    assert_eq!(body["tech"], json!(S::TECH.id()));
    assert_eq!(body["change"]["kind"], revision["change"]["kind"]);
    assert_eq!(body["change"]["patch"], revision["change"]["patch"]);
    let item = &body["item"];
    assert_eq!(item["configuration"], revision["configuration"]);
    assert_eq!(item["eventName"], revision["eventName"]);
    assert!(
        item.get("change").is_none(),
        "the stored change is not repeated in item"
    );
    let expected = [
        ("tech", S::TECH.id().to_string()),
        ("account", account.to_string()),
        ("region", revision["Region"].as_str().unwrap().to_string()),
        (
            "change",
            revision["change"]["kind"].as_str().unwrap().to_string(),
        ),
    ];
    for (name, value) in expected {
        assert_eq!(
            message.attributes.get(name),
            Some(&value),
            "attribute {name}"
        );
    }
}

// ------------------------------------------------------------------------------------ S3 buckets

struct Bucket(String);

impl Subject for Bucket {
    const TECH: Technology = Technology::S3;
    const REGION: &'static str = "eu-west-1";
    const CREATE: &'static str = "s3-create-bucket.json";
    const CHANGE: &'static str = "s3-put-bucket-policy.json";
    const DELETE: &'static str = "s3-delete-bucket.json";
    const CREATE_NAME: &'static str = "CreateBucket";
    const CHANGE_NAME: &'static str = "PutBucketPolicy";
    const DELETE_NAME: &'static str = "DeleteBucket";

    async fn create(account: &str) -> Self {
        Bucket(bucket(account, Self::REGION, "golden", &[]).await)
    }
    async fn change(&self, account: &str) {
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{}", self.0), format!("arn:aws:s3:::{}/*", self.0)],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}
            }]
        });
        s3(account, Self::REGION)
            .await
            .put_bucket_policy()
            .bucket(&self.0)
            .policy(policy.to_string())
            .send()
            .await
            .expect("put bucket policy");
    }
    async fn delete(&self, account: &str) {
        delete_bucket(account, Self::REGION, &self.0).await;
    }
    fn replacements(&self) -> Vec<(&'static str, String)> {
        vec![("amzn-s3-demo-bucket", self.0.clone())]
    }
    fn arn(&self, _account: &str) -> String {
        format!("arn:aws:s3:::{}", self.0)
    }
}

#[tokio::test]
async fn bucket_history() {
    golden::<Bucket>().await;
}

// ------------------------------------------------------------------------------ security groups

struct Group {
    id: String,
    vpc: String,
}

impl Subject for Group {
    const TECH: Technology = Technology::SecurityGroup;
    const REGION: &'static str = "eu-west-2";
    const CREATE: &'static str = "sg-create-security-group.json";
    const CHANGE: &'static str = "sg-authorize-ingress.json";
    const DELETE: &'static str = "sg-delete-security-group.json";
    const CREATE_NAME: &'static str = "CreateSecurityGroup";
    const CHANGE_NAME: &'static str = "AuthorizeSecurityGroupIngress";
    const DELETE_NAME: &'static str = "DeleteSecurityGroup";

    async fn create(account: &str) -> Self {
        let vpc = new_vpc(account, Self::REGION).await;
        let id = new_security_group(account, Self::REGION, &vpc, "web-tier").await;
        Group { id, vpc }
    }
    async fn change(&self, account: &str) {
        ec2(account, Self::REGION)
            .await
            .authorize_security_group_ingress()
            .group_id(&self.id)
            .ip_permissions(fixtures::cloudtrail::authorized_ingress())
            .send()
            .await
            .expect("authorize ingress");
    }
    async fn delete(&self, account: &str) {
        ec2(account, Self::REGION)
            .await
            .delete_security_group()
            .group_id(&self.id)
            .send()
            .await
            .expect("delete security group");
    }
    fn replacements(&self) -> Vec<(&'static str, String)> {
        vec![
            ("sg-0123456789abcdef0", self.id.clone()),
            ("vpc-0a1b2c3d4e5f60718", self.vpc.clone()),
        ]
    }
    fn arn(&self, account: &str) -> String {
        format!(
            "arn:aws:ec2:{}:{account}:security-group/{}",
            Self::REGION,
            self.id
        )
    }
}

#[tokio::test]
async fn security_group_history() {
    golden::<Group>().await;
}

// ----------------------------------------------------------------------------------------- VPCs

struct Vpc(String);

impl Subject for Vpc {
    const TECH: Technology = Technology::Vpc;
    const REGION: &'static str = "us-east-2";
    const CREATE: &'static str = "vpc-create-vpc.json";
    const CHANGE: &'static str = "vpc-modify-vpc-attribute.json";
    const DELETE: &'static str = "vpc-delete-vpc.json";
    const CREATE_NAME: &'static str = "CreateVpc";
    const CHANGE_NAME: &'static str = "ModifyVpcAttribute";
    const DELETE_NAME: &'static str = "DeleteVpc";

    async fn create(account: &str) -> Self {
        Vpc(new_vpc(account, Self::REGION).await)
    }
    async fn change(&self, account: &str) {
        ec2(account, Self::REGION)
            .await
            .modify_vpc_attribute()
            .vpc_id(&self.0)
            .enable_dns_hostnames(
                aws_sdk_ec2::types::AttributeBooleanValue::builder()
                    .value(true)
                    .build(),
            )
            .send()
            .await
            .expect("modify VPC attribute");
    }
    async fn delete(&self, account: &str) {
        ec2(account, Self::REGION)
            .await
            .delete_vpc()
            .vpc_id(&self.0)
            .send()
            .await
            .expect("delete VPC");
    }
    fn replacements(&self) -> Vec<(&'static str, String)> {
        vec![("vpc-0a1b2c3d4e5f60718", self.0.clone())]
    }
    fn arn(&self, account: &str) -> String {
        format!("arn:aws:ec2:{}:{account}:vpc/{}", Self::REGION, self.0)
    }
}

#[tokio::test]
async fn vpc_history() {
    golden::<Vpc>().await;
}

// ------------------------------------------------------------------------------------ IAM roles

async fn iam(account: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&env().await.account(account).sdk_config())
}

fn trust(service: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

struct Role(String);

impl Subject for Role {
    const TECH: Technology = Technology::IamRole;
    const REGION: &'static str = "us-east-1";
    const CREATE: &'static str = "iam-create-role.json";
    const CHANGE: &'static str = "iam-update-assume-role-policy.json";
    const DELETE: &'static str = "iam-delete-role.json";
    const CREATE_NAME: &'static str = "CreateRole";
    const CHANGE_NAME: &'static str = "UpdateAssumeRolePolicy";
    const DELETE_NAME: &'static str = "DeleteRole";

    async fn create(account: &str) -> Self {
        let name = unique("payments-worker");
        iam(account)
            .await
            .create_role()
            .role_name(&name)
            .path("/service-role/")
            .assume_role_policy_document(trust("lambda.amazonaws.com"))
            .send()
            .await
            .expect("create role");
        Role(name)
    }
    async fn change(&self, account: &str) {
        iam(account)
            .await
            .update_assume_role_policy()
            .role_name(&self.0)
            .policy_document(trust("states.amazonaws.com"))
            .send()
            .await
            .expect("update trust policy");
    }
    async fn delete(&self, account: &str) {
        iam(account)
            .await
            .delete_role()
            .role_name(&self.0)
            .send()
            .await
            .expect("delete role");
    }
    fn replacements(&self) -> Vec<(&'static str, String)> {
        vec![("payments-worker", self.0.clone())]
    }
    fn arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:role/{}", self.0)
    }
}

#[tokio::test]
async fn iam_role_history() {
    golden::<Role>().await;
}

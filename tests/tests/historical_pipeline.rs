//! Historical's pipeline beyond the golden histories: events of an off-region forwarder
//! (`historical-off-region.yaml`), a configuration larger than a DynamoDB item and an SNS message,
//! a message the collector cannot read, which must end in the dead-letter queue, and events out of
//! time (dated after their receipt or before any queue could have kept them), which must too.

use std::collections::BTreeMap;

use chrono::{Duration, SubsecRound, Utc};
use historical::differ::format_event_time;
use historical::item::is_offloaded;
use historical::Technology;
use integration::historical::{
    cloudtrail, current, current_item, drain, output, poll, pump, put_event, put_event_in,
    revisions, send_to_event_queue, subscribe, summary, take_dead_letters, FIXTURE_ACCOUNT,
};
use integration::s3insights::{bucket, member_account, s3};
use integration::{env, unique};
use local_aws::deploy::{self, DeployRequest};
use local_aws::package::BuildOptions;
use serde_json::{json, Value};

#[tokio::test]
async fn off_region_events_reach_the_primary_collector() {
    let env = env().await;
    let region = "eu-west-2";
    let request = DeployRequest {
        template: "historical-off-region.yaml".into(),
        stack: "historical-off-region".into(),
        parameters: BTreeMap::from([(
            "PrimaryEventQueueArn".to_string(),
            output("HistoricalEventQueueArn").await,
        )]),
        build: BuildOptions::default(),
    };
    let outputs = deploy::deploy(&env.workspace, &env.host.in_region(region), &request)
        .await
        .expect("deploy the off-region forwarder");
    assert!(outputs["ForwarderTopicArn"].contains(":eu-west-2:"));

    let account = member_account().await;
    let ec2 = aws_sdk_ec2::Client::new(&env.account(&account).in_region(region).sdk_config());
    let group = ec2
        .create_security_group()
        .group_name(unique("off-region"))
        .description("off-region group")
        .send()
        .await
        .expect("create security group")
        .group_id
        .expect("group id");
    let time = Utc::now().trunc_subsecs(0) - Duration::minutes(1);
    let event = cloudtrail(
        "sg-create-security-group.json",
        &[
            ("sg-0123456789abcdef0", &group),
            (FIXTURE_ACCOUNT, &account),
        ],
        time,
    );
    put_event_in(region, &event).await;
    pump().await;
    let arn = format!("arn:aws:ec2:{region}:{account}:security-group/{group}");
    let history = revisions(Technology::SecurityGroup, &arn).await;
    assert_eq!(history.len(), 1, "{history:#?}");
    assert_eq!(history[0]["change"]["kind"], json!("created"));
    assert_eq!(history[0]["Region"], json!(region));
    assert_eq!(history[0]["GroupId"], json!(group));
}

#[tokio::test]
async fn a_500_kb_configuration_is_kept_whole() {
    let account = member_account().await;
    let region = "eu-west-1";
    let name = bucket(&account, region, "large", &[]).await;
    // A policy of about 500 KB: far over DynamoDB's 400 KB item and SNS's 256 KB message.
    let statements: Vec<Value> = (0..2_500)
        .map(|i| {
            json!({
                "Sid": format!("ReadOnlyForPartner{i:05}"),
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{:012}:root", 100_000_000_000u64 + i)},
                "Action": ["s3:GetObject"],
                "Resource": format!("arn:aws:s3:::{name}/partners/{i:05}/*"),
            })
        })
        .collect();
    let policy = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    assert!(policy.len() > 450_000, "{} bytes", policy.len());
    s3(&account, region)
        .await
        .put_bucket_policy()
        .bucket(&name)
        .policy(&policy)
        .send()
        .await
        .expect("put a large bucket policy");
    let feed = subscribe(&json!({"account": [account]})).await;
    let time = Utc::now().trunc_subsecs(0) - Duration::minutes(1);
    let event = cloudtrail(
        "s3-create-bucket.json",
        &[("amzn-s3-demo-bucket", &name), (FIXTURE_ACCOUNT, &account)],
        time,
    );
    put_event(&event).await;
    pump().await;

    let arn = format!("arn:aws:s3:::{name}");
    let stored = current_item(Technology::S3, &arn).await;
    let history = revisions(Technology::S3, &arn).await;
    assert_eq!(history.len(), 1);
    let statements_of = |item: &Value| -> usize {
        item["configuration"]["Policy"]["Statement"]
            .as_array()
            .map(Vec::len)
            .unwrap_or_else(|| {
                serde_json::from_str::<Value>(
                    item["configuration"]["Policy"].as_str().unwrap_or("{}"),
                )
                .ok()
                .and_then(|p| p["Statement"].as_array().map(Vec::len))
                .unwrap_or(0)
            })
    };
    assert_eq!(
        statements_of(&stored),
        2_500,
        "Current resolves the whole policy"
    );
    assert_eq!(
        statements_of(&history[0]),
        2_500,
        "Durable resolves the whole policy"
    );
    assert_eq!(history[0]["configuration"], stored["configuration"]);

    // In the table itself the configuration is a pointer to S3.
    let env = env().await;
    let raw = aws_sdk_dynamodb::Client::new(&env.host.sdk_config())
        .get_item()
        .table_name(output("S3DurableTableName").await)
        .key(
            "arn",
            aws_sdk_dynamodb::types::AttributeValue::S(arn.clone()),
        )
        .key(
            "eventTime",
            aws_sdk_dynamodb::types::AttributeValue::S(
                history[0]["eventTime"].as_str().unwrap().into(),
            ),
        )
        .send()
        .await
        .expect("raw Durable item")
        .item
        .expect("item");
    let raw: Value = serde_dynamo::from_item(raw).expect("decode");
    assert!(
        is_offloaded(&raw),
        "stored behind a pointer: {:?}",
        raw.get("configuration_s3")
    );

    // The change feed says where to read it.
    let messages: Vec<_> = drain(&feed)
        .await
        .into_iter()
        .filter(|m| m.body["arn"] == json!(arn))
        .collect();
    assert_eq!(messages.len(), 1);
    let body = &messages[0].body;
    assert_eq!(body["event_too_big"], json!(true));
    assert!(body.get("item").is_none());
    assert_eq!(
        body["durable_key"],
        json!({"arn": arn, "eventTime": history[0]["eventTime"]})
    );
    assert_eq!(body["change"]["kind"], json!("created"));
    assert_eq!(messages[0].attributes["change"], "created");
}

#[tokio::test]
async fn an_unreadable_event_ends_in_the_dead_letter_queue() {
    let marker = unique("poison");
    // A CloudTrail update that names no resource cannot be collected.
    let mut event = cloudtrail(
        "s3-put-bucket-policy.json",
        &[],
        Utc::now().trunc_subsecs(0),
    );
    let (nameless, junk) = (format!("{marker}-nameless"), format!("{marker}-junk"));
    event["detail"]["requestParameters"] = json!({"note": nameless});
    send_to_event_queue(&event).await;
    send_to_event_queue(&json!({"not": "an event", "note": junk})).await;
    pump().await;
    let found = take_dead_letters(&[&nameless, &junk], std::time::Duration::from_secs(10)).await;
    assert_eq!(
        found.len(),
        2,
        "both unreadable messages rest in the DLQ: {found:#?}"
    );
}

/// Issue 15, item 7: an event dated in 2099 became the Current item's time, so every later real
/// change was dropped (the Current write is conditional on a newer eventTime) and the TTL expiry
/// then recorded a deletion that never happened; an event dated 1970 published a `created`
/// revision of 1970. Events out of time are refused before any describe or write and rest in the
/// DLQ; the next real change, and the next poll, are recorded at their own time.
#[tokio::test]
async fn events_out_of_time_rest_in_the_dead_letter_queue_and_freeze_nothing() {
    let account = member_account().await;
    let region = "eu-west-1";
    let future = bucket(&account, region, "future", &[]).await;
    let past = bucket(&account, region, "past", &[]).await;
    let feed = subscribe(&json!({"account": [account]})).await;
    let begun = Utc::now().trunc_subsecs(0);
    let at = |year: i32| {
        chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a date")
            .and_utc()
    };
    put_event(&cloudtrail(
        "s3-put-bucket-policy.json",
        &[
            ("amzn-s3-demo-bucket", &future),
            (FIXTURE_ACCOUNT, &account),
        ],
        at(2099),
    ))
    .await;
    put_event(&cloudtrail(
        "s3-create-bucket.json",
        &[("amzn-s3-demo-bucket", &past), (FIXTURE_ACCOUNT, &account)],
        at(1970),
    ))
    .await;
    pump().await;

    let (future_arn, past_arn) = (
        format!("arn:aws:s3:::{future}"),
        format!("arn:aws:s3:::{past}"),
    );
    for arn in [&future_arn, &past_arn] {
        let stored = current(Technology::S3)
            .await
            .get(arn)
            .await
            .expect("read Current");
        assert_eq!(stored, None, "nothing written to Current for {arn}");
        assert_eq!(
            revisions(Technology::S3, arn).await,
            Vec::<Value>::new(),
            "{arn}"
        );
    }
    let parked = take_dead_letters(&[&future, &past], std::time::Duration::from_secs(20)).await;
    assert_eq!(
        parked.len(),
        2,
        "both events rest in the event DLQ: {parked:#?}"
    );

    // A real change of the bucket dated 2099 is recorded, and published.
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "s3:GetObject",
        "Resource": format!("{future_arn}/*")}]});
    s3(&account, region)
        .await
        .put_bucket_policy()
        .bucket(&future)
        .policy(policy.to_string())
        .send()
        .await
        .expect("put a bucket policy");
    let changed = Utc::now().trunc_subsecs(0);
    put_event(&cloudtrail(
        "s3-put-bucket-policy.json",
        &[
            ("amzn-s3-demo-bucket", &future),
            (FIXTURE_ACCOUNT, &account),
        ],
        changed,
    ))
    .await;
    pump().await;
    let history: Vec<_> = revisions(Technology::S3, &future_arn)
        .await
        .iter()
        .map(summary)
        .collect();
    let changed_at = format_event_time(changed);
    assert_eq!(
        history,
        [(
            changed_at.clone(),
            "created".to_string(),
            "PutBucketPolicy".to_string()
        )],
        "the real change after the event of 2099"
    );
    let published: Vec<_> = drain(&feed)
        .await
        .into_iter()
        .filter(|m| m.body["arn"] == json!(future_arn))
        .map(|m| m.body["event_time"].clone())
        .collect();
    assert_eq!(published, [json!(changed_at)]);

    // The next poll records the bucket of the event of 1970, at the poll's time.
    poll(Technology::S3, &account).await;
    let history = revisions(Technology::S3, &past_arn).await;
    assert_eq!(history.len(), 1, "{history:#?}");
    assert_eq!(history[0]["change"]["kind"], json!("created"));
    assert_eq!(history[0]["eventName"], json!("PollS3"));
    assert!(
        history[0]["eventTime"].as_str().unwrap_or_default() >= format_event_time(begun).as_str(),
        "{}",
        history[0]["eventTime"]
    );
}

#[tokio::test]
async fn the_poller_reads_swag_files_and_organizations() {
    use historical_aws::accounts::{accounts, AccountSource};
    let env = env().await;
    let config = env.host.sdk_config();
    let s3 = env.host.s3();
    let bucket = unique("swag");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("swag bucket");
    let historical = |status: bool| json!([{"name": "historical", "status": [{"region": "all", "enabled": status}]}]);
    let document = json!([
        {"id": "111111111111", "provider": "aws", "owner": "acme", "account_status": "ready",
         "environment": "prod", "services": historical(true)},
        {"id": "222222222222", "provider": "aws", "owner": "acme", "account_status": "deleted",
         "environment": "prod", "services": historical(true)},
        {"id": "333333333333", "provider": "aws", "owner": "acme", "account_status": "ready",
         "environment": "test", "services": historical(true)},
        {"id": "444444444444", "provider": "aws", "owner": "acme", "account_status": "ready",
         "environment": "prod", "services": historical(false)},
    ]);
    s3.put_object()
        .bucket(&bucket)
        .key("v2/accounts.json")
        .body(document.to_string().into_bytes().into())
        .send()
        .await
        .expect("put the SWAG file");
    let swag = |test_only| AccountSource::Swag {
        bucket: bucket.clone(),
        key: "v2/accounts.json".into(),
        region: None,
        owner: "acme".into(),
        test_only,
    };
    assert_eq!(
        accounts(&swag(false), &config)
            .await
            .expect("SWAG accounts"),
        vec!["111111111111", "333333333333"]
    );
    assert_eq!(
        accounts(&swag(true), &config).await.unwrap(),
        vec!["333333333333"]
    );
    let missing = AccountSource::Swag {
        bucket: bucket.clone(),
        key: "nothing-here.json".into(),
        region: None,
        owner: "acme".into(),
        test_only: false,
    };
    let error = accounts(&missing, &config).await.unwrap_err().to_string();
    assert!(error.contains("nothing-here.json"), "{error}");

    // The local AWS's organization is the caller's own (docs/local-aws.md); the host is in it.
    let organization = accounts(&AccountSource::Organizations, &config)
        .await
        .expect("Organizations accounts");
    assert!(
        organization.contains(&integration::HOST.to_string()),
        "{organization:?}"
    );
}

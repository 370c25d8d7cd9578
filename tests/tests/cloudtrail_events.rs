//! CloudTrail API-call events on EventBridge, offline (crates/local-aws/emulator/cloudtrail_events.py):
//! PutEvents stands in for CloudTrail, so an `aws.*` entry of detail-type "AWS API Call via
//! CloudTrail" reaches the rules of the default bus with the CloudTrail record's account and region,
//! while any other `aws.*` entry is still refused as AWS refuses it.

use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use aws_sdk_sqs::types::QueueAttributeName;
use integration::{env, unique, MEMBER_A};
use serde_json::{json, Value};

const CLOUDTRAIL: &str = "AWS API Call via CloudTrail";

fn entry(source: &str, detail_type: &str, detail: &Value) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .source(source)
        .detail_type(detail_type)
        .detail(detail.to_string())
        .build()
}

#[tokio::test]
async fn cloudtrail_shaped_events_reach_rules_with_the_records_account_and_region() {
    let env = env().await;
    let config = env.host.sdk_config();
    let sqs = aws_sdk_sqs::Client::new(&config);
    let events = aws_sdk_eventbridge::Client::new(&config);

    let queue_url = sqs
        .create_queue()
        .queue_name(unique("cloudtrail-events"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(&queue_url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .unwrap();

    let rule = unique("cloudtrail-s3");
    let bucket = unique("ct-bucket");
    // Only this test's bucket: other tests put CloudTrail events on the same default bus.
    let pattern = json!({
        "detail-type": [CLOUDTRAIL],
        "source": ["aws.s3"],
        "detail": {"requestParameters": {"bucketName": [bucket]}}
    });
    events
        .put_rule()
        .name(&rule)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule)
        .targets(
            Target::builder()
                .id("queue")
                .arn(&queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let detail = json!({
        "eventVersion": "1.08",
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketPolicy",
        "eventTime": "2024-05-01T12:00:00Z",
        "awsRegion": "us-west-2",
        "recipientAccountId": MEMBER_A,
        "requestParameters": {"bucketName": bucket},
    });

    // Other aws.* entries are still refused, exactly as AWS refuses them; the CloudTrail-shaped
    // entry beside them in the same request is accepted, in its place.
    let mixed = events
        .put_events()
        .entries(entry(
            "aws.s3",
            "Object Created",
            &json!({"bucket": {"name": bucket}}),
        ))
        .entries(entry(
            "aws.ec2",
            CLOUDTRAIL,
            &json!({"eventName": "RunInstances"}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(mixed.failed_entry_count, 1);
    let results = mixed.entries();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].error_code(),
        Some("NotAuthorizedForSourceException")
    );
    assert!(results[0].event_id().is_none());
    assert!(results[1].error_code().is_none());
    assert!(results[1].event_id().is_some());

    // Events the rule does not match: the aws.ec2 one above, and a custom source.
    let other = events
        .put_events()
        .entries(entry("historical.test", CLOUDTRAIL, &detail))
        .send()
        .await
        .unwrap();
    assert_eq!(other.failed_entry_count, 0);

    let put = events
        .put_events()
        .entries(entry("aws.s3", CLOUDTRAIL, &detail))
        .send()
        .await
        .unwrap();
    assert_eq!(put.failed_entry_count, 0, "{put:?}");
    let event_id = put.entries()[0].event_id().unwrap().to_owned();

    let mut bodies = Vec::new();
    for _ in 0..5 {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in received.messages() {
            bodies.push(serde_json::from_str::<Value>(message.body().unwrap()).unwrap());
        }
        if !bodies.is_empty() {
            break;
        }
    }
    // Only the matching event reached the queue (a later delivery would show on a second receive).
    let more = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert!(more.messages().is_empty(), "{more:?}");
    assert_eq!(bodies.len(), 1, "{bodies:#?}");

    let body = &bodies[0];
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "account",
            "detail",
            "detail-type",
            "id",
            "region",
            "resources",
            "source",
            "time",
            "version"
        ]
    );
    assert_eq!(body["id"], event_id.as_str());
    assert_eq!(body["version"], "0");
    assert_eq!(body["source"], "aws.s3");
    assert_eq!(body["detail-type"], CLOUDTRAIL);
    assert_eq!(body["account"], MEMBER_A);
    assert_eq!(body["region"], "us-west-2");
    assert_eq!(body["resources"], json!([]));
    assert_eq!(body["detail"], detail);
    assert!(body["time"].as_str().unwrap().ends_with('Z'), "{body}");

    events
        .remove_targets()
        .rule(&rule)
        .ids("queue")
        .send()
        .await
        .unwrap();
    events.delete_rule().name(&rule).send().await.unwrap();
    sqs.delete_queue()
        .queue_url(&queue_url)
        .send()
        .await
        .unwrap();
}

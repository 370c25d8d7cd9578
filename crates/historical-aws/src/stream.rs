//! DynamoDB stream records as the event source mapping delivers them to the two stream proxies:
//! each is read into a [`StreamRecord`] (its images decoded from DynamoDB's typed JSON into plain
//! JSON) for `historical::proxy` to route, and a record that is not forwarded is reported by its
//! sequence number ([`failure`]): Lambda retries from there, and after the mapping's retries the
//! record's position goes to its on-failure destination queue.

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::DynamoDbBatchItemFailure;
use historical::proxy::{Image, StreamRecord, REGION_ATTRIBUTE};
use platform::failure::Classified;
use serde_dynamo::AttributeValue;
use serde_json::json;
use tracing::warn;

use crate::error::FunctionError;

/// An image of a record (`None` when it has none): its `Region` read from the typed attribute
/// itself, so the region filter works even on an image that does not decode.
fn image(item: &serde_dynamo::Item) -> Option<Image> {
    if item.is_empty() {
        return None;
    }
    let region = match item.get(REGION_ATTRIBUTE) {
        Some(AttributeValue::S(region)) => Some(region.clone()),
        _ => None,
    };
    Some(Image {
        region,
        item: serde_dynamo::from_item(item.clone()).map_err(|e| e.to_string()),
    })
}

/// `record` as the proxies read it.
pub fn record(record: &EventRecord) -> StreamRecord {
    StreamRecord {
        event_id: record.event_id.clone(),
        event_name: record.event_name.clone(),
        arn: match record.change.keys.get("arn") {
            Some(AttributeValue::S(arn)) => Some(arn.clone()),
            _ => None,
        },
        new_image: image(&record.change.new_image),
        old_image: image(&record.change.old_image),
        created: record.change.approximate_creation_date_time,
        user_identity: record
            .user_identity
            .as_ref()
            .map(|u| json!({"type": u.type_, "principalId": u.principal_id})),
    }
}

fn sequence_number(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

/// Logs why `record` was not forwarded and names it (its sequence number) for the batch response.
pub fn failure(record: &EventRecord, e: &FunctionError) -> DynamoDbBatchItemFailure {
    warn!(
        event_id = %record.event_id,
        sequence_number = %sequence_number(record),
        error_type = e.error_type(),
        error = %e,
        "stream record not forwarded"
    );
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence_number(record));
    failure
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;
    use historical::message::{DurableMessage, SNS_MESSAGE_LIMIT};
    use historical::proxy::{
        current_record, durable_record, is_replication_noise, region_of, DifferMessage, Forward,
        ProxyError, ProxyRegions, Skip, StreamEvent, SQS_MESSAGE_LIMIT,
    };
    use historical::{ChangeKind, PatchOp};
    use serde_json::Value;

    const CURRENT: &str = include_str!("../fixtures/current-stream-event.json");
    const DURABLE: &str = include_str!("../fixtures/durable-stream-event.json");

    /// The fixture's records, read as the proxies read them.
    fn records(fixture: &str) -> Vec<StreamRecord> {
        let event = serde_json::from_str::<Event>(fixture).unwrap();
        event.records.iter().map(record).collect()
    }

    /// The fixture's record `index` as JSON, edited, read back as a record.
    fn edited(fixture: &str, index: usize, edit: impl FnOnce(&mut Value)) -> StreamRecord {
        let mut event: Value = serde_json::from_str(fixture).unwrap();
        edit(&mut event["Records"][index]);
        record(&serde_json::from_value(event["Records"][index].clone()).unwrap())
    }

    fn send<T>(forward: Forward<T>) -> T {
        match forward {
            Forward::Send(t) => t,
            Forward::Skip(why) => panic!("skipped: {why:?}"),
        }
    }

    fn us_east() -> ProxyRegions {
        ProxyRegions::parse(" us-east-1, ,us-west-2")
    }

    #[test]
    fn both_images_are_checked() {
        // (how `PROXY_REGIONS` is parsed: `historical::proxy`'s tests)
        let regions = us_east();
        let all = records(CURRENT);
        assert_eq!(region_of(&all[0]).as_deref(), Some("us-east-1"));
        assert_eq!(region_of(&all[2]).as_deref(), Some("us-east-1")); // old image only
        assert!(regions.forwards(&all[0]) && regions.forwards(&all[1]));
        assert_eq!(
            current_record(&regions, &all[4], SQS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::OtherRegion(Some("eu-west-1".into())))
        );
        // a MODIFY whose old image is of another region is skipped too
        let moved = edited(CURRENT, 1, |r| {
            r["dynamodb"]["OldImage"]["Region"] = json!({"S": "eu-west-1"});
        });
        assert!(!regions.forwards(&moved));
        let unplaced = edited(CURRENT, 0, |r| {
            r["dynamodb"]["NewImage"]
                .as_object_mut()
                .unwrap()
                .remove("Region");
        });
        assert_eq!(
            current_record(&regions, &unplaced, SQS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::OtherRegion(None))
        );
    }

    #[test]
    fn inserts_and_modifies_carry_the_new_image_as_json() {
        let all = records(CURRENT);
        let m = send(current_record(&us_east(), &all[0], SQS_MESSAGE_LIMIT).unwrap());
        assert_eq!(m.arn, "arn:aws:s3:::historical-bucket");
        assert_eq!(m.event_name, StreamEvent::Insert);
        assert_eq!(m.event_time.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(m.stream_time, "2024-01-02T03:04:06Z");
        assert!(!m.ttl_expiry && !m.item_too_big);
        let item = m.item.as_ref().unwrap();
        assert_eq!(item["configuration"]["Ratio"], json!(0.25));
        assert_eq!(item["configuration"]["Acceleration"], json!(false));
        assert_eq!(item["configuration"]["Website"], Value::Null);
        assert_eq!(item["Tags"]["Owner"], "");
        assert_eq!(item["ttl"], 1_704_251_045);
        let body: Value = serde_json::from_str(&m.body()).unwrap();
        assert_eq!(body["event_name"], "INSERT");
        assert!(body.get("item_too_big").is_none());
        assert_eq!(serde_json::from_value::<DifferMessage>(body).unwrap(), m);

        let m = send(current_record(&us_east(), &all[1], SQS_MESSAGE_LIMIT).unwrap());
        assert_eq!(m.event_name, StreamEvent::Modify);
        assert_eq!(
            m.item.unwrap()["configuration"]["Versioning"]["Status"],
            "Suspended"
        );
    }

    #[test]
    fn removals_say_whether_the_ttl_did_it() {
        let all = records(CURRENT);
        let user = send(current_record(&us_east(), &all[2], SQS_MESSAGE_LIMIT).unwrap());
        assert_eq!(user.event_name, StreamEvent::Remove);
        assert!(!user.ttl_expiry);
        let ttl = send(current_record(&us_east(), &all[3], SQS_MESSAGE_LIMIT).unwrap());
        assert!(ttl.ttl_expiry);
        assert_eq!(ttl.arn, "arn:aws:s3:::orphan-bucket");
        assert_eq!(ttl.stream_time, "2024-01-03T03:05:00Z");
        let old = ttl.item.unwrap();
        assert_eq!(old["accountId"], "123456789012");
        assert!(old.get("configuration").is_none() && old.get("requestParameters").is_none());
        // an INSERT by the service is not a TTL expiry
        let insert = edited(CURRENT, 0, |r| {
            r["userIdentity"] = json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
        });
        assert!(!send(current_record(&us_east(), &insert, SQS_MESSAGE_LIMIT).unwrap()).ttl_expiry);
    }

    #[test]
    fn too_big_messages_point_to_current_instead_of_being_dropped() {
        let big = edited(CURRENT, 0, |r| {
            r["dynamodb"]["NewImage"]["configuration"]["M"]["Policy"] =
                json!({"S": "x".repeat(SQS_MESSAGE_LIMIT)});
        });
        let m = send(current_record(&us_east(), &big, SQS_MESSAGE_LIMIT).unwrap());
        assert!(m.item_too_big && m.item.is_none());
        assert_eq!(m.arn, "arn:aws:s3:::historical-bucket");
        assert!(m.body().len() < 1_000);
        // the limit is exact
        let all = records(CURRENT);
        let small = send(current_record(&us_east(), &all[0], SQS_MESSAGE_LIMIT).unwrap());
        let size = small.body().len();
        let fits = send(current_record(&us_east(), &all[0], size).unwrap());
        assert!(!fits.item_too_big);
        assert!(send(current_record(&us_east(), &all[0], size - 1).unwrap()).item_too_big);
    }

    #[test]
    fn replication_stamps_are_noise() {
        let stamped = edited(CURRENT, 1, |r| {
            let old = r["dynamodb"]["OldImage"].clone();
            let mut new = old.clone();
            new["aws:rep:updatetime"] = json!({"N": "1704164700.1"});
            r["dynamodb"]["NewImage"] = new;
        });
        assert!(is_replication_noise(&stamped).unwrap());
        assert_eq!(
            current_record(&us_east(), &stamped, SQS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::ReplicationNoise)
        );
        assert!(!is_replication_noise(&records(CURRENT)[1]).unwrap());
    }

    #[test]
    fn records_without_a_key_are_errors() {
        let keyless = edited(CURRENT, 0, |r| r["dynamodb"]["Keys"] = json!({}));
        assert!(matches!(
            current_record(&us_east(), &keyless, SQS_MESSAGE_LIMIT),
            Err(ProxyError::InvalidRecord { .. })
        ));
    }

    #[test]
    fn durable_inserts_publish_the_stored_change() {
        let all = records(DURABLE);
        let p = send(durable_record(&us_east(), &all[0], SNS_MESSAGE_LIMIT).unwrap());
        let message: DurableMessage = serde_json::from_str(&p.body).unwrap();
        assert_eq!(message, p.message);
        assert_eq!(message.arn, "arn:aws:s3:::historical-bucket");
        assert_eq!(message.event_time, "2024-01-02T03:05:00Z");
        assert_eq!(message.change.kind, ChangeKind::Updated);
        assert_eq!(
            message.change.patch,
            vec![PatchOp::Replace {
                path: "/configuration/Versioning/Status".into(),
                value: json!("Suspended")
            }]
        );
        let item = message.item.unwrap();
        assert!(item.get("change").is_none());
        assert_eq!(item["version"], 9);
        assert_eq!(p.attributes["change"], "updated");
        assert_eq!(p.attributes["region"], "us-east-1");
        assert_eq!(
            durable_record(&us_east(), &all[1], SNS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::DurableRemoval)
        );
    }

    #[test]
    fn durable_revisions_without_change_or_with_offloaded_configuration() {
        let bare = edited(DURABLE, 0, |r| {
            let image = r["dynamodb"]["NewImage"].as_object_mut().unwrap();
            image.remove("change");
            image.insert("configuration".into(), json!({"M": {}}));
        });
        let p = send(durable_record(&us_east(), &bare, SNS_MESSAGE_LIMIT).unwrap());
        assert_eq!(p.message.change.kind, ChangeKind::Deleted);
        assert!(p.message.change.patch_omitted);
        assert!(p.body.contains("\"patch_omitted\":true"));

        let offloaded = edited(DURABLE, 0, |r| {
            let image = r["dynamodb"]["NewImage"].as_object_mut().unwrap();
            image.remove("configuration");
            image.insert(
                "configuration_s3".into(),
                json!({"M": {"bucket": {"S": "b"}, "key": {"S": "k"},
                             "md5": {"S": "m"}, "size": {"N": "400000"}}}),
            );
        });
        let p = send(durable_record(&us_east(), &offloaded, SNS_MESSAGE_LIMIT).unwrap());
        assert!(p.message.event_too_big && p.message.item.is_none());
        let key = p.message.durable_key.clone().unwrap();
        assert_eq!(key.event_time, "2024-01-02T03:05:00Z");
        let body: DurableMessage = serde_json::from_str(&p.body).unwrap();
        assert_eq!(body, p.message);
        assert_eq!(body.change.kind, ChangeKind::Updated);
    }
}

//! The stream proxy: DynamoDB stream records of a Current table become Differ messages, those of a
//! Durable table become change-feed publications. Pure: the caller sends what comes out.
//!
//! **Region filter** (`PROXY_REGIONS`, [`ProxyRegions`]): as in the original, every image a record
//! has (new and old) must carry a `Region` in the set, so that with global-table replicas exactly
//! one region handles each item. Records whose MODIFY only stamps the global-table `aws:rep:*`
//! attributes are skipped as replication noise.
//!
//! **Current → Differ** ([`current_record`], [`DifferMessage`]): the record reduced to what the
//! Differ needs, never dropped. INSERT and MODIFY carry the new image; a REMOVE carries the old
//! image without its configuration (a TTL expiry's deletion marker replaces it with `{}` anyway),
//! flagged `ttl_expiry` when DynamoDB's TTL removed it. When the message would pass SQS's 256 KB,
//! `item` is left out and `item_too_big` set: the Differ re-reads Current by `arn` (the original
//! re-read Current for every record; we do only when we must, so successive changes are not
//! collapsed). An image whose configuration is in S3 (`configuration_s3`) is passed as it is; the
//! Differ resolves it (`CurrentStore::resolve`).
//!
//! **Durable → change feed** ([`durable_record`]): a Durable INSERT carries only the new revision,
//! so the change cannot come from the record's old image; the Differ stores the change it computed
//! on the revision (`change`, see `store::durable`), and the proxy publishes it with
//! `historical::message::publication` (removing `change` from the published item). A revision
//! without `change` (written by another tool) is published as `deleted` or `updated` with the
//! patch omitted. A revision whose configuration is in S3 is always published `event_too_big`
//! (subscribers re-read it by its Durable key). REMOVE records (only manual deletions) are skipped.

use std::collections::BTreeSet;

use aws_lambda_events::event::dynamodb::EventRecord;
use historical::differ::{format_event_time, is_deleted, is_ttl_expiry};
use historical::message::{publication, ChangeSummary, DurableKey, MessageError, Publication};
use historical::{Change, ChangeKind, Technology};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::store::durable::CHANGE_ATTRIBUTE;
use crate::store::offload::{is_offloaded, POINTER_ATTRIBUTE};

/// SQS's maximum message size in bytes.
pub const SQS_MESSAGE_LIMIT: usize = 262_144;
/// The item attribute naming the resource's region (the original's `REGION_ATTR` default).
pub const REGION_ATTRIBUTE: &str = "Region";

/// A stream record the proxy cannot read.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The record lacks what every Historical record has (`Keys.arn`, an image).
    #[error("invalid stream record {event_id}: {message}")]
    InvalidRecord {
        /// The record's `eventID`.
        event_id: String,
        /// What is missing or wrong.
        message: String,
    },
    /// The revision cannot be published (a field the message needs is missing).
    #[error("cannot publish record {event_id}: {source}")]
    Message {
        /// The record's `eventID`.
        event_id: String,
        /// Why.
        source: MessageError,
    },
}

impl platform::failure::Classified for ProxyError {
    fn error_type(&self) -> &str {
        match self {
            ProxyError::InvalidRecord { .. } => "InvalidRecord",
            ProxyError::Message { .. } => "InvalidRevision",
        }
    }
}

fn invalid(record: &EventRecord, message: impl Into<String>) -> ProxyError {
    ProxyError::InvalidRecord {
        event_id: record.event_id.clone(),
        message: message.into(),
    }
}

/// The regions this proxy forwards (`PROXY_REGIONS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRegions(BTreeSet<String>);

impl ProxyRegions {
    /// From a comma-separated list (`us-east-1,eu-west-1`); blanks are ignored. `*` forwards
    /// every region (the Durable proxy: every change reaches the change feed).
    pub fn parse(csv: &str) -> Self {
        Self(
            csv.split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(String::from)
                .collect(),
        )
    }

    /// Whether `region` is forwarded.
    pub fn contains(&self, region: &str) -> bool {
        !region.is_empty() && (self.0.contains(region) || self.0.contains("*"))
    }

    /// Whether every image of `record` is of a forwarded region (an image without `Region` is
    /// not: every Historical item has one).
    pub fn forwards(&self, record: &EventRecord) -> bool {
        let images = [&record.change.new_image, &record.change.old_image];
        let present: Vec<_> = images.into_iter().filter(|i| !i.is_empty()).collect();
        !present.is_empty()
            && present
                .iter()
                .all(|image| image_region(image).is_some_and(|r| self.contains(&r)))
    }
}

fn image_region(image: &serde_dynamo::Item) -> Option<String> {
    match image.get(REGION_ATTRIBUTE) {
        Some(serde_dynamo::AttributeValue::S(region)) => Some(region.clone()),
        _ => None,
    }
}

/// The resource's region: the new image's `Region`, else the old image's.
pub fn region_of(record: &EventRecord) -> Option<String> {
    image_region(&record.change.new_image).or_else(|| image_region(&record.change.old_image))
}

/// An image as JSON (`None` when the record has none).
pub fn image(
    record: &EventRecord,
    image: &serde_dynamo::Item,
) -> Result<Option<Value>, ProxyError> {
    if image.is_empty() {
        return Ok(None);
    }
    serde_dynamo::from_item(image.clone())
        .map(Some)
        .map_err(|e| invalid(record, format!("image does not decode: {e}")))
}

/// Whether a MODIFY only stamped the global-table replication attributes (`aws:rep:*`).
pub fn is_replication_noise(record: &EventRecord) -> Result<bool, ProxyError> {
    if record.event_name != "MODIFY" {
        return Ok(false);
    }
    let strip = |v: Option<Value>| {
        v.map(|mut v| {
            if let Value::Object(map) = &mut v {
                map.retain(|k, _| !k.starts_with("aws:rep:"));
            }
            v
        })
    };
    let new = strip(image(record, &record.change.new_image)?);
    let old = strip(image(record, &record.change.old_image)?);
    Ok(new.is_some() && new == old)
}

/// What the proxy does with one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Forward<T> {
    /// Send this.
    Send(T),
    /// Skip the record, for this reason.
    Skip(Skip),
}

/// Why a record is not forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Its item is of a region this proxy does not forward (`None`: no `Region`).
    OtherRegion(Option<String>),
    /// A MODIFY that only stamped global-table replication attributes.
    ReplicationNoise,
    /// A Durable REMOVE (revisions are only removed by hand).
    DurableRemoval,
}

/// The stream operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamEvent {
    /// A new item.
    Insert,
    /// An item overwritten.
    Modify,
    /// An item deleted (by the collector after a tombstone, or by the TTL).
    Remove,
}

/// The Current → Differ SQS message.
///
/// `{"arn", "event_time", "event_name": "INSERT"|"MODIFY"|"REMOVE", "stream_time", "ttl_expiry",
/// "item" | "item_too_big": true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DifferMessage {
    /// The item's ARN (the table's key).
    pub arn: String,
    /// The image's `eventTime` (the new image's; the old one's for a REMOVE), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    /// INSERT, MODIFY or REMOVE.
    pub event_name: StreamEvent,
    /// When DynamoDB recorded the change (`ApproximateCreationDateTime`, whole seconds): the time
    /// of a TTL expiry's deletion marker.
    pub stream_time: String,
    /// A REMOVE by DynamoDB's TTL (user identity `Service` / `dynamodb.amazonaws.com`).
    #[serde(default)]
    pub ttl_expiry: bool,
    /// The new image (INSERT, MODIFY) or the old image without `configuration` (REMOVE), as plain
    /// JSON; it may hold a `configuration_s3` pointer to resolve. Absent when too big.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Value>,
    /// Set instead of `item` when the message would pass [`SQS_MESSAGE_LIMIT`]: re-read Current.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub item_too_big: bool,
}

impl DifferMessage {
    /// The SQS message body.
    pub fn body(&self) -> String {
        // A struct of strings, booleans and JSON values always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn stream_event(record: &EventRecord) -> Result<StreamEvent, ProxyError> {
    match record.event_name.as_str() {
        "INSERT" => Ok(StreamEvent::Insert),
        "MODIFY" => Ok(StreamEvent::Modify),
        "REMOVE" => Ok(StreamEvent::Remove),
        other => Err(invalid(record, format!("unknown eventName {other:?}"))),
    }
}

fn key_arn(record: &EventRecord) -> Result<String, ProxyError> {
    match record.change.keys.get("arn") {
        Some(serde_dynamo::AttributeValue::S(arn)) if !arn.is_empty() => Ok(arn.clone()),
        _ => Err(invalid(record, "no Keys.arn")),
    }
}

fn skip_reason(regions: &ProxyRegions, record: &EventRecord) -> Result<Option<Skip>, ProxyError> {
    if !regions.forwards(record) {
        return Ok(Some(Skip::OtherRegion(region_of(record))));
    }
    if is_replication_noise(record)? {
        return Ok(Some(Skip::ReplicationNoise));
    }
    Ok(None)
}

/// A Current stream record as a Differ message, within `limit` bytes (use [`SQS_MESSAGE_LIMIT`]).
pub fn current_record(
    regions: &ProxyRegions,
    record: &EventRecord,
    limit: usize,
) -> Result<Forward<DifferMessage>, ProxyError> {
    if let Some(skip) = skip_reason(regions, record)? {
        return Ok(Forward::Skip(skip));
    }
    let event_name = stream_event(record)?;
    let arn = key_arn(record)?;
    let item = match event_name {
        StreamEvent::Remove => image(record, &record.change.old_image)?.map(|mut old| {
            if let Value::Object(map) = &mut old {
                for key in ["configuration", POINTER_ATTRIBUTE, "requestParameters"] {
                    map.remove(key);
                }
            }
            old
        }),
        _ => image(record, &record.change.new_image)?,
    }
    .ok_or_else(|| invalid(record, "no image"))?;
    let user_identity = record
        .user_identity
        .as_ref()
        .map(|u| json!({"type": u.type_, "principalId": u.principal_id}));
    let mut message = DifferMessage {
        arn,
        event_time: item
            .get("eventTime")
            .and_then(Value::as_str)
            .map(String::from),
        event_name,
        stream_time: format_event_time(record.change.approximate_creation_date_time),
        ttl_expiry: event_name == StreamEvent::Remove && is_ttl_expiry(user_identity.as_ref()),
        item: Some(item),
        item_too_big: false,
    };
    if message.body().len() > limit {
        message.item = None;
        message.item_too_big = true;
    }
    Ok(Forward::Send(message))
}

/// A Durable stream record as a change-feed publication for `tech`, within `limit` bytes (use
/// `historical::message::SNS_MESSAGE_LIMIT`).
pub fn durable_record(
    tech: Technology,
    regions: &ProxyRegions,
    record: &EventRecord,
    limit: usize,
) -> Result<Forward<Publication>, ProxyError> {
    if stream_event(record)? == StreamEvent::Remove {
        return Ok(Forward::Skip(Skip::DurableRemoval));
    }
    if let Some(skip) = skip_reason(regions, record)? {
        return Ok(Forward::Skip(skip));
    }
    let mut item =
        image(record, &record.change.new_image)?.ok_or_else(|| invalid(record, "no NewImage"))?;
    let stored = item
        .as_object_mut()
        .and_then(|m| m.remove(CHANGE_ATTRIBUTE));
    let summary = match stored {
        Some(change) => serde_json::from_value::<ChangeSummary>(change)
            .map_err(|e| invalid(record, format!("change does not decode: {e}")))?,
        None => ChangeSummary {
            kind: if is_deleted(&item) && !is_offloaded(&item) {
                ChangeKind::Deleted
            } else {
                ChangeKind::Updated
            },
            patch: Vec::new(),
            patch_omitted: true,
        },
    };
    let change = Change {
        kind: summary.kind,
        patch: summary.patch,
    };
    let mut published =
        publication(tech, &item, &change, limit).map_err(|source| ProxyError::Message {
            event_id: record.event_id.clone(),
            source,
        })?;
    let mut rebuilt = false;
    if summary.patch_omitted && !published.message.change.patch_omitted {
        published.message.change.patch.clear();
        published.message.change.patch_omitted = true;
        rebuilt = true;
    }
    if is_offloaded(&item) && !published.message.event_too_big {
        let message = &mut published.message;
        message.item = None;
        message.event_too_big = true;
        message.durable_key = Some(DurableKey {
            arn: message.arn.clone(),
            event_time: message.event_time.clone(),
        });
        rebuilt = true;
    }
    if rebuilt {
        published.body =
            serde_json::to_string(&published.message).map_err(|e| ProxyError::Message {
                event_id: record.event_id.clone(),
                source: MessageError::Json(e),
            })?;
    }
    Ok(Forward::Send(published))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::dynamodb::Event;
    use historical::message::{DurableMessage, SNS_MESSAGE_LIMIT};
    use historical::PatchOp;

    const CURRENT: &str = include_str!("../fixtures/current-stream-event.json");
    const DURABLE: &str = include_str!("../fixtures/durable-stream-event.json");

    fn records(fixture: &str) -> Vec<EventRecord> {
        serde_json::from_str::<Event>(fixture).unwrap().records
    }

    /// The fixture's record `index` as JSON, edited, read back as a record.
    fn edited(fixture: &str, index: usize, edit: impl FnOnce(&mut Value)) -> EventRecord {
        let mut event: Value = serde_json::from_str(fixture).unwrap();
        edit(&mut event["Records"][index]);
        serde_json::from_value(event["Records"][index].clone()).unwrap()
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
    fn regions_are_parsed_and_both_images_checked() {
        let regions = us_east();
        assert!(regions.contains("us-west-2") && !regions.contains(""));
        let every = ProxyRegions::parse("*");
        assert!(every.contains("ap-south-2") && !every.contains(""));
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
        let p =
            send(durable_record(Technology::S3, &us_east(), &all[0], SNS_MESSAGE_LIMIT).unwrap());
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
            durable_record(Technology::S3, &us_east(), &all[1], SNS_MESSAGE_LIMIT).unwrap(),
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
        let p = send(durable_record(Technology::S3, &us_east(), &bare, SNS_MESSAGE_LIMIT).unwrap());
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
        let p = send(
            durable_record(Technology::S3, &us_east(), &offloaded, SNS_MESSAGE_LIMIT).unwrap(),
        );
        assert!(p.message.event_too_big && p.message.item.is_none());
        let key = p.message.durable_key.clone().unwrap();
        assert_eq!(key.event_time, "2024-01-02T03:05:00Z");
        let body: DurableMessage = serde_json::from_str(&p.body).unwrap();
        assert_eq!(body, p.message);
        assert_eq!(body.change.kind, ChangeKind::Updated);
    }
}

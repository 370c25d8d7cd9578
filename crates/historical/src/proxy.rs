//! The stream proxies' routing: a DynamoDB stream record of a Current table becomes a Differ
//! message, one of a Durable table a change-feed publication. Pure: the caller reads the record
//! into a [`StreamRecord`] and sends what comes out.
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
//! Differ resolves it.
//!
//! **Durable → change feed** ([`durable_record`]): a Durable INSERT carries only the new revision,
//! so the change cannot come from the record's old image; the Differ stores the change it computed
//! on the revision ([`crate::item::CHANGE_ATTRIBUTE`]), and the proxy publishes it with
//! [`crate::message::publication`] (removing `change` from the published item). A revision
//! without `change` (written by another tool) is published as `deleted` or `updated` with the
//! patch omitted. A revision whose configuration is in S3 is always published `event_too_big`
//! (subscribers re-read it by its Durable key). REMOVE records (only manual deletions) are skipped.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::differ::{format_event_time, is_deleted, is_ttl_expiry, Change, ChangeKind};
use crate::item::{is_offloaded, CHANGE_ATTRIBUTE, POINTER_ATTRIBUTE};
use crate::message::{publication, ChangeSummary, DurableKey, MessageError, Publication};
use crate::tech::Technology;

/// SQS's maximum message size in bytes
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html>);
/// `platform::outbox` batches by the same figure.
pub const SQS_MESSAGE_LIMIT: usize = 262_144;
/// The item attribute naming the resource's region (the original's `REGION_ATTR` default).
pub const REGION_ATTRIBUTE: &str = "Region";

/// One image (new or old) of a stream record.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// The image's [`REGION_ATTRIBUTE`] when it is a string, read even when the rest of the image
    /// does not decode (the region filter needs nothing else).
    pub region: Option<String>,
    /// The image as plain JSON, or why it does not decode.
    pub item: Result<Value, String>,
}

impl Image {
    /// An image that decoded, its region read from it.
    pub fn of(item: Value) -> Self {
        Self {
            region: item
                .get(REGION_ATTRIBUTE)
                .and_then(Value::as_str)
                .map(String::from),
            item: Ok(item),
        }
    }
}

/// A DynamoDB stream record as the proxies read it: the AWS crate reads the record the event
/// source mapping delivers into this.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// The record's `eventID`.
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE` (anything else is an invalid record).
    pub event_name: String,
    /// `Keys.arn` when it is a string.
    pub arn: Option<String>,
    /// The new image (`None`: the record has none).
    pub new_image: Option<Image>,
    /// The old image (`None`: the record has none).
    pub old_image: Option<Image>,
    /// When DynamoDB recorded the change (`ApproximateCreationDateTime`).
    pub created: DateTime<Utc>,
    /// `userIdentity` as `{"type", "principalId"}`, when the record has one (a TTL removal).
    pub user_identity: Option<Value>,
}

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

fn invalid(record: &StreamRecord, message: impl Into<String>) -> ProxyError {
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
    pub fn forwards(&self, record: &StreamRecord) -> bool {
        let present: Vec<&Image> = [&record.new_image, &record.old_image]
            .into_iter()
            .flatten()
            .collect();
        !present.is_empty()
            && present
                .iter()
                .all(|image| image.region.as_deref().is_some_and(|r| self.contains(r)))
    }
}

/// The resource's region: the new image's `Region`, else the old image's.
pub fn region_of(record: &StreamRecord) -> Option<String> {
    let region = |image: &Option<Image>| image.as_ref().and_then(|i| i.region.clone());
    region(&record.new_image).or_else(|| region(&record.old_image))
}

/// An image as JSON (`None` when the record has none).
pub fn image(record: &StreamRecord, image: &Option<Image>) -> Result<Option<Value>, ProxyError> {
    match image {
        None => Ok(None),
        Some(Image { item: Ok(item), .. }) => Ok(Some(item.clone())),
        Some(Image { item: Err(e), .. }) => {
            Err(invalid(record, format!("image does not decode: {e}")))
        }
    }
}

/// Whether a MODIFY only stamped the global-table replication attributes (`aws:rep:*`).
pub fn is_replication_noise(record: &StreamRecord) -> Result<bool, ProxyError> {
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
    let new = strip(image(record, &record.new_image)?);
    let old = strip(image(record, &record.old_image)?);
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

fn stream_event(record: &StreamRecord) -> Result<StreamEvent, ProxyError> {
    match record.event_name.as_str() {
        "INSERT" => Ok(StreamEvent::Insert),
        "MODIFY" => Ok(StreamEvent::Modify),
        "REMOVE" => Ok(StreamEvent::Remove),
        other => Err(invalid(record, format!("unknown eventName {other:?}"))),
    }
}

fn skip_reason(regions: &ProxyRegions, record: &StreamRecord) -> Result<Option<Skip>, ProxyError> {
    if !regions.forwards(record) {
        return Ok(Some(Skip::OtherRegion(region_of(record))));
    }
    if is_replication_noise(record)? {
        return Ok(Some(Skip::ReplicationNoise));
    }
    Ok(None)
}

/// What a Differ message carries of a record: the new image, or for a REMOVE the old one without
/// its configuration (and without the request that last wrote it).
fn differ_item(record: &StreamRecord, event_name: StreamEvent) -> Result<Value, ProxyError> {
    match event_name {
        StreamEvent::Remove => image(record, &record.old_image)?.map(|mut old| {
            if let Value::Object(map) = &mut old {
                for key in ["configuration", POINTER_ATTRIBUTE, "requestParameters"] {
                    map.remove(key);
                }
            }
            old
        }),
        _ => image(record, &record.new_image)?,
    }
    .ok_or_else(|| invalid(record, "no image"))
}

/// A Current stream record as a Differ message, within `limit` bytes (use [`SQS_MESSAGE_LIMIT`]).
pub fn current_record(
    regions: &ProxyRegions,
    record: &StreamRecord,
    limit: usize,
) -> Result<Forward<DifferMessage>, ProxyError> {
    if let Some(skip) = skip_reason(regions, record)? {
        return Ok(Forward::Skip(skip));
    }
    let event_name = stream_event(record)?;
    let arn = match &record.arn {
        Some(arn) if !arn.is_empty() => arn.clone(),
        _ => return Err(invalid(record, "no Keys.arn")),
    };
    let item = differ_item(record, event_name)?;
    let mut message = DifferMessage {
        arn,
        event_time: item
            .get("eventTime")
            .and_then(Value::as_str)
            .map(String::from),
        event_name,
        stream_time: format_event_time(record.created),
        ttl_expiry: event_name == StreamEvent::Remove
            && is_ttl_expiry(record.user_identity.as_ref()),
        item: Some(item),
        item_too_big: false,
    };
    if message.body().len() > limit {
        message.item = None;
        message.item_too_big = true;
    }
    Ok(Forward::Send(message))
}

/// The technology of a Durable record, from its key.
fn durable_technology(record: &StreamRecord) -> Result<Technology, ProxyError> {
    let arn = record
        .arn
        .as_deref()
        .ok_or_else(|| invalid(record, "no Keys.arn"))?;
    Technology::of_arn(arn)
        .ok_or_else(|| invalid(record, format!("{arn} is no recorded technology's ARN")))
}

/// The change stored on a revision, or (written by another tool) the one its state implies,
/// patch omitted.
fn stored_change(record: &StreamRecord, item: &mut Value) -> Result<ChangeSummary, ProxyError> {
    let stored = item
        .as_object_mut()
        .and_then(|m| m.remove(CHANGE_ATTRIBUTE));
    Ok(match stored {
        Some(change) => serde_json::from_value::<ChangeSummary>(change)
            .map_err(|e| invalid(record, format!("change does not decode: {e}")))?,
        None => ChangeSummary {
            kind: if is_deleted(item) && !is_offloaded(item) {
                ChangeKind::Deleted
            } else {
                ChangeKind::Updated
            },
            patch: Vec::new(),
            patch_omitted: true,
        },
    })
}

/// A Durable stream record as a change-feed publication of the technology its key names, within
/// `limit` bytes (use [`crate::message::SNS_MESSAGE_LIMIT`]).
pub fn durable_record(
    regions: &ProxyRegions,
    record: &StreamRecord,
    limit: usize,
) -> Result<Forward<Publication>, ProxyError> {
    let tech = durable_technology(record)?;
    if stream_event(record)? == StreamEvent::Remove {
        return Ok(Forward::Skip(Skip::DurableRemoval));
    }
    if let Some(skip) = skip_reason(regions, record)? {
        return Ok(Forward::Skip(skip));
    }
    let mut item =
        image(record, &record.new_image)?.ok_or_else(|| invalid(record, "no NewImage"))?;
    let summary = stored_change(record, &mut item)?;
    let change = Change {
        kind: summary.kind,
        patch: summary.patch,
    };
    let message_error = |source| ProxyError::Message {
        event_id: record.event_id.clone(),
        source,
    };
    let mut published = publication(tech, &item, &change, limit).map_err(message_error)?;
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
        published.body = serde_json::to_string(&published.message)
            .map_err(|e| message_error(MessageError::Json(e)))?;
    }
    Ok(Forward::Send(published))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{DurableMessage, SNS_MESSAGE_LIMIT};
    use crate::PatchOp;
    use serde_json::json;

    fn time(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn bucket(region: &str, versioning: &str) -> Value {
        json!({
            "arn": "arn:aws:s3:::b", "accountId": "123456789012", "Region": region,
            "eventTime": "2024-01-02T03:04:05Z", "ttl": 1_704_251_045,
            "configuration": {"Versioning": {"Status": versioning}}, "Tags": {"Owner": ""},
            "requestParameters": {"bucketName": "b"}
        })
    }

    fn record(event_name: &str, new: Option<Value>, old: Option<Value>) -> StreamRecord {
        StreamRecord {
            event_id: "e-1".into(),
            event_name: event_name.into(),
            arn: Some("arn:aws:s3:::b".into()),
            new_image: new.map(Image::of),
            old_image: old.map(Image::of),
            created: time("2024-01-02T03:04:06Z"),
            user_identity: None,
        }
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
    fn every_image_must_be_of_a_forwarded_region() {
        let regions = us_east();
        assert!(regions.contains("us-west-2") && !regions.contains(""));
        let every = ProxyRegions::parse("*");
        assert!(every.contains("ap-south-2") && !every.contains(""));
        let insert = record("INSERT", Some(bucket("us-east-1", "Enabled")), None);
        assert!(regions.forwards(&insert));
        let moved = record(
            "MODIFY",
            Some(bucket("us-east-1", "Enabled")),
            Some(bucket("eu-west-1", "Enabled")),
        );
        assert!(!regions.forwards(&moved));
        assert_eq!(
            current_record(&regions, &moved, SQS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::OtherRegion(Some("us-east-1".into())))
        );
        let removed = record("REMOVE", None, Some(bucket("eu-west-1", "Enabled")));
        assert_eq!(region_of(&removed).as_deref(), Some("eu-west-1"));
        let mut unplaced = bucket("us-east-1", "Enabled");
        unplaced.as_object_mut().unwrap().remove("Region");
        let unplaced = record("INSERT", Some(unplaced), None);
        assert_eq!(
            current_record(&regions, &unplaced, SQS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::OtherRegion(None))
        );
        // a record without images is of no region
        assert!(!every.forwards(&record("REMOVE", None, None)));
    }

    #[test]
    fn the_region_is_read_even_when_the_image_does_not_decode() {
        let undecodable = Image {
            region: Some("eu-west-1".into()),
            item: Err("invalid type: byte array".into()),
        };
        let mut other = record("INSERT", None, None);
        other.new_image = Some(undecodable.clone());
        assert_eq!(
            current_record(&us_east(), &other, SQS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::OtherRegion(Some("eu-west-1".into())))
        );
        let mut ours = other.clone();
        ours.new_image = Some(Image {
            region: Some("us-east-1".into()),
            ..undecodable
        });
        let err = current_record(&us_east(), &ours, SQS_MESSAGE_LIMIT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid stream record e-1: image does not decode: invalid type: byte array"
        );
    }

    #[test]
    fn a_current_change_becomes_a_differ_message() {
        let new = bucket("us-east-1", "Suspended");
        let m = send(
            current_record(
                &us_east(),
                &record(
                    "MODIFY",
                    Some(new.clone()),
                    Some(bucket("us-east-1", "Enabled")),
                ),
                SQS_MESSAGE_LIMIT,
            )
            .unwrap(),
        );
        assert_eq!(m.arn, "arn:aws:s3:::b");
        assert_eq!(m.event_name, StreamEvent::Modify);
        assert_eq!(m.event_time.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(m.stream_time, "2024-01-02T03:04:06Z");
        assert!(!m.ttl_expiry && !m.item_too_big);
        assert_eq!(m.item, Some(new));
        let body: Value = serde_json::from_str(&m.body()).unwrap();
        assert_eq!(body["event_name"], "MODIFY");
        assert!(body.get("item_too_big").is_none());
        assert_eq!(serde_json::from_value::<DifferMessage>(body).unwrap(), m);
    }

    #[test]
    fn a_removal_carries_the_old_image_without_its_configuration() {
        let mut old = bucket("us-east-1", "Enabled");
        old["configuration_s3"] = json!({"bucket": "o", "key": "k"});
        let mut removal = record("REMOVE", None, Some(old));
        let m = send(current_record(&us_east(), &removal, SQS_MESSAGE_LIMIT).unwrap());
        assert_eq!(m.event_name, StreamEvent::Remove);
        assert!(!m.ttl_expiry);
        let item = m.item.unwrap();
        for gone in ["configuration", "configuration_s3", "requestParameters"] {
            assert!(item.get(gone).is_none(), "{gone}");
        }
        assert_eq!(item["Tags"], json!({"Owner": ""}));
        removal.user_identity =
            Some(json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"}));
        assert!(send(current_record(&us_east(), &removal, SQS_MESSAGE_LIMIT).unwrap()).ttl_expiry);
        // only a REMOVE can be a TTL expiry
        let mut insert = record("INSERT", Some(bucket("us-east-1", "Enabled")), None);
        insert.user_identity = removal.user_identity.clone();
        assert!(!send(current_record(&us_east(), &insert, SQS_MESSAGE_LIMIT).unwrap()).ttl_expiry);
    }

    #[test]
    fn a_message_over_the_limit_points_to_current() {
        let insert = record("INSERT", Some(bucket("us-east-1", "Enabled")), None);
        let size = send(current_record(&us_east(), &insert, SQS_MESSAGE_LIMIT).unwrap())
            .body()
            .len();
        assert!(!send(current_record(&us_east(), &insert, size).unwrap()).item_too_big);
        let m = send(current_record(&us_east(), &insert, size - 1).unwrap());
        assert!(m.item_too_big && m.item.is_none());
        assert_eq!(m.arn, "arn:aws:s3:::b");
        assert!(m.body().contains("\"item_too_big\":true"));
    }

    #[test]
    fn replication_stamps_are_noise() {
        let old = bucket("us-east-1", "Enabled");
        let mut stamped = old.clone();
        stamped["aws:rep:updatetime"] = json!(1_704_164_700.1);
        let noise = record("MODIFY", Some(stamped.clone()), Some(old.clone()));
        assert!(is_replication_noise(&noise).unwrap());
        assert_eq!(
            current_record(&us_east(), &noise, SQS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::ReplicationNoise)
        );
        // an INSERT is never noise
        assert!(!is_replication_noise(&record("INSERT", Some(stamped), None)).unwrap());
        let change = record("MODIFY", Some(bucket("us-east-1", "Suspended")), Some(old));
        assert!(!is_replication_noise(&change).unwrap());
    }

    #[test]
    fn records_without_a_key_an_image_or_a_known_name_are_invalid() {
        let mut keyless = record("INSERT", Some(bucket("us-east-1", "Enabled")), None);
        keyless.arn = Some(String::new());
        let err = current_record(&us_east(), &keyless, SQS_MESSAGE_LIMIT).unwrap_err();
        assert_eq!(err.to_string(), "invalid stream record e-1: no Keys.arn");
        let mut renamed = record("INSERT", Some(bucket("us-east-1", "Enabled")), None);
        renamed.event_name = "UPSERT".into();
        let err = current_record(&us_east(), &renamed, SQS_MESSAGE_LIMIT).unwrap_err();
        assert!(
            err.to_string().ends_with("unknown eventName \"UPSERT\""),
            "{err}"
        );
        // an INSERT whose only image is the old one (of a forwarded region) has no image to send
        let imageless = record("INSERT", None, Some(bucket("us-east-1", "Enabled")));
        let err = current_record(&us_east(), &imageless, SQS_MESSAGE_LIMIT).unwrap_err();
        assert!(err.to_string().ends_with("no image"), "{err}");
    }

    fn revision(change: Option<Value>) -> Value {
        let mut item = bucket("us-east-1", "Suspended");
        let map = item.as_object_mut().unwrap();
        map.remove("ttl");
        map.insert("version".into(), json!(10));
        if let Some(change) = change {
            map.insert(CHANGE_ATTRIBUTE.into(), change);
        }
        item
    }

    #[test]
    fn a_revision_publishes_its_stored_change() {
        let change = json!({"kind": "updated", "patch": [
            {"op": "replace", "path": "/configuration/Versioning/Status", "value": "Suspended"}
        ]});
        let insert = record("INSERT", Some(revision(Some(change))), None);
        let p = send(durable_record(&us_east(), &insert, SNS_MESSAGE_LIMIT).unwrap());
        let message: DurableMessage = serde_json::from_str(&p.body).unwrap();
        assert_eq!(message, p.message);
        assert_eq!(message.tech, Technology::S3);
        assert_eq!(message.change.kind, ChangeKind::Updated);
        assert_eq!(
            message.change.patch,
            vec![PatchOp::Replace {
                path: "/configuration/Versioning/Status".into(),
                value: json!("Suspended")
            }]
        );
        assert!(message.item.unwrap().get(CHANGE_ATTRIBUTE).is_none());
        assert_eq!(p.attributes["change"], "updated");
        let removal = record("REMOVE", None, Some(revision(None)));
        assert_eq!(
            durable_record(&us_east(), &removal, SNS_MESSAGE_LIMIT).unwrap(),
            Forward::Skip(Skip::DurableRemoval)
        );
    }

    #[test]
    fn a_revision_without_change_or_with_its_configuration_in_s3() {
        let mut tombstone = revision(None);
        tombstone["configuration"] = json!({});
        let p = send(
            durable_record(
                &us_east(),
                &record("INSERT", Some(tombstone), None),
                SNS_MESSAGE_LIMIT,
            )
            .unwrap(),
        );
        assert_eq!(p.message.change.kind, ChangeKind::Deleted);
        assert!(p.message.change.patch_omitted);
        assert!(p.body.contains("\"patch_omitted\":true"));

        let mut offloaded = revision(None);
        let map = offloaded.as_object_mut().unwrap();
        map.remove("configuration");
        map.insert(POINTER_ATTRIBUTE.into(), json!({"bucket": "o", "key": "k"}));
        let p = send(
            durable_record(
                &us_east(),
                &record("INSERT", Some(offloaded), None),
                SNS_MESSAGE_LIMIT,
            )
            .unwrap(),
        );
        // no configuration, but not a deletion: it is in S3
        assert_eq!(p.message.change.kind, ChangeKind::Updated);
        assert!(p.message.event_too_big && p.message.item.is_none());
        let key = p.message.durable_key.clone().unwrap();
        assert_eq!(key.event_time, "2024-01-02T03:04:05Z");
        assert_eq!(
            serde_json::from_str::<DurableMessage>(&p.body).unwrap(),
            p.message
        );
    }

    #[test]
    fn a_revision_must_be_keyed_by_a_recorded_technology() {
        let mut keyless = record("INSERT", Some(revision(None)), None);
        keyless.arn = None;
        let err = durable_record(&us_east(), &keyless, SNS_MESSAGE_LIMIT).unwrap_err();
        assert_eq!(err.to_string(), "invalid stream record e-1: no Keys.arn");
        keyless.arn = Some("arn:aws:sqs:us-east-1:1:q".into());
        let err = durable_record(&us_east(), &keyless, SNS_MESSAGE_LIMIT).unwrap_err();
        assert!(
            err.to_string().ends_with("is no recorded technology's ARN"),
            "{err}"
        );
        let mut bad_change = record("INSERT", Some(revision(Some(json!("x")))), None);
        bad_change.event_id = "e-2".into();
        let err = durable_record(&us_east(), &bad_change, SNS_MESSAGE_LIMIT).unwrap_err();
        assert!(err.to_string().contains("change does not decode"), "{err}");
    }
}

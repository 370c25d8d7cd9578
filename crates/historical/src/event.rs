//! The CloudTrail event as EventBridge delivers it (`detail-type: "AWS API Call via CloudTrail"`)
//! and the poller's synthetic events of the same shape, and what the collector must do with one.
//!
//! Only the fields Historical reads are modelled; unknown fields are accepted and dropped, so a
//! new CloudTrail `eventVersion` never breaks parsing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tech::{EventKind, Technology};
use crate::timeliness::{check_event_time, EventOutOfTime};

/// `detail-type` of CloudTrail API calls on EventBridge.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// An EventBridge event carrying a CloudTrail record in `detail` (or a poll event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudTrailEvent {
    /// Envelope version (`"0"` from EventBridge, `"1"` from the original's poller).
    #[serde(default)]
    pub version: Option<String>,
    /// EventBridge event id.
    #[serde(default)]
    pub id: Option<String>,
    /// `AWS API Call via CloudTrail`, or `Poller` for poll events.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// `aws.s3`, `aws.ec2`, `aws.iam`, or `historical`.
    #[serde(default)]
    pub source: Option<String>,
    /// The account whose bus delivered the event.
    pub account: String,
    /// EventBridge timestamp (not the API call's time: that is `detail.eventTime`).
    #[serde(default)]
    pub time: Option<String>,
    /// The region whose bus delivered the event.
    #[serde(default)]
    pub region: Option<String>,
    /// ARNs EventBridge lists (often empty for API calls).
    #[serde(default)]
    pub resources: Vec<String>,
    /// The CloudTrail record.
    pub detail: Detail,
}

/// The CloudTrail record (`detail`), with the field names CloudTrail uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    /// CloudTrail record format version.
    #[serde(default)]
    pub event_version: Option<String>,
    /// Who made the call; absent on poll events.
    #[serde(default)]
    pub user_identity: Option<Value>,
    /// When the call was made (RFC 3339, UTC): the revision's time.
    pub event_time: String,
    /// `s3.amazonaws.com`, ..., or the poller's `historical.<svc>.poller`.
    pub event_source: String,
    /// The API action (`PutBucketPolicy`) or the poll name (`PollS3`).
    pub event_name: String,
    /// The region of the call; poll events of global services may omit it.
    #[serde(default)]
    pub aws_region: Option<String>,
    /// Caller's address (CloudTrail capitalises `IP`).
    #[serde(default, rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    /// Caller's user agent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// The request, as CloudTrail records it (shapes differ per service).
    #[serde(default)]
    pub request_parameters: Option<Value>,
    /// The response, where CloudTrail records one (EC2 and IAM creations carry ids here).
    #[serde(default)]
    pub response_elements: Option<Value>,
    /// Present when the call failed; such an event changed nothing.
    #[serde(default)]
    pub error_code: Option<String>,
    /// The failure's message.
    #[serde(default)]
    pub error_message: Option<String>,
    /// CloudTrail request id.
    #[serde(default, rename = "requestID")]
    pub request_id: Option<String>,
    /// CloudTrail event id.
    #[serde(default, rename = "eventID")]
    pub event_id: Option<String>,
    /// `AwsApiCall` for API calls.
    #[serde(default)]
    pub event_type: Option<String>,
    /// The account that owns the resource (the event's recipient).
    #[serde(default)]
    pub recipient_account_id: Option<String>,
    /// Poll events only: the described resource, so the collector need not describe it again.
    #[serde(default)]
    pub collected: Option<Value>,
}

/// Why an event is not worth a describe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoreReason {
    /// `errorCode` is set: the call failed and changed nothing.
    FailedCall,
    /// A scheduled event reached the collector (the original logged and skipped these too).
    ScheduledEvent,
    /// The event comes from another service than this technology's.
    OtherSource,
    /// The name is not one of this technology's update or delete events.
    NotAChange,
    /// A multi-resource call (EC2 tags) that names no resource of this technology.
    NoResourceOfThisTechnology,
}

/// A resource an event is about: the collector describes it (update) or writes its tombstone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The technology's id (`sg-…`, bucket name, role name).
    pub id: String,
    /// Its ARN, the Current and Durable hash key.
    pub arn: String,
}

/// What the collector must do for an event that is about this technology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collected {
    /// `Update` or `Delete` (never `Ignore`).
    pub kind: EventKind,
    /// The resources' account (`recipientAccountId`, else the envelope's `account`).
    pub account: String,
    /// The call's region (`awsRegion`, else the envelope's, else the collector's own).
    pub region: String,
    /// `detail.eventTime`, parsed.
    pub event_time: DateTime<Utc>,
    /// `detail.eventName`.
    pub event_name: String,
    /// Every resource named, in the event's order.
    pub resources: Vec<ResourceRef>,
}

/// The collector's decision for one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing to do, and why.
    Ignore(IgnoreReason),
    /// Describe or tombstone these resources.
    Apply(Collected),
}

/// An event the collector cannot act on: it goes to the dead-letter queue, never silently away.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The message is not JSON, or not a CloudTrail event: `field` (a path such as
    /// `detail.eventTime`, empty for the document itself) is missing, of the wrong type, or not
    /// JSON.
    #[error("{}", parse_reason(.field, .source))]
    Parse {
        /// Where the document failed (`Message.` first when it is an SNS envelope's `Message`).
        field: String,
        /// What serde found there.
        source: serde_json::Error,
    },
    /// `detail.eventTime` is not RFC 3339.
    #[error("detail.eventTime {value:?} is not an RFC 3339 time: {source}")]
    BadEventTime {
        /// The value found.
        value: String,
        /// Why it did not parse.
        source: chrono::ParseError,
    },
    /// An update or delete of this technology that names no resource the rules can find.
    #[error("{tech} event {event_name} names no resource id (looked for {looked_for})")]
    NoResourceId {
        /// The technology.
        tech: Technology,
        /// The event's name.
        event_name: String,
        /// Where the technology's rules look for ids.
        looked_for: &'static str,
    },
}

/// `not JSON: …` for text that is not JSON, `not a CloudTrail event: <field>: …` otherwise.
fn parse_reason(field: &str, source: &serde_json::Error) -> String {
    let root = field.is_empty() || field == "Message";
    let json_error = source.is_syntax() || source.is_eof() || source.is_io();
    match (json_error, root) {
        (true, true) if field == "Message" => format!("SNS Message is not JSON: {source}"),
        (true, true) => format!("not JSON: {source}"),
        (true, false) => format!("not JSON at {field}: {source}"),
        (false, true) => format!("not a CloudTrail event: {source}"),
        (false, false) => format!("not a CloudTrail event: {field}: {source}"),
    }
}

/// The two fields of an SNS notification that matter here (off-region forwarders deliver events
/// to the queue inside one, `Message` being the event's JSON text).
#[derive(Deserialize)]
struct SnsEnvelope {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Message")]
    message: String,
}

impl CloudTrailEvent {
    /// Parse an event from its JSON text (an SQS body, or an SNS `Message`); an error names the
    /// field that is missing or wrong.
    pub fn from_json(text: &str) -> Result<Self, EventError> {
        parse_at(text, "")
    }

    /// The event in a queue message: the body itself, or the `Message` of an SNS notification
    /// (`"Type": "Notification"`). A body that is not such an envelope is read as the event, so an
    /// error names the event's field, not the envelope's.
    pub fn from_queue_body(body: &str) -> Result<Self, EventError> {
        match serde_json::from_str::<SnsEnvelope>(body) {
            Ok(envelope) if envelope.kind == "Notification" => {
                parse_at(&envelope.message, "Message")
            }
            _ => Self::from_json(body),
        }
    }
}

/// `text` as an event; `prefix` names where the text came from in the error's field path.
fn parse_at(text: &str, prefix: &str) -> Result<CloudTrailEvent, EventError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed: Result<CloudTrailEvent, _> = serde_path_to_error::deserialize(&mut deserializer);
    // `.` is the document itself; `?` a place serde_path_to_error could not name (an unfinished
    // key): both are the document as far as the reader is concerned.
    let field = |path: String| match (path == "." || path == "?", prefix.is_empty()) {
        (true, _) => prefix.to_string(),
        (false, true) => path,
        (false, false) => format!("{prefix}.{path}"),
    };
    let event = parsed.map_err(|e| EventError::Parse {
        field: field(e.path().to_string()),
        source: e.into_inner(),
    })?;
    // Trailing characters after the document.
    deserializer.end().map_err(|source| EventError::Parse {
        field: field(".".into()),
        source,
    })?;
    Ok(event)
}

impl Detail {
    /// `detail.eventTime` as a UTC time.
    pub fn event_time(&self) -> Result<DateTime<Utc>, EventError> {
        DateTime::parse_from_rfc3339(&self.event_time)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|source| EventError::BadEventTime {
                value: self.event_time.clone(),
                source,
            })
    }

    /// The original's `principalId`: the last `:`-separated part of `userIdentity.principalId`
    /// (an assumed role's session name, e.g. `joe@example.com`); empty for poll events.
    pub fn principal_id(&self) -> String {
        self.user_identity
            .as_ref()
            .and_then(|u| u.get("principalId"))
            .and_then(Value::as_str)
            .and_then(|p| p.rsplit(':').next())
            .unwrap_or_default()
            .to_string()
    }
}

/// Decide what the collector does with `event` for `tech`. `own_region` is the collector's
/// region, used only when neither the record nor the envelope names one.
pub fn collect(
    tech: Technology,
    event: &CloudTrailEvent,
    own_region: &str,
) -> Result<Outcome, EventError> {
    let rules = tech.rules();
    let detail = &event.detail;
    if event.detail_type == "Scheduled Event" {
        return Ok(Outcome::Ignore(IgnoreReason::ScheduledEvent));
    }
    if detail.error_code.is_some() {
        return Ok(Outcome::Ignore(IgnoreReason::FailedCall));
    }
    if detail.event_source != rules.event_source()
        && detail.event_source != rules.poll_event_source()
    {
        return Ok(Outcome::Ignore(IgnoreReason::OtherSource));
    }
    let kind = rules.event_kind(&detail.event_name);
    if kind == EventKind::Ignore {
        return Ok(Outcome::Ignore(IgnoreReason::NotAChange));
    }
    let ids = rules.resource_ids(detail);
    if ids.is_empty() {
        if matches!(detail.event_name.as_str(), "CreateTags" | "DeleteTags") {
            return Ok(Outcome::Ignore(IgnoreReason::NoResourceOfThisTechnology));
        }
        return Err(EventError::NoResourceId {
            tech,
            event_name: detail.event_name.clone(),
            looked_for: rules.resource_id_fields(),
        });
    }
    let account = detail
        .recipient_account_id
        .clone()
        .unwrap_or_else(|| event.account.clone());
    let region = detail
        .aws_region
        .clone()
        .or_else(|| event.region.clone())
        .unwrap_or_else(|| own_region.to_string());
    let resources = ids
        .into_iter()
        .map(|id| ResourceRef {
            arn: rules.arn(&account, &region, &id),
            id,
        })
        .collect();
    Ok(Outcome::Apply(Collected {
        kind,
        account,
        region,
        event_time: detail.event_time()?,
        event_name: detail.event_name.clone(),
        resources,
    }))
}

/// What the recorded technologies do with one event, decided before anything is described or
/// written: the technologies that apply it (with what to apply) and why the others ignore it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The technologies that act on the event, in the order given.
    pub applied: Vec<(Technology, Collected)>,
    /// The technologies that ignore it, and why.
    pub ignored: Vec<(Technology, IgnoreReason)>,
}

impl Decision {
    /// Whether the event is checked against the time it was received: only an event some
    /// technology applies is (an ignored one writes nothing).
    pub fn check_times(&self, received: DateTime<Utc>) -> Result<(), EventOutOfTime> {
        self.applied
            .iter()
            .try_for_each(|(_, collected)| check_event_time(collected.event_time, received))
    }
}

/// [`collect`] for each of `technologies` (the recorded ones); the first error stops the decision.
pub fn decide(
    technologies: impl IntoIterator<Item = Technology>,
    event: &CloudTrailEvent,
    own_region: &str,
) -> Result<Decision, EventError> {
    let mut decision = Decision {
        applied: Vec::new(),
        ignored: Vec::new(),
    };
    for tech in technologies {
        match collect(tech, event, own_region)? {
            Outcome::Ignore(reason) => decision.ignored.push((tech, reason)),
            Outcome::Apply(collected) => decision.applied.push((tech, collected)),
        }
    }
    Ok(decision)
}

/// A scheduled function's input: `Ok(None)` for EventBridge's scheduled event (the schedule's run),
/// `Ok(Some(manual))` for a manual invocation of the fields `M`, and an error saying why for another
/// EventBridge event or fields `M` does not take.
pub fn scheduled_or_manual<M: serde::de::DeserializeOwned>(
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<Option<M>, String> {
    if object.contains_key("source") || object.contains_key("detail-type") {
        let text = |name: &str| object.get(name).and_then(serde_json::Value::as_str);
        return if text("source") == Some("aws.events")
            && text("detail-type") == Some("Scheduled Event")
        {
            Ok(None)
        } else {
            Err("an EventBridge event must be a scheduled one (source \"aws.events\", detail-type \"Scheduled Event\")".into())
        };
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map(Some)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(source: &str, name: &str, params: Value) -> CloudTrailEvent {
        serde_json::from_value(json!({
            "detail-type": CLOUDTRAIL_DETAIL_TYPE, "account": "111122223333",
            "detail": {"eventTime": "2024-01-02T03:04:05Z", "eventSource": source,
                       "eventName": name, "awsRegion": "eu-west-1",
                       "userIdentity": {"principalId": "AROAEXAMPLE:joe@example.com"},
                       "requestParameters": params}
        }))
        .unwrap()
    }

    #[test]
    fn principal_is_the_session_name() {
        let e = event(
            "s3.amazonaws.com",
            "PutBucketAcl",
            json!({"bucketName": "b"}),
        );
        assert_eq!(e.detail.principal_id(), "joe@example.com");
    }

    #[test]
    fn unknown_names_and_other_sources_are_ignored() {
        let e = event(
            "s3.amazonaws.com",
            "GetBucketAcl",
            json!({"bucketName": "b"}),
        );
        assert_eq!(
            collect(Technology::S3, &e, "us-east-1").unwrap(),
            Outcome::Ignore(IgnoreReason::NotAChange)
        );
        let e = event("ec2.amazonaws.com", "DeleteVpc", json!({"vpcId": "vpc-1"}));
        assert_eq!(
            collect(Technology::S3, &e, "us-east-1").unwrap(),
            Outcome::Ignore(IgnoreReason::OtherSource)
        );
    }

    #[test]
    fn a_change_without_id_is_an_error_but_foreign_tags_are_ignored() {
        let e = event("s3.amazonaws.com", "PutBucketAcl", json!({}));
        assert!(matches!(
            collect(Technology::S3, &e, "us-east-1"),
            Err(EventError::NoResourceId { .. })
        ));
        let e = event(
            "ec2.amazonaws.com",
            "CreateTags",
            json!({"resourcesSet": {"items": [{"resourceId": "i-1"}]}}),
        );
        assert_eq!(
            collect(Technology::Vpc, &e, "us-east-1").unwrap(),
            Outcome::Ignore(IgnoreReason::NoResourceOfThisTechnology)
        );
    }

    #[test]
    fn bad_time_is_an_error() {
        let mut e = event(
            "s3.amazonaws.com",
            "PutBucketAcl",
            json!({"bucketName": "b"}),
        );
        e.detail.event_time = "yesterday".into();
        assert!(matches!(
            collect(Technology::S3, &e, "us-east-1"),
            Err(EventError::BadEventTime { .. })
        ));
    }

    #[test]
    fn every_recorded_technology_decides_and_only_applied_events_are_timed() {
        let e = event(
            "s3.amazonaws.com",
            "PutBucketAcl",
            json!({"bucketName": "b"}),
        );
        let decision = decide(Technology::ALL, &e, "us-east-1").unwrap();
        assert_eq!(decision.applied.len(), 1);
        assert_eq!(decision.applied[0].0, Technology::S3);
        assert_eq!(
            decision.ignored,
            vec![
                (Technology::SecurityGroup, IgnoreReason::OtherSource),
                (Technology::Vpc, IgnoreReason::OtherSource),
                (Technology::IamRole, IgnoreReason::OtherSource),
            ]
        );
        let sent = e.detail.event_time().unwrap();
        assert!(decision.check_times(sent).is_ok());
        let long_after = sent + chrono::Duration::days(15);
        assert!(decision.check_times(long_after).is_err());
        // nothing applied: nothing to time
        let only_vpc = decide([Technology::Vpc], &e, "us-east-1").unwrap();
        assert!(only_vpc.applied.is_empty());
        assert!(only_vpc.check_times(long_after).is_ok());
        // an error of one technology is the event's
        let bad = event("s3.amazonaws.com", "PutBucketAcl", json!({}));
        assert!(matches!(
            decide(Technology::ALL, &bad, "us-east-1"),
            Err(EventError::NoResourceId { .. })
        ));
    }
}

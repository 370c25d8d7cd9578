//! The Differ's history rules, replayed over an in-memory Durable table: the original's acceptance
//! sequences (S3, security group) plus re-creation, TTL expiry and late events.

use chrono::{DateTime, Duration, TimeZone, Utc};
use historical::differ::{is_ttl_expiry, judge, ttl_deletion_marker, Revision};
use historical::{apply, normalise, revision_to_compare, ChangeKind, Technology};
use serde_json::{json, Value};

const SG: Technology = Technology::SecurityGroup;

fn t(hour: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 14, 0, 0, 0).unwrap() + Duration::hours(hour)
}

fn sg_item(hour: i64, description: &str, cidrs: &[&str]) -> Value {
    let ranges: Vec<Value> = cidrs.iter().map(|c| json!({"CidrIp": c})).collect();
    json!({"arn": "arn:aws:ec2:eu-west-2:111122223333:security-group/sg-1",
           "eventTime": historical::differ::format_event_time(t(hour)),
           "accountId": "111122223333", "Region": "eu-west-2", "GroupId": "sg-1",
           "GroupName": "web", "VpcId": "vpc-1", "version": 1, "Tags": {"Team": "a"},
           "principalId": format!("joe-{hour}"), "eventName": "PollSecurityGroups",
           "configuration": {"Description": description,
                             "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443,
                                                "ToPort": 443, "IpRanges": ranges}]}})
}

fn tombstone(hour: i64) -> Value {
    json!({"arn": "arn:aws:ec2:eu-west-2:111122223333:security-group/sg-1",
           "eventTime": historical::differ::format_event_time(t(hour)),
           "accountId": "111122223333", "Region": "eu-west-2", "GroupId": "sg-1",
           "version": 1, "Tags": {}, "configuration": {}, "eventName": "DeleteSecurityGroup"})
}

/// An in-memory Durable table: feed items in arrival order, keep what the Differ writes.
#[derive(Default)]
struct Durable {
    revisions: Vec<Revision>,
}

impl Durable {
    fn feed(&mut self, hour: i64, item: Value) -> Option<ChangeKind> {
        let incoming = Revision {
            event_time: t(hour),
            item,
        };
        let change = judge(SG, &self.revisions, &incoming)?;
        // the patch turns the compared revision's normalised state into the new one
        let before = revision_to_compare(&self.revisions, incoming.event_time)
            .filter(|r| !historical::differ::is_deleted(&r.item))
            .map_or(Value::Null, |r| normalise(SG, &r.item));
        let after = if historical::differ::is_deleted(&incoming.item) {
            Value::Null
        } else {
            normalise(SG, &incoming.item)
        };
        assert_eq!(apply(&change.patch, &before).unwrap(), after);
        self.revisions.push(incoming);
        Some(change.kind)
    }
}

#[test]
fn the_originals_security_group_sequence() {
    let mut d = Durable::default();
    assert_eq!(
        d.feed(0, sg_item(0, "web", &["10.0.0.0/8"])),
        Some(ChangeKind::Created)
    );
    // the same configuration later (other CloudTrail context): no revision
    assert_eq!(d.feed(1, sg_item(1, "web", &["10.0.0.0/8"])), None);
    assert_eq!(
        d.feed(2, sg_item(2, "web tier", &["10.0.0.0/8"])),
        Some(ChangeKind::Updated)
    );
    // an older event with a changed CIDR, earlier than every revision: compared with nothing
    assert_eq!(
        d.feed(-5, sg_item(-5, "web", &["1.1.1.1/32"])),
        Some(ChangeKind::Created)
    );
    assert_eq!(d.revisions.len(), 3);
}

#[test]
fn duplicates_write_nothing() {
    let mut d = Durable::default();
    let item = sg_item(0, "web", &["10.0.0.0/8", "192.168.0.0/16"]);
    assert!(d.feed(0, item.clone()).is_some());
    assert_eq!(d.feed(0, item.clone()), None, "exact duplicate");
    // same rules in another order: still no change
    assert_eq!(
        d.feed(3, sg_item(3, "web", &["192.168.0.0/16", "10.0.0.0/8"])),
        None
    );
    assert_eq!(d.revisions.len(), 1);
}

#[test]
fn late_events_are_compared_with_the_revision_before_them() {
    let mut d = Durable::default();
    assert!(d.feed(0, sg_item(0, "a", &["10.0.0.0/8"])).is_some());
    assert!(d.feed(10, sg_item(10, "b", &["10.0.0.0/8"])).is_some());
    // arrives late, equal to the revision at hour 0: no revision
    assert_eq!(d.feed(5, sg_item(5, "a", &["10.0.0.0/8"])), None);
    // arrives late, differs from hour 0 (though equal to hour 10): a revision in the middle
    assert_eq!(
        d.feed(6, sg_item(6, "b", &["10.0.0.0/8"])),
        Some(ChangeKind::Updated)
    );
    let times: Vec<_> = d.revisions.iter().map(|r| r.event_time).collect();
    assert_eq!(times, [t(0), t(10), t(6)]);
    assert_eq!(
        revision_to_compare(&d.revisions, t(7)).unwrap().event_time,
        t(6)
    );
    assert_eq!(
        revision_to_compare(&d.revisions, t(10)).unwrap().event_time,
        t(10)
    );
    assert!(revision_to_compare(&d.revisions, t(-1)).is_none());
}

#[test]
fn deletion_then_re_creation() {
    let mut d = Durable::default();
    assert!(d.feed(0, sg_item(0, "a", &["10.0.0.0/8"])).is_some());
    assert_eq!(d.feed(1, tombstone(1)), Some(ChangeKind::Deleted));
    assert_eq!(
        d.feed(2, tombstone(2)),
        None,
        "a second delete is no change"
    );
    assert_eq!(
        d.feed(3, sg_item(3, "a", &["10.0.0.0/8"])),
        Some(ChangeKind::Created)
    );
    // a delete of something never seen is no revision
    let mut empty = Durable::default();
    assert_eq!(empty.feed(0, tombstone(0)), None);
}

#[test]
fn ttl_expiry_writes_a_deletion_marker() {
    let mut d = Durable::default();
    let mut current = sg_item(0, "a", &["10.0.0.0/8"]);
    assert!(d.feed(0, current.clone()).is_some());
    current["ttl"] = json!(1_710_460_800);
    current["eventSource"] = json!("historical.ec2.poller");
    current["aws:rep:updateregion"] = json!("eu-west-2");
    let identity = json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"});
    assert!(is_ttl_expiry(Some(&identity)));
    assert!(!is_ttl_expiry(Some(
        &json!({"type": "AWS", "principalId": "x"})
    )));
    assert!(!is_ttl_expiry(None));
    let marker = ttl_deletion_marker(&current, t(24));
    assert_eq!(marker["configuration"], json!({}));
    assert_eq!(marker["eventTime"], "2024-03-15T00:00:00Z");
    assert_eq!(marker["principalId"], "dynamodb.amazonaws.com");
    assert!(marker.get("ttl").is_none() && marker.get("eventSource").is_none());
    assert!(marker.get("aws:rep:updateregion").is_none());
    assert_eq!(d.feed(24, marker), Some(ChangeKind::Deleted));
    assert_eq!(d.revisions.len(), 2);
}

#[test]
fn context_and_tags() {
    let mut d = Durable::default();
    assert!(d.feed(0, sg_item(0, "a", &[])).is_some());
    let mut tagged = sg_item(1, "a", &[]);
    tagged["Tags"]["Owner"] = json!("ops");
    assert_eq!(d.feed(1, tagged), Some(ChangeKind::Updated), "tags count");
    let mut renamed = sg_item(2, "a", &[]);
    renamed["Tags"]["Owner"] = json!("ops");
    renamed["userAgent"] = json!("console");
    renamed["requestParameters"] = json!({"groupId": "sg-1"});
    assert_eq!(
        d.feed(2, renamed),
        None,
        "CloudTrail context does not count"
    );
}

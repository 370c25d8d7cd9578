//! The recorded resources as they were at a past time: per ARN, the Durable revision in force then
//! (its latest at or before the time), resources deleted by then left out.
//!
//! `insights historical at` reads every Durable revision at or before the time (a table scan, with
//! the time, account and region as its filter) and decides here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::differ::{is_deleted, Revision};

/// Which resources a point-in-time view covers: the technology's table is chosen by the caller;
/// these narrow within it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only this account's resources (`accountId`).
    pub account: Option<String>,
    /// Only this region's resources (`Region`).
    pub region: Option<String>,
}

impl Scope {
    /// Whether a stored item is within the scope.
    pub fn covers(&self, item: &Value) -> bool {
        let matches = |wanted: &Option<String>, field: &str| {
            wanted
                .as_deref()
                .is_none_or(|w| item.get(field).and_then(Value::as_str) == Some(w))
        };
        matches(&self.account, "accountId") && matches(&self.region, "Region")
    }
}

/// Whether a stored item is a deletion: [`is_deleted`], but for an item whose configuration was
/// kept in S3 (`configuration_s3`, not yet read back), which a deletion never is.
fn is_tombstone(item: &Value) -> bool {
    item.get("configuration_s3").is_none() && is_deleted(item)
}

/// Of `revisions` (any order, any ARNs), the one in force at `at` for each resource in `scope`: its
/// latest at or before `at`; a resource whose revision in force is a deletion, or that had none
/// yet, is left out. Ordered by ARN.
pub fn in_force_at(
    revisions: impl IntoIterator<Item = Revision>,
    at: DateTime<Utc>,
    scope: &Scope,
) -> Vec<Revision> {
    let mut latest: BTreeMap<String, Revision> = BTreeMap::new();
    for revision in revisions {
        if revision.event_time > at || !scope.covers(&revision.item) {
            continue;
        }
        let Some(arn) = revision.item.get("arn").and_then(Value::as_str) else {
            continue;
        };
        match latest.get(arn) {
            Some(kept) if kept.event_time >= revision.event_time => {}
            _ => {
                latest.insert(arn.to_owned(), revision);
            }
        }
    }
    latest
        .into_values()
        .filter(|r| !is_tombstone(&r.item))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).unwrap()
    }

    fn revision(arn: &str, hour: u32, configuration: Value) -> Revision {
        Revision {
            event_time: at(hour),
            item: json!({
                "arn": arn,
                "eventTime": at(hour).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "accountId": if arn.contains("other") { "222222222222" } else { "111111111111" },
                "Region": "eu-west-1",
                "configuration": configuration,
            }),
        }
    }

    fn history() -> Vec<Revision> {
        vec![
            revision("arn:aws:s3:::kept", 1, json!({"Tags": {"v": "1"}})),
            revision("arn:aws:s3:::kept", 5, json!({"Tags": {"v": "2"}})),
            revision("arn:aws:s3:::deleted", 2, json!({"Tags": {}})),
            revision("arn:aws:s3:::deleted", 4, json!({})),
            revision("arn:aws:s3:::other", 3, json!({"Name": "other"})),
        ]
    }

    fn arns_and_hours(found: &[Revision]) -> Vec<(String, String)> {
        found
            .iter()
            .map(|r| {
                (
                    r.item["arn"].as_str().unwrap().to_owned(),
                    r.event_time.format("%H").to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn each_resource_as_its_latest_revision_at_or_before_the_time() {
        let all = Scope::default();
        let pairs = |hour| arns_and_hours(&in_force_at(history(), at(hour), &all));
        let owned = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, h)| ((*a).to_owned(), (*h).to_owned()))
                .collect()
        };
        assert_eq!(pairs(0), owned(&[]), "nothing recorded yet");
        assert_eq!(
            pairs(1),
            owned(&[("arn:aws:s3:::kept", "01")]),
            "at the instant"
        );
        assert_eq!(
            pairs(3),
            owned(&[
                ("arn:aws:s3:::deleted", "02"),
                ("arn:aws:s3:::kept", "01"),
                ("arn:aws:s3:::other", "03"),
            ])
        );
        assert_eq!(
            pairs(4),
            owned(&[("arn:aws:s3:::kept", "01"), ("arn:aws:s3:::other", "03")]),
            "deleted at 04:00, left out from then"
        );
        assert_eq!(
            pairs(9),
            owned(&[("arn:aws:s3:::kept", "05"), ("arn:aws:s3:::other", "03")])
        );
    }

    #[test]
    fn the_order_of_the_revisions_read_does_not_matter() {
        let mut reversed = history();
        reversed.reverse();
        let all = Scope::default();
        assert_eq!(
            in_force_at(reversed, at(9), &all),
            in_force_at(history(), at(9), &all)
        );
    }

    #[test]
    fn the_scope_narrows_by_account_and_region() {
        let other = Scope {
            account: Some("222222222222".into()),
            region: None,
        };
        assert_eq!(
            arns_and_hours(&in_force_at(history(), at(9), &other)),
            [("arn:aws:s3:::other".to_owned(), "03".to_owned())]
        );
        let elsewhere = Scope {
            account: None,
            region: Some("us-east-1".into()),
        };
        assert!(in_force_at(history(), at(9), &elsewhere).is_empty());
    }

    #[test]
    fn a_configuration_kept_in_s3_is_not_a_deletion() {
        let mut offloaded = revision("arn:aws:s3:::big", 1, json!({}));
        let item = offloaded.item.as_object_mut().unwrap();
        item.remove("configuration");
        item.insert(
            "configuration_s3".into(),
            json!({"bucket": "b", "key": "k", "md5": "m", "size": 1}),
        );
        assert_eq!(
            in_force_at(vec![offloaded], at(2), &Scope::default()).len(),
            1
        );
    }
}

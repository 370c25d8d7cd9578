//! The run's figures: every bucket's figures added up.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::DateTime;
use serde::{Deserialize, Serialize};

use super::model::RunReport;
use crate::{BucketFigures, ObjectRef, StatusGroup};

/// The whole run in numbers: buckets per status group and the merged figures of every bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTotals {
    /// Source buckets in the run.
    pub buckets: u64,
    /// Buckets per status group; a group with no bucket is absent.
    pub buckets_by_group: BTreeMap<StatusGroup, u64>,
    /// Every bucket's figures added up; the largest and oldest object are the run's.
    pub figures: BucketFigures,
}

impl RunTotals {
    /// Buckets in `group` (0 when none).
    pub fn in_group(&self, group: StatusGroup) -> u64 {
        self.buckets_by_group.get(&group).copied().unwrap_or(0)
    }
}

impl RunReport {
    /// The run's figures, for the report's header and `summary.json`.
    ///
    /// Sums saturate rather than overflow; ties for the largest and oldest object are broken by key
    /// and version, so the result does not depend on bucket order.
    pub fn totals(&self) -> RunTotals {
        let mut totals = RunTotals::default();
        for bucket in &self.buckets {
            totals.buckets += 1;
            *totals
                .buckets_by_group
                .entry(bucket.status.group())
                .or_default() += 1;
            if let Some(figures) = &bucket.figures {
                merge(&mut totals.figures, figures);
            }
        }
        totals
    }
}

/// Adds `other` into `total`.
fn merge(total: &mut BucketFigures, other: &BucketFigures) {
    total.rows = total.rows.saturating_add(other.rows);
    total.objects = total.objects.saturating_add(other.objects);
    total.noncurrent_versions = total
        .noncurrent_versions
        .saturating_add(other.noncurrent_versions);
    total.delete_markers = total.delete_markers.saturating_add(other.delete_markers);
    total.bytes = total.bytes.saturating_add(other.bytes);
    total.current_bytes = total.current_bytes.saturating_add(other.current_bytes);
    total.noncurrent_bytes = total
        .noncurrent_bytes
        .saturating_add(other.noncurrent_bytes);
    for (class, bytes) in &other.bytes_by_storage_class {
        let entry = total
            .bytes_by_storage_class
            .entry(class.clone())
            .or_default();
        *entry = entry.saturating_add(*bytes);
    }
    for (status, versions) in &other.versions_by_encryption_status {
        let entry = total
            .versions_by_encryption_status
            .entry(status.clone())
            .or_default();
        *entry = entry.saturating_add(*versions);
    }
    pick(&mut total.largest_object, &other.largest_object, |a, b| {
        b.size.cmp(&a.size)
    });
    pick(&mut total.oldest_object, &other.oldest_object, |a, b| {
        compare_instants(a.last_modified.as_deref(), b.last_modified.as_deref())
    });
}

/// Keeps in `current` whichever of the two `first` orders first, ties broken by key then version.
fn pick(
    current: &mut Option<ObjectRef>,
    candidate: &Option<ObjectRef>,
    first: impl Fn(&ObjectRef, &ObjectRef) -> Ordering,
) {
    let Some(candidate) = candidate else { return };
    let better = match current {
        None => true,
        Some(held) => {
            first(candidate, held)
                .then_with(|| candidate.key.cmp(&held.key))
                .then_with(|| candidate.version_id.cmp(&held.version_id))
                == Ordering::Less
        }
    };
    if better {
        *current = Some(candidate.clone());
    }
}

/// Orders RFC 3339 instants, earliest first; an unknown or unparsable one sorts last.
fn compare_instants(a: Option<&str>, b: Option<&str>) -> Ordering {
    let parse = |s: Option<&str>| s.and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{AthenaReport, BucketReport, RunOutcome};
    use crate::BucketStatus;

    fn object(key: &str, size: u64, last_modified: &str) -> ObjectRef {
        ObjectRef {
            key: key.into(),
            version_id: None,
            size,
            last_modified: Some(last_modified.into()),
        }
    }

    fn figures(bytes: u64, classes: &[(&str, u64)], largest: ObjectRef) -> BucketFigures {
        BucketFigures {
            rows: 10,
            objects: 7,
            noncurrent_versions: 2,
            delete_markers: 1,
            bytes,
            current_bytes: bytes - 1,
            noncurrent_bytes: 1,
            bytes_by_storage_class: classes.iter().map(|(c, b)| ((*c).into(), *b)).collect(),
            versions_by_encryption_status: BTreeMap::from([("SSE-S3".into(), 9)]),
            oldest_object: Some(largest.clone()),
            largest_object: Some(largest),
            ..BucketFigures::default()
        }
    }

    fn bucket(name: &str, status: BucketStatus, figures: Option<BucketFigures>) -> BucketReport {
        BucketReport {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            bucket: name.into(),
            status,
            reason: None,
            figures,
        }
    }

    fn report(buckets: Vec<BucketReport>) -> RunReport {
        RunReport {
            run_id: "r1".into(),
            deployment: "d".into(),
            outcome: RunOutcome::Succeeded,
            cause: None,
            started_at: DateTime::UNIX_EPOCH,
            finished_at: DateTime::UNIX_EPOCH,
            is_smoke_test: false,
            accounts: vec![],
            unreachable_accounts: vec![],
            regions: vec![],
            athena: AthenaReport {
                database: "db".into(),
                table: "t".into(),
                region: "eu-west-1".into(),
            },
            buckets,
            queries: vec![],
            comparison: None,
            comparison_reason: None,
            cost: None,
            notes: vec![],
            input: serde_json::Value::Null,
        }
    }

    #[test]
    fn adds_up_every_bucket_and_counts_groups() {
        let a = figures(
            100,
            &[("STANDARD", 60), ("GLACIER", 40)],
            object("a", 50, "2020-01-01T00:00:00Z"),
        );
        let b = figures(
            1_000,
            &[("STANDARD", 1_000)],
            object("b", 900, "2019-06-01T00:00:00+02:00"),
        );
        let totals = report(vec![
            bucket("a", BucketStatus::Done, Some(a)),
            bucket("b", BucketStatus::Done, Some(b)),
            bucket("c", BucketStatus::BucketIsEmpty, None),
            bucket("d", BucketStatus::BucketAccessLost, None),
            bucket("e", BucketStatus::ReportInvalid, None),
            bucket("f", BucketStatus::TimedOut, None),
        ])
        .totals();
        assert_eq!(totals.buckets, 6);
        assert_eq!(totals.in_group(StatusGroup::Done), 2);
        assert_eq!(totals.in_group(StatusGroup::Empty), 1);
        assert_eq!(totals.in_group(StatusGroup::Failed), 2);
        assert_eq!(totals.in_group(StatusGroup::TimedOut), 1);
        assert_eq!(totals.in_group(StatusGroup::InProgress), 0);
        let f = &totals.figures;
        assert_eq!(
            (f.rows, f.objects, f.noncurrent_versions, f.delete_markers),
            (20, 14, 4, 2)
        );
        assert_eq!(
            (f.bytes, f.current_bytes, f.noncurrent_bytes),
            (1_100, 1_098, 2)
        );
        assert_eq!(
            f.bytes_by_storage_class,
            BTreeMap::from([("GLACIER".into(), 40), ("STANDARD".into(), 1_060)])
        );
        assert_eq!(
            f.versions_by_encryption_status,
            BTreeMap::from([("SSE-S3".into(), 18)])
        );
        assert_eq!(f.largest_object.as_ref().map(|o| o.key.as_str()), Some("b"));
        assert_eq!(f.oldest_object.as_ref().map(|o| o.key.as_str()), Some("b"));
    }

    #[test]
    fn does_not_depend_on_bucket_order_and_saturates() {
        let x = figures(u64::MAX - 1, &[], object("x", 5, "2020-01-01T00:00:00Z"));
        let y = figures(10, &[], object("w", 5, "2020-01-01T00:00:00Z"));
        let forward = report(vec![
            bucket("x", BucketStatus::Done, Some(x.clone())),
            bucket("y", BucketStatus::Done, Some(y.clone())),
        ])
        .totals();
        let backward = report(vec![
            bucket("y", BucketStatus::Done, Some(y)),
            bucket("x", BucketStatus::Done, Some(x)),
        ])
        .totals();
        assert_eq!(forward, backward);
        assert_eq!(forward.figures.bytes, u64::MAX);
        assert_eq!(
            forward.figures.largest_object.map(|o| o.key),
            Some("w".into())
        );
    }

    #[test]
    fn an_empty_run_has_zero_totals() {
        let totals = report(vec![]).totals();
        assert_eq!(totals, RunTotals::default());
    }
}

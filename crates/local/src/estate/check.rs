//! What a seeded estate must report: totals over its buckets, and a run's report compared with it
//! bucket by bucket.

use std::collections::{BTreeMap, HashMap};

use s3insights::report::{BucketReport, RunReport};
use s3insights::BucketStatus;

use super::{SeededBucket, SeededEstate};

/// Totals over some buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EstateTotals {
    /// Buckets.
    pub buckets: u64,
    /// Empty buckets among them.
    pub empty: u64,
    /// Versioned buckets among them.
    pub versioned: u64,
    /// Current objects.
    pub objects: u64,
    /// Noncurrent versions.
    pub noncurrent_versions: u64,
    /// Delete markers.
    pub delete_markers: u64,
    /// Bytes of every version.
    pub bytes: u64,
}

impl EstateTotals {
    fn add(&mut self, bucket: &SeededBucket) {
        self.buckets += 1;
        self.empty += u64::from(bucket.expected.is_empty());
        self.versioned += u64::from(bucket.kind.is_versioned());
        self.objects += bucket.expected.objects;
        self.noncurrent_versions += bucket.expected.noncurrent_versions;
        self.delete_markers += bucket.expected.delete_markers;
        self.bytes += bucket.expected.bytes;
    }
}

/// How a run's report compares with the seeded estate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportCheck {
    /// Totals of the seeded buckets the report matched (excluded ones not counted).
    pub matched: EstateTotals,
    /// Excluded buckets, absent from the report as they should be.
    pub excluded: u64,
    /// Every disagreement, one line each (empty when the report matches).
    pub problems: Vec<String>,
}

impl ReportCheck {
    /// True when the report matches the estate.
    pub fn matches(&self) -> bool {
        self.problems.is_empty()
    }
}

impl SeededEstate {
    /// Totals over every seeded bucket.
    pub fn totals(&self) -> EstateTotals {
        let mut totals = EstateTotals::default();
        for bucket in &self.buckets {
            totals.add(bucket);
        }
        totals
    }

    /// Totals per (account, region).
    pub fn totals_by_account_region(&self) -> BTreeMap<(String, String), EstateTotals> {
        let mut out: BTreeMap<(String, String), EstateTotals> = BTreeMap::new();
        for bucket in &self.buckets {
            out.entry((bucket.account.clone(), bucket.region.clone()))
                .or_default()
                .add(bucket);
        }
        out
    }

    /// The seeded bucket named `name`.
    pub fn bucket(&self, name: &str) -> Option<&SeededBucket> {
        self.buckets.iter().find(|b| b.name == name)
    }

    /// Compare a run's report with the estate: every seeded bucket not in `excluded` must be in the
    /// report once, under its account and region, `bucket_is_empty` if it holds nothing, else `done`
    /// with exactly the expected figures; an excluded bucket must be absent. Buckets the estate did
    /// not create (deployment buckets and the like) are ignored.
    pub fn check_report(&self, report: &RunReport, excluded: &[String]) -> ReportCheck {
        let mut check = ReportCheck::default();
        let mut by_name: HashMap<&str, Vec<&BucketReport>> = HashMap::new();
        for entry in &report.buckets {
            by_name
                .entry(entry.bucket.as_str())
                .or_default()
                .push(entry);
        }
        for seeded in &self.buckets {
            let found = by_name
                .get(seeded.name.as_str())
                .cloned()
                .unwrap_or_default();
            if excluded
                .iter()
                .any(|e| e.eq_ignore_ascii_case(&seeded.name))
            {
                if found.is_empty() {
                    check.excluded += 1;
                } else {
                    check.problems.push(format!(
                        "{}: excluded, yet in the report ({})",
                        seeded.name, found[0].status
                    ));
                }
                continue;
            }
            let entry = match found.as_slice() {
                [] => {
                    check
                        .problems
                        .push(format!("{}: seeded, not in the report", seeded.name));
                    continue;
                }
                [one] => *one,
                many => {
                    check.problems.push(format!(
                        "{}: in the report {} times",
                        seeded.name,
                        many.len()
                    ));
                    continue;
                }
            };
            let before = check.problems.len();
            if entry.account != seeded.account || entry.region != seeded.region {
                check.problems.push(format!(
                    "{}: seeded in {} {}, reported in {} {}",
                    seeded.name, seeded.account, seeded.region, entry.account, entry.region
                ));
            }
            let want = if seeded.expected.is_empty() {
                BucketStatus::BucketIsEmpty
            } else {
                BucketStatus::Done
            };
            if entry.status != want {
                check.problems.push(format!(
                    "{}: status {}, expected {want}{}",
                    seeded.name,
                    entry.status,
                    entry
                        .reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ));
            } else if want == BucketStatus::Done {
                match &entry.figures {
                    None => check
                        .problems
                        .push(format!("{}: done, but no figures", seeded.name)),
                    Some(figures) => {
                        for difference in seeded.expected.differences(figures) {
                            check
                                .problems
                                .push(format!("{}: {difference}", seeded.name));
                        }
                    }
                }
            } else if let Some(figures) = entry.figures.as_ref().filter(|f| f.rows > 0) {
                check.problems.push(format!(
                    "{}: empty, yet reported with {} rows",
                    seeded.name, figures.rows
                ));
            }
            if check.problems.len() == before {
                check.matched.add(seeded);
            }
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::{EstateSpec, ExpectedFigures};
    use s3insights::BucketFigures;

    fn spec() -> EstateSpec {
        EstateSpec::demo(&["000000000000", "111111111111", "222222222222"])
    }

    #[test]
    fn a_report_is_checked_bucket_by_bucket() {
        let plan = EstateSpec {
            accounts: vec!["111111111111".into()],
            regions: vec!["us-east-1".into()],
            buckets_per_account_region: 4,
            objects_per_bucket: 3..=5,
            ..spec()
        }
        .plan()
        .unwrap();
        let estate = SeededEstate {
            buckets: plan
                .buckets
                .iter()
                .map(|b| SeededBucket {
                    account: b.account.clone(),
                    region: b.region.clone(),
                    name: b.name.clone(),
                    kind: b.kind,
                    expected: b.expected.clone(),
                })
                .collect(),
            puts: 0,
            deletes: 0,
            replaced: 0,
            seconds: 0.0,
        };
        let figures = |e: &ExpectedFigures| BucketFigures {
            rows: e.rows,
            objects: e.objects,
            noncurrent_versions: e.noncurrent_versions,
            delete_markers: e.delete_markers,
            bytes: e.bytes,
            current_bytes: e.current_bytes,
            noncurrent_bytes: e.noncurrent_bytes,
            bytes_by_storage_class: e.bytes_by_storage_class.clone(),
            ..Default::default()
        };
        let excluded = vec![estate.buckets[2].name.clone()];
        let mut buckets: Vec<BucketReport> = estate
            .buckets
            .iter()
            .filter(|b| b.name != excluded[0])
            .map(|b| BucketReport {
                account: b.account.clone(),
                region: b.region.clone(),
                bucket: b.name.clone(),
                status: if b.expected.is_empty() {
                    BucketStatus::BucketIsEmpty
                } else {
                    BucketStatus::Done
                },
                reason: None,
                figures: (!b.expected.is_empty()).then(|| figures(&b.expected)),
            })
            .collect();
        let report = |buckets: Vec<BucketReport>| {
            serde_json::from_value::<RunReport>(serde_json::json!({
                "run_id": "r1", "deployment": "d", "outcome": "succeeded",
                "started_at": "2024-01-01T00:00:00Z", "finished_at": "2024-01-01T00:01:00Z",
                "is_smoke_test": false, "accounts": [], "regions": [],
                "athena": {"database": "s3i", "table": "t", "region": "us-east-1"},
                "buckets": buckets, "queries": [],
            }))
            .unwrap()
        };
        let check = estate.check_report(&report(buckets.clone()), &excluded);
        assert!(check.matches(), "{:?}", check.problems);
        assert_eq!(check.matched.buckets, 3);
        assert_eq!(check.excluded, 1);

        buckets[1].figures.as_mut().unwrap().bytes += 1;
        buckets.pop();
        let check = estate.check_report(&report(buckets), &excluded);
        assert_eq!(check.problems.len(), 2, "{:?}", check.problems);
        assert!(
            check.problems[0].contains("bytes: seeded"),
            "{:?}",
            check.problems
        );
        assert!(
            check.problems[1].contains("not in the report"),
            "{:?}",
            check.problems
        );
    }
}

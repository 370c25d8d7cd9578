//! What changed since the previous run: the latest earlier successful run of the same deployment
//! that covered some of the same accounts and regions, compared bucket by bucket where both runs
//! covered the bucket's account and region.
//!
//! A run covers an account and region when the account was reached and the region was one of the
//! run's. A bucket is `new` when this run has its figures and the previous run covered its account
//! and region without listing it; `gone` when the previous run had its figures and this run covered
//! its account and region without listing it; `changed` or `same` when both runs have its figures.
//! A bucket a run listed without figures (it failed or timed out there) is not compared.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{BucketReport, QueryReport, QueryState, RunOutcome, RunReport};
use crate::catalogue::{
    NEW_PUBLIC, NEW_PUBLIC_OBJECTS, NEW_SECRET_LIKE, NEW_SECRET_LIKE_KEYS, NEW_SINCE_PREVIOUS_RUN,
    NEW_UNENCRYPTED_VERSIONS,
};
use crate::{BucketFigures, BucketStatus};

/// The comparison with the previous run, as `summary.json`'s `comparison`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// The previous run's id.
    pub previous_run: String,
    /// When the previous run finished.
    pub previous_finished_at: DateTime<Utc>,
    /// Every bucket compared: new, gone and changed first (by bytes changed), then the same.
    pub buckets: Vec<BucketChange>,
    /// Current objects public by ACL now and not then (`new_public` rows of `new_since_previous_run`,
    /// the first ones).
    #[serde(default)]
    pub new_public_objects: Vec<ObjectKey>,
    /// Secret-like keys not there then (`new_secret_like` rows, the first ones).
    #[serde(default)]
    pub new_secret_like_keys: Vec<ObjectKey>,
    /// How many current objects were made public (more than are listed); `None` when the
    /// comparison query did not succeed, or in a report written before the count was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_public_objects_count: Option<u64>,
    /// How many secret-like keys are new (more than are listed); `None` as for the public count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_secret_like_keys_count: Option<u64>,
    /// Unencrypted versions not there then; `None` when that query did not succeed.
    #[serde(default)]
    pub new_unencrypted_versions: Option<u64>,
}

impl Comparison {
    /// How many current objects were made public: the query's count, or as many as are listed.
    pub fn public_count(&self) -> u64 {
        self.new_public_objects_count
            .unwrap_or(self.new_public_objects.len() as u64)
    }

    /// How many secret-like keys are new: the query's count, or as many as are listed.
    pub fn secret_like_count(&self) -> u64 {
        self.new_secret_like_keys_count
            .unwrap_or(self.new_secret_like_keys.len() as u64)
    }
}

/// One object of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectKey {
    /// Owning account id.
    pub account: String,
    /// The bucket's region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
}

/// Which run, since when, and which accounts and regions it covered: what [`comparable`] needs of
/// the run looking for a previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The run's id.
    pub run_id: String,
    /// Earlier runs must have finished before this.
    pub since: DateTime<Utc>,
    /// Its accounts.
    pub accounts: Vec<String>,
    /// Those of them it could not reach.
    pub unreachable_accounts: Vec<String>,
    /// Its regions.
    pub regions: Vec<String>,
}

impl Coverage {
    /// A report's coverage, earlier runs having finished before it started.
    pub fn of(report: &RunReport) -> Self {
        Coverage {
            run_id: report.run_id.clone(),
            since: report.started_at,
            accounts: report.accounts.clone(),
            unreachable_accounts: report.unreachable_accounts.clone(),
            regions: report.regions.clone(),
        }
    }
}

/// How a bucket changed between the two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Not in the previous run, which covered its account and region.
    New,
    /// In the previous run, not in this one, which covered its account and region.
    Gone,
    /// Its objects, bytes or bytes per storage class differ.
    Changed,
    /// Its figures are the same.
    Same,
}

impl ChangeStatus {
    /// Displayed name, as in `summary.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::New => "new",
            ChangeStatus::Gone => "gone",
            ChangeStatus::Changed => "changed",
            ChangeStatus::Same => "same",
        }
    }
}

/// One bucket's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketChange {
    /// Owning account id.
    pub account: String,
    /// The bucket's region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// new, gone, changed or same.
    pub status: ChangeStatus,
    /// Current objects now less then.
    pub objects_delta: i64,
    /// Bytes of all versions now less then.
    pub bytes_delta: i64,
    /// Bytes per storage class in the previous run (empty for a new bucket).
    pub bytes_by_storage_class_then: BTreeMap<String, u64>,
    /// Bytes per storage class now (empty for a gone bucket).
    pub bytes_by_storage_class_now: BTreeMap<String, u64>,
}

/// What two runs both covered. A run covers each account it reached in each of its regions, so
/// both covered an account and region when both reached the account and both had the region: no
/// set of pairs is built (10,000 accounts × 17 regions would be 170,000 of them).
struct Common<'a> {
    accounts: BTreeSet<&'a str>,
    regions: BTreeSet<&'a str>,
}

/// A run's accounts, those it could not reach, and its regions.
type Covered<'a> = (&'a [String], &'a [String], &'a [String]);

impl<'a> Common<'a> {
    fn of((accounts, unreachable, regions): Covered<'a>, other: Covered<'a>) -> Self {
        let reached = |(accounts, unreachable, _): Covered<'a>| -> BTreeSet<&'a str> {
            accounts
                .iter()
                .filter(|a| !unreachable.contains(a))
                .map(String::as_str)
                .collect()
        };
        let other_regions: BTreeSet<&str> = other.2.iter().map(String::as_str).collect();
        Common {
            accounts: reached((accounts, unreachable, regions))
                .intersection(&reached(other))
                .copied()
                .collect(),
            regions: regions
                .iter()
                .map(String::as_str)
                .filter(|r| other_regions.contains(r))
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.accounts.is_empty() || self.regions.is_empty()
    }

    fn contains(&self, account: &str, region: &str) -> bool {
        self.accounts.contains(account) && self.regions.contains(region)
    }
}

fn covered(report: &RunReport) -> Covered<'_> {
    (
        &report.accounts,
        &report.unreachable_accounts,
        &report.regions,
    )
}

/// A bucket's figures, an empty bucket's being zero; `None` when the run has none for it.
fn figures(bucket: &BucketReport) -> Option<BucketFigures> {
    match (&bucket.figures, bucket.status) {
        (Some(figures), _) => Some(figures.clone()),
        (None, BucketStatus::BucketIsEmpty) => Some(BucketFigures::default()),
        (None, _) => None,
    }
}

/// Whether `previous` may be compared with `current`: another run, succeeded, not a smoke test,
/// finished before `current` started, and covering some of the same accounts and regions.
pub fn comparable(current: &Coverage, previous: &RunReport) -> bool {
    previous.run_id != current.run_id
        && previous.outcome == RunOutcome::Succeeded
        && !previous.is_smoke_test
        && previous.finished_at <= current.since
        && !Common::of(
            (
                &current.accounts,
                &current.unreachable_accounts,
                &current.regions,
            ),
            covered(previous),
        )
        .is_empty()
}

/// `current` compared with `previous` (see the module's rules).
pub fn compare(current: &RunReport, previous: &RunReport) -> Comparison {
    let both = Common::of(covered(current), covered(previous));
    let index = |report: &RunReport| -> BTreeMap<(String, String, String), Option<BucketFigures>> {
        report
            .buckets
            .iter()
            .filter(|b| both.contains(&b.account, &b.region))
            .map(|b| {
                (
                    (b.account.clone(), b.region.clone(), b.bucket.clone()),
                    figures(b),
                )
            })
            .collect()
    };
    let (now, then) = (index(current), index(previous));
    let keys: BTreeSet<_> = now.keys().chain(then.keys()).cloned().collect();
    let mut buckets: Vec<BucketChange> = keys
        .into_iter()
        .filter_map(|key| {
            let change = match (now.get(&key), then.get(&key)) {
                (Some(Some(now)), None) => {
                    (ChangeStatus::New, now.clone(), BucketFigures::default())
                }
                (None, Some(Some(then))) => {
                    (ChangeStatus::Gone, BucketFigures::default(), then.clone())
                }
                (Some(Some(now)), Some(Some(then))) => {
                    let same = now.objects == then.objects
                        && now.bytes == then.bytes
                        && now.bytes_by_storage_class == then.bytes_by_storage_class;
                    let status = if same {
                        ChangeStatus::Same
                    } else {
                        ChangeStatus::Changed
                    };
                    (status, now.clone(), then.clone())
                }
                // Listed without figures in one run: not compared.
                _ => return None,
            };
            let (status, now, then) = change;
            let (account, region, bucket) = key;
            Some(BucketChange {
                account,
                region,
                bucket,
                status,
                objects_delta: now.objects as i64 - then.objects as i64,
                bytes_delta: now.bytes as i64 - then.bytes as i64,
                bytes_by_storage_class_then: then.bytes_by_storage_class,
                bytes_by_storage_class_now: now.bytes_by_storage_class,
            })
        })
        .collect();
    buckets.sort_by(|a, b| {
        (a.status == ChangeStatus::Same)
            .cmp(&(b.status == ChangeStatus::Same))
            .then_with(|| {
                b.bytes_delta
                    .unsigned_abs()
                    .cmp(&a.bytes_delta.unsigned_abs())
            })
            .then_with(|| {
                (&a.account, &a.region, &a.bucket).cmp(&(&b.account, &b.region, &b.bucket))
            })
    });
    Comparison {
        previous_run: previous.run_id.clone(),
        previous_finished_at: previous.finished_at,
        buckets,
        new_public_objects: object_keys(current, NEW_PUBLIC),
        new_secret_like_keys: object_keys(current, NEW_SECRET_LIKE),
        new_public_objects_count: total(current, NEW_PUBLIC_OBJECTS),
        new_secret_like_keys_count: total(current, NEW_SECRET_LIKE_KEYS),
        new_unencrypted_versions: total(current, NEW_UNENCRYPTED_VERSIONS),
    }
}

/// The comparison query of `report`, if it succeeded.
fn succeeded(report: &RunReport) -> Option<&QueryReport> {
    report
        .queries
        .iter()
        .find(|q| q.builtin && q.name == NEW_SINCE_PREVIOUS_RUN && q.state == QueryState::Succeeded)
}

/// The objects the comparison query of `report` flagged (`1`) in its column `finding`.
fn object_keys(report: &RunReport, finding: &str) -> Vec<ObjectKey> {
    let Some(query) = succeeded(report) else {
        return Vec::new();
    };
    let at = |column: &str| query.columns.iter().position(|c| c == column);
    let (Some(account), Some(region), Some(bucket), Some(key), Some(flag)) = (
        at("account"),
        at("region"),
        at("bucket"),
        at("key"),
        at(finding),
    ) else {
        return Vec::new();
    };
    let text = |row: &[Option<String>], i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    query
        .rows
        .iter()
        .filter(|row| text(row, flag) == "1")
        .map(|row| ObjectKey {
            account: text(row, account),
            region: text(row, region),
            bucket: text(row, bucket),
            key: text(row, key),
        })
        .collect()
}

/// A total of the comparison query (its column `name`): the same on every row, 0 when it has no
/// row; `None` when it did not succeed or the total is unreadable.
fn total(report: &RunReport, name: &str) -> Option<u64> {
    let query = succeeded(report)?;
    let column = query.columns.iter().position(|c| c == name)?;
    match query.rows.first() {
        None => Some(0),
        Some(row) => row.get(column)?.as_deref()?.parse().ok(),
    }
}

/// What is new and dangerous since then, in one line: `New since then: ...`.
pub fn findings_line(comparison: &Comparison) -> String {
    let unencrypted = comparison
        .new_unencrypted_versions
        .map_or_else(|| "unknown".to_owned(), super::format::group_thousands);
    let public = comparison.public_count();
    let secret_like = comparison.secret_like_count();
    let versions = if comparison.new_unencrypted_versions == Some(1) {
        "version"
    } else {
        "versions"
    };
    format!(
        "New since then: {public} {} made public by ACL, {secret_like} secret-like {}, {unencrypted} unencrypted {versions}",
        if public == 1 { "object" } else { "objects" },
        if secret_like == 1 { "key" } else { "keys" },
    )
}

/// The comparison's one-line summary: `Since run X of DATE: ...`.
pub fn headline(comparison: &Comparison) -> String {
    let count = |status| {
        comparison
            .buckets
            .iter()
            .filter(|b| b.status == status)
            .count()
    };
    let objects: i64 = comparison.buckets.iter().map(|b| b.objects_delta).sum();
    let bytes: i64 = comparison.buckets.iter().map(|b| b.bytes_delta).sum();
    format!(
        "Since run {} of {}: {} new, {} gone, {} changed and {} unchanged buckets; objects {}, bytes {}",
        comparison.previous_run,
        comparison.previous_finished_at.format("%Y-%m-%d %H:%M UTC"),
        count(ChangeStatus::New),
        count(ChangeStatus::Gone),
        count(ChangeStatus::Changed),
        count(ChangeStatus::Same),
        super::sections::signed_count(objects),
        super::sections::signed_bytes(bytes),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::AthenaReport;
    use chrono::TimeZone;

    fn figures(objects: u64, bytes: u64) -> Option<BucketFigures> {
        Some(BucketFigures {
            objects,
            bytes,
            bytes_by_storage_class: [("STANDARD".to_owned(), bytes)].into(),
            ..BucketFigures::default()
        })
    }

    fn bucket(
        region: &str,
        name: &str,
        status: BucketStatus,
        figures: Option<BucketFigures>,
    ) -> BucketReport {
        BucketReport {
            account: "111111111111".into(),
            region: region.into(),
            bucket: name.into(),
            status,
            reason: None,
            figures,
        }
    }

    fn run(id: &str, day: u32, regions: &[&str], buckets: Vec<BucketReport>) -> RunReport {
        let at = Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0).unwrap();
        RunReport {
            run_id: id.into(),
            deployment: "d".into(),
            outcome: RunOutcome::Succeeded,
            cause: None,
            started_at: at,
            finished_at: at + chrono::Duration::hours(1),
            is_smoke_test: false,
            accounts: vec!["111111111111".into()],
            unreachable_accounts: vec![],
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            athena: AthenaReport {
                database: "db".into(),
                table: "t".into(),
                region: "us-east-1".into(),
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

    use BucketStatus::{BucketIsEmpty, Done, TimedOut};

    fn pair() -> (RunReport, RunReport) {
        let east = "us-east-1";
        let previous = run(
            "r1",
            1,
            &[east],
            vec![
                bucket(east, "kept", Done, figures(5, 500)),
                bucket(east, "grew", Done, figures(5, 500)),
                bucket(east, "emptied", Done, figures(2, 20)),
                bucket(east, "deleted", Done, figures(1, 10)),
                bucket(east, "late-now", Done, figures(1, 10)),
            ],
        );
        let current = run(
            "r2",
            8,
            &[east, "eu-west-1"],
            vec![
                bucket(east, "kept", Done, figures(5, 500)),
                bucket(east, "grew", Done, figures(7, 1500)),
                bucket(east, "emptied", BucketIsEmpty, None),
                bucket(east, "created", Done, figures(3, 30)),
                bucket(east, "late-now", TimedOut, None),
                // Its region was not covered before: not compared.
                bucket("eu-west-1", "elsewhere", Done, figures(9, 90)),
            ],
        );
        (current, previous)
    }

    #[test]
    fn buckets_are_new_gone_changed_or_same_where_both_runs_covered_them() {
        let (current, previous) = pair();
        let comparison = compare(&current, &previous);
        let found: Vec<(&str, ChangeStatus, i64, i64)> = comparison
            .buckets
            .iter()
            .map(|b| (b.bucket.as_str(), b.status, b.objects_delta, b.bytes_delta))
            .collect();
        assert_eq!(
            found,
            [
                ("grew", ChangeStatus::Changed, 2, 1000),
                ("created", ChangeStatus::New, 3, 30),
                ("emptied", ChangeStatus::Changed, -2, -20),
                ("deleted", ChangeStatus::Gone, -1, -10),
                ("kept", ChangeStatus::Same, 0, 0),
            ]
        );
        let grew = &comparison.buckets[0];
        assert_eq!(grew.bytes_by_storage_class_then["STANDARD"], 500);
        assert_eq!(grew.bytes_by_storage_class_now["STANDARD"], 1500);
        assert_eq!(comparison.previous_run, "r1");
        assert_eq!(
            headline(&comparison),
            "Since run r1 of 2026-11-01 11:00 UTC: 1 new, 1 gone, 2 changed and 1 unchanged \
             buckets; objects +2, bytes +1000 B"
        );
    }

    fn comparison_query(rows: &[[&str; 9]]) -> QueryReport {
        let columns = [
            "account",
            "region",
            "bucket",
            "key",
            NEW_PUBLIC,
            NEW_SECRET_LIKE,
            NEW_PUBLIC_OBJECTS,
            NEW_SECRET_LIKE_KEYS,
            NEW_UNENCRYPTED_VERSIONS,
        ];
        let rows: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
        QueryReport::succeeded(NEW_SINCE_PREVIOUS_RUN, &columns, &rows)
    }

    #[test]
    fn the_findings_are_read_from_the_comparison_query_by_flag() {
        let (mut current, previous) = pair();
        let row = |key: &'static str, public: &'static str, secret: &'static str| {
            [
                "111111111111",
                "us-east-1",
                "grew",
                key,
                public,
                secret,
                "40",
                "2",
                "7",
            ]
        };
        current.queries = vec![comparison_query(&[
            row("a.html", "1", "0"),
            row("b/.env", "0", "1"),
            row("c/id_rsa", "1", "1"),
            row("d.csv", "0", "0"),
        ])];
        let comparison = compare(&current, &previous);
        let keys =
            |objects: &[ObjectKey]| objects.iter().map(|o| o.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&comparison.new_public_objects), ["a.html", "c/id_rsa"]);
        assert_eq!(
            keys(&comparison.new_secret_like_keys),
            ["b/.env", "c/id_rsa"]
        );
        assert_eq!(comparison.new_unencrypted_versions, Some(7));
        assert_eq!(comparison.public_count(), 40, "more than the rows listed");
        assert_eq!(comparison.secret_like_count(), 2);

        current.queries = vec![comparison_query(&[])];
        let comparison = compare(&current, &previous);
        assert_eq!(comparison.new_unencrypted_versions, Some(0));
        assert_eq!(comparison.new_public_objects_count, Some(0));
        assert!(comparison.new_public_objects.is_empty());

        current.queries[0].state = QueryState::Failed;
        assert_eq!(compare(&current, &previous).new_unencrypted_versions, None);
    }

    #[test]
    fn the_findings_line_counts_in_words_that_agree() {
        let (current, previous) = pair();
        let mut comparison = compare(&current, &previous);
        let object = ObjectKey {
            account: "111111111111".into(),
            region: "us-east-1".into(),
            bucket: "b".into(),
            key: "k".into(),
        };
        comparison.new_public_objects = vec![object.clone()];
        comparison.new_secret_like_keys = vec![object.clone(), object];
        comparison.new_unencrypted_versions = Some(1);
        assert_eq!(
            findings_line(&comparison),
            "New since then: 1 object made public by ACL, 2 secret-like keys, 1 unencrypted version"
        );
        comparison.new_public_objects.clear();
        comparison.new_unencrypted_versions = None;
        assert_eq!(
            findings_line(&comparison),
            "New since then: 0 objects made public by ACL, 2 secret-like keys, unknown unencrypted versions"
        );
    }

    #[test]
    fn only_an_earlier_successful_full_run_with_common_coverage_is_comparable() {
        let (current, previous) = pair();
        assert!(comparable(&Coverage::of(&current), &previous));
        assert!(
            !comparable(&Coverage::of(&previous), &current),
            "later than the current run"
        );
        assert!(!comparable(&Coverage::of(&current), &current), "itself");
        let mut smoke = previous.clone();
        smoke.is_smoke_test = true;
        assert!(!comparable(&Coverage::of(&current), &smoke));
        let mut failed = previous.clone();
        failed.outcome = RunOutcome::Failed;
        assert!(!comparable(&Coverage::of(&current), &failed));
        let mut elsewhere = previous.clone();
        elsewhere.regions = vec!["ap-southeast-2".into()];
        assert!(!comparable(&Coverage::of(&current), &elsewhere));
        let mut unreachable = previous;
        unreachable.unreachable_accounts = vec!["111111111111".into()];
        assert!(
            !comparable(&Coverage::of(&current), &unreachable),
            "it covered nothing"
        );
    }
}

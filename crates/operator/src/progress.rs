//! How far a run is, counted from its state table items (pure).
//!
//! * **Buckets configured**: buckets the configurator has decided (configured, empty, refused, ...).
//!   Each bucket is recorded first with status `inventory_configuration_not_created` and the reason
//!   [`NOT_CONFIGURED_YET`] (`s3insights::configuration::first_record`), then moved on. The total is known
//!   once every account is recorded (an account record is written after its buckets): its buckets
//!   less the excluded and other-region ones.
//! * **Reports arrived**: among buckets whose configuration was put (`configured`), those past
//!   `in_progress` (a report consolidated, or the monitor's decision: deleted, access lost, emptied,
//!   timed out).
//! * **Queries** are not recorded in the state table (they run in a Distributed Map and are
//!   summarised into `runs/<run>/queries.json` at the end): see [`QueryProgress`].

use std::collections::BTreeMap;

use s3insights::state::NOT_CONFIGURED_YET;
use s3insights::BucketStatus;

use crate::records::RunItems;

/// A run's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Accounts listed in the input (0 before the run is recorded).
    pub accounts_total: u64,
    /// Accounts whose buckets are all handled (or that are unreachable).
    pub accounts_done: u64,
    /// Buckets to configure, once every account is recorded.
    pub buckets_expected: Option<u64>,
    /// Buckets recorded so far.
    pub buckets_recorded: u64,
    /// Buckets the configurator has decided.
    pub buckets_configured: u64,
    /// Buckets waiting or having waited for a report.
    pub reports_expected: u64,
    /// Of those, buckets past `in_progress`.
    pub reports_arrived: u64,
    /// Buckets per status name.
    pub by_status: BTreeMap<&'static str, u64>,
}

impl Progress {
    /// Counts `run`'s items.
    pub fn of(run: &RunItems) -> Self {
        let mut out = Progress {
            accounts_total: run.run.as_ref().map_or(0, |r| r.account_count),
            accounts_done: run.accounts.len() as u64,
            buckets_recorded: run.buckets.len() as u64,
            ..Default::default()
        };
        if out.accounts_total > 0 && out.accounts_done >= out.accounts_total {
            out.buckets_expected = Some(
                run.accounts
                    .iter()
                    .map(|a| a.buckets.saturating_sub(a.excluded + a.other_regions))
                    .sum(),
            );
        }
        for bucket in &run.buckets {
            *out.by_status.entry(bucket.status.as_str()).or_default() += 1;
            let pending = bucket.status == BucketStatus::InventoryConfigurationNotCreated
                && bucket.reason.as_deref() == Some(NOT_CONFIGURED_YET);
            if !pending {
                out.buckets_configured += 1;
            }
            if bucket.configured {
                out.reports_expected += 1;
                if bucket.status != BucketStatus::InProgress {
                    out.reports_arrived += 1;
                }
            }
        }
        out
    }

    /// The length of the "buckets configured" bar: the expected total when known, else what is
    /// recorded so far.
    pub fn buckets_total(&self) -> u64 {
        self.buckets_expected
            .unwrap_or(0)
            .max(self.buckets_recorded)
    }

    /// One line for a log (when progress bars cannot be drawn).
    pub fn line(&self, queries: &QueryProgress, state: Option<&str>) -> String {
        format!(
            "accounts {}/{}, buckets configured {}/{}, reports arrived {}/{}, queries {}, state {}",
            self.accounts_done,
            self.accounts_total,
            self.buckets_configured,
            self.buckets_total(),
            self.reports_arrived,
            self.reports_expected,
            queries.describe(),
            state.unwrap_or("-"),
        )
    }
}

/// What is known of the run's Athena queries: how many are planned (`runs/<run>/query-plan.json`)
/// and how many were summarised (`runs/<run>/queries.json`, written after every query ended).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryProgress {
    /// Queries planned, once the plan is written.
    pub planned: Option<u64>,
    /// Queries summarised (all of them, at once, when the run reaches `SummariseQueries`).
    pub done: Option<u64>,
}

impl QueryProgress {
    /// `done/planned`, `?` for what is not known yet.
    pub fn describe(&self) -> String {
        let show = |n: Option<u64>| n.map_or("?".to_string(), |n| n.to_string());
        format!("{}/{}", show(self.done), show(self.planned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3insights::state::{AccountRecord, BucketRecord, RunRecord};
    use s3insights::BucketStatus;

    fn bucket(status: BucketStatus, reason: Option<&str>, configured: bool) -> BucketRecord {
        BucketRecord {
            pk: "run#r".into(),
            sk: "bucket#111111111111#us-east-1#b".into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            bucket: "b".into(),
            status,
            reason: reason.map(str::to_string),
            in_progress_run: None,
            figures: None,
            manifest_key: None,
            files: 0,
            files_done: 0,
            configured,
            updated_at: "2026-11-26T00:00:00Z".into(),
        }
    }

    #[test]
    fn counts_each_stage() {
        let run = RunItems {
            run: Some(RunRecord {
                account_count: 2,
                ..Default::default()
            }),
            accounts: vec![AccountRecord {
                buckets: 10,
                excluded: 2,
                other_regions: 1,
                ..Default::default()
            }],
            buckets: vec![
                bucket(
                    BucketStatus::InventoryConfigurationNotCreated,
                    Some(NOT_CONFIGURED_YET),
                    false,
                ),
                bucket(
                    BucketStatus::InventoryConfigurationNotCreated,
                    Some("AccessDenied"),
                    false,
                ),
                bucket(BucketStatus::BucketIsEmpty, None, false),
                bucket(BucketStatus::InProgress, None, true),
                bucket(BucketStatus::Done, None, true),
                bucket(BucketStatus::TimedOut, Some("deadline"), true),
            ],
        };
        let p = Progress::of(&run);
        assert_eq!((p.accounts_done, p.accounts_total), (1, 2));
        assert_eq!(p.buckets_expected, None, "one account still to come");
        assert_eq!(p.buckets_total(), 6);
        assert_eq!(p.buckets_configured, 5);
        assert_eq!((p.reports_arrived, p.reports_expected), (2, 3));
        assert_eq!(p.by_status["inventory_configuration_not_created"], 2);
        assert_eq!(p.by_status["done"], 1);
    }

    #[test]
    fn the_total_is_known_once_every_account_is_recorded() {
        let run = RunItems {
            run: Some(RunRecord {
                account_count: 1,
                ..Default::default()
            }),
            accounts: vec![AccountRecord {
                buckets: 10,
                excluded: 2,
                other_regions: 1,
                ..Default::default()
            }],
            buckets: vec![bucket(BucketStatus::Done, None, true)],
        };
        let p = Progress::of(&run);
        assert_eq!(p.buckets_expected, Some(7));
        assert_eq!(p.buckets_total(), 7);
    }

    #[test]
    fn nothing_recorded_yet() {
        let p = Progress::of(&RunItems::default());
        assert_eq!(p, Progress::default());
        assert_eq!(
            p.line(&QueryProgress::default(), None),
            "accounts 0/0, buckets configured 0/0, reports arrived 0/0, queries ?/?, state -"
        );
        let q = QueryProgress {
            planned: Some(12),
            done: None,
        };
        assert_eq!(q.describe(), "?/12");
    }
}

//! The run monitor's decisions: which waiting buckets one check looks at, when waiting buckets time
//! out, which new statuses need the run's configuration removed, and how long to wait before the
//! next check. What one look at a waiting bucket means is [`crate::probe::Probe::while_waiting`].
//!
//! **A check costs the same however many buckets wait.** Reports arriving are the processor's work;
//! the monitor looks for what no report will say (a bucket deleted, emptied or out of reach) at a
//! bounded rate: each check looks at the next [`LOOKS_PER_CHECK`] waiting buckets in the order of the
//! `InProgress` index, from where the previous check stopped (the run's `probe_cursor`), starting
//! over after the last one. With `W` buckets waiting, each is looked at once every `⌈W / 100⌉`
//! checks. At the deadline, each check times out at most [`TIMEOUTS_PER_CHECK`] of them and asks to
//! be called again at once until none waits.

use chrono::{DateTime, Utc};

use crate::BucketStatus;

/// Waiting buckets one check looks at, at most.
pub const LOOKS_PER_CHECK: usize = 100;

/// Waiting buckets one check times out past the deadline, at most.
pub const TIMEOUTS_PER_CHECK: usize = 1_000;

/// Where the next check starts looking, after this one looked at `page` (the sort keys of the
/// waiting buckets it read, in index order, having asked for `limit`): after the last one, or from
/// the beginning when the page was the end of the index.
pub fn next_cursor(page: &[String], limit: usize) -> Option<String> {
    if page.len() < limit {
        None
    } else {
        page.last().cloned()
    }
}

/// The run's deadline (RFC 3339, as the run record stores it).
pub fn parse_deadline(deadline: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(deadline).map(|d| d.with_timezone(&Utc))
}

/// Whether the run's deadline has passed: every bucket still waiting then times out, unlooked at.
pub fn past_deadline(now: DateTime<Utc>, deadline: DateTime<Utc>) -> bool {
    now >= deadline
}

/// The status and reason of a bucket still waiting at the deadline (`deadline` as stored).
pub fn timed_out(deadline: &str) -> (BucketStatus, String) {
    (
        BucketStatus::TimedOut,
        format!("no report by the run's deadline {deadline}"),
    )
}

/// Whether a bucket that moved to `status` while waiting should have the run's configuration
/// removed now (S3 would go on delivering daily reports): not when the bucket is gone or the role
/// cannot reach it, where a removal cannot succeed and Cleanup tries again.
pub fn removes_configuration(status: BucketStatus) -> bool {
    status != BucketStatus::BucketAccessLost && status != BucketStatus::BucketNotAvailable
}

/// Seconds until the next check: the configured interval, but never past the deadline, and at
/// least one.
pub fn wait_seconds(interval_seconds: u64, now: DateTime<Utc>, deadline: DateTime<Utc>) -> u64 {
    let until_deadline = (deadline - now).num_seconds().max(1) as u64;
    interval_seconds.min(until_deadline).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        parse_deadline(text).unwrap()
    }

    #[test]
    fn the_deadline_is_rfc3339_and_passes_at_its_second() {
        let deadline = at("2026-11-26T10:00:00Z");
        assert!(!past_deadline(at("2026-11-26T09:59:59Z"), deadline));
        assert!(past_deadline(deadline, deadline));
        assert!(parse_deadline("tomorrow").is_err());
        assert_eq!(
            timed_out("2026-11-26T10:00:00Z"),
            (
                BucketStatus::TimedOut,
                "no report by the run's deadline 2026-11-26T10:00:00Z".into()
            )
        );
    }

    #[test]
    fn the_wait_never_passes_the_deadline() {
        let deadline = at("2026-11-26T10:00:00Z");
        assert_eq!(wait_seconds(900, at("2026-11-26T09:00:00Z"), deadline), 900);
        assert_eq!(wait_seconds(900, at("2026-11-26T09:59:00Z"), deadline), 60);
        assert_eq!(wait_seconds(900, at("2026-11-26T11:00:00Z"), deadline), 1);
        assert_eq!(wait_seconds(0, at("2026-11-26T09:00:00Z"), deadline), 1);
    }

    #[test]
    fn checks_look_at_the_waiting_buckets_in_turn() {
        let keys: Vec<String> = (0..250).map(|i| format!("bucket#{i:03}")).collect();
        // Three checks look at 100, 100 and 50 buckets, then start over.
        let first = next_cursor(&keys[..100], LOOKS_PER_CHECK);
        assert_eq!(first.as_deref(), Some("bucket#099"));
        let second = next_cursor(&keys[100..200], LOOKS_PER_CHECK);
        assert_eq!(second.as_deref(), Some("bucket#199"));
        assert_eq!(next_cursor(&keys[200..], LOOKS_PER_CHECK), None);
        assert_eq!(next_cursor(&[], LOOKS_PER_CHECK), None);
    }

    #[test]
    fn configurations_are_removed_unless_the_bucket_is_out_of_reach() {
        let removed: Vec<BucketStatus> = BucketStatus::ALL
            .into_iter()
            .filter(|s| removes_configuration(*s))
            .collect();
        assert!(removed.contains(&BucketStatus::TimedOut));
        assert!(removed.contains(&BucketStatus::BucketIsEmpty));
        assert!(!removed.contains(&BucketStatus::BucketAccessLost));
        assert!(!removed.contains(&BucketStatus::BucketNotAvailable));
    }
}

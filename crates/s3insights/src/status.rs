//! What happened to each source bucket during a run.
//!
//! The names are the original S3Insights' statuses (its users' troubleshooting guides refer to them),
//! plus `report_invalid` and `timed_out`, which the original could not tell apart from success.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A source bucket's status within one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BucketStatus {
    /// The inventory configuration could not be put (permissions, SCP); the reason says why.
    InventoryConfigurationNotCreated,
    /// The configuration is in place; the report has not been consolidated yet.
    InProgress,
    /// The report arrived, every data file matched its MD5 and was consolidated.
    Done,
    /// The bucket holds no object versions: S3 delivers no report for it.
    BucketIsEmpty,
    /// The bucket was deleted (or left the run's regions) during the run.
    BucketNotAvailable,
    /// The cross-account role can no longer read the bucket.
    BucketAccessLost,
    /// The report arrived but could not be consolidated (MD5 mismatch, unreadable file).
    ReportInvalid,
    /// The run's inventory deadline passed before the report arrived.
    TimedOut,
}

/// How a status reads in summaries: finished well, nothing to report, failed, or still waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusGroup {
    /// The report was consolidated.
    Done,
    /// Empty bucket: nothing to consolidate.
    Empty,
    /// Something went wrong; the bucket's reason says what.
    Failed,
    /// The deadline passed.
    TimedOut,
    /// Still waiting for the report.
    InProgress,
}

impl BucketStatus {
    /// Every status, in the order reports list them.
    pub const ALL: [BucketStatus; 8] = [
        BucketStatus::Done,
        BucketStatus::BucketIsEmpty,
        BucketStatus::InProgress,
        BucketStatus::TimedOut,
        BucketStatus::ReportInvalid,
        BucketStatus::BucketAccessLost,
        BucketStatus::BucketNotAvailable,
        BucketStatus::InventoryConfigurationNotCreated,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            BucketStatus::InventoryConfigurationNotCreated => "inventory_configuration_not_created",
            BucketStatus::InProgress => "in_progress",
            BucketStatus::Done => "done",
            BucketStatus::BucketIsEmpty => "bucket_is_empty",
            BucketStatus::BucketNotAvailable => "bucket_not_available",
            BucketStatus::BucketAccessLost => "bucket_access_lost",
            BucketStatus::ReportInvalid => "report_invalid",
            BucketStatus::TimedOut => "timed_out",
        }
    }

    /// The summary group of this status.
    pub fn group(self) -> StatusGroup {
        match self {
            BucketStatus::Done => StatusGroup::Done,
            BucketStatus::BucketIsEmpty => StatusGroup::Empty,
            BucketStatus::InProgress => StatusGroup::InProgress,
            BucketStatus::TimedOut => StatusGroup::TimedOut,
            BucketStatus::InventoryConfigurationNotCreated
            | BucketStatus::BucketNotAvailable
            | BucketStatus::BucketAccessLost
            | BucketStatus::ReportInvalid => StatusGroup::Failed,
        }
    }

    /// Whether the monitor is still waiting on this bucket.
    pub fn is_terminal(self) -> bool {
        self != BucketStatus::InProgress
    }
}

impl fmt::Display for BucketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored status name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown bucket status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for BucketStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BucketStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for status in BucketStatus::ALL {
            assert_eq!(status.as_str().parse::<BucketStatus>().unwrap(), status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert!("finished".parse::<BucketStatus>().is_err());
    }

    #[test]
    fn only_in_progress_keeps_the_monitor_waiting() {
        let waiting: Vec<_> = BucketStatus::ALL
            .into_iter()
            .filter(|s| !s.is_terminal())
            .collect();
        assert_eq!(waiting, vec![BucketStatus::InProgress]);
    }
}

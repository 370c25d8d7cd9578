//! The state table's records: one partition per run, never wiped. The records are pure data, so the
//! functions that write them (`s3insights-aws`) and the operator CLI that reads them share one
//! definition; so is a bucket's [`BucketChange`], what a decision writes.
//!
//! | pk | sk | item |
//! |---|---|---|
//! | `run#<run_id>` | `run` | [`RunRecord`] |
//! | `run#<run_id>` | `account#<account>` | [`AccountRecord`] |
//! | `run#<run_id>` | `region#<region>` | [`StagingStackRecord`] |
//! | `run#<run_id>` | `bucket#<account>#<region>#<bucket>` | [`BucketRecord`] |

use serde::{Deserialize, Serialize};

use crate::{BucketFigures, BucketStatus};

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Recorded, input stored; staging stacks and configurations on their way.
    #[default]
    Running,
    /// Report sent and transient resources removed.
    Succeeded,
    /// A step failed; `error` and `cause` say which and why.
    Failed,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }
}

/// The reason a bucket is first recorded with (`inventory_configuration_not_created`), before the
/// configurator decides it: how the operator CLI tells "not decided yet" from a refusal.
pub const NOT_CONFIGURED_YET: &str = "not configured yet";

/// Value of `cleanup_pending` on runs whose transient resources may remain.
pub const CLEANUP_PENDING: &str = "pending";

/// One Harvester run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunRecord {
    /// `run#<run_id>`.
    pub pk: String,
    /// `run`.
    pub sk: String,
    /// The run id.
    pub run_id: String,
    /// Life-cycle status.
    pub status: RunStatus,
    /// The Harvester execution that owns the run.
    pub execution_id: String,
    /// When the run was recorded (RFC 3339).
    pub created_at: String,
    /// When waiting buckets become `timed_out` (RFC 3339).
    pub deadline: String,
    /// Regions covered.
    pub regions: Vec<String>,
    /// Accounts listed.
    pub account_count: u64,
    /// Smoke test.
    pub is_smoke_test: bool,
    /// Athena database.
    pub database: String,
    /// Athena table.
    pub table: String,
    /// `pending` while transient resources may remain (sparse index key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup_pending: Option<String>,
    /// The failing step's error type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failing step's cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// When the run ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Notes for the report (unverified email identities, an email that could not be sent).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The last Cleanup's outcome (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<String>,
    /// Where the run monitor's next check starts looking (the sort key of the last waiting bucket
    /// it looked at; none: from the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_cursor: Option<String>,
}

/// How an account fared in discovery.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountRecord {
    /// `run#<run_id>`.
    pub pk: String,
    /// `account#<account>`.
    pub sk: String,
    /// Account id.
    pub account: String,
    /// `configured` or `unreachable`.
    pub status: String,
    /// Why it is unreachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Buckets the account owns.
    pub buckets: u64,
    /// Buckets left alone because the input excludes them.
    pub excluded: u64,
    /// Buckets in regions the run does not cover.
    pub other_regions: u64,
    /// The last removal of inventory configurations (JSON `{removed, not_removed: [...]}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal: Option<String>,
}

/// A run's staging stack in one region (`regional-transient.yaml`, stack `<D>-<run>-staging`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StagingStackRecord {
    /// `run#<run_id>`.
    pub pk: String,
    /// `region#<region>`.
    pub sk: String,
    /// Region.
    pub region: String,
    /// Stack name.
    pub stack_name: String,
    /// Staging bucket name.
    pub staging_bucket: String,
    /// Last stack status seen.
    pub stack_status: String,
    /// Deletion attempts so far.
    #[serde(default)]
    pub delete_attempts: u32,
    /// Why the stack could not be removed, once attempts are exhausted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_removed: Option<String>,
}

/// A source bucket within a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketRecord {
    /// `run#<run_id>`.
    pub pk: String,
    /// `bucket#<account>#<region>#<bucket>`.
    pub sk: String,
    /// Owner account.
    pub account: String,
    /// Bucket region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Status.
    pub status: BucketStatus,
    /// Why, for every status but `done` and `in_progress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The run id while the bucket waits for its report (sparse index key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress_run: Option<String>,
    /// Figures of the consolidated report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<BucketFigures>,
    /// The manifest that was consolidated (duplicates of it are ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_key: Option<String>,
    /// Data files of the report being or having been consolidated (each written as one file).
    #[serde(default)]
    pub files: u64,
    /// Data files consolidated so far (the report is complete when it reaches `files`).
    #[serde(default)]
    pub files_done: u64,
    /// Whether the configuration was put (so removal is needed).
    #[serde(default)]
    pub configured: bool,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// Partition key of a run.
pub fn run_pk(run_id: &str) -> String {
    format!("run#{run_id}")
}

/// Sort key of a bucket.
pub fn bucket_sk(account: &str, region: &str, bucket: &str) -> String {
    format!("bucket#{account}#{region}#{bucket}")
}

/// Sort key of an account.
pub fn account_sk(account: &str) -> String {
    format!("account#{account}")
}

/// Sort key of the staging stack in `region` (`region#<region>`: one staging stack per region).
pub fn staging_stack_sk(region: &str) -> String {
    format!("region#{region}")
}

/// What a bucket transition writes besides the status: the one shape every decision about a bucket
/// takes, whichever function makes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketChange<'a> {
    /// The new status.
    pub to: BucketStatus,
    /// Why (removed when `None`).
    pub reason: Option<&'a str>,
    /// Figures of the consolidated report.
    pub figures: Option<&'a BucketFigures>,
    /// The consolidated manifest.
    pub manifest_key: Option<&'a str>,
    /// Consolidated files written.
    pub files: Option<u64>,
    /// Whether our configuration is on the bucket.
    pub configured: Option<bool>,
}

impl<'a> BucketChange<'a> {
    /// A change to `to` and nothing else.
    pub fn to(to: BucketStatus) -> Self {
        Self {
            to,
            reason: None,
            figures: None,
            manifest_key: None,
            files: None,
            configured: None,
        }
    }

    /// With a reason.
    pub fn because(mut self, reason: &'a str) -> Self {
        self.reason = Some(reason);
        self
    }
}

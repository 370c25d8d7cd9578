//! A deterministic S3 estate to harvest: the demo's and the integration tests' accounts, buckets and
//! objects, and exactly what a correct inventory of them reports.
//!
//! [`EstateSpec::plan`] turns a spec into an [`EstatePlan`] without touching the network: every
//! bucket (its account, region, name, kind, theme) and the S3 calls that fill it, in phases. The
//! expected figures of each bucket come from replaying those calls on a model of S3 versioning, so
//! they agree with what the calls create by construction. [`seed`] makes the calls against the local
//! AWS (concurrently, each bucket as its owning account, a bucket left from an earlier seeding of the
//! same plan removed first) and returns the [`SeededEstate`]; [`SeededEstate::check_report`]
//! compares it with a run's `summary.json`.
//!
//! What an estate holds, by bucket (the pattern repeats every eight buckets, in account, region,
//! index order):
//! - **plain** buckets (unversioned): objects put, some overwritten in place, some deleted;
//! - **versioned** buckets: objects put, some overwritten (up to three versions), some deleted (a
//!   delete marker each) and a few of those put again — so noncurrent versions and delete markers,
//!   current and not;
//! - **empty** buckets: nothing at all (`bucket_is_empty` in the report);
//! - one versioned bucket whose every key was deleted (the tenth bucket, if there are that many):
//!   no current object, only noncurrent versions and delete markers.
//!
//! Keys look like what such buckets hold (photos, load-balancer and application logs, database
//! backups, source trees, data-lake partitions), with sizes from a few bytes to a few dozen KiB and
//! storage classes to match (archive classes for backups, infrequent access for old media), plus
//! names that must be reported with care: credential files (`.env`, `id_rsa`, `terraform.tfstate`,
//! `credentials.json`), and hostile or awkward names (`<script>alert(1)</script>.html`,
//! `a"quote'.txt`, spaces, non-Latin scripts, emoji, a right-to-left override). Bodies are one
//! repeated byte: sizes are what matter.
//!
//! The parts, one job each: `plan` (the buckets and their calls), `keys` (realistic and hostile
//! keys, sizes and storage classes; both draw from `splitmix`, one stream per bucket), `model` (the S3
//! versioning model that gives the expected figures), `seed` (making the calls) and `check`
//! (comparing a report with what was seeded).

use std::ops::RangeInclusive;

mod check;
mod keys;
mod model;
mod plan;
mod seed;

pub use check::{EstateTotals, ReportCheck};
pub use model::ExpectedFigures;
pub use seed::{seed, seed_reporting};

/// What estate to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateSpec {
    /// Owning accounts (12-digit ids); buckets are created as each.
    pub accounts: Vec<String>,
    /// Regions; every account gets buckets in each.
    pub regions: Vec<String>,
    /// Buckets per account and region.
    pub buckets_per_account_region: usize,
    /// Distinct keys per non-empty bucket (drawn per bucket).
    pub objects_per_bucket: RangeInclusive<usize>,
    /// Same seed, same estate.
    pub seed: u64,
    /// First part of every bucket name (lower-case letters, digits and `-`); bucket names are
    /// `<prefix>-<account>-<region>-<index>-<theme>`, so one prefix per estate keeps them unique.
    pub name_prefix: String,
    /// S3 calls in flight while seeding.
    pub concurrency: usize,
}

impl EstateSpec {
    /// The demo's estate: the host account and two members, three regions, four buckets in each
    /// (36 buckets: 5 empty, 13 versioned) and 40 to 180 keys per non-empty bucket (about 3,500
    /// objects and 4,500 object versions).
    pub fn demo(accounts: &[&str]) -> Self {
        Self {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            regions: ["us-east-1", "eu-west-1", "ap-southeast-2"]
                .map(String::from)
                .to_vec(),
            buckets_per_account_region: 4,
            objects_per_bucket: 40..=180,
            seed: 2024,
            name_prefix: "demo".into(),
            concurrency: 32,
        }
    }
}

/// Why an estate could not be planned or seeded.
#[derive(Debug, thiserror::Error)]
pub enum EstateError {
    /// The spec names something S3 would refuse.
    #[error("invalid estate: {0}")]
    Invalid(String),
    /// An S3 call failed.
    #[error("{action}: {message}")]
    Api {
        /// What was being done.
        action: String,
        /// What S3 answered.
        message: String,
    },
}

/// What kind of bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BucketKind {
    /// Versioning never enabled: an overwrite replaces, a delete removes.
    Plain,
    /// Versioning enabled: overwrites keep noncurrent versions, deletes leave delete markers.
    Versioned,
    /// Versioning enabled, then every key deleted: nothing current, only history.
    VersionedAllDeleted,
    /// No object at all.
    Empty,
}

impl BucketKind {
    /// Short name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            BucketKind::Plain => "plain",
            BucketKind::Versioned => "versioned",
            BucketKind::VersionedAllDeleted => "versioned, all deleted",
            BucketKind::Empty => "empty",
        }
    }

    /// Whether versioning is enabled on the bucket.
    pub fn is_versioned(self) -> bool {
        matches!(
            self,
            BucketKind::Versioned | BucketKind::VersionedAllDeleted
        )
    }
}

/// What a bucket holds, which decides its keys, sizes and storage classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Theme {
    /// Photos and videos.
    Media,
    /// Application, load-balancer and CDN logs.
    Logs,
    /// Database dumps and host archives.
    Backups,
    /// A source tree and build output.
    Code,
    /// A data lake: partitioned Parquet, exports, raw events.
    Data,
}

impl Theme {
    const ALL: [Theme; 5] = [
        Theme::Logs,
        Theme::Media,
        Theme::Backups,
        Theme::Data,
        Theme::Code,
    ];

    /// The word used in bucket names.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Media => "media",
            Theme::Logs => "logs",
            Theme::Backups => "backups",
            Theme::Code => "code",
            Theme::Data => "data",
        }
    }
}

/// One S3 call of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// PutObject of `size` bytes (all `fill`) in `storage_class`.
    Put {
        /// Object key.
        key: String,
        /// Body length.
        size: u64,
        /// Storage class (`STANDARD` is sent as no header, as most writers do).
        storage_class: &'static str,
        /// The byte the body repeats.
        fill: u8,
    },
    /// DeleteObject without a version id: removes the object, or adds a delete marker when the bucket
    /// is versioned.
    Delete {
        /// Object key.
        key: String,
    },
}

impl Op {
    fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Delete { key } => key,
        }
    }
}

/// One bucket of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketPlan {
    /// Owning account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Bucket name.
    pub name: String,
    /// Kind.
    pub kind: BucketKind,
    /// Theme.
    pub theme: Theme,
    /// The calls, phase by phase: calls of one phase touch distinct keys (so run concurrently); a
    /// phase starts when the previous one has ended.
    pub phases: Vec<Vec<Op>>,
    /// What an inventory of the bucket reports once every phase has run.
    pub expected: ExpectedFigures,
}

/// The plan of a whole estate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstatePlan {
    /// Every bucket, in account, region, index order.
    pub buckets: Vec<BucketPlan>,
}

/// A bucket as seeded: where it is and what its inventory must report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededBucket {
    /// Owning account.
    pub account: String,
    /// Region.
    pub region: String,
    /// Bucket name.
    pub name: String,
    /// Kind.
    pub kind: BucketKind,
    /// What its inventory reports.
    pub expected: ExpectedFigures,
}

/// What [`seed`] created.
#[derive(Debug, Clone, PartialEq)]
pub struct SeededEstate {
    /// Every bucket created, in account, region, index order.
    pub buckets: Vec<SeededBucket>,
    /// PutObject calls made.
    pub puts: usize,
    /// DeleteObject calls made.
    pub deletes: usize,
    /// Buckets left by an earlier seeding that were removed first.
    pub replaced: usize,
    /// Wall-clock seconds of the whole seeding.
    pub seconds: f64,
}

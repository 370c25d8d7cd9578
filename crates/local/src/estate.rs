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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::RangeInclusive;
use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ObjectIdentifier, StorageClass, VersioningConfiguration,
};
use futures::stream::{self, StreamExt, TryStreamExt};
use s3insights::report::{BucketReport, RunReport};
use s3insights::{BucketFigures, BucketStatus};

use crate::sdk::Target;

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

    /// The plan: every bucket and the calls that fill it. Fails on a name S3 would refuse.
    pub fn plan(&self) -> Result<EstatePlan, EstateError> {
        let mut problems = Vec::new();
        if !valid_prefix(&self.name_prefix) {
            problems.push(format!(
                "name prefix {:?} must be lower-case letters, digits and '-', starting with a letter or digit",
                self.name_prefix
            ));
        }
        for account in &self.accounts {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                problems.push(format!("account {account:?} is not a 12-digit id"));
            }
        }
        if self.objects_per_bucket.is_empty() {
            problems.push(format!(
                "objects per bucket {:?} is an empty range",
                self.objects_per_bucket
            ));
        }
        if self.concurrency == 0 {
            problems.push("concurrency must be at least 1".into());
        }
        let mut buckets = Vec::new();
        let mut global = 0usize;
        for account in &self.accounts {
            for region in &self.regions {
                for index in 0..self.buckets_per_account_region {
                    let kind = BucketKind::of(global);
                    let theme = Theme::ALL[global % Theme::ALL.len()];
                    let name = format!(
                        "{}-{account}-{region}-{index}-{}",
                        self.name_prefix,
                        theme.as_str()
                    );
                    if name.len() > 63 {
                        problems.push(format!("bucket name {name} is longer than 63 characters"));
                    }
                    let bucket = plan_bucket(self, account, region, name, kind, theme, global);
                    buckets.push(bucket);
                    global += 1;
                }
            }
        }
        if problems.is_empty() {
            Ok(EstatePlan { buckets })
        } else {
            Err(EstateError::Invalid(problems.join("; ")))
        }
    }
}

fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 20
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !prefix.starts_with('-')
        && !prefix.ends_with('-')
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

fn api<E: std::error::Error + 'static>(action: impl Into<String>) -> impl FnOnce(E) -> EstateError {
    let action = action.into();
    move |e| EstateError::Api {
        action,
        message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
    }
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
    /// The kind of the `global`-th bucket of an estate.
    fn of(global: usize) -> Self {
        if global == 9 {
            return BucketKind::VersionedAllDeleted;
        }
        match global % 8 {
            1 | 4 | 6 => BucketKind::Versioned,
            3 => BucketKind::Empty,
            _ => BucketKind::Plain,
        }
    }

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

/// What a correct inventory report (all versions) of a bucket counts: the figures the report's
/// `summary.json` must show for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedFigures {
    /// Every version and delete marker.
    pub rows: u64,
    /// Current versions that are not delete markers.
    pub objects: u64,
    /// Versions neither current nor delete markers.
    pub noncurrent_versions: u64,
    /// Delete markers, current or not.
    pub delete_markers: u64,
    /// Bytes of every version.
    pub bytes: u64,
    /// Bytes of current versions.
    pub current_bytes: u64,
    /// Bytes of noncurrent versions.
    pub noncurrent_bytes: u64,
    /// Bytes per storage class over every version (a class appears when a version is in it, even
    /// with 0 bytes).
    pub bytes_by_storage_class: BTreeMap<String, u64>,
}

impl ExpectedFigures {
    /// Replay `phases` on a model of S3: unversioned, an overwrite replaces and a delete removes;
    /// versioned, every put is a new version and every delete a new delete marker.
    fn replay(phases: &[Vec<Op>], versioned: bool) -> Self {
        // Per key: its versions, oldest first; `None` is a delete marker.
        let mut keys: BTreeMap<&str, Vec<Option<(u64, &'static str)>>> = BTreeMap::new();
        for op in phases.iter().flatten() {
            let versions = keys.entry(op.key()).or_default();
            match op {
                Op::Put {
                    size,
                    storage_class,
                    ..
                } => {
                    if !versioned {
                        versions.clear();
                    }
                    versions.push(Some((*size, storage_class)));
                }
                Op::Delete { .. } => {
                    if versioned {
                        versions.push(None);
                    } else {
                        versions.clear();
                    }
                }
            }
        }
        let mut out = ExpectedFigures::default();
        for versions in keys.values() {
            let count = versions.len();
            for (i, version) in versions.iter().enumerate() {
                out.rows += 1;
                let current = i + 1 == count;
                match version {
                    None => out.delete_markers += 1,
                    Some((size, class)) => {
                        out.bytes += size;
                        *out.bytes_by_storage_class
                            .entry(class.to_string())
                            .or_default() += size;
                        if current {
                            out.objects += 1;
                            out.current_bytes += size;
                        } else {
                            out.noncurrent_versions += 1;
                            out.noncurrent_bytes += size;
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether the bucket holds no version and no delete marker (S3 delivers no report for it).
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// How `figures` differ from these, one line per field (empty when they agree).
    pub fn differences(&self, figures: &BucketFigures) -> Vec<String> {
        let mut out = Vec::new();
        let mut field = |name: &str, expected: u64, found: u64| {
            if expected != found {
                out.push(format!("{name}: seeded {expected}, reported {found}"));
            }
        };
        field("rows", self.rows, figures.rows);
        field("objects", self.objects, figures.objects);
        field(
            "noncurrent_versions",
            self.noncurrent_versions,
            figures.noncurrent_versions,
        );
        field(
            "delete_markers",
            self.delete_markers,
            figures.delete_markers,
        );
        field("bytes", self.bytes, figures.bytes);
        field("current_bytes", self.current_bytes, figures.current_bytes);
        field(
            "noncurrent_bytes",
            self.noncurrent_bytes,
            figures.noncurrent_bytes,
        );
        if self.bytes_by_storage_class != figures.bytes_by_storage_class {
            out.push(format!(
                "bytes_by_storage_class: seeded {:?}, reported {:?}",
                self.bytes_by_storage_class, figures.bytes_by_storage_class
            ));
        }
        out
    }
}

/// The plan of a whole estate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstatePlan {
    /// Every bucket, in account, region, index order.
    pub buckets: Vec<BucketPlan>,
}

impl EstatePlan {
    /// S3 calls the plan makes (puts, deletes).
    pub fn calls(&self) -> (usize, usize) {
        let ops = self.buckets.iter().flat_map(|b| b.phases.iter().flatten());
        ops.fold((0, 0), |(puts, deletes), op| match op {
            Op::Put { .. } => (puts + 1, deletes),
            Op::Delete { .. } => (puts, deletes + 1),
        })
    }
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

/// [`seed_reporting`] without progress lines.
pub async fn seed(target: &Target, spec: &EstateSpec) -> Result<SeededEstate, EstateError> {
    seed_reporting(target, spec, |_| {}).await
}

/// Create the estate of `spec` in the local AWS `target` points at (its account is not used: each
/// bucket is created and filled as its owning account), calling `progress` with one line per step.
/// A bucket of the plan that already exists (an earlier seeding) is emptied of every version and
/// deleted first, so seeding the same spec twice gives the same estate.
pub async fn seed_reporting(
    target: &Target,
    spec: &EstateSpec,
    progress: impl Fn(&str),
) -> Result<SeededEstate, EstateError> {
    let begun = Instant::now();
    let plan = spec.plan()?;
    let mut clients: HashMap<(String, String), aws_sdk_s3::Client> = HashMap::new();
    for bucket in &plan.buckets {
        clients
            .entry((bucket.account.clone(), bucket.region.clone()))
            .or_insert_with(|| {
                target
                    .as_account(&bucket.account)
                    .in_region(&bucket.region)
                    .s3()
            });
    }
    let client = |b: &BucketPlan| clients[&(b.account.clone(), b.region.clone())].clone();

    // Remove what an earlier seeding left, then create every bucket.
    let replaced: Vec<bool> = stream::iter(plan.buckets.iter())
        .map(|b| {
            let s3 = client(b);
            async move { remove_if_present(&s3, &b.name).await }
        })
        .buffer_unordered(spec.concurrency)
        .try_collect()
        .await?;
    let replaced = replaced.into_iter().filter(|r| *r).count();
    stream::iter(plan.buckets.iter())
        .map(|b| {
            let s3 = client(b);
            async move { create_bucket(&s3, b).await }
        })
        .buffer_unordered(spec.concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    let versioned = plan
        .buckets
        .iter()
        .filter(|b| b.kind.is_versioned())
        .count();
    progress(&format!(
        "created {} buckets ({versioned} versioned){} in {:.1} s",
        plan.buckets.len(),
        if replaced > 0 {
            format!(", replacing {replaced} left by an earlier seeding")
        } else {
            String::new()
        },
        begun.elapsed().as_secs_f64()
    ));

    let phases = plan
        .buckets
        .iter()
        .map(|b| b.phases.len())
        .max()
        .unwrap_or(0);
    let (mut puts, mut deletes) = (0usize, 0usize);
    for phase in 0..phases {
        let started = Instant::now();
        let calls: Vec<(aws_sdk_s3::Client, &str, &Op)> = plan
            .buckets
            .iter()
            .flat_map(|b| {
                let s3 = client(b);
                b.phases
                    .get(phase)
                    .into_iter()
                    .flatten()
                    .map(move |op| (s3.clone(), b.name.as_str(), op))
            })
            .collect();
        let (p, d) = calls.iter().fold((0, 0), |(p, d), (_, _, op)| match op {
            Op::Put { .. } => (p + 1, d),
            Op::Delete { .. } => (p, d + 1),
        });
        stream::iter(calls)
            .map(|(s3, bucket, op)| async move { apply(&s3, bucket, op).await })
            .buffer_unordered(spec.concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        puts += p;
        deletes += d;
        let seconds = started.elapsed().as_secs_f64();
        progress(&format!(
            "{}: {p} puts, {d} deletes in {seconds:.1} s ({:.0} calls/s)",
            PHASE_NAMES.get(phase).copied().unwrap_or("more"),
            (p + d) as f64 / seconds.max(0.001)
        ));
    }
    Ok(SeededEstate {
        buckets: plan
            .buckets
            .into_iter()
            .map(|b| SeededBucket {
                account: b.account,
                region: b.region,
                name: b.name,
                kind: b.kind,
                expected: b.expected,
            })
            .collect(),
        puts,
        deletes,
        replaced,
        seconds: begun.elapsed().as_secs_f64(),
    })
}

const PHASE_NAMES: [&str; 5] = [
    "objects",
    "overwrites",
    "second overwrites",
    "deletes",
    "keys put again after deletion",
];

async fn remove_if_present(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, EstateError> {
    if s3.head_bucket().bucket(bucket).send().await.is_err() {
        return Ok(false);
    }
    let mut key_marker = None;
    let mut version_marker = None;
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .send()
            .await
            .map_err(api(format!("list versions of {bucket}")))?;
        let ids: Vec<ObjectIdentifier> = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key?)
                    .set_version_id(version.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect();
        for chunk in ids.chunks(1000) {
            let delete = Delete::builder()
                .set_objects(Some(chunk.to_vec()))
                .quiet(true)
                .build()
                .map_err(|e| EstateError::Api {
                    action: format!("empty {bucket}"),
                    message: e.to_string(),
                })?;
            s3.delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(api(format!("empty {bucket}")))?;
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
    s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(api(format!("delete {bucket}")))?;
    Ok(true)
}

async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &BucketPlan) -> Result<(), EstateError> {
    // us-east-1 takes no location constraint; every other region requires its own.
    let location = (bucket.region != "us-east-1").then(|| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(bucket.region.as_str()))
            .build()
    });
    s3.create_bucket()
        .bucket(&bucket.name)
        .set_create_bucket_configuration(location)
        .send()
        .await
        .map_err(api(format!(
            "create bucket {} as {}",
            bucket.name, bucket.account
        )))?;
    if bucket.kind.is_versioned() {
        s3.put_bucket_versioning()
            .bucket(&bucket.name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(api(format!("enable versioning of {}", bucket.name)))?;
    }
    Ok(())
}

async fn apply(s3: &aws_sdk_s3::Client, bucket: &str, op: &Op) -> Result<(), EstateError> {
    match op {
        Op::Put {
            key,
            size,
            storage_class,
            fill,
        } => {
            let class = (*storage_class != "STANDARD").then(|| StorageClass::from(*storage_class));
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(vec![*fill; *size as usize]))
                .set_storage_class(class)
                .send()
                .await
                .map_err(api(format!("put {key:?} into {bucket}")))?;
        }
        Op::Delete { key } => {
            s3.delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(api(format!("delete {key:?} from {bucket}")))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Planning: keys, sizes, storage classes, phases.

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, name: &str) -> Self {
        // FNV-1a of the bucket name, so each bucket's draws do not depend on the others'.
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for b in name.bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Self(seed ^ hash)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn hex(&mut self, len: usize) -> String {
        let mut out = format!("{:016x}{:016x}", self.next(), self.next());
        out.truncate(len);
        out
    }

    /// A storage class drawn from `(class, weight)` pairs.
    fn weighted(&mut self, classes: &[(&'static str, u64)]) -> &'static str {
        let total: u64 = classes.iter().map(|(_, w)| w).sum();
        let mut draw = self.next() % total;
        for (class, weight) in classes {
            if draw < *weight {
                return class;
            }
            draw -= weight;
        }
        classes[0].0
    }
}

/// Credential-like names: the report's `secret_like_keys` query must find each.
const SECRET_KEYS: &[&str] = &[
    ".env",
    "config/prod/.env.production",
    "home/deploy/.ssh/id_rsa",
    "infra/live/terraform.tfstate",
    "gcp/service-account/credentials.json",
    ".aws/credentials",
    "certs/api.example.com.key",
    "keys/jenkins-deploy.pem",
    "it/vault/passwords.kdbx",
];

/// Names a report must escape or make visible rather than interpret.
const HOSTILE_KEYS: &[&str] = &[
    "<script>alert(1)</script>.html",
    "a\"quote'.txt",
    "uploads/\"><img src=x onerror=alert(document.domain)>.png",
    "docs/Read me first (v2).txt",
    "shared/Q3 report & notes + 100% final.docx",
    "sql/'; DROP TABLE objects;--.sql",
    "exports/données clients été 2023.csv",
    "資料/報告書-2024年.pdf",
    "Ünïcödé/Привет мир/नमस्ते.txt",
    "emoji/🎉 launch party 🥳.jpg",
    "invoices/invoice-2024-03\u{202e}fdp.exe",
    "tmp/back\\slash\\path.txt",
];

const APPS: &[&str] = &["api", "web", "worker", "auth", "billing", "search"];
const HOSTS: &[&str] = &["db-primary", "db-replica", "bastion", "ci-runner", "mail"];
const MODULES: &[&str] = &[
    "auth",
    "billing",
    "inventory",
    "report",
    "http",
    "storage",
    "util",
];
const WORDS: &[&str] = &[
    "summary",
    "customers",
    "orders",
    "invoices",
    "churn",
    "forecast",
    "campaign",
    "survey",
];
const EVENTS: &[&str] = &[
    "Summer party",
    "Offsite Lisbon",
    "Product launch",
    "Team day",
];

fn date(r: &mut Rng, years: RangeInclusive<u64>) -> (u64, u64, u64) {
    (
        r.range(*years.start(), *years.end()),
        r.range(1, 12),
        r.range(1, 28),
    )
}

/// A key, its size range and its storage classes, for a bucket of `theme` in `account`/`region`.
fn themed_object(
    theme: Theme,
    r: &mut Rng,
    account: &str,
    region: &str,
) -> (String, (u64, u64), &'static [(&'static str, u64)]) {
    const HOT: &[(&str, u64)] = &[("STANDARD", 1)];
    const LOGS: &[(&str, u64)] = &[
        ("STANDARD", 6),
        ("STANDARD_IA", 3),
        ("INTELLIGENT_TIERING", 1),
    ];
    const MEDIA: &[(&str, u64)] = &[
        ("STANDARD", 5),
        ("STANDARD_IA", 2),
        ("GLACIER_IR", 2),
        ("ONEZONE_IA", 1),
    ];
    const ARCHIVE: &[(&str, u64)] = &[
        ("STANDARD", 2),
        ("STANDARD_IA", 2),
        ("GLACIER", 3),
        ("DEEP_ARCHIVE", 2),
    ];
    const LAKE: &[(&str, u64)] = &[("STANDARD", 4), ("INTELLIGENT_TIERING", 3)];
    match theme {
        Theme::Media => match r.next() % 4 {
            0 | 1 => {
                let (y, m, _) = date(r, 2019..=2024);
                let n = r.range(1, 9999);
                (
                    format!("photos/{y}/{m:02}/IMG_{n:04}.jpg"),
                    (1500, 9000),
                    MEDIA,
                )
            }
            2 => {
                let (y, m, _) = date(r, 2021..=2024);
                let event = r.pick(EVENTS);
                let n = r.range(1, 300);
                (
                    format!("photos/{y}/{m:02}/{event} {n}.HEIC"),
                    (2000, 12000),
                    MEDIA,
                )
            }
            _ => {
                let (y, ..) = date(r, 2020..=2024);
                let n = r.range(1, 999);
                if r.chance(50) {
                    (format!("videos/{y}/clip-{n:03}.mp4"), (8000, 48000), MEDIA)
                } else {
                    let w = r.pick(&[160u64, 320, 640]);
                    (
                        format!("thumbnails/{w}x{w}/{}.webp", r.hex(16)),
                        (100, 900),
                        HOT,
                    )
                }
            }
        },
        Theme::Logs => match r.next() % 3 {
            0 => {
                let app = r.pick(APPS);
                let (y, m, d) = date(r, 2023..=2024);
                let h = r.range(0, 23);
                (
                    format!("logs/{app}/{y}/{m:02}/{d:02}/{app}-{h:02}.log.gz"),
                    (300, 6000),
                    LOGS,
                )
            }
            1 => {
                let (y, m, d) = date(r, 2023..=2024);
                let (h, mi) = (r.range(0, 23), r.range(0, 59) / 5 * 5);
                let lb = r.hex(16);
                let ip = (r.range(0, 255), r.range(1, 254));
                let tail = r.hex(8);
                (
                    format!(
                        "AWSLogs/{account}/elasticloadbalancing/{region}/{y}/{m:02}/{d:02}/\
                         {account}_elasticloadbalancing_{region}_app.web.{lb}_{y}{m:02}{d:02}T{h:02}{mi:02}Z_10.0.{}.{}_{tail}.log.gz",
                        ip.0, ip.1
                    ),
                    (200, 4000),
                    LOGS,
                )
            }
            _ => {
                let (y, m, d) = date(r, 2024..=2024);
                let h = r.range(0, 23);
                let dist = r.hex(13).to_uppercase();
                let tail = r.hex(8);
                (
                    format!("cloudfront/E{dist}.{y}-{m:02}-{d:02}-{h:02}.{tail}.gz"),
                    (150, 3000),
                    LOGS,
                )
            }
        },
        Theme::Backups => match r.next() % 3 {
            0 => {
                let (y, m, d) = date(r, 2020..=2024);
                (
                    format!("backups/db-{y}-{m:02}-{d:02}.sql.gz"),
                    (6000, 60000),
                    ARCHIVE,
                )
            }
            1 => {
                let host = r.pick(HOSTS);
                let (y, m, d) = date(r, 2022..=2024);
                let what = r.pick(&["etc", "home", "var-lib", "srv"]);
                (
                    format!("backups/{host}/{y}-{m:02}-{d:02}/{what}.tar.gz"),
                    (2000, 30000),
                    ARCHIVE,
                )
            }
            _ => {
                let vol = r.hex(17);
                let n = r.range(1, 400);
                (
                    format!("snapshots/vol-{vol}/{n:06}.snap"),
                    (4000, 16000),
                    ARCHIVE,
                )
            }
        },
        Theme::Code => match r.next() % 4 {
            0 | 1 => {
                let module = r.pick(MODULES);
                let file = r.pick(&[
                    "mod", "client", "error", "config", "model", "handler", "tests",
                ]);
                (format!("src/{module}/{file}.rs"), (40, 6000), HOT)
            }
            2 => {
                let name = r.pick(&["app", "vendor", "runtime", "polyfills"]);
                (
                    format!("web/static/js/{name}.{}.js", r.hex(8)),
                    (800, 20000),
                    HOT,
                )
            }
            _ => {
                let doc = r.pick(&[
                    "README",
                    "CHANGELOG",
                    "CONTRIBUTING",
                    "adr-0007-storage",
                    "runbook",
                ]);
                let n = r.range(1, 40);
                (format!("docs/{doc}-{n}.md"), (60, 4000), HOT)
            }
        },
        Theme::Data => match r.next() % 4 {
            0 | 1 => {
                let table = r.pick(WORDS);
                let (y, m, _) = date(r, 2022..=2024);
                let part = r.range(0, 199);
                (
                    format!(
                        "lake/{table}/year={y}/month={m:02}/part-{part:05}-{}.snappy.parquet",
                        r.hex(12)
                    ),
                    (2000, 24000),
                    LAKE,
                )
            }
            2 => {
                let (y, m, d) = date(r, 2024..=2024);
                let h = r.range(0, 23);
                let n = r.range(0, 999);
                (
                    format!("raw/events/{y}/{m:02}/{d:02}/{h:02}/events-{n:04}.json.gz"),
                    (500, 8000),
                    LAKE,
                )
            }
            _ => {
                let word = r.pick(WORDS);
                let q = r.range(1, 4);
                let y = r.range(2021, 2024);
                (
                    format!("exports/{word} Q{q} {y} (final).xlsx"),
                    (3000, 20000),
                    LAKE,
                )
            }
        },
    }
}

fn plan_bucket(
    spec: &EstateSpec,
    account: &str,
    region: &str,
    name: String,
    kind: BucketKind,
    theme: Theme,
    global: usize,
) -> BucketPlan {
    let mut r = Rng::new(spec.seed, &name);
    let mut phases: Vec<Vec<Op>> = Vec::new();
    if kind != BucketKind::Empty {
        let wanted = r.range(
            *spec.objects_per_bucket.start() as u64,
            *spec.objects_per_bucket.end() as u64,
        ) as usize;
        // Distinct keys with their size range and storage classes, in creation order.
        type Planned = (String, (u64, u64), &'static [(&'static str, u64)]);
        let mut seen = BTreeSet::new();
        let mut objects: Vec<Planned> = Vec::new();
        let mut add = |key: String,
                       sizes: (u64, u64),
                       classes: &'static [(&'static str, u64)],
                       objects: &mut Vec<Planned>| {
            if seen.insert(key.clone()) {
                objects.push((key, sizes, classes));
            }
        };
        // Two special names in every bucket, all of them in the first bucket of the estate.
        const ANY: &[(&str, u64)] = &[("STANDARD", 1)];
        let specials: Vec<&str> = SECRET_KEYS.iter().chain(HOSTILE_KEYS).copied().collect();
        let chosen: Vec<&str> = if global == 0 {
            specials.clone()
        } else {
            vec![
                specials[(2 * global) % specials.len()],
                specials[(2 * global + 1) % specials.len()],
            ]
        };
        for key in chosen {
            add(key.to_string(), (20, 2500), ANY, &mut objects);
        }
        if theme == Theme::Media {
            // A "folder" placeholder, as the console creates: a zero-byte object.
            add("photos/".into(), (0, 0), ANY, &mut objects);
        }
        let mut attempts = 0;
        while objects.len() < wanted.max(1) && attempts < wanted * 20 {
            attempts += 1;
            let (key, sizes, classes) = themed_object(theme, &mut r, account, region);
            add(key, sizes, classes, &mut objects);
        }
        let put = |r: &mut Rng, key: &str, sizes: (u64, u64), classes: &[(&'static str, u64)]| {
            // Now and then a larger object (tens of KiB), so the largest object stands out.
            let size = if sizes.1 > 0 && r.chance(2) {
                r.range(sizes.1, sizes.1 * 4)
            } else {
                r.range(sizes.0, sizes.1)
            };
            Op::Put {
                key: key.to_string(),
                size,
                storage_class: r.weighted(classes),
                fill: b'a' + (r.next() % 26) as u8,
            }
        };
        let first: Vec<Op> = objects
            .iter()
            .map(|(key, sizes, classes)| put(&mut r, key, *sizes, classes))
            .collect();
        phases.push(first);
        let pick = |r: &mut Rng, percent: u64| -> Vec<usize> {
            (0..objects.len()).filter(|_| r.chance(percent)).collect()
        };
        let rewrite = |r: &mut Rng, indices: &[usize]| -> Vec<Op> {
            indices
                .iter()
                .map(|&i| {
                    let (key, sizes, classes) = &objects[i];
                    put(r, key, *sizes, classes)
                })
                .collect()
        };
        let delete = |indices: &[usize]| -> Vec<Op> {
            indices
                .iter()
                .map(|&i| Op::Delete {
                    key: objects[i].0.clone(),
                })
                .collect()
        };
        match kind {
            BucketKind::Plain => {
                let overwritten = pick(&mut r, 10);
                phases.push(rewrite(&mut r, &overwritten));
                phases.push(Vec::new());
                let deleted = pick(&mut r, 5);
                phases.push(delete(&deleted));
            }
            BucketKind::Versioned => {
                let overwritten = pick(&mut r, 30);
                phases.push(rewrite(&mut r, &overwritten));
                let again: Vec<usize> = overwritten
                    .iter()
                    .copied()
                    .filter(|_| r.chance(25))
                    .collect();
                phases.push(rewrite(&mut r, &again));
                let deleted = pick(&mut r, 12);
                phases.push(delete(&deleted));
                let restored: Vec<usize> =
                    deleted.iter().copied().filter(|_| r.chance(30)).collect();
                phases.push(rewrite(&mut r, &restored));
            }
            BucketKind::VersionedAllDeleted => {
                let overwritten = pick(&mut r, 30);
                phases.push(rewrite(&mut r, &overwritten));
                phases.push(Vec::new());
                let all: Vec<usize> = (0..objects.len()).collect();
                phases.push(delete(&all));
            }
            BucketKind::Empty => {}
        }
        while phases.last().is_some_and(Vec::is_empty) {
            phases.pop();
        }
    }
    let expected = ExpectedFigures::replay(&phases, kind.is_versioned());
    BucketPlan {
        account: account.to_string(),
        region: region.to_string(),
        name,
        kind,
        theme,
        phases,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EstateSpec {
        EstateSpec::demo(&["000000000000", "111111111111", "222222222222"])
    }

    #[test]
    fn the_demo_estate_is_what_its_documentation_says() {
        let plan = spec().plan().unwrap();
        assert_eq!(plan.buckets.len(), 36);
        let kinds = |k: BucketKind| plan.buckets.iter().filter(|b| b.kind == k).count();
        assert_eq!(kinds(BucketKind::Empty), 5);
        assert_eq!(kinds(BucketKind::VersionedAllDeleted), 1);
        assert_eq!(
            kinds(BucketKind::Versioned) + kinds(BucketKind::VersionedAllDeleted),
            13
        );
        let (puts, deletes) = plan.calls();
        assert!(
            puts > 3000 && deletes > 100,
            "{puts} puts, {deletes} deletes"
        );
        let names: BTreeSet<&str> = plan.buckets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names.len(), plan.buckets.len(), "bucket names are unique");
        for b in &plan.buckets {
            assert!(b.name.len() <= 63, "{}", b.name);
            assert_eq!(
                b.expected.is_empty(),
                b.kind == BucketKind::Empty,
                "{}",
                b.name
            );
        }
        let all_deleted = plan
            .buckets
            .iter()
            .find(|b| b.kind == BucketKind::VersionedAllDeleted)
            .unwrap();
        assert_eq!(all_deleted.expected.objects, 0);
        assert!(all_deleted.expected.delete_markers > 0);
        let versioned: Vec<_> = plan
            .buckets
            .iter()
            .filter(|b| b.kind == BucketKind::Versioned)
            .collect();
        assert!(versioned
            .iter()
            .all(|b| b.expected.noncurrent_versions > 0 && b.expected.delete_markers > 0));
        let classes: BTreeSet<&String> = plan
            .buckets
            .iter()
            .flat_map(|b| b.expected.bytes_by_storage_class.keys())
            .collect();
        assert!(classes.len() >= 6, "{classes:?}");
        let keys: BTreeSet<&str> = plan
            .buckets
            .iter()
            .flat_map(|b| b.phases.iter().flatten().map(Op::key))
            .collect();
        for special in SECRET_KEYS.iter().chain(HOSTILE_KEYS) {
            assert!(keys.contains(special), "{special}");
        }
    }

    #[test]
    fn the_same_spec_gives_the_same_plan() {
        assert_eq!(spec().plan().unwrap(), spec().plan().unwrap());
        let other = EstateSpec { seed: 7, ..spec() };
        assert_ne!(spec().plan().unwrap(), other.plan().unwrap());
    }

    #[test]
    fn phases_touch_each_key_once() {
        for b in spec().plan().unwrap().buckets {
            for phase in &b.phases {
                let keys: BTreeSet<&str> = phase.iter().map(Op::key).collect();
                assert_eq!(keys.len(), phase.len(), "{}", b.name);
            }
        }
    }

    #[test]
    fn replay_models_versioning() {
        let put = |key: &str, size, class| Op::Put {
            key: key.into(),
            size,
            storage_class: class,
            fill: b'x',
        };
        let del = |key: &str| Op::Delete { key: key.into() };
        let phases = vec![
            vec![
                put("a", 10, "STANDARD"),
                put("b", 20, "GLACIER"),
                put("c", 0, "STANDARD"),
            ],
            vec![put("a", 11, "STANDARD_IA")],
            vec![del("b"), del("c")],
            vec![put("c", 5, "STANDARD")],
        ];
        let versioned = ExpectedFigures::replay(&phases, true);
        assert_eq!(versioned.rows, 7);
        assert_eq!(versioned.objects, 2); // a (11), c (5)
        assert_eq!(versioned.noncurrent_versions, 3); // a (10), b (20), c (0)
        assert_eq!(versioned.delete_markers, 2);
        assert_eq!(versioned.bytes, 46);
        assert_eq!(versioned.current_bytes, 16);
        assert_eq!(versioned.noncurrent_bytes, 30);
        assert_eq!(
            versioned.bytes_by_storage_class,
            BTreeMap::from([
                ("GLACIER".into(), 20),
                ("STANDARD".into(), 15),
                ("STANDARD_IA".into(), 11)
            ])
        );
        let plain = ExpectedFigures::replay(&phases, false);
        assert_eq!(plain.rows, 2);
        assert_eq!(plain.objects, 2);
        assert_eq!(plain.noncurrent_versions + plain.delete_markers, 0);
        assert_eq!(plain.bytes, 16);
    }

    #[test]
    fn invalid_specs_are_refused_with_every_reason() {
        let bad = EstateSpec {
            name_prefix: "Demo".into(),
            accounts: vec!["123".into()],
            ..spec()
        };
        let err = bad.plan().unwrap_err().to_string();
        assert!(err.contains("Demo") && err.contains("123"), "{err}");
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

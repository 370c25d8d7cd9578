//! What one bucket holds, measured from its inventory report.
//!
//! Figures are accumulated column by column from normalised record batches
//! ([`BucketFigures::add_batch`]) and combined across the data files of one
//! report ([`BucketFigures::merge`]). Merging is commutative and associative
//! (ties for the largest and oldest object are broken by key, then version
//! id), so the processor may measure data files in any order, in parallel,
//! and get the same figures.
//!
//! # How rows are counted
//!
//! * A null `is_latest` counts as current: an unversioned report has no such
//!   column, and every object in it is current.
//! * A null `is_delete_marker` counts as "not a delete marker".
//! * Delete markers hold no data: they count in [`BucketFigures::rows`] and
//!   [`BucketFigures::delete_markers`] only — not in any byte total, storage
//!   class, encryption status, largest or oldest object. So
//!   `bytes == current_bytes + noncurrent_bytes`, the storage class bytes sum
//!   to `bytes`, and the encryption status counts sum to
//!   `objects + noncurrent_versions`.
//! * A null `size` counts as 0 bytes (and the row cannot be the largest).
//! * A null `storage_class` counts under [`UNKNOWN`], not `STANDARD`: S3
//!   fills it for every object version, so a null means the report was not
//!   configured with `StorageClass`, and guessing `STANDARD` would misreport
//!   a Glacier bucket.
//! * A null `encryption_status` counts under [`UNKNOWN`] likewise (the report
//!   lacks `EncryptionStatus`).
//! * A negative `size` (never written by S3) counts as 0.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use arrow::array::{Array, BooleanArray, Int64Array, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Serialize};

/// The storage class / encryption status recorded for rows where the report
/// has no value (the field was not in the inventory configuration).
pub const UNKNOWN: &str = "UNKNOWN";

/// One object version singled out in the figures (the largest, the oldest).
///
/// Keys are attacker-controlled text: whoever renders them must escape them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Object key, decoded (never URL-encoded).
    pub key: String,
    /// Version id, when the bucket is versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Last modified, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// Per-bucket figures recorded by the inventory processor and shown in the report.
///
/// Every count is over inventory rows (object versions). "Current" means `is_latest` and not a delete
/// marker; an unversioned bucket's rows are all current. See the module documentation for how nulls
/// and delete markers count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketFigures {
    /// Rows in the report (every version and delete marker).
    pub rows: u64,
    /// Current versions that are not delete markers: what a listing shows.
    pub objects: u64,
    /// Versions that are neither current nor delete markers.
    pub noncurrent_versions: u64,
    /// Delete markers (current or not).
    pub delete_markers: u64,
    /// Bytes of all versions (delete markers hold none).
    pub bytes: u64,
    /// Bytes of current versions.
    pub current_bytes: u64,
    /// Bytes of noncurrent versions (version bloat).
    pub noncurrent_bytes: u64,
    /// Bytes per storage class over all versions (`STANDARD`, `GLACIER`, ..., [`UNKNOWN`] when the
    /// report lacks the field).
    pub bytes_by_storage_class: BTreeMap<String, u64>,
    /// Bytes S3 bills per storage class over all versions: each version's size with S3's storage
    /// rules applied ([`billed_storage`]). `INTELLIGENT_TIERING` is split by access tier
    /// (`INTELLIGENT_TIERING/FREQUENT`, ...; plain `INTELLIGENT_TIERING` when the report lacks the
    /// tier).
    #[serde(default)]
    pub billed_bytes_by_storage_class: BTreeMap<String, u64>,
    /// Versions in `INTELLIGENT_TIERING` of at least 128 KiB: those S3 charges monitoring for.
    #[serde(default)]
    pub monitored_versions: u64,
    /// Versions (not delete markers) per encryption status (`SSE-S3`, `SSE-KMS`, `NOT-SSE`, ...,
    /// [`UNKNOWN`] when the report lacks the field).
    pub versions_by_encryption_status: BTreeMap<String, u64>,
    /// The largest version (ties: smallest key, then version id). `None` when no version has a size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_object: Option<ObjectRef>,
    /// The version with the oldest `last_modified` (ties: smallest key, then version id). `None` when
    /// no version has a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_object: Option<ObjectRef>,
}

/// Why a record batch could not be measured.
///
/// It exists because figures are read from columns by name and type: a batch
/// not in `inventory_format::normalised_schema()` must fail loudly rather
/// than be silently counted as nulls.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FiguresError {
    /// A column has another type than the normalised schema's.
    #[error("column {column} has type {found}, expected {expected} (the normalised schema's)")]
    ColumnType {
        /// The column name.
        column: &'static str,
        /// The Arrow type found.
        found: String,
        /// The Arrow type expected.
        expected: &'static str,
    },
}

/// The columns figures are computed from; a missing column is `None` (all null).
struct Columns<'a> {
    key: Option<&'a StringArray>,
    version_id: Option<&'a StringArray>,
    is_latest: Option<&'a BooleanArray>,
    is_delete_marker: Option<&'a BooleanArray>,
    size: Option<&'a Int64Array>,
    last_modified: Option<&'a TimestampMillisecondArray>,
    storage_class: Option<&'a StringArray>,
    encryption_status: Option<&'a StringArray>,
    intelligent_tiering_access_tier: Option<&'a StringArray>,
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, FiguresError> {
        Ok(Columns {
            key: column(batch, "key", "Utf8")?,
            version_id: column(batch, "version_id", "Utf8")?,
            is_latest: column(batch, "is_latest", "Boolean")?,
            is_delete_marker: column(batch, "is_delete_marker", "Boolean")?,
            size: column(batch, "size", "Int64")?,
            last_modified: timestamp_column(batch, "last_modified_date")?,
            storage_class: column(batch, "storage_class", "Utf8")?,
            encryption_status: column(batch, "encryption_status", "Utf8")?,
            intelligent_tiering_access_tier: column(
                batch,
                "intelligent_tiering_access_tier",
                "Utf8",
            )?,
        })
    }

    fn text(array: Option<&'a StringArray>, row: usize) -> Option<&'a str> {
        array.and_then(|a| a.is_valid(row).then(|| a.value(row)))
    }

    fn key(&self, row: usize) -> &'a str {
        Self::text(self.key, row).unwrap_or_default()
    }

    fn version_id(&self, row: usize) -> Option<&'a str> {
        Self::text(self.version_id, row)
    }

    fn size(&self, row: usize) -> Option<u64> {
        self.size
            .and_then(|a| a.is_valid(row).then(|| non_negative(a.value(row))))
    }

    fn last_modified(&self, row: usize) -> Option<i64> {
        self.last_modified
            .and_then(|a| a.is_valid(row).then(|| a.value(row)))
    }

    /// The [`ObjectRef`] of a row, with its sort fields.
    fn candidate(&self, row: usize) -> Candidate<'a> {
        Candidate {
            key: self.key(row),
            version_id: self.version_id(row),
            size: self.size(row).unwrap_or(0),
            last_modified: self.last_modified(row),
        }
    }
}

fn column<'a, A: Array + 'static>(
    batch: &'a RecordBatch,
    name: &'static str,
    expected: &'static str,
) -> Result<Option<&'a A>, FiguresError> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(array) => match array.as_any().downcast_ref::<A>() {
            Some(a) => Ok(Some(a)),
            None => Err(FiguresError::ColumnType {
                column: name,
                found: array.data_type().to_string(),
                expected,
            }),
        },
    }
}

/// A millisecond timestamp column, in whatever time zone (the values are
/// UTC epoch milliseconds either way).
fn timestamp_column<'a>(
    batch: &'a RecordBatch,
    name: &'static str,
) -> Result<Option<&'a TimestampMillisecondArray>, FiguresError> {
    let found = batch.column_by_name(name).map(|a| a.data_type());
    match found {
        None | Some(DataType::Timestamp(TimeUnit::Millisecond, _)) => {
            column(batch, name, "Timestamp(ms, \"UTC\")")
        }
        Some(other) => Err(FiguresError::ColumnType {
            column: name,
            found: other.to_string(),
            expected: "Timestamp(ms, \"UTC\")",
        }),
    }
}

fn non_negative(size: i64) -> u64 {
    u64::try_from(size).unwrap_or(0)
}

/// A borrowed object version competing for largest / oldest.
#[derive(Debug, Clone, Copy)]
struct Candidate<'a> {
    key: &'a str,
    version_id: Option<&'a str>,
    size: u64,
    /// Epoch milliseconds.
    last_modified: Option<i64>,
}

impl<'a> Candidate<'a> {
    fn of(object: &'a ObjectRef) -> Self {
        Candidate {
            key: &object.key,
            version_id: object.version_id.as_deref(),
            size: object.size,
            last_modified: object.last_modified.as_deref().and_then(parse_millis),
        }
    }

    /// Smaller is larger: size descending, then key, version id, date.
    #[allow(clippy::type_complexity)]
    fn largest_order(&self) -> (Reverse<u64>, &'a str, Option<&'a str>, Option<i64>) {
        (
            Reverse(self.size),
            self.key,
            self.version_id,
            self.last_modified,
        )
    }

    /// Smaller is older: date ascending (unknown last), then key, version id,
    /// size descending.
    #[allow(clippy::type_complexity)]
    fn oldest_order(&self) -> (bool, Option<i64>, &'a str, Option<&'a str>, Reverse<u64>) {
        (
            self.last_modified.is_none(),
            self.last_modified,
            self.key,
            self.version_id,
            Reverse(self.size),
        )
    }

    fn to_object_ref(self) -> ObjectRef {
        ObjectRef {
            key: self.key.to_owned(),
            version_id: self.version_id.map(str::to_owned),
            size: self.size,
            last_modified: self.last_modified.and_then(format_millis),
        }
    }
}

fn format_millis(millis: i64) -> Option<String> {
    DateTime::from_timestamp_millis(millis).map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn parse_millis(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Replaces `slot` with `candidate` when `better` says the candidate ranks first.
fn keep_best(
    slot: &mut Option<ObjectRef>,
    candidate: Candidate<'_>,
    better: impl Fn(&Candidate<'_>, &Candidate<'_>) -> bool,
) {
    let replace = match slot {
        None => true,
        Some(current) => better(&candidate, &Candidate::of(current)),
    };
    if replace {
        *slot = Some(candidate.to_object_ref());
    }
}

fn larger(a: &Candidate<'_>, b: &Candidate<'_>) -> bool {
    a.largest_order() < b.largest_order()
}

fn older(a: &Candidate<'_>, b: &Candidate<'_>) -> bool {
    a.oldest_order() < b.oldest_order()
}

/// What S3 bills at least per object in `STANDARD_IA`, `ONEZONE_IA` and `GLACIER_IR`, and the
/// size from which Intelligent-Tiering monitors (and charges for) an object.
const MINIMUM_BILLED_BYTES: u64 = 128 * 1024;
/// What an archived object (`GLACIER`, `DEEP_ARCHIVE`, Intelligent-Tiering's archive tiers) adds:
/// 32 KiB of index at its class's price and 8 KiB of name at `STANDARD`'s.
const ARCHIVE_INDEX_BYTES: u64 = 32 * 1024;
const ARCHIVE_NAME_BYTES: u64 = 8 * 1024;

/// The bytes S3 bills for `versions` versions of `bytes` in all in the billed storage `class`
/// (Intelligent-Tiering per access tier, as `billed_bytes_by_storage_class` names them): in the
/// class, and as `STANDARD` besides (an archived object's name). Exact for one version; for
/// several, the 128 KiB minimum applies to their total, a lower bound. AWS's S3 pricing page,
/// storage footnotes.
pub fn billed_bytes(class: &str, versions: u64, bytes: u64) -> (u64, u64) {
    match class {
        "STANDARD_IA" | "ONEZONE_IA" | "GLACIER_IR" => {
            (bytes.max(versions.saturating_mul(MINIMUM_BILLED_BYTES)), 0)
        }
        "GLACIER"
        | "DEEP_ARCHIVE"
        | "INTELLIGENT_TIERING/ARCHIVE"
        | "INTELLIGENT_TIERING/DEEP_ARCHIVE" => (
            bytes.saturating_add(versions.saturating_mul(ARCHIVE_INDEX_BYTES)),
            versions.saturating_mul(ARCHIVE_NAME_BYTES),
        ),
        _ => (bytes, 0),
    }
}

/// How S3 bills one version's storage.
#[derive(Debug, PartialEq, Eq)]
struct BilledStorage<'a> {
    /// The billed class (Intelligent-Tiering per access tier).
    class: &'a str,
    /// Bytes billed in it.
    bytes: u64,
    /// Bytes billed as `STANDARD` besides (an archived object's name).
    name_bytes: u64,
}

fn billed_storage<'a>(class: &'a str, tier: Option<&str>, size: u64) -> BilledStorage<'a> {
    let class = match (class, tier) {
        ("INTELLIGENT_TIERING", Some("FREQUENT")) => "INTELLIGENT_TIERING/FREQUENT",
        ("INTELLIGENT_TIERING", Some("INFREQUENT")) => "INTELLIGENT_TIERING/INFREQUENT",
        ("INTELLIGENT_TIERING", Some("ARCHIVE_INSTANT_ACCESS")) => {
            "INTELLIGENT_TIERING/ARCHIVE_INSTANT_ACCESS"
        }
        ("INTELLIGENT_TIERING", Some("ARCHIVE")) => "INTELLIGENT_TIERING/ARCHIVE",
        ("INTELLIGENT_TIERING", Some("DEEP_ARCHIVE")) => "INTELLIGENT_TIERING/DEEP_ARCHIVE",
        _ => class,
    };
    let (bytes, name_bytes) = billed_bytes(class, 1, size);
    BilledStorage {
        class,
        bytes,
        name_bytes,
    }
}

/// Per-batch tallies keyed by borrowed strings; a batch has few distinct
/// storage classes / encryption statuses, so a linear scan beats hashing and
/// no string is allocated per row.
struct Tally<'a>(Vec<(&'a str, u64)>);

impl<'a> Tally<'a> {
    fn add(&mut self, name: &'a str, amount: u64) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total = total.saturating_add(amount),
            None => self.0.push((name, amount)),
        }
    }

    fn into_map(self, map: &mut BTreeMap<String, u64>) {
        for (name, amount) in self.0 {
            add_to(map, name, amount);
        }
    }
}

fn add_to(map: &mut BTreeMap<String, u64>, name: &str, amount: u64) {
    match map.get_mut(name) {
        Some(total) => *total = total.saturating_add(amount),
        None => {
            map.insert(name.to_owned(), amount);
        }
    }
}

impl BucketFigures {
    /// Adds the rows of one record batch in `inventory_format::normalised_schema()`.
    ///
    /// Works on the Arrow columns directly (no per-row structs). Columns are
    /// found by name; a missing column reads as all-null, a column of another
    /// type is an error (and nothing is added).
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), FiguresError> {
        let columns = Columns::of(batch)?;
        let mut classes = Tally(Vec::new());
        let mut billed = Tally(Vec::new());
        let mut statuses = Tally(Vec::new());
        let mut largest: Option<(usize, u64)> = None;
        let mut oldest: Option<(usize, i64)> = None;
        for row in 0..batch.num_rows() {
            self.rows += 1;
            let delete_marker = columns
                .is_delete_marker
                .is_some_and(|a| a.is_valid(row) && a.value(row));
            if delete_marker {
                self.delete_markers += 1;
                continue;
            }
            let current = columns
                .is_latest
                .is_none_or(|a| a.is_null(row) || a.value(row));
            let size = columns.size(row);
            let bytes = size.unwrap_or(0);
            self.bytes = self.bytes.saturating_add(bytes);
            if current {
                self.objects += 1;
                self.current_bytes = self.current_bytes.saturating_add(bytes);
            } else {
                self.noncurrent_versions += 1;
                self.noncurrent_bytes = self.noncurrent_bytes.saturating_add(bytes);
            }
            let class = Columns::text(columns.storage_class, row).unwrap_or(UNKNOWN);
            classes.add(class, bytes);
            let tier = Columns::text(columns.intelligent_tiering_access_tier, row);
            let storage = billed_storage(class, tier, bytes);
            billed.add(storage.class, storage.bytes);
            if storage.name_bytes > 0 {
                billed.add("STANDARD", storage.name_bytes);
            }
            if class == "INTELLIGENT_TIERING" && bytes >= MINIMUM_BILLED_BYTES {
                self.monitored_versions += 1;
            }
            statuses.add(
                Columns::text(columns.encryption_status, row).unwrap_or(UNKNOWN),
                1,
            );
            if let Some(size) = size {
                let wins = match largest {
                    None => true,
                    Some((best, best_size)) => {
                        size > best_size
                            || (size == best_size
                                && larger(&columns.candidate(row), &columns.candidate(best)))
                    }
                };
                if wins {
                    largest = Some((row, size));
                }
            }
            if let Some(date) = columns.last_modified(row) {
                let wins = match oldest {
                    None => true,
                    Some((best, best_date)) => {
                        date < best_date
                            || (date == best_date
                                && older(&columns.candidate(row), &columns.candidate(best)))
                    }
                };
                if wins {
                    oldest = Some((row, date));
                }
            }
        }
        classes.into_map(&mut self.bytes_by_storage_class);
        billed.into_map(&mut self.billed_bytes_by_storage_class);
        statuses.into_map(&mut self.versions_by_encryption_status);
        if let Some((row, _)) = largest {
            keep_best(&mut self.largest_object, columns.candidate(row), larger);
        }
        if let Some((row, _)) = oldest {
            keep_best(&mut self.oldest_object, columns.candidate(row), older);
        }
        Ok(())
    }

    /// Adds the figures of another data file of the same bucket.
    ///
    /// Commutative and associative: the result does not depend on the order
    /// data files are merged in.
    pub fn merge(&mut self, other: &BucketFigures) {
        self.rows = self.rows.saturating_add(other.rows);
        self.objects = self.objects.saturating_add(other.objects);
        self.noncurrent_versions = self
            .noncurrent_versions
            .saturating_add(other.noncurrent_versions);
        self.delete_markers = self.delete_markers.saturating_add(other.delete_markers);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.current_bytes = self.current_bytes.saturating_add(other.current_bytes);
        self.noncurrent_bytes = self.noncurrent_bytes.saturating_add(other.noncurrent_bytes);
        for (class, bytes) in &other.bytes_by_storage_class {
            add_to(&mut self.bytes_by_storage_class, class, *bytes);
        }
        for (class, bytes) in &other.billed_bytes_by_storage_class {
            add_to(&mut self.billed_bytes_by_storage_class, class, *bytes);
        }
        self.monitored_versions = self
            .monitored_versions
            .saturating_add(other.monitored_versions);
        for (status, versions) in &other.versions_by_encryption_status {
            add_to(&mut self.versions_by_encryption_status, status, *versions);
        }
        if let Some(object) = &other.largest_object {
            keep_best(&mut self.largest_object, Candidate::of(object), larger);
        }
        if let Some(object) = &other.oldest_object {
            keep_best(&mut self.oldest_object, Candidate::of(object), older);
        }
    }

    /// The figures of several data files merged (see [`BucketFigures::merge`]).
    pub fn merged<'a>(figures: impl IntoIterator<Item = &'a BucketFigures>) -> BucketFigures {
        let mut total = BucketFigures::default();
        for f in figures {
            total.merge(f);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn billed(class: &str, tier: Option<&str>, size: u64) -> (String, u64, u64) {
        let b = billed_storage(class, tier, size);
        (b.class.to_owned(), b.bytes, b.name_bytes)
    }

    #[test]
    fn storage_is_billed_as_s3_bills_it() {
        let kib = 1024;
        // Minimum billable size in the infrequent-access classes, not above it.
        for class in ["STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"] {
            assert_eq!(billed(class, None, 1), (class.into(), 128 * kib, 0));
            assert_eq!(billed(class, None, 200 * kib), (class.into(), 200 * kib, 0));
        }
        // Archived objects: 32 KiB of index in the class, 8 KiB of name as STANDARD.
        for class in ["GLACIER", "DEEP_ARCHIVE"] {
            assert_eq!(
                billed(class, None, 5),
                (class.into(), 5 + 32 * kib, 8 * kib)
            );
        }
        // Intelligent-Tiering per access tier; its archive tiers like the archive classes.
        let it = "INTELLIGENT_TIERING";
        assert_eq!(
            billed(it, Some("FREQUENT"), 9),
            (format!("{it}/FREQUENT"), 9, 0)
        );
        assert_eq!(
            billed(it, Some("INFREQUENT"), 9),
            (format!("{it}/INFREQUENT"), 9, 0)
        );
        assert_eq!(
            billed(it, Some("ARCHIVE_INSTANT_ACCESS"), 9),
            (format!("{it}/ARCHIVE_INSTANT_ACCESS"), 9, 0)
        );
        assert_eq!(
            billed(it, Some("ARCHIVE"), 9),
            (format!("{it}/ARCHIVE"), 9 + 32 * kib, 8 * kib)
        );
        assert_eq!(
            billed(it, Some("DEEP_ARCHIVE"), 9),
            (format!("{it}/DEEP_ARCHIVE"), 9 + 32 * kib, 8 * kib)
        );
        // No tier in the report: the class alone (the cost estimate prices it as Frequent).
        assert_eq!(billed(it, None, 9), (it.into(), 9, 0));
        // Everything else as stored.
        assert_eq!(billed("STANDARD", None, 9), ("STANDARD".into(), 9, 0));
        assert_eq!(
            billed("EXPRESS_ONEZONE", None, 9),
            ("EXPRESS_ONEZONE".into(), 9, 0)
        );
    }
}

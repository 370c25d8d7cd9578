//! What one bucket holds, measured from its inventory report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
/// marker; an unversioned bucket's rows are all current.
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
    /// Bytes of all versions.
    pub bytes: u64,
    /// Bytes of current versions.
    pub current_bytes: u64,
    /// Bytes of noncurrent versions (version bloat).
    pub noncurrent_bytes: u64,
    /// Bytes per storage class over all versions (`STANDARD`, `GLACIER`, ...).
    pub bytes_by_storage_class: BTreeMap<String, u64>,
    /// Versions per encryption status (`SSE-S3`, `SSE-KMS`, `NOT-SSE`, ...).
    pub versions_by_encryption_status: BTreeMap<String, u64>,
    /// The largest version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub largest_object: Option<ObjectRef>,
    /// The version with the oldest `last_modified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_object: Option<ObjectRef>,
}

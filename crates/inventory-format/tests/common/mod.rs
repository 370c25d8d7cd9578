//! Shared sample data for the integration tests.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use inventory_format::{
    read_data_file, records_from_batch, FileFormat, InventoryError, InventoryField, InventoryRecord,
};

/// Keys that break naive CSV, URL and HTML handling.
pub const AWKWARD_KEYS: &[&str] = &[
    "simple.txt",
    "dir/sub dir/file name.txt",
    "日本語/ファイル.txt",
    "emoji 💯.png",
    "<script>alert('x')</script>",
    "say \"hello\".txt",
    "a,b,c.csv",
    "100% done",
    "a+b=c&d",
    "line\nbreak\r\nkey",
    "tab\tkey",
    "~!@#$^*()[]{}|\\;:'<>?`",
    " leading and trailing ",
    "%2F-already-encoded-looking%20",
];

pub fn ts(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// A live object version with every field set.
pub fn full_record(i: usize, key: &str) -> InventoryRecord {
    InventoryRecord {
        bucket: "amzn-s3-demo-source-bucket".to_owned(),
        key: key.to_owned(),
        version_id: Some(format!("3/L4kqtJl40Nr8X8gdRQBpUMLUo{i}")),
        is_latest: Some(i.is_multiple_of(2)),
        is_delete_marker: Some(false),
        size: Some(434_234 + i as i64 * 5_000_000_000),
        last_modified: Some(ts(1_478_467_920_123 + i as i64)),
        e_tag: Some(format!("fba9dede5f27731c9771645a3986332{}", i % 10)),
        storage_class: Some("STANDARD".to_owned()),
        is_multipart_uploaded: Some(i.is_multiple_of(3)),
        replication_status: Some("COMPLETED".to_owned()),
        encryption_status: Some("SSE-S3".to_owned()),
        // Year 2500: beyond the nanosecond range some readers default to.
        object_lock_retain_until_date: Some(ts(16_725_225_600_000)),
        object_lock_mode: Some("GOVERNANCE".to_owned()),
        object_lock_legal_hold_status: Some("OFF".to_owned()),
        intelligent_tiering_access_tier: Some("FREQUENT".to_owned()),
        bucket_key_status: Some("DISABLED".to_owned()),
        checksum_algorithm: Some("CRC32".to_owned()),
        object_access_control_list: Some("eyJ2ZXJzaW9uIjoiMjAyMi0xMS0xMCJ9".to_owned()),
        object_owner: Some(
            "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a".to_owned(),
        ),
        lifecycle_expiration_date: Some(ts(1_800_000_000_000)),
    }
}

/// A delete marker: no size, ETag, storage class and so on.
pub fn delete_marker(key: &str) -> InventoryRecord {
    InventoryRecord {
        bucket: "amzn-s3-demo-source-bucket".to_owned(),
        key: key.to_owned(),
        version_id: Some("03jpff543dhffds434rfdsFDN943fdsFkdmqnh892".to_owned()),
        is_latest: Some(true),
        is_delete_marker: Some(true),
        last_modified: Some(ts(1_478_467_999_000)),
        ..InventoryRecord::default()
    }
}

/// A sparse record: many optional values absent.
pub fn sparse_record(key: &str) -> InventoryRecord {
    InventoryRecord {
        bucket: "amzn-s3-demo-source-bucket".to_owned(),
        key: key.to_owned(),
        version_id: None,
        is_latest: Some(true),
        is_delete_marker: Some(false),
        size: Some(0),
        last_modified: Some(ts(0)),
        storage_class: Some("GLACIER".to_owned()),
        encryption_status: Some("NOT-SSE".to_owned()),
        ..InventoryRecord::default()
    }
}

/// The sample data set: every awkward key as a full record, plus a delete
/// marker and a sparse record.
pub fn sample_records() -> Vec<InventoryRecord> {
    let mut records: Vec<InventoryRecord> = AWKWARD_KEYS
        .iter()
        .enumerate()
        .map(|(i, key)| full_record(i, key))
        .collect();
    records.push(delete_marker("deleted/object.txt"));
    records.push(sparse_record("sparse object"));
    records
}

/// Reads a whole data file back into records.
pub fn read_all(
    format: FileFormat,
    fields: &[InventoryField],
    bytes: Vec<u8>,
    batch_size: usize,
) -> Result<Vec<InventoryRecord>, InventoryError> {
    let mut out = Vec::new();
    for batch in read_data_file(format, fields, bytes, batch_size)? {
        let batch = batch?;
        assert_eq!(batch.schema(), inventory_format::normalised_schema());
        assert!(batch.num_rows() <= batch_size.max(1));
        out.extend(records_from_batch(&batch));
    }
    Ok(out)
}

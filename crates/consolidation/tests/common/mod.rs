//! Shared helpers for the consolidation tests.
#![allow(dead_code)]

use bytes::Bytes;
use chrono::{DateTime, Utc};
use consolidation::{consolidate_file_with, BucketFigures, ConsolidateOptions};
use inventory_format::{
    read_data_file, records_from_batch, write_data_file, FileFormat, InventoryField,
    InventoryRecord,
};

/// Keys that break naive CSV, URL and HTML handling.
pub const HOSTILE_KEYS: &[&str] = &[
    "<script>alert(1)</script>",
    "say \"hello\" and 'bye'.txt",
    "a,b,c.csv",
    "line\nbreak\r\nkey",
    "日本語/ファイル émoji 💯.png",
    "100% a+b=c&d",
    " leading and trailing ",
    "%2F-already-encoded-looking%20",
];

pub fn ts(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

/// Writes `records` as a data file and consolidates it; returns the figures and the Parquet bytes.
pub fn consolidate(
    format: FileFormat,
    fields: &[InventoryField],
    records: &[InventoryRecord],
    options: &ConsolidateOptions,
) -> (BucketFigures, Vec<u8>) {
    let data = write_data_file(format, fields, records).expect("write data file");
    let mut out = Vec::new();
    let figures = consolidate_file_with(options, "data/test", format, fields, data, &mut out)
        .expect("consolidate");
    (figures, out)
}

/// Reads a normalised Parquet output back as records.
pub fn read_output(parquet: &[u8]) -> Vec<InventoryRecord> {
    let reader = read_data_file(
        FileFormat::Parquet,
        &InventoryField::ALL,
        Bytes::copy_from_slice(parquet),
        1000,
    )
    .expect("open output");
    reader
        .flat_map(|batch| records_from_batch(&batch.expect("read output")))
        .collect()
}

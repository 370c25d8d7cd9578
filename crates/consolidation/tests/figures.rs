//! Figures: exact for a hand-computed bucket, and independent of merge order.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use common::{consolidate, ts};
use consolidation::{BucketFigures, ConsolidateOptions, FiguresError, ObjectRef};
use inventory_format::{
    read_data_file, report_fields, write_data_file, FileFormat, InventoryField, InventoryRecord,
};

fn fields() -> Vec<InventoryField> {
    report_fields(
        &[
            InventoryField::Size,
            InventoryField::LastModifiedDate,
            InventoryField::StorageClass,
            InventoryField::EncryptionStatus,
        ],
        true,
    )
}

#[allow(clippy::too_many_arguments)]
fn version(
    key: &str,
    version: &str,
    latest: bool,
    delete_marker: bool,
    size: Option<i64>,
    modified: &str,
    class: Option<&str>,
    encryption: Option<&str>,
) -> InventoryRecord {
    InventoryRecord {
        bucket: "src".to_owned(),
        key: key.to_owned(),
        version_id: Some(version.to_owned()),
        is_latest: Some(latest),
        is_delete_marker: Some(delete_marker),
        size,
        last_modified: Some(ts(modified)),
        storage_class: class.map(str::to_owned),
        encryption_status: encryption.map(str::to_owned),
        ..InventoryRecord::default()
    }
}

/// A versioned bucket, in three data files:
///
/// | key | version | current | delete marker | size | modified | class | encryption |
/// | a | a2 | yes | | 100 | 2024-01-02 | STANDARD | SSE-S3 |
/// | b | b1 | | | 500 | 2022-01-01 | GLACIER | SSE-KMS |
/// | c | c1 | yes | | 7 | 2021-06-30T12:00:00.123 | STANDARD_IA | NOT-SSE |
/// | a | a1 | | | 40 | 2021-06-30T12:00:00.123 | STANDARD | SSE-S3 |
/// | b | b3 | yes | yes | - | 2024-02-01 | - | - |
/// | b | b2 | | | 500 | 2022-06-01 | GLACIER | SSE-KMS |
/// | d | d2 | | yes | - | 2020-01-01 | - | - |
/// | d | d3 | yes | | 0 | 2024-03-01 | - | - |
/// | d | d1 | | | - | 2023-01-01 | STANDARD | SSE-S3 |
fn bucket_files() -> [Vec<InventoryRecord>; 3] {
    [
        vec![
            version(
                "a",
                "a2",
                true,
                false,
                Some(100),
                "2024-01-02T00:00:00Z",
                Some("STANDARD"),
                Some("SSE-S3"),
            ),
            version(
                "b",
                "b1",
                false,
                false,
                Some(500),
                "2022-01-01T00:00:00Z",
                Some("GLACIER"),
                Some("SSE-KMS"),
            ),
            version(
                "c",
                "c1",
                true,
                false,
                Some(7),
                "2021-06-30T12:00:00.123Z",
                Some("STANDARD_IA"),
                Some("NOT-SSE"),
            ),
        ],
        vec![
            version(
                "a",
                "a1",
                false,
                false,
                Some(40),
                "2021-06-30T12:00:00.123Z",
                Some("STANDARD"),
                Some("SSE-S3"),
            ),
            version(
                "b",
                "b3",
                true,
                true,
                None,
                "2024-02-01T00:00:00Z",
                None,
                None,
            ),
        ],
        vec![
            version(
                "b",
                "b2",
                false,
                false,
                Some(500),
                "2022-06-01T00:00:00Z",
                Some("GLACIER"),
                Some("SSE-KMS"),
            ),
            version(
                "d",
                "d2",
                false,
                true,
                None,
                "2020-01-01T00:00:00Z",
                None,
                None,
            ),
            version(
                "d",
                "d3",
                true,
                false,
                Some(0),
                "2024-03-01T00:00:00Z",
                None,
                None,
            ),
            version(
                "d",
                "d1",
                false,
                false,
                None,
                "2023-01-01T00:00:00Z",
                Some("STANDARD"),
                Some("SSE-S3"),
            ),
        ],
    ]
}

fn map(entries: &[(&str, u64)]) -> BTreeMap<String, u64> {
    entries.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

fn expected() -> BucketFigures {
    BucketFigures {
        rows: 9,
        objects: 3,             // a2, c1, d3
        noncurrent_versions: 4, // b1, a1, b2, d1
        delete_markers: 2,      // b3, d2
        bytes: 1147,
        current_bytes: 107,
        noncurrent_bytes: 1040,
        bytes_by_storage_class: map(&[
            ("STANDARD", 140),
            ("GLACIER", 1000),
            ("STANDARD_IA", 7),
            ("UNKNOWN", 0),
        ]),
        // As S3 bills them: each GLACIER version 32 KiB more, and 8 KiB of it as STANDARD; the
        // STANDARD_IA version its 128 KiB minimum.
        billed_bytes_by_storage_class: map(&[
            ("STANDARD", 140 + 2 * 8192),
            ("GLACIER", 1000 + 2 * 32768),
            ("STANDARD_IA", 131_072),
            ("UNKNOWN", 0),
        ]),
        monitored_versions: 0,
        versions_by_encryption_status: map(&[
            ("SSE-S3", 3),
            ("SSE-KMS", 2),
            ("NOT-SSE", 1),
            ("UNKNOWN", 1),
        ]),
        // b1 and b2 tie on size: same key, version b1 < b2.
        largest_object: Some(ObjectRef {
            key: "b".to_owned(),
            version_id: Some("b1".to_owned()),
            size: 500,
            last_modified: Some("2022-01-01T00:00:00.000Z".to_owned()),
        }),
        // a1 and c1 tie on date: key a < c. The older d2 is a delete marker.
        oldest_object: Some(ObjectRef {
            key: "a".to_owned(),
            version_id: Some("a1".to_owned()),
            size: 40,
            last_modified: Some("2021-06-30T12:00:00.123Z".to_owned()),
        }),
    }
}

#[test]
fn figures_of_a_versioned_bucket_are_exact() {
    let all: Vec<InventoryRecord> = bucket_files().concat();
    for format in FileFormat::ALL {
        let (figures, _) = consolidate(format, &fields(), &all, &ConsolidateOptions::default());
        assert_eq!(figures, expected(), "{format}");
    }
    // Invariants the documentation promises.
    let e = expected();
    assert_eq!(e.bytes, e.current_bytes + e.noncurrent_bytes);
    assert_eq!(e.bytes, e.bytes_by_storage_class.values().sum::<u64>());
    assert_eq!(
        e.objects + e.noncurrent_versions,
        e.versions_by_encryption_status.values().sum::<u64>()
    );
}

#[test]
fn figures_do_not_depend_on_batch_boundaries() {
    let all: Vec<InventoryRecord> = bucket_files().concat();
    for batch_size in [1, 2, 4, 100] {
        let options = ConsolidateOptions {
            batch_size,
            ..ConsolidateOptions::default()
        };
        let (figures, _) = consolidate(FileFormat::Csv, &fields(), &all, &options);
        assert_eq!(figures, expected(), "batch size {batch_size}");
    }
}

#[test]
fn merge_order_does_not_matter() {
    let formats = [FileFormat::Csv, FileFormat::Orc, FileFormat::Parquet];
    let parts: Vec<BucketFigures> = bucket_files()
        .iter()
        .zip(formats)
        .map(|(records, format)| {
            consolidate(format, &fields(), records, &ConsolidateOptions::default()).0
        })
        .collect();
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let mut merged = BucketFigures::default();
        for i in order {
            merged.merge(&parts[i]);
        }
        assert_eq!(merged, expected(), "order {order:?}");
        // Associativity: merging a merged pair gives the same.
        let mut pair = parts[order[1]].clone();
        pair.merge(&parts[order[2]]);
        let mut nested = parts[order[0]].clone();
        nested.merge(&pair);
        assert_eq!(nested, expected(), "nested order {order:?}");
    }
    assert_eq!(BucketFigures::merged(&parts), expected());
    // Merging nothing changes nothing.
    let mut same = expected();
    same.merge(&BucketFigures::default());
    assert_eq!(same, expected());
}

#[test]
fn merged_figures_survive_json() {
    let figures = expected();
    let json = serde_json::to_value(&figures).expect("json");
    assert_eq!(json["largest_object"]["version_id"], "b1");
    assert_eq!(json["bytes_by_storage_class"]["GLACIER"], 1000);
    let back: BucketFigures = serde_json::from_value(json).expect("parse");
    assert_eq!(back, figures);
    // Merging figures that went through JSON still breaks ties by date.
    let mut twice = back.clone();
    twice.merge(&figures);
    assert_eq!(twice.oldest_object, figures.oldest_object);
    assert_eq!(twice.rows, 18);
}

#[test]
fn an_unversioned_report_without_optional_fields_counts_everything_current() {
    let fields = report_fields(&[InventoryField::Size], false);
    let records: Vec<InventoryRecord> = ["x", "y", "z"]
        .iter()
        .zip([10, 30, 30])
        .map(|(key, size)| InventoryRecord {
            bucket: "src".to_owned(),
            key: (*key).to_owned(),
            size: Some(size),
            ..InventoryRecord::default()
        })
        .collect();
    let (figures, _) = consolidate(
        FileFormat::Csv,
        &fields,
        &records,
        &ConsolidateOptions::default(),
    );
    assert_eq!(
        figures,
        BucketFigures {
            rows: 3,
            objects: 3,
            bytes: 70,
            current_bytes: 70,
            bytes_by_storage_class: map(&[("UNKNOWN", 70)]),
            billed_bytes_by_storage_class: map(&[("UNKNOWN", 70)]),
            versions_by_encryption_status: map(&[("UNKNOWN", 3)]),
            largest_object: Some(ObjectRef {
                key: "y".to_owned(),
                version_id: None,
                size: 30,
                last_modified: None,
            }),
            oldest_object: None,
            ..BucketFigures::default()
        }
    );
}

#[test]
fn a_report_without_size_has_no_largest_object() {
    let fields = report_fields(&[], false);
    let records = vec![InventoryRecord {
        bucket: "src".to_owned(),
        key: "k".to_owned(),
        ..InventoryRecord::default()
    }];
    let (figures, _) = consolidate(
        FileFormat::Parquet,
        &fields,
        &records,
        &ConsolidateOptions::default(),
    );
    assert_eq!(figures.objects, 1);
    assert_eq!(figures.largest_object, None);
    assert_eq!(figures.bytes_by_storage_class, map(&[("UNKNOWN", 0)]));
}

#[test]
fn add_batch_reads_normalised_batches_directly() {
    let all: Vec<InventoryRecord> = bucket_files().concat();
    let data = write_data_file(FileFormat::Parquet, &fields(), &all).expect("write");
    let mut figures = BucketFigures::default();
    for batch in read_data_file(FileFormat::Parquet, &fields(), data, 3).expect("open") {
        figures.add_batch(&batch.expect("batch")).expect("measure");
    }
    assert_eq!(figures, expected());
}

#[test]
fn a_batch_of_another_schema_is_an_error() {
    let schema = Arc::new(Schema::new(vec![Field::new("size", DataType::Int32, true)]));
    let column: ArrayRef = Arc::new(Int32Array::from(vec![1, 2]));
    let batch = RecordBatch::try_new(schema, vec![column]).expect("batch");
    let mut figures = BucketFigures::default();
    let err = figures.add_batch(&batch).expect_err("wrong type");
    assert_eq!(
        err,
        FiguresError::ColumnType {
            column: "size",
            found: "Int32".to_owned(),
            expected: "Int64",
        }
    );
    assert_eq!(figures, BucketFigures::default());
}

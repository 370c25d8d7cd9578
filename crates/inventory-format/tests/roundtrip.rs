//! write → read gives back the same records, for every format, both version
//! modes, and several optional-field selections.

mod common;

use common::{read_all, sample_records};
use inventory_format::{report_fields, write_data_file, FileFormat, InventoryField};

fn optional_selections() -> Vec<(&'static str, Vec<InventoryField>)> {
    use InventoryField::*;
    vec![
        ("none", vec![]),
        ("few", vec![StorageClass, Size, LastModifiedDate]),
        (
            "all",
            InventoryField::ALL
                .into_iter()
                .filter(InventoryField::is_optional)
                .collect(),
        ),
    ]
}

fn round_trip(format: FileFormat, all_versions: bool) {
    let records = sample_records();
    for (name, optional) in optional_selections() {
        let fields = report_fields(&optional, all_versions);
        let bytes = match write_data_file(format, &fields, &records) {
            Ok(b) => b,
            Err(e) => panic!("{format} {name}: write failed: {e}"),
        };
        for batch_size in [1, 4, 10_000] {
            let read = match read_all(format, &fields, bytes.clone(), batch_size) {
                Ok(r) => r,
                Err(e) => panic!("{format} {name} batch {batch_size}: read failed: {e}"),
            };
            let expected: Vec<_> = records.iter().map(|r| r.projected(&fields)).collect();
            assert_eq!(read.len(), expected.len(), "{format} {name}");
            for (got, want) in read.iter().zip(&expected) {
                assert_eq!(got, want, "{format} {name} batch {batch_size}");
            }
        }
    }
}

#[test]
fn csv_current_versions() {
    round_trip(FileFormat::Csv, false);
}

#[test]
fn csv_all_versions() {
    round_trip(FileFormat::Csv, true);
}

#[test]
fn orc_current_versions() {
    round_trip(FileFormat::Orc, false);
}

#[test]
fn orc_all_versions() {
    round_trip(FileFormat::Orc, true);
}

#[test]
fn parquet_current_versions() {
    round_trip(FileFormat::Parquet, false);
}

#[test]
fn parquet_all_versions() {
    round_trip(FileFormat::Parquet, true);
}

#[test]
fn current_mode_has_no_version_columns() {
    let fields = report_fields(&[InventoryField::Size], false);
    assert!(!fields.iter().any(InventoryField::is_version_field));
    let records = sample_records();
    for format in FileFormat::ALL {
        let bytes = write_data_file(format, &fields, &records).unwrap_or_default();
        let read = read_all(format, &fields, bytes, 100).unwrap_or_default();
        assert_eq!(read.len(), records.len(), "{format}");
        assert!(read.iter().all(|r| r.version_id.is_none()
            && r.is_latest.is_none()
            && r.is_delete_marker.is_none()));
    }
}

#[test]
fn empty_report_reads_as_no_batches() {
    let fields = report_fields(&[], true);
    for format in FileFormat::ALL {
        let bytes = write_data_file(format, &fields, &[]).unwrap_or_default();
        assert!(!bytes.is_empty(), "{format} writes a valid empty file");
        let read = read_all(format, &fields, bytes, 10);
        assert_eq!(read.ok(), Some(vec![]), "{format}");
    }
}

#[test]
fn many_rows_stream_in_bounded_batches() {
    let fields = report_fields(&[InventoryField::Size, InventoryField::ETag], true);
    let records: Vec<_> = (0..20_000)
        .map(|i| common::full_record(i, &format!("k/{i}")))
        .collect();
    for format in FileFormat::ALL {
        let bytes = write_data_file(format, &fields, &records).unwrap_or_default();
        let reader = inventory_format::read_data_file(format, &fields, bytes, 1024);
        let mut rows = 0;
        let mut batches = 0;
        for batch in reader.into_iter().flatten() {
            let batch = batch.map_err(|e| e.to_string());
            let n = batch.map(|b| b.num_rows()).unwrap_or_default();
            assert!(n > 0 && n <= 1024, "{format}: batch of {n} rows");
            rows += n;
            batches += 1;
        }
        assert_eq!(rows, 20_000, "{format}");
        assert!(batches >= 20, "{format}: {batches} batches");
    }
}

#[test]
fn reader_is_send_and_huge_batch_size_is_fine() {
    fn assert_send<T: Send>(_: &T) {}
    let fields = report_fields(&[], false);
    for format in FileFormat::ALL {
        let bytes = write_data_file(format, &fields, &sample_records()).unwrap_or_default();
        let reader = inventory_format::read_data_file(format, &fields, bytes, usize::MAX);
        let reader = match reader {
            Ok(r) => r,
            Err(e) => panic!("{format}: {e}"),
        };
        assert_send(&reader);
        let rows: usize = reader.map(|b| b.map(|b| b.num_rows()).unwrap_or(0)).sum();
        assert_eq!(rows, sample_records().len(), "{format}");
    }
}

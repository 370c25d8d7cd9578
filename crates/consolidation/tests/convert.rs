//! Data files of every format in, normalised Parquet out.

mod common;

use bytes::Bytes;
use common::{consolidate, read_output, ts, HOSTILE_KEYS};
use consolidation::{
    consolidate_file, consolidate_file_with, BucketFigures, ConsolidateOptions, ConsolidationError,
    OutputCompression,
};
use inventory_format::{
    normalised_schema, report_fields, write_data_file, FileFormat, InventoryError, InventoryField,
    InventoryRecord,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{LogicalType, TimeUnit};
use parquet::file::reader::{FileReader, SerializedFileReader};

fn all_fields() -> Vec<InventoryField> {
    let optional: Vec<_> = InventoryField::ALL
        .into_iter()
        .filter(InventoryField::is_optional)
        .collect();
    report_fields(&optional, true)
}

/// One fully populated version per hostile key, plus a delete marker.
fn hostile_records() -> Vec<InventoryRecord> {
    let mut records: Vec<InventoryRecord> = HOSTILE_KEYS
        .iter()
        .enumerate()
        .map(|(i, key)| InventoryRecord {
            bucket: "amzn-s3-demo-source-bucket".to_owned(),
            key: (*key).to_owned(),
            version_id: Some(format!("v{i}<\"'>,")),
            is_latest: Some(i % 2 == 0),
            is_delete_marker: Some(false),
            size: Some(1_000 * i as i64 + 7),
            last_modified: Some(ts("2016-11-06T21:32:00.123Z") + chrono::Duration::days(i as i64)),
            e_tag: Some(format!("fba9dede5f27731c9771645a3986332{i}")),
            storage_class: Some(["STANDARD", "GLACIER", "STANDARD_IA"][i % 3].to_owned()),
            is_multipart_uploaded: Some(i % 3 == 0),
            replication_status: Some("COMPLETED".to_owned()),
            encryption_status: Some(["SSE-S3", "SSE-KMS"][i % 2].to_owned()),
            // Year 2500: beyond the nanosecond range.
            object_lock_retain_until_date: Some(ts("2500-01-01T00:00:00.000Z")),
            object_lock_mode: Some("GOVERNANCE".to_owned()),
            object_lock_legal_hold_status: Some("OFF".to_owned()),
            intelligent_tiering_access_tier: Some("FREQUENT".to_owned()),
            bucket_key_status: Some("DISABLED".to_owned()),
            checksum_algorithm: Some("CRC32".to_owned()),
            object_access_control_list: Some("eyJ2ZXJzaW9uIjoiMjAyMi0xMS0xMCJ9".to_owned()),
            object_owner: Some("75aa57f09aa0c8caeab4f8c24e99d10f".to_owned()),
            lifecycle_expiration_date: Some(ts("2027-01-01T00:00:00.000Z")),
        })
        .collect();
    records.push(InventoryRecord {
        bucket: "amzn-s3-demo-source-bucket".to_owned(),
        key: "<script>alert(1)</script>".to_owned(),
        version_id: Some("dm".to_owned()),
        is_latest: Some(true),
        is_delete_marker: Some(true),
        last_modified: Some(ts("2017-01-01T00:00:00.000Z")),
        ..InventoryRecord::default()
    });
    records
}

#[test]
fn every_format_round_trips_through_normalised_parquet() {
    let fields = all_fields();
    let records = hostile_records();
    let mut seen = Vec::new();
    for format in FileFormat::ALL {
        let (figures, parquet) =
            consolidate(format, &fields, &records, &ConsolidateOptions::default());
        assert_eq!(read_output(&parquet), records, "{format}");
        assert_eq!(figures.rows, records.len() as u64, "{format}");
        seen.push(figures);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
}

#[test]
fn missing_columns_come_out_null_and_snappy_works() {
    // An unversioned report with two optional fields.
    let fields = report_fields(&[InventoryField::Size, InventoryField::ETag], false);
    let records: Vec<InventoryRecord> = HOSTILE_KEYS
        .iter()
        .map(|key| InventoryRecord {
            bucket: "b".to_owned(),
            key: (*key).to_owned(),
            size: Some(5),
            e_tag: Some("abc".to_owned()),
            ..InventoryRecord::default()
        })
        .collect();
    let options = ConsolidateOptions {
        compression: OutputCompression::Snappy,
        ..ConsolidateOptions::default()
    };
    for format in FileFormat::ALL {
        let (figures, parquet) = consolidate(format, &fields, &records, &options);
        assert_eq!(read_output(&parquet), records, "{format}");
        assert_eq!(figures.objects, records.len() as u64, "{format}");
        assert_eq!(
            figures.bytes_by_storage_class["UNKNOWN"],
            5 * records.len() as u64
        );
    }
}

#[test]
fn output_has_the_normalised_schema_and_utc_millisecond_timestamps() {
    let fields = all_fields();
    let (_, parquet) = consolidate(
        FileFormat::Csv,
        &fields,
        &hostile_records(),
        &ConsolidateOptions::default(),
    );
    let parquet = Bytes::from(parquet);
    let builder = ParquetRecordBatchReaderBuilder::try_new(parquet.clone()).expect("open");
    let expected = normalised_schema();
    let names = |s: &arrow::datatypes::Schema| {
        s.fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(builder.schema()), names(&expected));

    let reader = SerializedFileReader::new(parquet).expect("open");
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    for name in [
        "last_modified_date",
        "object_lock_retain_until_date",
        "lifecycle_expiration_date",
    ] {
        let column = schema
            .columns()
            .iter()
            .find(|c| c.name() == name)
            .expect("column");
        assert_eq!(
            column.logical_type_ref(),
            Some(&LogicalType::timestamp(true, TimeUnit::MILLIS)),
            "{name}"
        );
    }
    let key = schema.columns().iter().find(|c| c.name() == "key");
    assert_eq!(
        key.and_then(|c| c.logical_type_ref()),
        Some(&LogicalType::String)
    );
}

#[test]
fn empty_data_file_gives_an_empty_valid_parquet_file() {
    let fields = all_fields();
    for format in FileFormat::ALL {
        let (figures, parquet) = consolidate(format, &fields, &[], &ConsolidateOptions::default());
        assert_eq!(figures, BucketFigures::default(), "{format}");
        assert!(read_output(&parquet).is_empty(), "{format}");
    }
}

#[test]
fn large_input_is_written_as_several_row_groups() {
    const ROWS: usize = 300_000;
    let fields = report_fields(&[InventoryField::Size], false);
    let records: Vec<InventoryRecord> = (0..ROWS)
        .map(|i| InventoryRecord {
            bucket: "b".to_owned(),
            key: format!("k/{i:06}"),
            size: Some(i as i64),
            ..InventoryRecord::default()
        })
        .collect();
    let data = write_data_file(FileFormat::Csv, &fields, &records).expect("write");
    drop(records);
    let options = ConsolidateOptions {
        max_row_group_rows: 64 * 1024,
        ..ConsolidateOptions::default()
    };
    let mut out = Vec::new();
    let figures = consolidate_file_with(
        &options,
        "data/large.csv.gz",
        FileFormat::Csv,
        &fields,
        data,
        &mut out,
    )
    .expect("consolidate");
    assert_eq!(figures.rows, ROWS as u64);
    assert_eq!(figures.bytes, (ROWS as u64 - 1) * ROWS as u64 / 2);
    assert_eq!(
        figures.largest_object.map(|o| (o.key, o.size)),
        Some((format!("k/{:06}", ROWS - 1), ROWS as u64 - 1))
    );

    let reader = SerializedFileReader::new(Bytes::from(out)).expect("open");
    let groups = reader.metadata().row_groups();
    assert_eq!(groups.len(), ROWS.div_ceil(64 * 1024));
    assert!(groups.iter().all(|g| g.num_rows() <= 64 * 1024));
    assert_eq!(
        groups.iter().map(|g| g.num_rows()).sum::<i64>(),
        ROWS as i64
    );
}

#[test]
fn row_groups_are_also_capped_by_bytes() {
    let fields = report_fields(&[], false);
    // Incompressible-ish distinct keys: ~1 KiB each.
    let records: Vec<InventoryRecord> = (0..2_000u64)
        .map(|i| InventoryRecord {
            bucket: "b".to_owned(),
            key: (0..64)
                .map(|j| format!("{:016x}", (i * 64 + j).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                .collect(),
            ..InventoryRecord::default()
        })
        .collect();
    // The cap is checked between batches: small batches, so it can bite.
    let options = ConsolidateOptions {
        batch_size: 100,
        max_row_group_bytes: 256 * 1024,
        ..ConsolidateOptions::default()
    };
    let (_, parquet) = consolidate(FileFormat::Parquet, &fields, &records, &options);
    let reader = SerializedFileReader::new(Bytes::from(parquet)).expect("open");
    assert!(reader.metadata().num_row_groups() >= 4);
}

fn expect_read_error(result: Result<BucketFigures, ConsolidationError>, format: FileFormat) {
    let e = match result {
        Err(e) => e,
        Ok(figures) => panic!("{format}: expected a read error, got {figures:?}"),
    };
    let message = e.to_string();
    match &e {
        ConsolidationError::Read {
            format: found, key, ..
        } => {
            assert_eq!(*found, format);
            assert_eq!(key, "data/bad");
        }
        other => panic!("{format}: expected a read error, got {other:?}"),
    }
    assert!(e.is_bad_input());
    assert!(
        message.starts_with(&format!("data/bad ({format})")),
        "{message}"
    );
}

#[test]
fn truncated_gzip_is_a_read_error() {
    let fields = all_fields();
    let records: Vec<InventoryRecord> = (0..2_000).flat_map(|_| hostile_records()).collect();
    let data = write_data_file(FileFormat::Csv, &fields, &records).expect("write");
    let truncated = data[..data.len() / 2].to_vec();
    let result = consolidate_file("data/bad", FileFormat::Csv, &fields, truncated, Vec::new());
    expect_read_error(result, FileFormat::Csv);
}

#[test]
fn garbage_is_a_read_error_in_every_format() {
    let fields = all_fields();
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    for format in FileFormat::ALL {
        let result = consolidate_file("data/bad", format, &fields, garbage.clone(), Vec::new());
        expect_read_error(result, format);
    }
}

#[test]
fn truncated_parquet_is_a_read_error() {
    let fields = all_fields();
    let data = write_data_file(FileFormat::Parquet, &fields, &hostile_records()).expect("write");
    let truncated = data[..data.len() - 10].to_vec();
    let result = consolidate_file(
        "data/bad",
        FileFormat::Parquet,
        &fields,
        truncated,
        Vec::new(),
    );
    expect_read_error(result, FileFormat::Parquet);
}

#[test]
fn a_bad_csv_value_names_its_record() {
    let fields = report_fields(&[InventoryField::Size], false);
    let mut csv = Vec::new();
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(&mut csv, flate2::Compression::fast());
        gz.write_all(b"\"b\",\"k1\",\"1\"\n\"b\",\"k2\",\"big\"\n")
            .expect("gzip");
        gz.finish().expect("gzip");
    }
    let result = consolidate_file("data/bad", FileFormat::Csv, &fields, csv, Vec::new());
    match result {
        Err(ConsolidationError::Read { source, .. }) => assert!(
            matches!(
                source,
                InventoryError::InvalidValue {
                    record: 2,
                    column: "Size",
                    ..
                }
            ),
            "{source}"
        ),
        other => panic!("expected a read error, got {other:?}"),
    }
}

#[test]
fn a_failing_sink_is_a_write_error() {
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("no space left on device"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let fields = all_fields();
    let data = write_data_file(FileFormat::Csv, &fields, &hostile_records()).expect("write");
    let result = consolidate_file("data/ok", FileFormat::Csv, &fields, data, Full);
    match result {
        Err(e @ ConsolidationError::Write { .. }) => {
            assert!(!e.is_bad_input());
            assert!(e.to_string().contains("no space left"), "{e}");
        }
        other => panic!("expected a write error, got {other:?}"),
    }
}

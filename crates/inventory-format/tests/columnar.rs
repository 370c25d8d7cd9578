//! ORC/Parquet specifics: the written physical schema, and robust reading.

mod common;

use std::io::{Seek, Write};
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use common::{read_all, sample_records};
use inventory_format::{
    read_data_file, records_from_batch, report_fields, write_data_file, DataSource, FileFormat,
    InventoryError, InventoryField,
};
use parquet::basic::{Compression, ConvertedType, Repetition, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};

fn all_fields() -> Vec<InventoryField> {
    InventoryField::ALL.to_vec()
}

#[test]
fn parquet_physical_schema_matches_documented_file_schema() {
    let bytes =
        write_data_file(FileFormat::Parquet, &all_fields(), &sample_records()).unwrap_or_default();
    let reader = match SerializedFileReader::new(Bytes::from(bytes)) {
        Ok(r) => r,
        Err(e) => panic!("parquet reader: {e}"),
    };
    let meta = reader.metadata();
    let schema = meta.file_metadata().schema_descr();
    assert_eq!(schema.root_schema().name(), "s3.inventory");
    assert!(meta
        .file_metadata()
        .key_value_metadata()
        .is_none_or(|kv| kv.iter().all(|e| e.key != "ARROW:schema")));
    assert_eq!(schema.num_columns(), 21);
    for (i, field) in InventoryField::ALL.iter().enumerate() {
        let column = schema.column(i);
        assert_eq!(column.name(), field.column_name());
        let repetition = column.self_type().get_basic_info().repetition();
        let want_repetition = if field.is_required() {
            Repetition::REQUIRED
        } else {
            Repetition::OPTIONAL
        };
        assert_eq!(repetition, want_repetition, "{}", field.column_name());
        let (physical, converted) = match field.field_type() {
            inventory_format::FieldType::Text => (PhysicalType::BYTE_ARRAY, ConvertedType::UTF8),
            inventory_format::FieldType::Flag => (PhysicalType::BOOLEAN, ConvertedType::NONE),
            inventory_format::FieldType::Integer => (PhysicalType::INT64, ConvertedType::NONE),
            inventory_format::FieldType::Timestamp => {
                (PhysicalType::INT64, ConvertedType::TIMESTAMP_MILLIS)
            }
        };
        assert_eq!(column.physical_type(), physical, "{}", field.column_name());
        assert_eq!(
            column.converted_type(),
            converted,
            "{}",
            field.column_name()
        );
    }
    assert_eq!(
        meta.row_group(0).column(0).compression(),
        Compression::SNAPPY
    );
}

#[test]
fn orc_types_match_documented_file_schema() {
    let bytes =
        write_data_file(FileFormat::Orc, &all_fields(), &sample_records()).unwrap_or_default();
    let builder = match orc_rust::ArrowReaderBuilder::try_new(Bytes::from(bytes)) {
        Ok(b) => b,
        Err(e) => panic!("orc reader: {e}"),
    };
    let meta = builder.file_metadata();
    let columns = meta.root_data_type().children();
    assert_eq!(columns.len(), 21);
    for (column, field) in columns.iter().zip(InventoryField::ALL) {
        assert_eq!(column.name(), field.column_name());
        let want = match field.field_type() {
            inventory_format::FieldType::Text => "STRING",
            inventory_format::FieldType::Flag => "BOOLEAN",
            inventory_format::FieldType::Integer => "LONG",
            inventory_format::FieldType::Timestamp => "TIMESTAMP",
        };
        assert_eq!(
            column.data_type().to_string(),
            want,
            "{}",
            field.column_name()
        );
    }
    assert_eq!(
        meta.compression()
            .map(|c| c.compression_type().to_string())
            .as_deref(),
        Some("Zlib")
    );
}

#[test]
fn reads_from_a_local_file() {
    let fields = report_fields(&[InventoryField::Size], true);
    let records = sample_records();
    for format in FileFormat::ALL {
        let bytes = write_data_file(format, &fields, &records).unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "inventory-format-test-{}.{}",
            std::process::id(),
            format.extension()
        ));
        let file = std::fs::File::create(&path).and_then(|mut f| {
            f.write_all(&bytes)?;
            f.rewind()?;
            std::fs::File::open(&path)
        });
        let file = match file {
            Ok(f) => f,
            Err(e) => panic!("temp file: {e}"),
        };
        let reader = read_data_file(format, &fields, DataSource::File(file), 3);
        let mut got = Vec::new();
        for batch in reader.into_iter().flatten() {
            got.extend(batch.map(|b| records_from_batch(&b)).unwrap_or_default());
        }
        let _ = std::fs::remove_file(&path);
        let want: Vec<_> = records.iter().map(|r| r.projected(&fields)).collect();
        assert_eq!(got, want, "{format}");
    }
}

#[test]
fn missing_column_is_an_error() {
    let written = report_fields(&[InventoryField::Size], false);
    let expected = report_fields(&[InventoryField::Size, InventoryField::ETag], false);
    for format in [FileFormat::Orc, FileFormat::Parquet] {
        let bytes = write_data_file(format, &written, &sample_records()).unwrap_or_default();
        match read_data_file(format, &expected, bytes, 10) {
            Err(InventoryError::MissingColumn { column, .. }) => assert_eq!(column, "e_tag"),
            Err(e) => panic!("{format}: expected MissingColumn, got {e:?}"),
            Ok(_) => panic!("{format}: expected MissingColumn"),
        }
    }
}

/// A Parquet file written by someone else: extra unknown column, a
/// string-typed size.
fn foreign_parquet(size_type: DataType) -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("bucket", DataType::Utf8, false),
        Field::new("key", DataType::Utf8, false),
        Field::new("size", size_type.clone(), true),
        Field::new("some_future_field", DataType::Utf8, true),
    ]));
    let size: arrow::array::ArrayRef = match size_type {
        DataType::Utf8 => Arc::new(StringArray::from(vec![Some("12")])),
        _ => Arc::new(Int64Array::from(vec![Some(12)])),
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["b"])),
            Arc::new(StringArray::from(vec!["k"])),
            size,
            Arc::new(StringArray::from(vec![Some("x")])),
        ],
    );
    let mut out = Vec::new();
    let written = batch.map_err(|e| e.to_string()).and_then(|batch| {
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None)
            .map_err(|e| e.to_string())?;
        w.write(&batch).map_err(|e| e.to_string())?;
        w.close().map(|_| ()).map_err(|e| e.to_string())
    });
    assert!(written.is_ok(), "{written:?}");
    out
}

#[test]
fn unknown_columns_are_skipped() {
    let fields = report_fields(&[InventoryField::Size], false);
    let records = read_all(
        FileFormat::Parquet,
        &fields,
        foreign_parquet(DataType::Int64),
        10,
    );
    let records = records.unwrap_or_default();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].size, Some(12));
}

#[test]
fn wrong_column_type_is_an_error() {
    let fields = report_fields(&[InventoryField::Size], false);
    match read_data_file(
        FileFormat::Parquet,
        &fields,
        foreign_parquet(DataType::Utf8),
        10,
    ) {
        Err(InventoryError::ColumnType { column, found, .. }) => {
            assert_eq!(column, "size");
            assert_eq!(found, "Utf8");
        }
        Err(e) => panic!("expected ColumnType, got {e:?}"),
        Ok(_) => panic!("expected ColumnType"),
    }
}

#[test]
fn corrupt_files_are_errors_not_panics() {
    let fields = report_fields(&[InventoryField::Size], false);
    for format in [FileFormat::Orc, FileFormat::Parquet] {
        let garbage = b"definitely not a columnar file, just some text".to_vec();
        assert!(
            matches!(
                read_data_file(format, &fields, garbage, 10),
                Err(InventoryError::Decode { .. })
            ),
            "{format}"
        );
        let records: Vec<_> = (0..3000)
            .map(|i| common::full_record(i, &format!("k{i}")))
            .collect();
        let mut bytes = write_data_file(format, &fields, &records).unwrap_or_default();
        // Damage the data pages but keep the footer intact.
        let len = bytes.len();
        for b in &mut bytes[8..len / 2] {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        let result = read_all(format, &fields, bytes, 100);
        // orc-rust panics inside on this damage; it must surface as an error.
        assert!(
            matches!(result, Err(InventoryError::Decode { .. })),
            "{format}: {result:?}"
        );
    }
}

#[test]
fn bigint_dates_read_as_epoch_millis() {
    // The Athena ORC template declares object_lock_retain_until_date bigint.
    let schema = Arc::new(Schema::new(vec![
        Field::new("bucket", DataType::Utf8, false),
        Field::new("key", DataType::Utf8, false),
        Field::new("object_lock_retain_until_date", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["b", "b"])),
            Arc::new(StringArray::from(vec!["k1", "k2"])),
            Arc::new(Int64Array::from(vec![Some(1_514_944_800_123), None])),
        ],
    );
    let mut out = Vec::new();
    let written = batch.map_err(|e| e.to_string()).and_then(|batch| {
        let mut w = orc_rust::ArrowWriterBuilder::new(&mut out, schema)
            .try_build()
            .map_err(|e| e.to_string())?;
        w.write(&batch).map_err(|e| e.to_string())?;
        w.close().map_err(|e| e.to_string())
    });
    assert!(written.is_ok(), "{written:?}");
    let fields = report_fields(&[InventoryField::ObjectLockRetainUntilDate], false);
    let records = read_all(FileFormat::Orc, &fields, out, 10).unwrap_or_default();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].object_lock_retain_until_date,
        Some(common::ts(1_514_944_800_123))
    );
    assert_eq!(records[1].object_lock_retain_until_date, None);
}

/// Ranged reads of an in-memory file, counted.
struct Ranges(Bytes);

impl inventory_format::read::RangeRead for Ranges {
    fn read_range(&self, start: u64, length: u64) -> std::io::Result<Bytes> {
        Ok(self.0.slice(start as usize..(start + length) as usize))
    }
}

#[test]
fn reads_every_format_from_a_forward_stream_and_hashes_it() {
    use inventory_format::ForwardFile;
    let fields = report_fields(&[InventoryField::Size, InventoryField::StorageClass], true);
    let records = sample_records();
    let want: Vec<_> = records.iter().map(|r| r.projected(&fields)).collect();
    for format in FileFormat::ALL {
        let bytes = Bytes::from(write_data_file(format, &fields, &records).unwrap_or_default());
        let md5 = inventory_format::manifest::md5_hex(&bytes);
        // A window that holds the whole file, and one that holds nothing (every read back is a
        // ranged read): the same records either way, and the hash of the whole stream.
        for retain in [u64::MAX, 0] {
            let tail = bytes.slice(bytes.len().saturating_sub(64 * 1024)..);
            let file = ForwardFile::new(std::io::Cursor::new(bytes.clone()), bytes.len() as u64);
            let file = match format {
                FileFormat::Csv => file,
                _ => file
                    .with_tail(tail)
                    .retaining(retain)
                    .with_ranges(Ranges(bytes.clone())),
            };
            let reader = read_data_file(format, &fields, file.clone(), 2);
            let mut got = Vec::new();
            for batch in reader.into_iter().flatten() {
                got.extend(batch.map(|b| records_from_batch(&b)).unwrap_or_default());
            }
            assert_eq!(got, want, "{format}, window {retain}");
            let (streamed_md5, stats) = file.finish().expect("finish");
            assert_eq!(streamed_md5, md5, "{format}");
            assert_eq!(stats.streamed, bytes.len() as u64);
            if retain == u64::MAX {
                assert_eq!(stats.ranged_reads, 0, "{format}: {stats:?}");
            }
        }
    }
}

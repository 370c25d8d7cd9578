//! CSV specifics: exact bytes written, AWS-style input, malformed input.

mod common;

use std::io::{Read, Write};

use common::{full_record, read_all, ts};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use inventory_format::manifest::Md5Reader;
use inventory_format::{
    read_data_file, records_from_batch, report_fields, write_data_file, DataSource, FileFormat,
    InventoryError, InventoryField, InventoryRecord, ManifestFile,
};

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    let read = GzDecoder::new(bytes).read_to_string(&mut text);
    assert!(read.is_ok(), "written CSV is gzip: {read:?}");
    text
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = gz.write_all(text.as_bytes());
    gz.finish().unwrap_or_default()
}

#[test]
fn writes_quoted_headerless_gzip_with_encoded_keys() {
    use InventoryField::*;
    let fields = vec![
        Bucket,
        Key,
        VersionId,
        IsLatest,
        IsDeleteMarker,
        Size,
        LastModifiedDate,
        ETag,
    ];
    let mut record = full_record(0, "dir/sub dir/a+b \"q\",100%.txt");
    record.version_id = None;
    record.last_modified = Some(ts(1_478_467_920_123));
    let marker = common::delete_marker("x");
    let bytes = write_data_file(FileFormat::Csv, &fields, &[record, marker]).unwrap_or_default();
    assert_eq!(
        gunzip(&bytes),
        "\"amzn-s3-demo-source-bucket\",\"dir%2Fsub+dir%2Fa%2Bb+%22q%22%2C100%25.txt\",\"\",\"true\",\"false\",\"434234\",\"2016-11-06T21:32:00.123Z\",\"fba9dede5f27731c9771645a39863320\"\n\
         \"amzn-s3-demo-source-bucket\",\"x\",\"03jpff543dhffds434rfdsFDN943fdsFkdmqnh892\",\"true\",\"true\",\"\",\"2016-11-06T21:33:19.000Z\",\"\"\n"
    );
}

#[test]
fn reads_aws_style_csv() {
    use InventoryField::*;
    let fields = vec![
        Bucket,
        Key,
        VersionId,
        IsLatest,
        IsDeleteMarker,
        Size,
        LastModifiedDate,
        StorageClass,
    ];
    let text = "\"b\",\"photos%2F2016%2Fmy+cat+%2B+dog.jpg\",\"\",\"True\",\"FALSE\",\"5\",\"2016-11-06T21:32:00.000Z\",\"STANDARD\"\n\
                \"b\",\"deleted\",\"v2\",\"true\",\"true\",\"\",\"2017-01-01T00:00:00Z\",\"\"\n";
    let records = read_all(FileFormat::Csv, &fields, gzip(text), 10).unwrap_or_default();
    assert_eq!(
        records,
        vec![
            InventoryRecord {
                bucket: "b".into(),
                key: "photos/2016/my cat + dog.jpg".into(),
                is_latest: Some(true),
                is_delete_marker: Some(false),
                size: Some(5),
                last_modified: Some(ts(1_478_467_920_000)),
                storage_class: Some("STANDARD".into()),
                ..Default::default()
            },
            InventoryRecord {
                bucket: "b".into(),
                key: "deleted".into(),
                version_id: Some("v2".into()),
                is_latest: Some(true),
                is_delete_marker: Some(true),
                last_modified: Some(ts(1_483_228_800_000)),
                ..Default::default()
            },
        ]
    );
}

/// Reads `text` (gzipped) and returns the first error.
fn first_error(fields: &[InventoryField], text: &str) -> InventoryError {
    first_error_bytes(fields, gzip(text))
}

fn first_error_bytes(fields: &[InventoryField], bytes: Vec<u8>) -> InventoryError {
    let reader = match read_data_file(FileFormat::Csv, fields, bytes, 1) {
        Ok(r) => r.with_file_key("inv/src/cfg/data/bad.csv.gz"),
        Err(e) => return e,
    };
    let mut seen = 0;
    for batch in reader {
        match batch {
            Ok(_) => seen += 1,
            Err(e) => return e,
        }
    }
    panic!("expected an error, read {seen} batches");
}

fn inner(e: InventoryError) -> InventoryError {
    match e {
        InventoryError::InFile { key, source } => {
            assert_eq!(key, "inv/src/cfg/data/bad.csv.gz");
            *source
        }
        other => other,
    }
}

#[test]
fn wrong_column_count_names_the_record() {
    let fields = report_fields(&[InventoryField::Size], false);
    let e = first_error(&fields, "\"b\",\"k\",\"1\"\n\"b\",\"k2\"\n");
    let text = e.to_string();
    assert!(text.contains("bad.csv.gz"), "{text}");
    match inner(e) {
        InventoryError::CsvRecord {
            record,
            line,
            message,
        } => {
            assert_eq!((record, line), (2, 2));
            assert!(message.contains("expected 3 columns"), "{message}");
        }
        other => panic!("expected CsvRecord, got {other:?}"),
    }
}

#[test]
fn bad_values_name_record_and_column() {
    use InventoryField::*;
    let fields = vec![Bucket, Key, IsLatest, Size, LastModifiedDate];
    let cases = [
        ("\"b\",\"k\",\"true\",\"12\",\"2016-11-06T21:32:00.000Z\"\n\"b\",\"k\",\"true\",\"twelve\",\"\"\n", 2, "Size", "twelve"),
        ("\"b\",\"k\",\"yes\",\"1\",\"\"\n", 1, "IsLatest", "yes"),
        ("\"b\",\"k\",\"\",\"\",\"06/11/2016\"\n", 1, "LastModifiedDate", "06/11/2016"),
        ("\"b\",\"bad%zzkey\",\"\",\"\",\"\"\n", 1, "Key", "bad%zzkey"),
        ("\"b\",\"%FF\",\"\",\"\",\"\"\n", 1, "Key", "%FF"),
    ];
    for (text, want_record, want_column, want_value) in cases {
        match inner(first_error(&fields, text)) {
            InventoryError::InvalidValue {
                record,
                column,
                value,
                ..
            } => {
                assert_eq!(record, want_record, "{text}");
                assert_eq!(column, want_column);
                assert_eq!(value, want_value);
            }
            other => panic!("expected InvalidValue for {text:?}, got {other:?}"),
        }
    }
}

#[test]
fn not_gzip_or_truncated_is_an_error_not_a_panic() {
    let fields = report_fields(&[], false);
    let e = inner(first_error_bytes(&fields, b"\"b\",\"k\"\n".to_vec()));
    assert!(matches!(e, InventoryError::CsvRecord { .. }), "{e:?}");

    let records: Vec<_> = (0..2000)
        .map(|i| full_record(i, &format!("key-{i}")))
        .collect();
    let whole = write_data_file(FileFormat::Csv, &fields, &records).unwrap_or_default();
    let truncated = whole[..whole.len() / 2].to_vec();
    let e = inner(first_error_bytes(&fields, truncated));
    assert!(matches!(e, InventoryError::CsvRecord { .. }), "{e:?}");
}

#[test]
fn unterminated_quote_and_invalid_utf8_are_errors() {
    let fields = report_fields(&[], false);
    // An unterminated quote swallows the rest of the file into one field,
    // which then has the wrong column count.
    let e = inner(first_error(&fields, "\"b\",\"k\n\"b\",\"k2\"\n"));
    assert!(matches!(e, InventoryError::CsvRecord { .. }), "{e:?}");
    let mut raw = b"\"b\",\"".to_vec();
    raw.extend([0xff, 0xfe]);
    raw.extend(b"\"\n");
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = gz.write_all(&raw);
    let e = inner(first_error_bytes(&fields, gz.finish().unwrap_or_default()));
    assert!(matches!(e, InventoryError::CsvRecord { .. }), "{e:?}");
}

#[test]
fn streams_from_a_reader_and_verifies_md5_on_the_way() {
    let fields = report_fields(&[InventoryField::Size], true);
    let records: Vec<_> = (0..500).map(|i| full_record(i, &format!("k{i}"))).collect();
    let bytes = write_data_file(FileFormat::Csv, &fields, &records).unwrap_or_default();
    let file = ManifestFile::describe("data/x.csv.gz", &bytes);
    let (reader, md5) = Md5Reader::new(std::io::Cursor::new(bytes));
    let batches = read_data_file(FileFormat::Csv, &fields, DataSource::stream(reader), 64);
    let mut rows = 0;
    for batch in batches.into_iter().flatten() {
        rows += batch
            .map(|b| records_from_batch(&b).len())
            .unwrap_or_default();
    }
    assert_eq!(rows, 500);
    assert!(file.verify_md5(&md5.hex()).is_ok());
}

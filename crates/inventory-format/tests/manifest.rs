//! manifest.json parsing against AWS's documented examples, fileSchema
//! strings, checksums.

use inventory_format::manifest::{fields_from_schema, file_schema, md5_hex, MANIFEST_VERSION};
use inventory_format::{
    report_fields, FileFormat, InventoryError, InventoryField, InventoryManifest, ManifestFile,
};

const CSV_EXAMPLE: &str = include_str!("fixtures/manifest-csv.json");
const ORC_EXAMPLE: &str = include_str!("fixtures/manifest-orc.json");
const PARQUET_EXAMPLE: &str = include_str!("fixtures/manifest-parquet.json");
const PARQUET_2021_EXAMPLE: &str = include_str!("fixtures/manifest-parquet-2021.json");

/// The documented examples list every field up to `ObjectOwner`, with all versions.
fn documented_fields() -> Vec<InventoryField> {
    let optional: Vec<_> = InventoryField::ALL
        .into_iter()
        .filter(|f| f.is_optional() && *f != InventoryField::LifecycleExpirationDate)
        .collect();
    report_fields(&optional, true)
}

fn parse(json: &str) -> InventoryManifest {
    match InventoryManifest::parse(json.as_bytes()) {
        Ok(m) => m,
        Err(e) => panic!("documented example does not parse: {e}"),
    }
}

#[test]
fn parses_documented_csv_example() {
    let m = parse(CSV_EXAMPLE);
    assert_eq!(m.source_bucket, "amzn-s3-demo-source-bucket");
    assert_eq!(
        m.destination_bucket,
        "arn:aws:s3:::example-inventory-destination-bucket"
    );
    assert_eq!(m.version, MANIFEST_VERSION);
    assert_eq!(m.creation_timestamp, "1514944800000");
    assert_eq!(
        m.creation_time().map(|t| t.to_rfc3339()).ok().as_deref(),
        Some("2018-01-03T02:00:00+00:00")
    );
    assert_eq!(m.file_format, FileFormat::Csv);
    assert_eq!(
        m.files,
        vec![ManifestFile {
            key: "Inventory/amzn-s3-demo-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz".to_owned(),
            size: 2_147_483_647,
            md5_checksum: "f11166069f1990abeb9c97ace9cdfabc".to_owned(),
        }]
    );
    assert_eq!(m.fields().ok(), Some(documented_fields()));
}

#[test]
fn parses_documented_orc_and_parquet_examples() {
    for (json, format) in [
        (ORC_EXAMPLE, FileFormat::Orc),
        (PARQUET_EXAMPLE, FileFormat::Parquet),
    ] {
        let m = parse(json);
        assert_eq!(m.file_format, format);
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].size, 56291);
        assert!(m.files[0].key.ends_with(format.extension()));
        assert_eq!(m.fields().ok(), Some(documented_fields()), "{format}");
    }
    let old = parse(PARQUET_2021_EXAMPLE);
    let fields = old.fields().unwrap_or_default();
    assert_eq!(fields.last(), Some(&InventoryField::ChecksumAlgorithm));
    assert_eq!(fields.len(), 18);
}

#[test]
fn file_schema_equals_documented_strings() {
    let fields = documented_fields();
    for json in [CSV_EXAMPLE, ORC_EXAMPLE, PARQUET_EXAMPLE] {
        let m = parse(json);
        assert_eq!(file_schema(m.file_format, &fields), m.file_schema);
    }
}

#[test]
fn file_schema_types_for_lifecycle_expiration_date() {
    let fields = [
        InventoryField::Bucket,
        InventoryField::Key,
        InventoryField::LifecycleExpirationDate,
    ];
    assert_eq!(
        file_schema(FileFormat::Csv, &fields),
        "Bucket, Key, LifecycleExpirationDate"
    );
    assert_eq!(
        file_schema(FileFormat::Orc, &fields),
        "struct<bucket:string,key:string,lifecycle_expiration_date:timestamp>"
    );
    assert_eq!(
        file_schema(FileFormat::Parquet, &fields),
        "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); \
         optional int64 lifecycle_expiration_date (TIMESTAMP_MILLIS);}"
    );
}

#[test]
fn fields_from_schema_inverts_file_schema() {
    let optional: Vec<_> = InventoryField::ALL
        .into_iter()
        .filter(InventoryField::is_optional)
        .collect();
    let selections = [
        report_fields(&[], false),
        report_fields(&[], true),
        report_fields(&[InventoryField::ETag, InventoryField::Size], false),
        report_fields(&optional, true),
    ];
    for format in FileFormat::ALL {
        for fields in &selections {
            let schema = file_schema(format, fields);
            assert_eq!(
                fields_from_schema(format, &schema).ok().as_ref(),
                Some(fields),
                "{schema}"
            );
        }
    }
}

#[test]
fn unknown_column_is_an_error_naming_it() {
    let cases = [
        (FileFormat::Csv, "Bucket, Key, Frobnicate"),
        (FileFormat::Orc, "struct<bucket:string,key:string,frobnicate:string>"),
        (
            FileFormat::Parquet,
            "message s3.inventory { required binary bucket (UTF8); optional binary frobnicate (UTF8); }",
        ),
    ];
    for (format, schema) in cases {
        match fields_from_schema(format, schema) {
            Err(e @ InventoryError::UnknownField { .. }) => {
                assert!(e.to_string().to_lowercase().contains("frobnicate"), "{e}")
            }
            other => panic!("{format}: expected UnknownField, got {other:?}"),
        }
    }
    // The CSV dialect uses config names, not column names.
    assert!(fields_from_schema(FileFormat::Csv, "bucket, key").is_err());
}

#[test]
fn malformed_schemas_are_errors() {
    assert!(matches!(
        fields_from_schema(FileFormat::Orc, "bucket:string"),
        Err(InventoryError::Schema { .. })
    ));
    assert!(matches!(
        fields_from_schema(
            FileFormat::Parquet,
            "message s3.inventory required binary bucket"
        ),
        Err(InventoryError::Schema { .. })
    ));
    assert!(matches!(
        fields_from_schema(FileFormat::Csv, "Bucket, Key, Key"),
        Err(InventoryError::Schema { .. })
    ));
    assert!(fields_from_schema(FileFormat::Csv, "").is_err());
}

#[test]
fn bad_manifests_are_typed_errors() {
    assert!(matches!(
        InventoryManifest::parse(b"{not json"),
        Err(InventoryError::Manifest { .. })
    ));
    let wrong_format = CSV_EXAMPLE.replace("\"CSV\"", "\"XML\"");
    let err = InventoryManifest::parse(wrong_format.as_bytes()).err();
    assert!(err.map(|e| e.to_string().contains("XML")).unwrap_or(false));
    let bad_ts = CSV_EXAMPLE.replace("1514944800000", "yesterday");
    assert!(matches!(
        parse(&bad_ts).creation_time(),
        Err(InventoryError::InvalidTimestamp { .. })
    ));
}

#[test]
fn to_json_round_trips_with_aws_names() {
    let m = parse(PARQUET_EXAMPLE);
    let json = m.to_json();
    let text = String::from_utf8(json.clone()).unwrap_or_default();
    for name in [
        "\"sourceBucket\"",
        "\"destinationBucket\"",
        "\"version\"",
        "\"creationTimestamp\"",
        "\"fileFormat\": \"Parquet\"",
        "\"fileSchema\"",
        "\"files\"",
        "\"MD5checksum\"",
    ] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    assert_eq!(InventoryManifest::parse(&json).ok(), Some(m));
}

#[test]
fn new_builds_what_s3_writes() {
    let created = chrono::DateTime::from_timestamp_millis(1_514_944_800_000).unwrap_or_default();
    let fields = report_fields(&[InventoryField::Size], false);
    let file = ManifestFile::describe("p/src/cfg/data/x.csv.gz", b"data");
    let m = InventoryManifest::new("src", "dest", created, FileFormat::Csv, &fields, vec![file]);
    assert_eq!(m.destination_bucket, "arn:aws:s3:::dest");
    assert_eq!(m.version, "2016-11-30");
    assert_eq!(m.creation_timestamp, "1514944800000");
    assert_eq!(m.file_schema, "Bucket, Key, Size");
    assert_eq!(m.files[0].size, 4);
    assert_eq!(m.files[0].md5_checksum, md5_hex(b"data"));
}

#[test]
fn md5_verification() {
    let content = b"\x1f\x8b some data file bytes";
    let file = ManifestFile::describe("k", content);
    assert_eq!(file.md5_checksum.len(), 32);
    assert!(file.verify(content).is_ok());
    let upper = ManifestFile {
        md5_checksum: file.md5_checksum.to_uppercase(),
        ..file.clone()
    };
    assert!(upper.verify(content).is_ok());
    match file.verify(b"tampered") {
        Err(InventoryError::ChecksumMismatch {
            key,
            expected,
            actual,
        }) => {
            assert_eq!(key, "k");
            assert_eq!(expected, file.md5_checksum);
            assert_eq!(actual, md5_hex(b"tampered"));
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    // manifest.checksum is the MD5 of the manifest.json bytes.
    assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
}

//! Writes a small sample report in every format, the way S3 lays it out:
//! data files, `manifest.json`, `manifest.checksum` and `symlink.txt`.
//!
//! Usage: `cargo run -p inventory-format --example write_sample_report -- <dir>`
//!
//! Used to check the files with independent readers (pyarrow), see
//! `docs/s3-inventory-format.md`.

use std::path::Path;

use chrono::{DateTime, Utc};
use inventory_format::manifest::{
    data_file_key, hive_symlink_key, manifest_checksum_key, manifest_json_key, md5_hex, symlink_txt,
};
use inventory_format::{
    report_fields, write_data_file, FileFormat, InventoryError, InventoryField, InventoryManifest,
    InventoryRecord, ManifestFile,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample-report".to_owned());
    let created = DateTime::from_timestamp_millis(1_514_944_800_000).unwrap_or_default();
    let optional: Vec<_> = InventoryField::ALL
        .into_iter()
        .filter(InventoryField::is_optional)
        .collect();
    let fields = report_fields(&optional, true);
    let records = sample(created);
    for format in FileFormat::ALL {
        let config_id = format!("sample-{}", format.extension().replace('.', "-"));
        write_report(
            Path::new(&out),
            format,
            &config_id,
            &fields,
            &records,
            created,
        )?;
    }
    println!("wrote sample reports under {out}");
    Ok(())
}

fn write_report(
    out: &Path,
    format: FileFormat,
    config_id: &str,
    fields: &[InventoryField],
    records: &[InventoryRecord],
    created: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (prefix, source, dest) = (Some("inventory"), "amzn-s3-demo-source-bucket", "dest");
    let data = write_data_file(format, fields, records)?;
    let data_key = data_file_key(
        prefix,
        source,
        config_id,
        &format!(
            "00000000-0000-4000-8000-000000000000.{}",
            format.extension()
        ),
    );
    let manifest = InventoryManifest::new(
        source,
        dest,
        created,
        format,
        fields,
        vec![ManifestFile::describe(data_key.clone(), &data)],
    );
    let json = manifest.to_json();
    let put = |key: &str, bytes: &[u8]| -> Result<(), InventoryError> {
        let path = out.join(key);
        let io = |source| InventoryError::Io {
            context: "writing the sample report",
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(&path, bytes).map_err(io)
    };
    put(&data_key, &data)?;
    put(
        &manifest_json_key(prefix, source, config_id, created),
        &json,
    )?;
    put(
        &manifest_checksum_key(prefix, source, config_id, created),
        md5_hex(&json).as_bytes(),
    )?;
    put(
        &hive_symlink_key(prefix, source, config_id, created),
        symlink_txt(dest, &[data_key]).as_bytes(),
    )?;
    Ok(())
}

fn sample(created: DateTime<Utc>) -> Vec<InventoryRecord> {
    let base = InventoryRecord {
        bucket: "amzn-s3-demo-source-bucket".to_owned(),
        is_latest: Some(true),
        is_delete_marker: Some(false),
        size: Some(434_234),
        last_modified: Some(created),
        e_tag: Some("fba9dede5f27731c9771645a39863328".to_owned()),
        storage_class: Some("STANDARD".to_owned()),
        is_multipart_uploaded: Some(false),
        encryption_status: Some("SSE-S3".to_owned()),
        bucket_key_status: Some("DISABLED".to_owned()),
        ..InventoryRecord::default()
    };
    vec![
        InventoryRecord {
            key: "photos/my cat + dog.jpg".to_owned(),
            version_id: Some("3/L4kqtJl40Nr8X8gdRQBpUMLUo".to_owned()),
            object_lock_retain_until_date: Some(created + chrono::Duration::days(365)),
            object_lock_mode: Some("GOVERNANCE".to_owned()),
            lifecycle_expiration_date: Some(created + chrono::Duration::days(30)),
            ..base.clone()
        },
        InventoryRecord {
            key: "日本語/<script>\"q\",100%.txt".to_owned(),
            ..base.clone()
        },
        InventoryRecord {
            bucket: base.bucket.clone(),
            key: "photos/my cat + dog.jpg".to_owned(),
            version_id: Some("null".to_owned()),
            is_latest: Some(false),
            is_delete_marker: Some(true),
            last_modified: Some(created),
            ..InventoryRecord::default()
        },
    ]
}

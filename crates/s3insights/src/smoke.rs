//! A smoke test's reports: instead of waiting up to 48 hours for S3's first daily report, a smoke
//! test samples each waiting bucket's versions and writes a small report itself, in S3's documented
//! format and layout (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html>),
//! so the rest of the run (notification, processor, Athena, report) is exercised exactly as by S3's.
//!
//! This module is the pure part: the sampled versions as inventory records, and the report's three
//! objects (data file, `manifest.json`, `manifest.checksum`), in the order S3 writes them: the
//! checksum last, since its arrival is what the processor is notified of.

use chrono::{DateTime, Utc};
use inventory_format::manifest::{
    data_file_key, manifest_checksum_key, manifest_json_key, md5_hex,
};
use inventory_format::{
    report_fields, write_data_file, FileFormat, InventoryError, InventoryField, InventoryManifest,
    InventoryRecord, ManifestFile,
};

/// Object versions sampled per bucket (one `ListObjectVersions` page).
pub const SAMPLE: i32 = 1000;

/// The optional fields a smoke report carries: those a version listing gives.
pub const FIELDS: [InventoryField; 4] = [
    InventoryField::Size,
    InventoryField::LastModifiedDate,
    InventoryField::ETag,
    InventoryField::StorageClass,
];

/// One sampled entry of a `ListObjectVersions` page, key decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SampledVersion {
    /// The object key.
    pub key: String,
    /// Its version id.
    pub version_id: Option<String>,
    /// Whether it is the current version.
    pub is_latest: Option<bool>,
    /// Whether it is a delete marker (which has no size, ETag or storage class).
    pub is_delete_marker: bool,
    /// Size in bytes.
    pub size: Option<i64>,
    /// Last modified.
    pub last_modified: Option<DateTime<Utc>>,
    /// The ETag as the listing gives it (quoted).
    pub e_tag: Option<String>,
    /// Storage class.
    pub storage_class: Option<String>,
}

/// The inventory records of `bucket`'s sampled versions, as S3 Inventory lists them: ETags without
/// the quotes a listing puts around them.
pub fn records(bucket: &str, sampled: &[SampledVersion]) -> Vec<InventoryRecord> {
    sampled
        .iter()
        .map(|v| InventoryRecord {
            bucket: bucket.to_string(),
            key: v.key.clone(),
            version_id: v.version_id.clone(),
            is_latest: v.is_latest,
            is_delete_marker: Some(v.is_delete_marker),
            size: v.size,
            last_modified: v.last_modified,
            e_tag: v.e_tag.as_ref().map(|e| e.trim_matches('"').to_string()),
            storage_class: v.storage_class.clone(),
            ..Default::default()
        })
        .collect()
}

/// Where a smoke report goes: the source bucket and its place in the staging bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination<'a> {
    /// The source bucket's account.
    pub account: &'a str,
    /// The source bucket's region.
    pub region: &'a str,
    /// The source bucket.
    pub bucket: &'a str,
    /// The run's staging bucket in that region.
    pub staging_bucket: &'a str,
    /// The run's inventory configuration id.
    pub configuration_id: &'a str,
}

/// One object of a report, to be written to the staging bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportObject {
    /// Its key in the staging bucket.
    pub key: String,
    /// Its bytes.
    pub body: Vec<u8>,
    /// Its content type.
    pub content_type: &'static str,
}

/// The report S3 would deliver for `records`: a Parquet data file named `file_name`, the manifest
/// listing it with its MD5, and the manifest's checksum, at the keys S3 uses for the run's configuration
/// ([`crate::configuration::destination_prefix`]), in writing order.
pub fn report(
    destination: &Destination<'_>,
    records: &[InventoryRecord],
    created: DateTime<Utc>,
    file_name: &str,
) -> Result<[ReportObject; 3], InventoryError> {
    let Destination {
        account,
        region,
        bucket,
        staging_bucket,
        configuration_id,
    } = *destination;
    let prefix = crate::configuration::destination_prefix(account, region);
    let prefix = Some(prefix.as_str());
    let fields = report_fields(&FIELDS, true);
    let data = write_data_file(FileFormat::Parquet, &fields, records)?;
    let data_key = data_file_key(prefix, bucket, configuration_id, file_name);
    let file = ManifestFile::describe(data_key.clone(), &data);
    let manifest = InventoryManifest::new(
        bucket,
        staging_bucket,
        created,
        FileFormat::Parquet,
        &fields,
        vec![file],
    )
    .to_json();
    let checksum = md5_hex(&manifest);
    Ok([
        ReportObject {
            key: data_key,
            body: data,
            content_type: "application/octet-stream",
        },
        ReportObject {
            key: manifest_json_key(prefix, bucket, configuration_id, created),
            body: manifest,
            content_type: "application/json",
        },
        ReportObject {
            key: manifest_checksum_key(prefix, bucket, configuration_id, created),
            body: checksum.into_bytes(),
            content_type: "text/plain",
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrival::{accept, ReportArrival, ReportKey};
    use crate::names::Deployment;
    use chrono::TimeZone;

    fn sampled() -> Vec<SampledVersion> {
        vec![
            SampledVersion {
                key: "a b/<x>.txt".into(),
                version_id: Some("v1".into()),
                is_latest: Some(true),
                size: Some(5),
                e_tag: Some("\"5d41402abc4b2a76b9719d911017c592\"".into()),
                storage_class: Some("STANDARD".into()),
                ..Default::default()
            },
            SampledVersion {
                key: "gone".into(),
                version_id: Some("v2".into()),
                is_latest: Some(true),
                is_delete_marker: true,
                ..Default::default()
            },
        ]
    }

    #[test]
    fn sampled_versions_become_inventory_records() {
        let records = records("photos", &sampled());
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].bucket, "photos");
        assert_eq!(records[0].key, "a b/<x>.txt");
        assert_eq!(
            records[0].e_tag.as_deref(),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(records[0].is_delete_marker, Some(false));
        assert_eq!(records[1].is_delete_marker, Some(true));
        assert_eq!(records[1].size, None);
    }

    #[test]
    fn a_smoke_report_is_what_the_processor_accepts_and_verifies() {
        let d = Deployment::new("s3insights", "000000000000");
        let staging = d.staging_bucket("r1", "eu-west-1");
        let configuration_id = d.configuration_id("r1");
        let destination = Destination {
            account: "111111111111",
            region: "eu-west-1",
            bucket: "photos",
            staging_bucket: &staging,
            configuration_id: &configuration_id,
        };
        let created = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let [data, manifest, checksum] = report(
            &destination,
            &records("photos", &sampled()),
            created,
            "f.parquet",
        )
        .unwrap();
        // The checksum is written last and is the arrival the processor accepts, for this run.
        let arrival = ReportArrival {
            staging_bucket: staging.clone(),
            region: "eu-west-1".into(),
            checksum_key: checksum.key.clone(),
        };
        let accepted = accept(&d, &arrival).unwrap();
        assert_eq!(accepted.run_id, "r1");
        assert_eq!(accepted.manifest_key, manifest.key);
        let key = ReportKey::parse(&checksum.key).unwrap();
        assert_eq!(
            (key.account.as_str(), key.bucket.as_str()),
            ("111111111111", "photos")
        );
        // The checksum is the manifest's MD5; the manifest lists the data file with its MD5.
        assert_eq!(
            String::from_utf8(checksum.body).unwrap(),
            md5_hex(&manifest.body)
        );
        let parsed = InventoryManifest::parse(&manifest.body).unwrap();
        assert_eq!(parsed.source_bucket, "photos");
        assert_eq!(parsed.destination_bucket, format!("arn:aws:s3:::{staging}"));
        assert_eq!(parsed.files.len(), 1);
        assert_eq!(parsed.files[0].key, data.key);
        parsed.files[0].verify_md5(&md5_hex(&data.body)).unwrap();
        assert_eq!(parsed.fields().unwrap(), report_fields(&FIELDS, true));
        assert!(data.key.starts_with(&format!(
            "111111111111/eu-west-1/photos/{configuration_id}/data/"
        )));
        assert_eq!(
            [
                data.content_type,
                manifest.content_type,
                checksum.content_type
            ],
            ["application/octet-stream", "application/json", "text/plain"]
        );
    }
}

//! `manifest.json`, `manifest.checksum` and the key layout of a report.
//!
//! The manifest is the entry point of every report: it says which data files
//! make up the report, their format and column schema, and their MD5s. The
//! emulator writes it; the processor reads it first.

mod checksum;
mod keys;
mod schema;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use checksum::{md5_hex, Md5Handle, Md5Reader};
pub use keys::{
    bucket_arn, data_file_key, hive_symlink_key, manifest_checksum_key, manifest_dir,
    manifest_json_key, symlink_txt,
};
pub use schema::{fields_from_schema, file_schema};

use crate::error::InventoryError;
use crate::field::InventoryField;
use crate::format::FileFormat;

/// The only `version` value S3 has ever written.
pub const MANIFEST_VERSION: &str = "2016-11-30";

/// The contents of a report's `manifest.json`, with AWS's exact JSON names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryManifest {
    /// Source bucket name.
    pub source_bucket: String,
    /// Destination bucket ARN (`arn:aws:s3:::name`).
    pub destination_bucket: String,
    /// Manifest format version, `2016-11-30`.
    pub version: String,
    /// When the scan began, in epoch milliseconds, as a string.
    pub creation_timestamp: String,
    /// Data file format.
    pub file_format: FileFormat,
    /// Column list, in the dialect of `file_format` (see [`file_schema`]).
    pub file_schema: String,
    /// The data files of the report.
    pub files: Vec<ManifestFile>,
}

/// One data file listed in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Key of the data file in the destination bucket.
    pub key: String,
    /// Size of the data file in bytes.
    pub size: u64,
    /// Lower-case hex MD5 of the data file's bytes.
    #[serde(rename = "MD5checksum")]
    pub md5_checksum: String,
}

impl InventoryManifest {
    /// Builds the manifest S3 would write for a report, so the emulator does
    /// not have to know the JSON details (`version`, the ARN, the schema
    /// string, epoch-millisecond strings).
    pub fn new(
        source_bucket: &str,
        destination_bucket_name: &str,
        created: DateTime<Utc>,
        file_format: FileFormat,
        fields: &[InventoryField],
        files: Vec<ManifestFile>,
    ) -> Self {
        InventoryManifest {
            source_bucket: source_bucket.to_owned(),
            destination_bucket: bucket_arn(destination_bucket_name),
            version: MANIFEST_VERSION.to_owned(),
            creation_timestamp: created.timestamp_millis().to_string(),
            file_format,
            file_schema: file_schema(file_format, fields),
            files,
        }
    }

    /// Parses `manifest.json` bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, InventoryError> {
        serde_json::from_slice(bytes).map_err(|e| InventoryError::Manifest {
            message: e.to_string(),
        })
    }

    /// Serialises to pretty-printed JSON, as `manifest.json` content.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain strings and integers cannot fail; the fallback
        // only exists to keep this infallible without a panic path.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The columns of the report, parsed from `file_schema`.
    pub fn fields(&self) -> Result<Vec<InventoryField>, InventoryError> {
        fields_from_schema(self.file_format, &self.file_schema)
    }

    /// `creation_timestamp` as a date.
    pub fn creation_time(&self) -> Result<DateTime<Utc>, InventoryError> {
        self.creation_timestamp
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| InventoryError::InvalidTimestamp {
                what: "manifest creationTimestamp (epoch milliseconds)",
                value: self.creation_timestamp.clone(),
            })
    }
}

impl ManifestFile {
    /// Describes a data file from its key and content.
    pub fn describe(key: impl Into<String>, content: &[u8]) -> Self {
        ManifestFile {
            key: key.into(),
            size: content.len() as u64,
            md5_checksum: md5_hex(content),
        }
    }

    /// Checks that `content` is this file: its MD5 (case-insensitive hex)
    /// must match `MD5checksum`.
    pub fn verify(&self, content: &[u8]) -> Result<(), InventoryError> {
        self.verify_md5(&md5_hex(content))
    }

    /// Checks an MD5 computed elsewhere (e.g. by an [`Md5Reader`] while
    /// streaming) against `MD5checksum`.
    pub fn verify_md5(&self, actual_hex: &str) -> Result<(), InventoryError> {
        if actual_hex.eq_ignore_ascii_case(self.md5_checksum.trim()) {
            Ok(())
        } else {
            Err(InventoryError::ChecksumMismatch {
                key: self.key.clone(),
                expected: self.md5_checksum.clone(),
                actual: actual_hex.to_owned(),
            })
        }
    }
}

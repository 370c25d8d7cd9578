//! The three data file formats S3 Inventory can write.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InventoryError;

/// The `fileFormat` of an inventory report.
///
/// It exists because the format decides everything downstream: the data file
/// extension, the `fileSchema` dialect, and which reader/writer to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// Gzip-compressed CSV, no header row, every value double-quoted.
    Csv,
    /// Apache ORC (ZLIB-compressed).
    Orc,
    /// Apache Parquet (Snappy-compressed).
    Parquet,
}

impl FileFormat {
    /// Every format, for iteration in tests and CLIs.
    pub const ALL: [FileFormat; 3] = [FileFormat::Csv, FileFormat::Orc, FileFormat::Parquet];

    /// The exact `fileFormat` string of `manifest.json` (`CSV`, `ORC`, `Parquet`).
    pub fn as_manifest_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "CSV",
            FileFormat::Orc => "ORC",
            FileFormat::Parquet => "Parquet",
        }
    }

    /// The data file name extension S3 uses, without the leading dot
    /// (`csv.gz`, `orc`, `parquet`).
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv.gz",
            FileFormat::Orc => "orc",
            FileFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_manifest_str())
    }
}

impl FromStr for FileFormat {
    type Err = InventoryError;

    /// Parses a manifest `fileFormat` (ASCII case-insensitive, so the
    /// configuration spelling `Parquet` and a hand-written `parquet` both work).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileFormat::ALL
            .into_iter()
            .find(|f| f.as_manifest_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| InventoryError::UnknownFormat {
                value: s.to_owned(),
            })
    }
}

impl Serialize for FileFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_manifest_str())
    }
}

impl<'de> Deserialize<'de> for FileFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

//! S3 Inventory reports exactly as AWS documents them.
//!
//! Two programs share this crate:
//!
//! * the offline **emulator** *writes* reports the way S3 would — data files
//!   ([`write::write_data_file`]) in CSV (gzip), ORC or Parquet, a
//!   `manifest.json` ([`manifest::InventoryManifest`]), its
//!   `manifest.checksum` ([`manifest::md5_hex`]) and the documented key
//!   layout ([`manifest::manifest_dir`] and friends);
//! * the **inventory processor** Lambda *reads* them — parse the manifest,
//!   verify each file's MD5, and stream each data file into Arrow record
//!   batches of one normalised schema ([`read::read_data_file`],
//!   [`read::normalised_schema`]) with bounded memory.
//!
//! See `docs/s3-inventory-format.md` for the AWS documentation this follows.
//!
//! ```
//! use inventory_format::{
//!     read_data_file, records_from_batch, report_fields, write_data_file, FileFormat,
//!     InventoryError, InventoryField, InventoryManifest, InventoryRecord, ManifestFile,
//! };
//!
//! // Emulator side: one data file and its manifest.
//! let fields = report_fields(&[InventoryField::Size, InventoryField::StorageClass], false);
//! let records = vec![InventoryRecord {
//!     bucket: "src".into(),
//!     key: "photos/cat 1.jpg".into(),
//!     size: Some(42),
//!     storage_class: Some("STANDARD".into()),
//!     ..Default::default()
//! }];
//! let data = write_data_file(FileFormat::Parquet, &fields, &records)?;
//! let file = ManifestFile::describe("inv/src/cfg/data/1.parquet", &data);
//! let created = chrono::DateTime::from_timestamp_millis(1_514_944_800_000).unwrap_or_default();
//! let manifest =
//!     InventoryManifest::new("src", "dest", created, FileFormat::Parquet, &fields, vec![file]);
//! let json = manifest.to_json();
//!
//! // Processor side: parse, verify, stream.
//! let manifest = InventoryManifest::parse(&json)?;
//! let fields = manifest.fields()?;
//! manifest.files[0].verify(&data)?;
//! let mut read = Vec::new();
//! for batch in read_data_file(manifest.file_format, &fields, data, 1024)? {
//!     read.extend(records_from_batch(&batch?));
//! }
//! assert_eq!(read, records);
//! # Ok::<(), InventoryError>(())
//! ```

#![deny(missing_docs)]
#![warn(missing_docs)]

pub mod error;
pub mod field;
pub mod format;
pub mod key_encoding;
pub mod manifest;
pub mod read;
pub mod record;
pub mod write;

mod columns;

pub use error::InventoryError;
pub use field::{report_fields, FieldType, InventoryField};
pub use format::FileFormat;
pub use manifest::{InventoryManifest, ManifestFile};
pub use read::{
    normalised_schema, read_data_file, records_from_batch, DataSource, ForwardFile, ReportReader,
};
pub use record::InventoryRecord;
pub use write::write_data_file;

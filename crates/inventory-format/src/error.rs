//! The one error type of the crate.
//!
//! Every variant carries enough context (which field, which file position,
//! what was expected) for an operator to locate a bad report without a
//! debugger: the inventory processor logs these errors verbatim.

use crate::format::FileFormat;

/// Everything that can go wrong while modelling, writing or reading an S3
/// Inventory report.
///
/// It exists so that callers (the emulator and the Lambda processor) can
/// match on *what* failed — a bad manifest, a checksum mismatch, a malformed
/// row — instead of parsing strings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    /// `manifest.json` is not valid JSON or lacks a required field.
    #[error("manifest.json is invalid: {message}")]
    Manifest {
        /// What the JSON parser (or a field check) reported.
        message: String,
    },

    /// A `fileFormat` value other than `CSV`, `ORC` or `Parquet`.
    #[error("unknown inventory fileFormat {value:?}: expected \"CSV\", \"ORC\" or \"Parquet\"")]
    UnknownFormat {
        /// The value found.
        value: String,
    },

    /// A `fileSchema` (or data file) names a field this crate does not know.
    #[error("{format} fileSchema names unknown field {name:?}")]
    UnknownField {
        /// Which schema dialect was being parsed.
        format: FileFormat,
        /// The unknown field or column name, as written.
        name: String,
    },

    /// A `fileSchema` string does not have the documented shape.
    #[error("{format} fileSchema is malformed: {message}")]
    Schema {
        /// Which schema dialect was being parsed.
        format: FileFormat,
        /// What was wrong with it.
        message: String,
    },

    /// A data file's MD5 does not match the manifest's `MD5checksum`.
    #[error("MD5 mismatch for {key}: manifest says {expected}, content hashes to {actual}")]
    ChecksumMismatch {
        /// The data file's key.
        key: String,
        /// The `MD5checksum` from the manifest.
        expected: String,
        /// The MD5 of the bytes actually read.
        actual: String,
    },

    /// A CSV row could not be split into fields, or has the wrong column count.
    #[error("CSV record {record} (line {line}): {message}")]
    CsvRecord {
        /// 1-based record number in the data file.
        record: u64,
        /// 1-based line number in the (decompressed) data file.
        line: u64,
        /// What was wrong.
        message: String,
    },

    /// A CSV value could not be parsed as its field's type.
    #[error(
        "CSV record {record} (line {line}), column {column}: expected {expected}, found {value:?}"
    )]
    InvalidValue {
        /// 1-based record number in the data file.
        record: u64,
        /// 1-based line number in the (decompressed) data file.
        line: u64,
        /// The field's CSV name (e.g. `Size`).
        column: &'static str,
        /// What the value should have looked like.
        expected: &'static str,
        /// The raw value found.
        value: String,
    },

    /// An ORC/Parquet column has a type that cannot be normalised.
    #[error("{format} data file: column {column} has type {found}, expected {expected}")]
    ColumnType {
        /// The data file's format.
        format: FileFormat,
        /// The column name.
        column: String,
        /// The Arrow type found in the file.
        found: String,
        /// The type this crate expects.
        expected: String,
    },

    /// The manifest's `fileSchema` lists a column the data file lacks.
    #[error("{format} data file lacks column {column} listed in the manifest's fileSchema")]
    MissingColumn {
        /// The data file's format.
        format: FileFormat,
        /// The missing column name.
        column: String,
    },

    /// An ORC/Parquet data file could not be decoded (corrupt or truncated).
    #[error("{format} data file could not be decoded: {message}")]
    Decode {
        /// The data file's format.
        format: FileFormat,
        /// What the underlying reader reported.
        message: String,
    },

    /// A data file could not be encoded.
    #[error("could not write {format} data file: {message}")]
    Encode {
        /// The data file's format.
        format: FileFormat,
        /// What the underlying writer reported.
        message: String,
    },

    /// An I/O error from the underlying source or sink.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A timestamp string (e.g. the manifest's `creationTimestamp`) is invalid.
    #[error("invalid {what}: {value:?}")]
    InvalidTimestamp {
        /// Which timestamp.
        what: &'static str,
        /// The value found.
        value: String,
    },

    /// Wraps another error with the data file it came from.
    #[error("{key}: {source}")]
    InFile {
        /// The data file's key (or any label the caller chose).
        key: String,
        /// The underlying error.
        #[source]
        source: Box<InventoryError>,
    },
}

impl InventoryError {
    /// Attaches the data file key to an error, so logs say which file of a
    /// multi-file report was bad. Idempotent for the same key.
    pub fn in_file(self, key: impl Into<String>) -> Self {
        let key = key.into();
        match self {
            InventoryError::InFile {
                key: ref existing, ..
            } if *existing == key => self,
            other => InventoryError::InFile {
                key,
                source: Box::new(other),
            },
        }
    }
}

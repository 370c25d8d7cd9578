//! The one error type of the crate.

use inventory_format::{FileFormat, InventoryError};

use crate::figures::FiguresError;

/// Everything that can go wrong while consolidating one data file.
///
/// It exists so the inventory processor can tell a bad report (retrying
/// will not help: [`ConsolidationError::Read`]) from a local failure
/// ([`ConsolidationError::Write`], e.g. a full `/tmp`). Every variant names
/// the data file and its format, since the processor logs errors verbatim.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsolidationError {
    /// The data file is corrupt, truncated or does not match its `fileSchema`.
    #[error("{key} ({format}): cannot read the data file: {source}")]
    Read {
        /// The data file's key.
        key: String,
        /// Its format, from the manifest.
        format: FileFormat,
        /// What the reader reported (record/line or column).
        #[source]
        source: InventoryError,
    },

    /// A batch read from the file could not be measured (not in the normalised schema).
    #[error("{key} ({format}): cannot measure a batch: {source}")]
    Measure {
        /// The data file's key.
        key: String,
        /// Its format, from the manifest.
        format: FileFormat,
        /// What was wrong with the batch.
        #[source]
        source: FiguresError,
    },

    /// The normalised Parquet file could not be encoded or written to the sink.
    #[error("{key} ({format}): cannot write the normalised Parquet file: {source}")]
    Write {
        /// The data file's key.
        key: String,
        /// Its format, from the manifest.
        format: FileFormat,
        /// What the Parquet writer (or the sink under it) reported.
        #[source]
        source: parquet::errors::ParquetError,
    },
}

impl ConsolidationError {
    /// Whether the data file itself is bad (as opposed to the output side):
    /// retrying the same file will fail again.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ConsolidationError::Read { .. } | ConsolidationError::Measure { .. }
        )
    }
}

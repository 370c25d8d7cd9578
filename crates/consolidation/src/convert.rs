//! One S3 Inventory data file in, one normalised Parquet file out, streaming.

use std::io::Write;
use std::thread;

use inventory_format::{normalised_schema, read_data_file, DataSource, FileFormat, InventoryField};

use crate::encode::ParquetEncoder;
use crate::error::ConsolidationError;
use crate::figures::BucketFigures;
use crate::options::ConsolidateOptions;
use crate::pipeline::consume_on_this_thread;

/// Streams one data file into one normalised Parquet file written to `sink`,
/// and measures it, with [`ConsolidateOptions::default`].
///
/// `key` labels errors (the data file's S3 key); `format` and `fields` come
/// from the report's `manifest.json` (`fileFormat`, `fileSchema`). The output
/// has `inventory_format::normalised_schema()`: all 21 columns, nullable,
/// dates `TIMESTAMP(MILLIS, UTC)`. On error the sink holds a partial file:
/// discard it.
pub fn consolidate_file<W: Write + Send>(
    key: &str,
    format: FileFormat,
    fields: &[InventoryField],
    source: impl Into<DataSource>,
    sink: W,
) -> Result<BucketFigures, ConsolidationError> {
    consolidate_file_with(
        &ConsolidateOptions::default(),
        key,
        format,
        fields,
        source,
        sink,
    )
}

/// [`consolidate_file`] with explicit options.
pub fn consolidate_file_with<W: Write + Send>(
    options: &ConsolidateOptions,
    key: &str,
    format: FileFormat,
    fields: &[InventoryField],
    source: impl Into<DataSource>,
    sink: W,
) -> Result<BucketFigures, ConsolidationError> {
    let read_error = |source| ConsolidationError::Read {
        key: key.to_owned(),
        format,
        source,
    };
    let batches = read_data_file(format, fields, source, options.batch_size).map_err(read_error)?;
    let write_error = |source| ConsolidationError::Write {
        key: key.to_owned(),
        format,
        source,
    };
    thread::scope(|scope| {
        let mut parquet =
            ParquetEncoder::new(scope, normalised_schema(), options, sink).map_err(write_error)?;
        let mut figures = BucketFigures::default();
        // Decompressing and parsing on the reader's threads, measuring and
        // encoding here and on the encoder's helper: see `pipeline` and `encode`.
        consume_on_this_thread("inventory-reader", batches, |batch| {
            let batch = batch.map_err(read_error)?;
            figures
                .add_batch(&batch)
                .map_err(|source| ConsolidationError::Measure {
                    key: key.to_owned(),
                    format,
                    source,
                })?;
            parquet.write(&batch).map_err(write_error)
        })?;
        parquet.finish().map_err(write_error)?;
        Ok(figures)
    })
}

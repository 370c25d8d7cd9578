//! One S3 Inventory data file in, one normalised Parquet file out, streaming.

use std::io::Write;

use arrow::record_batch::RecordBatch;
use inventory_format::{normalised_schema, read_data_file, DataSource, FileFormat, InventoryField};
use parquet::arrow::ArrowWriter;

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
    let mut output = Output::new(key, format, options, sink)?;
    // Decompressing and parsing on a helper thread, measuring and encoding
    // here: see `pipeline`.
    consume_on_this_thread("inventory-reader", batches, |batch| {
        output.add(&batch.map_err(read_error)?)
    })?;
    output.finish()
}

/// The Parquet writer and the figures, fed the same batches.
struct Output<'a, W: Write + Send> {
    key: &'a str,
    format: FileFormat,
    writer: ArrowWriter<W>,
    figures: BucketFigures,
}

impl<'a, W: Write + Send> Output<'a, W> {
    fn new(
        key: &'a str,
        format: FileFormat,
        options: &ConsolidateOptions,
        sink: W,
    ) -> Result<Self, ConsolidationError> {
        let writer =
            ArrowWriter::try_new(sink, normalised_schema(), Some(options.writer_properties()))
                .map_err(|source| ConsolidationError::Write {
                    key: key.to_owned(),
                    format,
                    source,
                })?;
        Ok(Output {
            key,
            format,
            writer,
            figures: BucketFigures::default(),
        })
    }

    fn add(&mut self, batch: &RecordBatch) -> Result<(), ConsolidationError> {
        self.figures
            .add_batch(batch)
            .map_err(|source| ConsolidationError::Measure {
                key: self.key.to_owned(),
                format: self.format,
                source,
            })?;
        self.writer
            .write(batch)
            .map_err(|source| self.write_error(source))
    }

    fn finish(self) -> Result<BucketFigures, ConsolidationError> {
        let Output {
            key,
            format,
            writer,
            figures,
        } = self;
        writer.close().map_err(|source| ConsolidationError::Write {
            key: key.to_owned(),
            format,
            source,
        })?;
        Ok(figures)
    }

    fn write_error(&self, source: parquet::errors::ParquetError) -> ConsolidationError {
        ConsolidationError::Write {
            key: self.key.to_owned(),
            format: self.format,
            source,
        }
    }
}

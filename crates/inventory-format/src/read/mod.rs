//! Reading data files into Arrow batches of one normalised schema.
//!
//! The inventory processor does not care which format a report came in: it
//! wants the same columns with the same types every time. Every batch this
//! module yields is in [`normalised_schema`] — all 21 fields, snake_case
//! names, every column nullable, columns absent from the report all-null.
//!
//! # Memory bounds
//!
//! * **CSV** is streamed: a gzip decoder over any [`std::io::Read`], parsed
//!   record by record; memory is one batch of `batch_size` rows plus small
//!   fixed buffers, however large the file. The decoder runs on a helper
//!   thread up to 4 MiB (sixteen 256 KiB buffers) ahead of the parser
//!   (inline if no thread can be started), so decompressing and parsing
//!   overlap on two cores; the parser splits each buffer where it was
//!   inflated.
//! * **Parquet** is decoded one row group at a time and **ORC** one stripe at
//!   a time, projected to the known columns. With a [`DataSource::File`]
//!   only the current row group / stripe is read from disk; with
//!   [`DataSource::Bytes`] the (compressed) file itself is in memory as
//!   well. A [`DataSource::Stream`] given for ORC/Parquet is first read into
//!   memory, since both formats need random access (their footer is at the
//!   end). A [`DataSource::Forward`] ([`ForwardFile`]) reads any format
//!   straight from a stream (an S3 `GetObject` body) with bounded memory and
//!   hashes it on the way: see [`forward`].

mod columnar;
mod csv;
mod csv_records;
pub mod forward;
mod iso8601;
mod read_ahead;
mod records;

use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use bytes::{Buf, Bytes};

pub use forward::{ForwardFile, ForwardStats, RangeRead};
pub use records::records_from_batch;

use crate::columns::arrow_type;
use crate::error::InventoryError;
use crate::field::InventoryField;
use crate::format::FileFormat;

/// Time zone of every normalised timestamp column.
pub const NORMALISED_TIME_ZONE: &str = "UTC";

/// The one schema every batch is returned in: each [`InventoryField`] in
/// S3's order, named by [`InventoryField::column_name`], nullable; strings
/// `Utf8`, booleans `Boolean`, size `Int64`, dates
/// `Timestamp(Millisecond, Some("UTC"))`.
pub fn normalised_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(
            InventoryField::ALL
                .iter()
                .map(|f| {
                    Field::new(
                        f.column_name(),
                        arrow_type(f.field_type(), Some(NORMALISED_TIME_ZONE)),
                        true,
                    )
                })
                .collect::<Vec<_>>(),
        ))
    }))
}

/// Where a data file's bytes come from.
///
/// It exists because the formats need different access: CSV is read
/// forward once (any stream will do), ORC and Parquet need random access.
pub enum DataSource {
    /// The whole file in memory (e.g. a collected S3 `GetObject` body).
    Bytes(Bytes),
    /// A local file (e.g. downloaded to Lambda `/tmp`): bounded memory for
    /// every format.
    File(File),
    /// A forward-only stream: bounded memory for CSV; buffered in memory
    /// for ORC/Parquet.
    Stream(Box<dyn Read + Send>),
    /// A stream read once with a window for random access: bounded memory
    /// for every format, no local copy, hashed on the way.
    Forward(ForwardFile),
}

impl DataSource {
    /// Wraps any reader as a [`DataSource::Stream`].
    pub fn stream(reader: impl Read + Send + 'static) -> Self {
        DataSource::Stream(Box::new(reader))
    }

    fn into_reader(self) -> Box<dyn Read + Send> {
        match self {
            DataSource::Bytes(bytes) => Box::new(bytes.reader()),
            DataSource::File(file) => Box::new(BufReader::new(file)),
            DataSource::Stream(stream) => stream,
            DataSource::Forward(file) => Box::new(file.reader_from(0)),
        }
    }
}

impl From<Bytes> for DataSource {
    fn from(bytes: Bytes) -> Self {
        DataSource::Bytes(bytes)
    }
}

impl From<Vec<u8>> for DataSource {
    fn from(bytes: Vec<u8>) -> Self {
        DataSource::Bytes(Bytes::from(bytes))
    }
}

impl From<ForwardFile> for DataSource {
    fn from(file: ForwardFile) -> Self {
        DataSource::Forward(file)
    }
}

impl From<File> for DataSource {
    fn from(file: File) -> Self {
        DataSource::File(file)
    }
}

/// A streaming iterator of normalised record batches from one data file.
///
/// After the first error it yields nothing more.
pub struct ReportReader {
    inner: Inner,
    file_key: Option<String>,
    finished: bool,
}

enum Inner {
    Csv(Box<csv::CsvBatches>),
    Columnar(columnar::ColumnarBatches),
}

impl ReportReader {
    /// Labels every error this reader yields with the data file's key
    /// (see [`InventoryError::in_file`]).
    pub fn with_file_key(mut self, key: impl Into<String>) -> Self {
        self.file_key = Some(key.into());
        self
    }

    /// The schema of every batch: [`normalised_schema`].
    pub fn schema(&self) -> SchemaRef {
        normalised_schema()
    }
}

impl Iterator for ReportReader {
    type Item = Result<RecordBatch, InventoryError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let next = match &mut self.inner {
            Inner::Csv(batches) => batches.next(),
            Inner::Columnar(batches) => batches.next(),
        };
        match next {
            None => {
                self.finished = true;
                None
            }
            Some(Ok(batch)) => Some(Ok(batch)),
            Some(Err(e)) => {
                self.finished = true;
                Some(Err(match &self.file_key {
                    Some(key) => e.in_file(key.clone()),
                    None => e,
                }))
            }
        }
    }
}

/// Opens a data file for streaming reads.
///
/// `fields` are the report's columns, from the manifest
/// ([`crate::InventoryManifest::fields`]): for CSV they give the column
/// positions; for ORC/Parquet each must exist in the file (columns are
/// matched by name, and file columns this crate does not know are skipped).
/// `batch_size` is the maximum rows per batch (0 is treated as 1).
///
/// Errors about the file's header/footer come back here; errors in the data
/// come back from the iterator, naming the record/column.
pub fn read_data_file(
    format: FileFormat,
    fields: &[InventoryField],
    source: impl Into<DataSource>,
    batch_size: usize,
) -> Result<ReportReader, InventoryError> {
    let batch_size = batch_size.max(1);
    let source = source.into();
    let inner = match format {
        FileFormat::Csv => Inner::Csv(Box::new(csv::CsvBatches::new(
            source.into_reader(),
            fields,
            batch_size,
        ))),
        FileFormat::Orc | FileFormat::Parquet => {
            let batches = match source {
                DataSource::Bytes(bytes) => columnar::open(format, fields, bytes, batch_size),
                DataSource::File(file) => columnar::open(format, fields, file, batch_size),
                DataSource::Forward(file) => columnar::open(format, fields, file, batch_size),
                DataSource::Stream(mut stream) => {
                    let mut buf = Vec::new();
                    stream
                        .read_to_end(&mut buf)
                        .map_err(|source| InventoryError::Io {
                            context: "buffering a data file stream",
                            source,
                        })?;
                    columnar::open(format, fields, Bytes::from(buf), batch_size)
                }
            }?;
            Inner::Columnar(batches)
        }
    };
    Ok(ReportReader {
        inner,
        file_key: None,
        finished: false,
    })
}

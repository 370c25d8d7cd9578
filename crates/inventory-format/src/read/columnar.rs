//! ORC and Parquet data files, via their Arrow readers, normalised by name.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{normalised_schema, NORMALISED_TIME_ZONE};
use crate::columns::arrow_type;
use crate::error::InventoryError;
use crate::field::{FieldType, InventoryField};
use crate::format::FileFormat;

type BatchIter = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// A random-access source both columnar readers accept.
pub(super) trait ColumnarSource:
    orc_rust::reader::ChunkReader + parquet::file::reader::ChunkReader + Send + 'static
{
}

impl ColumnarSource for bytes::Bytes {}
impl ColumnarSource for std::fs::File {}
impl ColumnarSource for super::ForwardFile {}

/// Normalised batches from an ORC or Parquet reader.
pub(super) struct ColumnarBatches {
    format: FileFormat,
    inner: BatchIter,
    failed: bool,
}

pub(super) fn open<S: ColumnarSource>(
    format: FileFormat,
    fields: &[InventoryField],
    source: S,
    batch_size: usize,
) -> Result<ColumnarBatches, InventoryError> {
    guarded(format, "reading the file footer", || {
        open_unguarded(format, fields, source, batch_size)
    })?
}

/// Runs a third-party decoder step, turning a panic into a
/// [`InventoryError::Decode`]. orc-rust 0.9 panics (instead of erroring) on
/// some corrupt compression chunks; a bad file must not take the processor
/// down.
fn guarded<T>(
    format: FileFormat,
    what: &str,
    step: impl FnOnce() -> T,
) -> Result<T, InventoryError> {
    catch_unwind(AssertUnwindSafe(step)).map_err(|payload| InventoryError::Decode {
        format,
        message: format!(
            "decoder panicked while {what} (corrupt file?): {}",
            panic_message(payload.as_ref())
        ),
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

fn open_unguarded<S: ColumnarSource>(
    format: FileFormat,
    fields: &[InventoryField],
    source: S,
    batch_size: usize,
) -> Result<ColumnarBatches, InventoryError> {
    let decode = |message: String| InventoryError::Decode { format, message };
    let inner: BatchIter = match format {
        FileFormat::Orc => {
            let builder =
                orc_rust::ArrowReaderBuilder::try_new(source).map_err(|e| decode(e.to_string()))?;
            let known = check_columns(format, fields, &builder.schema())?;
            let names: Vec<&str> = known.iter().map(|(_, name)| name.as_str()).collect();
            let projection = orc_rust::projection::ProjectionMask::named_roots(
                builder.file_metadata().root_data_type(),
                &names,
            );
            Box::new(
                builder
                    .with_projection(projection)
                    .with_batch_size(batch_size)
                    // Microseconds cover dates past 2262 (nanoseconds overflow
                    // there), e.g. far-future Object Lock retain-until dates.
                    .with_timestamp_precision(orc_rust::TimestampPrecision::Microsecond)
                    .build(),
            )
        }
        FileFormat::Parquet => {
            let builder = ParquetRecordBatchReaderBuilder::try_new(source)
                .map_err(|e| decode(e.to_string()))?;
            let known = check_columns(format, fields, builder.schema())?;
            let mask = parquet::arrow::ProjectionMask::roots(
                builder.parquet_schema(),
                known.iter().map(|(i, _)| *i),
            );
            Box::new(
                builder
                    .with_projection(mask)
                    .with_batch_size(batch_size)
                    .build()
                    .map_err(|e| decode(e.to_string()))?,
            )
        }
        FileFormat::Csv => {
            return Err(decode("CSV is not a columnar format".to_owned()));
        }
    };
    Ok(ColumnarBatches {
        format,
        inner,
        failed: false,
    })
}

/// Checks the file has every expected column with a usable type, and
/// returns the (index, name) of every known column to project.
fn check_columns(
    format: FileFormat,
    fields: &[InventoryField],
    schema: &SchemaRef,
) -> Result<Vec<(usize, String)>, InventoryError> {
    for field in fields {
        if schema.field_with_name(field.column_name()).is_err() {
            return Err(InventoryError::MissingColumn {
                format,
                column: field.column_name().to_owned(),
            });
        }
    }
    let mut known = Vec::new();
    for (i, column) in schema.fields().iter().enumerate() {
        if let Some(field) = InventoryField::from_column_name(column.name()) {
            if !convertible(field.field_type(), column.data_type()) {
                return Err(type_error(format, field, column.data_type()));
            }
            known.push((i, column.name().clone()));
        }
    }
    Ok(known)
}

fn convertible(target: FieldType, source: &DataType) -> bool {
    use DataType as D;
    match target {
        FieldType::Text => {
            matches!(
                source,
                D::Utf8 | D::LargeUtf8 | D::Utf8View | D::Binary | D::LargeBinary | D::BinaryView
            ) || matches!(source, D::Dictionary(_, v) if convertible(target, v))
        }
        FieldType::Flag => matches!(source, D::Boolean),
        FieldType::Integer => source.is_integer(),
        FieldType::Timestamp => matches!(
            source,
            D::Timestamp(_, _) | D::Int64 | D::Date32 | D::Date64
        ),
    }
}

fn type_error(format: FileFormat, field: InventoryField, found: &DataType) -> InventoryError {
    InventoryError::ColumnType {
        format,
        column: field.column_name().to_owned(),
        found: found.to_string(),
        expected: arrow_type(field.field_type(), Some(NORMALISED_TIME_ZONE)).to_string(),
    }
}

/// Converts one column to its normalised type. A bare Int64 date column is
/// read as epoch milliseconds.
fn normalise_column(
    format: FileFormat,
    field: InventoryField,
    array: &ArrayRef,
) -> Result<ArrayRef, InventoryError> {
    let target = arrow_type(field.field_type(), Some(NORMALISED_TIME_ZONE));
    if array.data_type() == &target {
        return Ok(Arc::clone(array));
    }
    if !convertible(field.field_type(), array.data_type()) {
        return Err(type_error(format, field, array.data_type()));
    }
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    cast_with_options(array, &target, &options).map_err(|e| InventoryError::ColumnType {
        format,
        column: field.column_name().to_owned(),
        found: array.data_type().to_string(),
        expected: format!("{target} ({e})"),
    })
}

impl ColumnarBatches {
    fn normalise(&self, batch: &RecordBatch) -> Result<RecordBatch, InventoryError> {
        let schema = normalised_schema();
        let columns = schema
            .fields()
            .iter()
            .zip(InventoryField::ALL)
            .map(
                |(column, field)| match batch.column_by_name(column.name()) {
                    Some(array) => normalise_column(self.format, field, array),
                    None => Ok(new_null_array(column.data_type(), batch.num_rows())),
                },
            )
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(Arc::clone(&schema), columns).map_err(|e| InventoryError::Decode {
            format: self.format,
            message: e.to_string(),
        })
    }
}

impl Iterator for ColumnarBatches {
    type Item = Result<RecordBatch, InventoryError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let inner = &mut self.inner;
        let batch = match guarded(self.format, "decoding a batch", || inner.next()) {
            Ok(batch) => batch?,
            Err(e) => {
                // The decoder's state is unknown after a panic: stop here.
                self.failed = true;
                return Some(Err(e));
            }
        };
        Some(
            batch
                .map_err(|e| InventoryError::Decode {
                    format: self.format,
                    message: e.to_string(),
                })
                .and_then(|b| self.normalise(&b)),
        )
    }
}

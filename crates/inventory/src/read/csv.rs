//! Streaming reader for gzip CSV data files.

use std::io::Read;
use std::sync::Arc;

use arrow::array::new_null_array;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;

use super::{normalised_schema, NORMALISED_TIME_ZONE};
use crate::columns::ColumnBuilder;
use crate::error::InventoryError;
use crate::field::{FieldType, InventoryField};
use crate::format::FileFormat;
use crate::key_encoding::{decode_csv_key, KeyDecodeError};
use crate::record::FieldValue;

/// Yields batches of at most `batch_size` rows from a gzip CSV stream.
pub(super) struct CsvBatches {
    reader: ::csv::Reader<MultiGzDecoder<Box<dyn Read + Send>>>,
    fields: Vec<InventoryField>,
    builders: Vec<ColumnBuilder>,
    batch_size: usize,
    record: ::csv::StringRecord,
    records_read: u64,
    done: bool,
}

/// Where the current record is, for error messages.
#[derive(Clone, Copy)]
struct Position {
    record: u64,
    line: u64,
}

impl CsvBatches {
    pub(super) fn new(
        source: Box<dyn Read + Send>,
        fields: &[InventoryField],
        batch_size: usize,
    ) -> Self {
        let reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(MultiGzDecoder::new(source));
        CsvBatches {
            reader,
            fields: fields.to_vec(),
            builders: fields
                .iter()
                // Builders grow as needed; do not pre-allocate absurd sizes.
                .map(|f| ColumnBuilder::new(f.field_type(), batch_size.min(8192)))
                .collect(),
            batch_size,
            record: ::csv::StringRecord::new(),
            records_read: 0,
            done: false,
        }
    }

    fn read_batch(&mut self) -> Result<Option<RecordBatch>, InventoryError> {
        let mut rows = 0;
        while rows < self.batch_size {
            let at = Position {
                record: self.records_read + 1,
                line: self.reader.position().line(),
            };
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => return Err(csv_error(e, at)),
            }
            let at = Position {
                line: self.record.position().map_or(at.line, |p| p.line()),
                ..at
            };
            self.records_read += 1;
            if self.record.len() != self.fields.len() {
                return Err(InventoryError::CsvRecord {
                    record: at.record,
                    line: at.line,
                    message: format!(
                        "expected {} columns (per fileSchema), found {}",
                        self.fields.len(),
                        self.record.len()
                    ),
                });
            }
            for ((field, builder), raw) in self
                .fields
                .iter()
                .zip(self.builders.iter_mut())
                .zip(self.record.iter())
            {
                append_value(builder, *field, raw, at)?;
            }
            rows += 1;
        }
        if rows == 0 {
            return Ok(None);
        }
        self.finish_batch(rows).map(Some)
    }

    fn finish_batch(&mut self, rows: usize) -> Result<RecordBatch, InventoryError> {
        let schema = normalised_schema();
        let columns = schema
            .fields()
            .iter()
            .zip(InventoryField::ALL)
            .map(
                |(column, field)| match self.fields.iter().position(|f| *f == field) {
                    Some(i) => self.builders[i].finish(Some(NORMALISED_TIME_ZONE)),
                    None => new_null_array(column.data_type(), rows),
                },
            )
            .collect();
        RecordBatch::try_new(Arc::clone(&schema), columns).map_err(|e| InventoryError::Decode {
            format: FileFormat::Csv,
            message: e.to_string(),
        })
    }
}

impl Iterator for CsvBatches {
    type Item = Result<RecordBatch, InventoryError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_batch() {
            Ok(batch) => batch.map(Ok),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn csv_error(e: ::csv::Error, at: Position) -> InventoryError {
    let (record, line) = match e.position() {
        Some(p) => (p.record() + 1, p.line()),
        None => (at.record, at.line),
    };
    match e.into_kind() {
        ::csv::ErrorKind::Io(source) => InventoryError::CsvRecord {
            record,
            line,
            message: format!("cannot read gzip CSV stream: {source}"),
        },
        ::csv::ErrorKind::Utf8 { err, .. } => InventoryError::CsvRecord {
            record,
            line,
            message: format!("field {} is not valid UTF-8", err.field() + 1),
        },
        other => InventoryError::CsvRecord {
            record,
            line,
            message: format!("{other:?}"),
        },
    }
}

fn append_value(
    builder: &mut ColumnBuilder,
    field: InventoryField,
    raw: &str,
    at: Position,
) -> Result<(), InventoryError> {
    let invalid = |expected: &'static str| InventoryError::InvalidValue {
        record: at.record,
        line: at.line,
        column: field.config_name(),
        expected,
        value: raw.to_owned(),
    };
    // CSV cannot tell null from empty: an empty optional value is absent.
    if raw.is_empty() && !field.is_required() {
        builder.append_null();
        return Ok(());
    }
    let value = match field.field_type() {
        FieldType::Text if field == InventoryField::Key => {
            let key = decode_csv_key(raw).map_err(|e| {
                invalid(match e {
                    KeyDecodeError::BadEscape => "a URL-encoded key (bad %-escape)",
                    KeyDecodeError::NotUtf8 => "a URL-encoded key (decodes to invalid UTF-8)",
                })
            })?;
            builder.append(FieldValue::Text(Some(&key)));
            return Ok(());
        }
        FieldType::Text => FieldValue::Text(Some(raw)),
        FieldType::Flag => FieldValue::Flag(Some(match raw {
            r if r.eq_ignore_ascii_case("true") => true,
            r if r.eq_ignore_ascii_case("false") => false,
            _ => return Err(invalid("true or false")),
        })),
        FieldType::Integer => {
            FieldValue::Integer(Some(raw.parse::<i64>().map_err(|_| invalid("an integer"))?))
        }
        FieldType::Timestamp => FieldValue::Timestamp(Some(
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid("an ISO-8601 timestamp like 2016-11-06T21:32:00.000Z"))?,
        )),
    };
    builder.append(value);
    Ok(())
}

//! Streaming reader for gzip CSV data files.

use std::io::Read;
use std::sync::Arc;

use arrow::array::new_null_array;
use arrow::record_batch::RecordBatch;

use super::csv_records::CsvRecords;
use super::iso8601::parse_millis;
use super::read_ahead::gunzip;
use super::{normalised_schema, NORMALISED_TIME_ZONE};
use crate::columns::ColumnBuilder;
use crate::error::InventoryError;
use crate::field::{FieldType, InventoryField};
use crate::format::FileFormat;
use crate::key_encoding::{decode_csv_key_into, KeyDecodeError};

/// Yields batches of at most `batch_size` rows from a gzip CSV stream.
pub(super) struct CsvBatches {
    records: CsvRecords,
    fields: Vec<InventoryField>,
    builders: Vec<ColumnBuilder>,
    batch_size: usize,
    /// Reused for every decoded key.
    key: Vec<u8>,
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
        CsvBatches {
            records: CsvRecords::new(gunzip(source)),
            fields: fields.to_vec(),
            builders: fields
                .iter()
                // Builders grow as needed; do not pre-allocate absurd sizes.
                .map(|f| ColumnBuilder::new(f.field_type(), batch_size.min(8192)))
                .collect(),
            batch_size,
            key: Vec::new(),
            records_read: 0,
            done: false,
        }
    }

    fn read_batch(&mut self) -> Result<Option<RecordBatch>, InventoryError> {
        let mut rows = 0;
        while rows < self.batch_size {
            let record = self.records_read + 1;
            match self.records.read() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(source) => {
                    return Err(InventoryError::CsvRecord {
                        record,
                        line: self.records.line(),
                        message: format!("cannot read gzip CSV stream: {source}"),
                    })
                }
            }
            let at = Position {
                record,
                line: self.records.record_line(),
            };
            self.records_read += 1;
            if self.records.len() != self.fields.len() {
                return Err(InventoryError::CsvRecord {
                    record: at.record,
                    line: at.line,
                    message: format!(
                        "expected {} columns (per fileSchema), found {}",
                        self.fields.len(),
                        self.records.len()
                    ),
                });
            }
            let values = self.fields.iter().zip(&mut self.builders);
            for (i, ((field, builder), raw)) in values.zip(self.records.text_fields()).enumerate() {
                let raw = raw.ok_or_else(|| InventoryError::CsvRecord {
                    record: at.record,
                    line: at.line,
                    message: format!("field {} is not valid UTF-8", i + 1),
                })?;
                append_value(builder, *field, raw, &mut self.key, at)?;
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
                    Some(i) => self.builders[i].finish_and_reserve(Some(NORMALISED_TIME_ZONE)),
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

fn append_value(
    builder: &mut ColumnBuilder,
    field: InventoryField,
    raw: &str,
    key_buffer: &mut Vec<u8>,
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
    match field.field_type() {
        FieldType::Text if field == InventoryField::Key => {
            let key = decode_csv_key_into(raw, key_buffer).map_err(|e| {
                invalid(match e {
                    KeyDecodeError::BadEscape => "a URL-encoded key (bad %-escape)",
                    KeyDecodeError::NotUtf8 => "a URL-encoded key (decodes to invalid UTF-8)",
                })
            })?;
            builder.append_text(key);
        }
        FieldType::Text => builder.append_text(raw),
        FieldType::Flag => builder.append_flag(match raw {
            "true" => true,
            "false" => false,
            r if r.eq_ignore_ascii_case("true") => true,
            r if r.eq_ignore_ascii_case("false") => false,
            _ => return Err(invalid("true or false")),
        }),
        FieldType::Integer => {
            builder.append_integer(raw.parse::<i64>().map_err(|_| invalid("an integer"))?)
        }
        FieldType::Timestamp => builder.append_timestamp_millis(
            parse_millis(raw)
                .ok_or_else(|| invalid("an ISO-8601 timestamp like 2016-11-06T21:32:00.000Z"))?,
        ),
    }
    Ok(())
}

//! CSV data files: gzip, no header, all values quoted, URL-encoded keys.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::error::InventoryError;
use crate::field::InventoryField;
use crate::format::FileFormat;
use crate::key_encoding::encode_csv_key;
use crate::record::{FieldValue, InventoryRecord};

/// ISO-8601 with milliseconds and `Z`, e.g. `2016-11-06T21:32:00.000Z`.
pub(crate) const CSV_TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

pub(super) fn write_csv_gz(
    fields: &[InventoryField],
    records: &[InventoryRecord],
) -> Result<Vec<u8>, InventoryError> {
    let encode_err = |message: String| InventoryError::Encode {
        format: FileFormat::Csv,
        message,
    };
    let gz = GzEncoder::new(Vec::new(), Compression::default());
    let mut writer = ::csv::WriterBuilder::new()
        .has_headers(false)
        .quote_style(::csv::QuoteStyle::Always)
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(gz);
    let mut row: Vec<String> = Vec::with_capacity(fields.len());
    for record in records {
        row.clear();
        row.extend(fields.iter().map(|&f| csv_value(f, record.value(f))));
        writer
            .write_record(&row)
            .map_err(|e| encode_err(e.to_string()))?;
    }
    let mut gz = writer
        .into_inner()
        .map_err(|e| encode_err(e.error().to_string()))?;
    gz.flush().map_err(|e| encode_err(e.to_string()))?;
    gz.finish().map_err(|e| encode_err(e.to_string()))
}

fn csv_value(field: InventoryField, value: FieldValue<'_>) -> String {
    match value {
        FieldValue::Text(Some(s)) if field == InventoryField::Key => encode_csv_key(s),
        FieldValue::Text(v) => v.unwrap_or_default().to_owned(),
        FieldValue::Flag(v) => v.map(|b| b.to_string()).unwrap_or_default(),
        FieldValue::Integer(v) => v.map(|n| n.to_string()).unwrap_or_default(),
        FieldValue::Timestamp(v) => v
            .map(|t| t.format(CSV_TIMESTAMP_FORMAT).to_string())
            .unwrap_or_default(),
    }
}

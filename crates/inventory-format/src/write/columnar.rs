//! ORC and Parquet data files, via their Arrow writers.

use orc_rust::compression::CompressionType;
use orc_rust::ArrowWriterBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::columns::{records_to_batch, schema_for};
use crate::error::InventoryError;
use crate::field::InventoryField;
use crate::format::FileFormat;
use crate::record::InventoryRecord;

/// Parquet schema root name in S3's documented `fileSchema`.
const PARQUET_ROOT: &str = "s3.inventory";

pub(super) fn write_orc(
    fields: &[InventoryField],
    records: &[InventoryRecord],
    batch_rows: usize,
) -> Result<Vec<u8>, InventoryError> {
    let err = |e: &dyn std::fmt::Display| InventoryError::Encode {
        format: FileFormat::Orc,
        message: e.to_string(),
    };
    // A time-zone-less Arrow timestamp becomes ORC `timestamp` (the
    // documented type); orc-rust then records writer time zone UTC.
    let schema = schema_for(fields, None, false);
    let mut out = Vec::new();
    let mut writer = ArrowWriterBuilder::new(&mut out, schema.clone())
        .with_compression(CompressionType::Zlib)
        .try_build()
        .map_err(|e| err(&e))?;
    for chunk in records.chunks(batch_rows.max(1)) {
        let batch = records_to_batch(&schema, fields, chunk, None).map_err(|e| err(&e))?;
        writer.write(&batch).map_err(|e| err(&e))?;
    }
    writer.close().map_err(|e| err(&e))?;
    Ok(out)
}

pub(super) fn write_parquet(
    fields: &[InventoryField],
    records: &[InventoryRecord],
    batch_rows: usize,
) -> Result<Vec<u8>, InventoryError> {
    let err = |e: &dyn std::fmt::Display| InventoryError::Encode {
        format: FileFormat::Parquet,
        message: e.to_string(),
    };
    // UTC-adjusted millisecond timestamps are Parquet
    // `int64 (TIMESTAMP_MILLIS)`; bucket/key are `required`.
    let tz = Some("UTC");
    let schema = schema_for(fields, tz, true);
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let options = ArrowWriterOptions::new()
        .with_properties(properties)
        .with_skip_arrow_metadata(true)
        .with_schema_root(PARQUET_ROOT.to_owned());
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new_with_options(&mut out, schema.clone(), options)
        .map_err(|e| err(&e))?;
    for chunk in records.chunks(batch_rows.max(1)) {
        let batch = records_to_batch(&schema, fields, chunk, tz).map_err(|e| err(&e))?;
        writer.write(&batch).map_err(|e| err(&e))?;
    }
    writer.close().map_err(|e| err(&e))?;
    Ok(out)
}

//! Writing data files exactly as S3 Inventory does.
//!
//! The emulator uses this to produce reports that a real processing
//! pipeline cannot tell from S3's: CSV is gzip-compressed, headerless, every
//! value double-quoted, keys URL-encoded; ORC is ZLIB-compressed with
//! `string`/`boolean`/`bigint`/`timestamp` columns; Parquet is
//! Snappy-compressed with schema root `s3.inventory`, `required` bucket/key,
//! `int64 (TIMESTAMP_MILLIS)` dates.

mod columnar;
mod csv;

use crate::error::InventoryError;
use crate::field::InventoryField;
use crate::format::FileFormat;
use crate::record::InventoryRecord;

/// Rows per Arrow batch handed to the ORC/Parquet encoders; bounds the
/// intermediate memory of a write.
const WRITE_BATCH_ROWS: usize = 8192;

/// Encodes `records` as one data file with columns `fields` (in that order;
/// use [`crate::report_fields`] for S3's order). Record values of fields not
/// in `fields` are not written. Timestamps are written with millisecond
/// precision.
pub fn write_data_file(
    format: FileFormat,
    fields: &[InventoryField],
    records: &[InventoryRecord],
) -> Result<Vec<u8>, InventoryError> {
    match format {
        FileFormat::Csv => csv::write_csv_gz(fields, records),
        FileFormat::Orc => columnar::write_orc(fields, records, WRITE_BATCH_ROWS),
        FileFormat::Parquet => columnar::write_parquet(fields, records, WRITE_BATCH_ROWS),
    }
}

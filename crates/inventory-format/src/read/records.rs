//! Turning normalised batches back into [`InventoryRecord`]s.

use arrow::array::{Array, BooleanArray, Int64Array, StringArray, TimestampMillisecondArray};
use arrow::record_batch::RecordBatch;
use chrono::DateTime;

use crate::field::{FieldType, InventoryField};
use crate::record::InventoryRecord;

/// One [`InventoryRecord`] per row of a batch in
/// [`super::normalised_schema`].
///
/// For tests and small consumers; large consumers should work on the Arrow
/// columns directly. Columns are found by name; a missing column, or one
/// whose type is not the normalised one, reads as `None` (`""` for bucket
/// and key).
pub fn records_from_batch(batch: &RecordBatch) -> Vec<InventoryRecord> {
    let mut records = vec![InventoryRecord::default(); batch.num_rows()];
    for field in InventoryField::ALL {
        let Some(column) = batch.column_by_name(field.column_name()) else {
            continue;
        };
        let any = column.as_any();
        match field.field_type() {
            FieldType::Text => {
                if let Some(a) = any.downcast_ref::<StringArray>() {
                    for (row, record) in records.iter_mut().enumerate() {
                        let v = a.is_valid(row).then(|| a.value(row).to_owned());
                        record.set_text(field, v);
                    }
                }
            }
            FieldType::Flag => {
                if let Some(a) = any.downcast_ref::<BooleanArray>() {
                    for (row, record) in records.iter_mut().enumerate() {
                        record.set_flag(field, a.is_valid(row).then(|| a.value(row)));
                    }
                }
            }
            FieldType::Integer => {
                if let Some(a) = any.downcast_ref::<Int64Array>() {
                    for (row, record) in records.iter_mut().enumerate() {
                        record.set_integer(field, a.is_valid(row).then(|| a.value(row)));
                    }
                }
            }
            FieldType::Timestamp => {
                if let Some(a) = any.downcast_ref::<TimestampMillisecondArray>() {
                    for (row, record) in records.iter_mut().enumerate() {
                        let v = a
                            .is_valid(row)
                            .then(|| DateTime::from_timestamp_millis(a.value(row)))
                            .flatten();
                        record.set_timestamp(field, v);
                    }
                }
            }
        }
    }
    records
}

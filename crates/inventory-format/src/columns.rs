//! Arrow column builders keyed by [`FieldType`], shared by the writers
//! (records → batches) and the CSV reader (text → batches).

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;

use crate::field::{FieldType, InventoryField};
use crate::record::{FieldValue, InventoryRecord};

/// The Arrow type of a field; `tz` is the timestamp time zone, if any.
pub(crate) fn arrow_type(ty: FieldType, tz: Option<&str>) -> DataType {
    match ty {
        FieldType::Text => DataType::Utf8,
        FieldType::Flag => DataType::Boolean,
        FieldType::Integer => DataType::Int64,
        FieldType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, tz.map(Arc::from)),
    }
}

/// An Arrow schema for `fields`. With `required_not_null`, `bucket` and
/// `key` are non-nullable (Parquet `required`).
pub(crate) fn schema_for(
    fields: &[InventoryField],
    tz: Option<&str>,
    required_not_null: bool,
) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .iter()
            .map(|f| {
                Field::new(
                    f.column_name(),
                    arrow_type(f.field_type(), tz),
                    !(required_not_null && f.is_required()),
                )
            })
            .collect::<Vec<_>>(),
    ))
}

/// A growable column of one field type.
pub(crate) enum ColumnBuilder {
    Text(StringBuilder),
    Flag(BooleanBuilder),
    Integer(Int64Builder),
    Timestamp(TimestampMillisecondBuilder),
}

impl ColumnBuilder {
    pub(crate) fn new(ty: FieldType, capacity: usize) -> Self {
        match ty {
            FieldType::Text => ColumnBuilder::Text(StringBuilder::with_capacity(capacity, 0)),
            FieldType::Flag => ColumnBuilder::Flag(BooleanBuilder::with_capacity(capacity)),
            FieldType::Integer => ColumnBuilder::Integer(Int64Builder::with_capacity(capacity)),
            FieldType::Timestamp => {
                ColumnBuilder::Timestamp(TimestampMillisecondBuilder::with_capacity(capacity))
            }
        }
    }

    /// Appends a value; a value of another type appends null.
    pub(crate) fn append(&mut self, value: FieldValue<'_>) {
        match (self, value) {
            (ColumnBuilder::Text(b), FieldValue::Text(v)) => b.append_option(v),
            (ColumnBuilder::Flag(b), FieldValue::Flag(v)) => b.append_option(v),
            (ColumnBuilder::Integer(b), FieldValue::Integer(v)) => b.append_option(v),
            (ColumnBuilder::Timestamp(b), FieldValue::Timestamp(v)) => {
                b.append_option(v.map(|t| t.timestamp_millis()))
            }
            (builder, _) => builder.append_null(),
        }
    }

    pub(crate) fn append_null(&mut self) {
        match self {
            ColumnBuilder::Text(b) => b.append_null(),
            ColumnBuilder::Flag(b) => b.append_null(),
            ColumnBuilder::Integer(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
        }
    }

    /// Appends a text value; does nothing unless this is a text column.
    pub(crate) fn append_text(&mut self, value: &str) {
        if let ColumnBuilder::Text(b) = self {
            b.append_value(value);
        }
    }

    /// Appends a boolean; does nothing unless this is a boolean column.
    pub(crate) fn append_flag(&mut self, value: bool) {
        if let ColumnBuilder::Flag(b) = self {
            b.append_value(value);
        }
    }

    /// Appends an integer; does nothing unless this is an integer column.
    pub(crate) fn append_integer(&mut self, value: i64) {
        if let ColumnBuilder::Integer(b) = self {
            b.append_value(value);
        }
    }

    /// Appends epoch milliseconds; does nothing unless this is a timestamp column.
    pub(crate) fn append_timestamp_millis(&mut self, value: i64) {
        if let ColumnBuilder::Timestamp(b) = self {
            b.append_value(value);
        }
    }

    /// Like [`ColumnBuilder::finish`], then pre-sizes the builder for a batch
    /// like this one, so a streaming reader does not regrow its buffers batch
    /// after batch: text values get a quarter more room than this batch used, so
    /// a batch of slightly longer keys does not copy its values to a buffer twice
    /// the size.
    pub(crate) fn finish_and_reserve(&mut self, tz: Option<&str>) -> ArrayRef {
        let rows = self.len();
        let text_bytes = match self {
            ColumnBuilder::Text(b) => b.values_slice().len(),
            _ => 0,
        };
        let array = self.finish(tz);
        match self {
            ColumnBuilder::Text(b) => {
                *b = StringBuilder::with_capacity(rows, text_bytes + text_bytes / 4)
            }
            ColumnBuilder::Flag(b) => *b = BooleanBuilder::with_capacity(rows),
            ColumnBuilder::Integer(b) => *b = Int64Builder::with_capacity(rows),
            ColumnBuilder::Timestamp(b) => *b = TimestampMillisecondBuilder::with_capacity(rows),
        }
        array
    }

    fn len(&self) -> usize {
        match self {
            ColumnBuilder::Text(b) => b.len(),
            ColumnBuilder::Flag(b) => b.len(),
            ColumnBuilder::Integer(b) => b.len(),
            ColumnBuilder::Timestamp(b) => b.len(),
        }
    }

    /// Takes the built column (the builder is left empty and reusable).
    pub(crate) fn finish(&mut self, tz: Option<&str>) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Flag(b) => Arc::new(b.finish()),
            ColumnBuilder::Integer(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => {
                let array = b.finish();
                Arc::new(match tz {
                    Some(tz) => array.with_timezone(tz),
                    None => array,
                })
            }
        }
    }
}

/// Builds one batch holding `fields` of `records`, in `schema`
/// (from [`schema_for`] with the same `fields` and `tz`).
pub(crate) fn records_to_batch(
    schema: &SchemaRef,
    fields: &[InventoryField],
    records: &[InventoryRecord],
    tz: Option<&str>,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let columns = fields
        .iter()
        .map(|&field| {
            let mut builder = ColumnBuilder::new(field.field_type(), records.len());
            for record in records {
                builder.append(record.value(field));
            }
            builder.finish(tz)
        })
        .collect();
    RecordBatch::try_new(Arc::clone(schema), columns)
}

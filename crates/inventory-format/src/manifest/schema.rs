//! The manifest's `fileSchema` string, in its three dialects.
//!
//! Documented examples (S3 user guide, "Locating your inventory list"):
//!
//! * CSV: `Bucket, Key, VersionId, IsLatest, ...` (config names, `", "`-separated)
//! * ORC: `struct<bucket:string,key:string,...,size:bigint,last_modified_date:timestamp,...>`
//! * Parquet: `message s3.inventory { required binary bucket (UTF8); ...
//!   optional int64 size; optional int64 last_modified_date (TIMESTAMP_MILLIS); ...}`

use crate::error::InventoryError;
use crate::field::{FieldType, InventoryField};
use crate::format::FileFormat;

/// The `fileSchema` S3 writes for a report with these columns (in order).
pub fn file_schema(format: FileFormat, fields: &[InventoryField]) -> String {
    match format {
        FileFormat::Csv => fields
            .iter()
            .map(|f| f.config_name())
            .collect::<Vec<_>>()
            .join(", "),
        FileFormat::Orc => {
            let cols: Vec<String> = fields
                .iter()
                .map(|f| format!("{}:{}", f.column_name(), orc_type(f.field_type())))
                .collect();
            format!("struct<{}>", cols.join(","))
        }
        FileFormat::Parquet => {
            let cols: Vec<String> = fields.iter().map(|f| parquet_column(*f)).collect();
            format!("message s3.inventory {{ {}}}", cols.join(" "))
        }
    }
}

fn orc_type(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "string",
        FieldType::Flag => "boolean",
        FieldType::Integer => "bigint",
        FieldType::Timestamp => "timestamp",
    }
}

fn parquet_column(f: InventoryField) -> String {
    let repetition = if f.is_required() {
        "required"
    } else {
        "optional"
    };
    let name = f.column_name();
    match f.field_type() {
        FieldType::Text => format!("{repetition} binary {name} (UTF8);"),
        FieldType::Flag => format!("{repetition} boolean {name};"),
        FieldType::Integer => format!("{repetition} int64 {name};"),
        FieldType::Timestamp => format!("{repetition} int64 {name} (TIMESTAMP_MILLIS);"),
    }
}

/// Parses a `fileSchema` back into fields: the inverse of [`file_schema`].
///
/// Only names are checked (column types are the reader's business); an
/// unknown name is an [`InventoryError::UnknownField`] naming it. Spacing is
/// tolerated (AWS's Parquet examples end in both `; }` and `;}`).
pub fn fields_from_schema(
    format: FileFormat,
    schema: &str,
) -> Result<Vec<InventoryField>, InventoryError> {
    let malformed = |message: &str| InventoryError::Schema {
        format,
        message: message.to_owned(),
    };
    let names: Vec<&str> = match format {
        FileFormat::Csv => schema.split(',').map(str::trim).collect(),
        FileFormat::Orc => {
            let body = schema
                .trim()
                .strip_prefix("struct<")
                .and_then(|s| s.strip_suffix('>'))
                .ok_or_else(|| malformed("expected struct<name:type,...>"))?;
            body.split(',')
                .map(|col| col.split(':').next().unwrap_or_default().trim())
                .collect()
        }
        FileFormat::Parquet => {
            let trimmed = schema.trim();
            let body = trimmed
                .strip_prefix("message")
                .and_then(|s| Some(&s[s.find('{')? + 1..]))
                .and_then(|s| s.trim_end().strip_suffix('}'))
                .ok_or_else(|| malformed("expected message <name> { ... }"))?;
            body.split(';')
                .map(str::trim)
                .filter(|col| !col.is_empty())
                .map(|col| {
                    col.split_whitespace().nth(2).ok_or_else(|| {
                        malformed(&format!(
                            "column {col:?} is not `<repetition> <type> <name>`"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let mut fields = Vec::with_capacity(names.len());
    for name in names {
        if name.is_empty() {
            return Err(malformed("empty column name"));
        }
        let field = match format {
            FileFormat::Csv => InventoryField::from_config_name(name),
            FileFormat::Orc | FileFormat::Parquet => InventoryField::from_column_name(name),
        }
        .ok_or_else(|| InventoryError::UnknownField {
            format,
            name: name.to_owned(),
        })?;
        if fields.contains(&field) {
            return Err(malformed(&format!("column {name} appears twice")));
        }
        fields.push(field);
    }
    Ok(fields)
}

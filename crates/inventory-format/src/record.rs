//! One row of an inventory report as a plain Rust value.

use chrono::{DateTime, Utc};

use crate::field::{FieldType, InventoryField};

/// One object (or object version) as listed in an inventory report.
///
/// It exists as the format-neutral currency between the emulator (which
/// builds records from its object model and writes them) and small consumers
/// or tests (which read them back). Optional fields not in the report, and
/// values S3 leaves empty (e.g. the size of a delete marker), are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InventoryRecord {
    /// Source bucket name.
    pub bucket: String,
    /// Object key, decoded (never URL-encoded).
    pub key: String,
    /// Version ID (all-versions reports).
    pub version_id: Option<String>,
    /// Whether this is the current version (all-versions reports).
    pub is_latest: Option<bool>,
    /// Whether this version is a delete marker (all-versions reports).
    pub is_delete_marker: Option<bool>,
    /// Size in bytes.
    pub size: Option<i64>,
    /// Last-modified date (millisecond precision in every format).
    pub last_modified: Option<DateTime<Utc>>,
    /// Entity tag.
    pub e_tag: Option<String>,
    /// Storage class.
    pub storage_class: Option<String>,
    /// Whether it was a multipart upload.
    pub is_multipart_uploaded: Option<bool>,
    /// Replication status.
    pub replication_status: Option<String>,
    /// Encryption status.
    pub encryption_status: Option<String>,
    /// Object Lock retain-until date.
    pub object_lock_retain_until_date: Option<DateTime<Utc>>,
    /// Object Lock mode.
    pub object_lock_mode: Option<String>,
    /// Object Lock legal hold status.
    pub object_lock_legal_hold_status: Option<String>,
    /// Intelligent-Tiering access tier.
    pub intelligent_tiering_access_tier: Option<String>,
    /// Bucket Key status.
    pub bucket_key_status: Option<String>,
    /// Checksum algorithm.
    pub checksum_algorithm: Option<String>,
    /// Object ACL (base64-encoded JSON, as S3 writes it).
    pub object_access_control_list: Option<String>,
    /// Object owner canonical ID.
    pub object_owner: Option<String>,
    /// Lifecycle expiration date.
    pub lifecycle_expiration_date: Option<DateTime<Utc>>,
}

/// A borrowed view of one field's value, typed by [`FieldType`].
///
/// It exists so writers can serialise any field generically; `Bucket` and
/// `Key` are always `Text(Some(..))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A text field.
    Text(Option<&'a str>),
    /// A boolean field.
    Flag(Option<bool>),
    /// An integer field.
    Integer(Option<i64>),
    /// A timestamp field.
    Timestamp(Option<DateTime<Utc>>),
}

impl InventoryRecord {
    /// The value of `field` in this record.
    pub fn value(&self, field: InventoryField) -> FieldValue<'_> {
        use InventoryField as F;
        match field.field_type() {
            FieldType::Text => FieldValue::Text(match field {
                F::Bucket => Some(self.bucket.as_str()),
                F::Key => Some(self.key.as_str()),
                _ => self.text_slot(field).and_then(|s| s.as_deref()),
            }),
            FieldType::Flag => FieldValue::Flag(match field {
                F::IsLatest => self.is_latest,
                F::IsDeleteMarker => self.is_delete_marker,
                _ => self.is_multipart_uploaded,
            }),
            FieldType::Integer => FieldValue::Integer(self.size),
            FieldType::Timestamp => FieldValue::Timestamp(match field {
                F::LastModifiedDate => self.last_modified,
                F::ObjectLockRetainUntilDate => self.object_lock_retain_until_date,
                _ => self.lifecycle_expiration_date,
            }),
        }
    }

    /// Sets a text field; `None` clears it (for `Bucket`/`Key`, to "").
    /// Does nothing when `field` is not a text field.
    pub fn set_text(&mut self, field: InventoryField, value: Option<String>) {
        match field {
            InventoryField::Bucket => self.bucket = value.unwrap_or_default(),
            InventoryField::Key => self.key = value.unwrap_or_default(),
            _ => {
                if let Some(slot) = self.text_slot_mut(field) {
                    *slot = value;
                }
            }
        }
    }

    /// Sets a boolean field. Does nothing when `field` is not boolean.
    pub fn set_flag(&mut self, field: InventoryField, value: Option<bool>) {
        match field {
            InventoryField::IsLatest => self.is_latest = value,
            InventoryField::IsDeleteMarker => self.is_delete_marker = value,
            InventoryField::IsMultipartUploaded => self.is_multipart_uploaded = value,
            _ => {}
        }
    }

    /// Sets an integer field (`Size`). Does nothing for other fields.
    pub fn set_integer(&mut self, field: InventoryField, value: Option<i64>) {
        if field == InventoryField::Size {
            self.size = value;
        }
    }

    /// Sets a timestamp field. Does nothing when `field` is not a timestamp.
    pub fn set_timestamp(&mut self, field: InventoryField, value: Option<DateTime<Utc>>) {
        match field {
            InventoryField::LastModifiedDate => self.last_modified = value,
            InventoryField::ObjectLockRetainUntilDate => self.object_lock_retain_until_date = value,
            InventoryField::LifecycleExpirationDate => self.lifecycle_expiration_date = value,
            _ => {}
        }
    }

    fn text_slot(&self, field: InventoryField) -> Option<&Option<String>> {
        use InventoryField as F;
        Some(match field {
            F::VersionId => &self.version_id,
            F::ETag => &self.e_tag,
            F::StorageClass => &self.storage_class,
            F::ReplicationStatus => &self.replication_status,
            F::EncryptionStatus => &self.encryption_status,
            F::ObjectLockMode => &self.object_lock_mode,
            F::ObjectLockLegalHoldStatus => &self.object_lock_legal_hold_status,
            F::IntelligentTieringAccessTier => &self.intelligent_tiering_access_tier,
            F::BucketKeyStatus => &self.bucket_key_status,
            F::ChecksumAlgorithm => &self.checksum_algorithm,
            F::ObjectAccessControlList => &self.object_access_control_list,
            F::ObjectOwner => &self.object_owner,
            _ => return None,
        })
    }

    fn text_slot_mut(&mut self, field: InventoryField) -> Option<&mut Option<String>> {
        use InventoryField as F;
        Some(match field {
            F::VersionId => &mut self.version_id,
            F::ETag => &mut self.e_tag,
            F::StorageClass => &mut self.storage_class,
            F::ReplicationStatus => &mut self.replication_status,
            F::EncryptionStatus => &mut self.encryption_status,
            F::ObjectLockMode => &mut self.object_lock_mode,
            F::ObjectLockLegalHoldStatus => &mut self.object_lock_legal_hold_status,
            F::IntelligentTieringAccessTier => &mut self.intelligent_tiering_access_tier,
            F::BucketKeyStatus => &mut self.bucket_key_status,
            F::ChecksumAlgorithm => &mut self.checksum_algorithm,
            F::ObjectAccessControlList => &mut self.object_access_control_list,
            F::ObjectOwner => &mut self.object_owner,
            _ => return None,
        })
    }

    /// A copy keeping only the fields in `fields` (others become `None`),
    /// with timestamps truncated to milliseconds: exactly what a report with
    /// those columns can carry. Useful to compare written and read records.
    pub fn projected(&self, fields: &[InventoryField]) -> InventoryRecord {
        let mut out = InventoryRecord::default();
        for &field in fields {
            match self.value(field) {
                FieldValue::Text(v) => out.set_text(field, v.map(str::to_owned)),
                FieldValue::Flag(v) => out.set_flag(field, v),
                FieldValue::Integer(v) => out.set_integer(field, v),
                FieldValue::Timestamp(v) => out.set_timestamp(field, v.map(truncate_to_millis)),
            }
        }
        out
    }
}

/// Drops sub-millisecond precision, which no inventory format carries.
pub(crate) fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_through_value() {
        let t = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap_or_default();
        let mut r = InventoryRecord::default();
        for f in InventoryField::ALL {
            match f.field_type() {
                FieldType::Text => r.set_text(f, Some(f.column_name().to_owned())),
                FieldType::Flag => r.set_flag(f, Some(true)),
                FieldType::Integer => r.set_integer(f, Some(42)),
                FieldType::Timestamp => r.set_timestamp(f, Some(t)),
            }
        }
        for f in InventoryField::ALL {
            let expected = match f.field_type() {
                FieldType::Text => FieldValue::Text(Some(f.column_name())),
                FieldType::Flag => FieldValue::Flag(Some(true)),
                FieldType::Integer => FieldValue::Integer(Some(42)),
                FieldType::Timestamp => FieldValue::Timestamp(Some(t)),
            };
            assert_eq!(r.value(f), expected, "{f:?}");
        }
        assert_eq!(r.projected(&InventoryField::ALL), r);
    }
}

//! The columns of an S3 Inventory report and their three spellings.
//!
//! S3 names each field three ways: the `OptionalFields` value of the
//! inventory configuration (also used verbatim in a CSV `fileSchema`, e.g.
//! `LastModifiedDate`), and the snake_case ORC/Parquet column name (e.g.
//! `last_modified_date`). This module is the single table mapping between
//! them, plus the value type and S3's column order.

/// The value type of a field, shared by every format.
///
/// It exists so writers and readers can treat fields generically instead of
/// matching on all twenty-one fields everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// UTF-8 text (ORC `string`, Parquet `binary (UTF8)`).
    Text,
    /// A boolean (ORC `boolean`, Parquet `boolean`).
    Flag,
    /// A 64-bit integer (ORC `bigint`, Parquet `int64`).
    Integer,
    /// A UTC instant with millisecond precision (ORC `timestamp`, Parquet
    /// `int64 (TIMESTAMP_MILLIS)`, CSV ISO-8601 such as `2016-11-06T21:32:00.000Z`).
    Timestamp,
}

/// One column of an inventory report.
///
/// Variants are declared in the order S3 writes columns (see the documented
/// manifest examples and the Athena `CREATE TABLE` template), so sorting by
/// this enum yields S3's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InventoryField {
    /// Source bucket name. Always present.
    Bucket,
    /// Object key. Always present; URL-encoded in CSV.
    Key,
    /// Version ID. Present only when the configuration includes all versions.
    VersionId,
    /// Whether this version is the current one. All-versions reports only.
    IsLatest,
    /// Whether this version is a delete marker. All-versions reports only.
    IsDeleteMarker,
    /// Object size in bytes.
    Size,
    /// Creation or last-modified date, whichever is later.
    LastModifiedDate,
    /// Entity tag.
    ETag,
    /// Storage class (e.g. `STANDARD`).
    StorageClass,
    /// Whether the object was uploaded as a multipart upload.
    IsMultipartUploaded,
    /// Replication status (`PENDING`, `COMPLETED`, `FAILED`, `REPLICA`).
    ReplicationStatus,
    /// Server-side encryption status (`SSE-S3`, `SSE-C`, `SSE-KMS`, `NOT-SSE`, ...).
    EncryptionStatus,
    /// Object Lock retain-until date.
    ObjectLockRetainUntilDate,
    /// Object Lock mode (`GOVERNANCE` / `COMPLIANCE`).
    ObjectLockMode,
    /// Object Lock legal hold status (`ON` / `OFF`).
    ObjectLockLegalHoldStatus,
    /// S3 Intelligent-Tiering access tier.
    IntelligentTieringAccessTier,
    /// Whether an S3 Bucket Key is used for SSE-KMS (`ENABLED` / `DISABLED`).
    BucketKeyStatus,
    /// Additional checksum algorithm (e.g. `CRC32`).
    ChecksumAlgorithm,
    /// Object ACL, as base64-encoded JSON.
    ObjectAccessControlList,
    /// Object owner's canonical user ID.
    ObjectOwner,
    /// Date the object expires under a lifecycle rule, when one applies.
    LifecycleExpirationDate,
}

impl InventoryField {
    /// Every field this crate models, in S3's column order.
    pub const ALL: [InventoryField; 21] = [
        InventoryField::Bucket,
        InventoryField::Key,
        InventoryField::VersionId,
        InventoryField::IsLatest,
        InventoryField::IsDeleteMarker,
        InventoryField::Size,
        InventoryField::LastModifiedDate,
        InventoryField::ETag,
        InventoryField::StorageClass,
        InventoryField::IsMultipartUploaded,
        InventoryField::ReplicationStatus,
        InventoryField::EncryptionStatus,
        InventoryField::ObjectLockRetainUntilDate,
        InventoryField::ObjectLockMode,
        InventoryField::ObjectLockLegalHoldStatus,
        InventoryField::IntelligentTieringAccessTier,
        InventoryField::BucketKeyStatus,
        InventoryField::ChecksumAlgorithm,
        InventoryField::ObjectAccessControlList,
        InventoryField::ObjectOwner,
        InventoryField::LifecycleExpirationDate,
    ];

    /// The name used in the configuration's `OptionalFields` and in a CSV
    /// `fileSchema` (e.g. `Size`, `IsDeleteMarker`).
    pub fn config_name(&self) -> &'static str {
        match self {
            InventoryField::Bucket => "Bucket",
            InventoryField::Key => "Key",
            InventoryField::VersionId => "VersionId",
            InventoryField::IsLatest => "IsLatest",
            InventoryField::IsDeleteMarker => "IsDeleteMarker",
            InventoryField::Size => "Size",
            InventoryField::LastModifiedDate => "LastModifiedDate",
            InventoryField::ETag => "ETag",
            InventoryField::StorageClass => "StorageClass",
            InventoryField::IsMultipartUploaded => "IsMultipartUploaded",
            InventoryField::ReplicationStatus => "ReplicationStatus",
            InventoryField::EncryptionStatus => "EncryptionStatus",
            InventoryField::ObjectLockRetainUntilDate => "ObjectLockRetainUntilDate",
            InventoryField::ObjectLockMode => "ObjectLockMode",
            InventoryField::ObjectLockLegalHoldStatus => "ObjectLockLegalHoldStatus",
            InventoryField::IntelligentTieringAccessTier => "IntelligentTieringAccessTier",
            InventoryField::BucketKeyStatus => "BucketKeyStatus",
            InventoryField::ChecksumAlgorithm => "ChecksumAlgorithm",
            InventoryField::ObjectAccessControlList => "ObjectAccessControlList",
            InventoryField::ObjectOwner => "ObjectOwner",
            InventoryField::LifecycleExpirationDate => "LifecycleExpirationDate",
        }
    }

    /// The ORC/Parquet column name (snake_case, e.g. `size`, `e_tag`).
    pub fn column_name(&self) -> &'static str {
        match self {
            InventoryField::Bucket => "bucket",
            InventoryField::Key => "key",
            InventoryField::VersionId => "version_id",
            InventoryField::IsLatest => "is_latest",
            InventoryField::IsDeleteMarker => "is_delete_marker",
            InventoryField::Size => "size",
            InventoryField::LastModifiedDate => "last_modified_date",
            InventoryField::ETag => "e_tag",
            InventoryField::StorageClass => "storage_class",
            InventoryField::IsMultipartUploaded => "is_multipart_uploaded",
            InventoryField::ReplicationStatus => "replication_status",
            InventoryField::EncryptionStatus => "encryption_status",
            InventoryField::ObjectLockRetainUntilDate => "object_lock_retain_until_date",
            InventoryField::ObjectLockMode => "object_lock_mode",
            InventoryField::ObjectLockLegalHoldStatus => "object_lock_legal_hold_status",
            InventoryField::IntelligentTieringAccessTier => "intelligent_tiering_access_tier",
            InventoryField::BucketKeyStatus => "bucket_key_status",
            InventoryField::ChecksumAlgorithm => "checksum_algorithm",
            InventoryField::ObjectAccessControlList => "object_access_control_list",
            InventoryField::ObjectOwner => "object_owner",
            InventoryField::LifecycleExpirationDate => "lifecycle_expiration_date",
        }
    }

    /// The value type of this field.
    pub fn field_type(&self) -> FieldType {
        match self {
            InventoryField::IsLatest
            | InventoryField::IsDeleteMarker
            | InventoryField::IsMultipartUploaded => FieldType::Flag,
            InventoryField::Size => FieldType::Integer,
            InventoryField::LastModifiedDate
            | InventoryField::ObjectLockRetainUntilDate
            | InventoryField::LifecycleExpirationDate => FieldType::Timestamp,
            _ => FieldType::Text,
        }
    }

    /// Whether the field is always written (`Bucket`, `Key`).
    pub fn is_required(&self) -> bool {
        matches!(self, InventoryField::Bucket | InventoryField::Key)
    }

    /// Whether the field is added by `IncludedObjectVersions = All`
    /// (`VersionId`, `IsLatest`, `IsDeleteMarker`).
    pub fn is_version_field(&self) -> bool {
        matches!(
            self,
            InventoryField::VersionId | InventoryField::IsLatest | InventoryField::IsDeleteMarker
        )
    }

    /// Whether the field is selectable in the configuration's `OptionalFields`.
    pub fn is_optional(&self) -> bool {
        !self.is_required() && !self.is_version_field()
    }

    /// Looks a field up by its configuration / CSV name (exact match).
    pub fn from_config_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.config_name() == name)
    }

    /// Looks a field up by its ORC/Parquet column name (exact match).
    pub fn from_column_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.column_name() == name)
    }
}

/// The columns S3 writes for a configuration, in S3's order.
///
/// `Bucket` and `Key` always come first, then `VersionId`, `IsLatest`,
/// `IsDeleteMarker` when `all_versions` (`IncludedObjectVersions = All`),
/// then the chosen optional fields in S3's fixed order, whatever order they
/// were configured in. Duplicates, and any required or version field passed
/// in `optional`, are ignored.
pub fn report_fields(optional: &[InventoryField], all_versions: bool) -> Vec<InventoryField> {
    InventoryField::ALL
        .into_iter()
        .filter(|f| {
            f.is_required()
                || (f.is_version_field() && all_versions)
                || (f.is_optional() && optional.contains(f))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in InventoryField::ALL {
            assert_eq!(InventoryField::from_config_name(f.config_name()), Some(f));
            assert_eq!(InventoryField::from_column_name(f.column_name()), Some(f));
        }
        assert_eq!(InventoryField::from_config_name("size"), None);
        assert_eq!(InventoryField::from_column_name("Size"), None);
    }

    #[test]
    fn all_is_sorted() {
        let mut sorted = InventoryField::ALL;
        sorted.sort();
        assert_eq!(sorted, InventoryField::ALL);
    }

    #[test]
    fn report_fields_orders_and_filters() {
        use InventoryField::*;
        assert_eq!(report_fields(&[], false), vec![Bucket, Key]);
        assert_eq!(
            report_fields(&[ETag, Size, Size, VersionId, Bucket], true),
            vec![Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, ETag]
        );
    }
}

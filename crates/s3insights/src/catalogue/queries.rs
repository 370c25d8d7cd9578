//! The built-in query catalogue: security and cost findings every run reports, besides the user's
//! own queries.
//!
//! Each query is a template over `{database}` and `{table}` (see [`super::render`]). They are written
//! in the subset of SQL that Athena (Trino) and DuckDB (the offline Athena) both run the same way:
//!
//! * `regexp_extract(s, pattern)` only where the pattern always matches (Trino returns NULL on no
//!   match, DuckDB an empty string); no `regexp_like` (DuckDB lacks it), no `split`/`element_at`
//!   (different list functions), no integer `/` (Trino truncates, DuckDB does not);
//! * dates compared as like types (`CAST(t AS date)` against `current_date`), not a `timestamp`
//!   against a `timestamp with time zone`;
//! * grouping through a CTE instead of `HAVING` on aliases, `CASE` sums instead of `count_if`;
//! * columns of the data plus the `account` and `region` partition keys; the bucket is the data's
//!   `bucket` column (equal to the `bucket_name` key, which the offline Athena does not derive);
//! * "current" means `is_latest` (absent in a current-versions-only report: every row is current) and
//!   not a delete marker;
//! * every result is ordered on a unique key and limited, so reports are stable from run to run.
//!
//! Every query is run on DuckDB against a Parquet file in the dataset's schema by this crate's tests
//! (`tests/catalogue_duckdb.rs`).

/// One built-in query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueQuery {
    /// Stable snake_case id: the report's query name, and how a user refers to it.
    pub name: &'static str,
    /// Short human title for the report.
    pub title: &'static str,
    /// What a result row means and what to do about it.
    pub description: &'static str,
    /// The SQL template (placeholders `{database}`, `{table}`).
    pub sql: &'static str,
}

/// Every built-in query, in the order the report lists them: security findings, then cost and
/// housekeeping, then overviews.
pub fn builtin_queries() -> &'static [CatalogueQuery] {
    BUILTIN_QUERIES
}

/// The built-in query named `name`, if any.
pub fn builtin_query(name: &str) -> Option<&'static CatalogueQuery> {
    BUILTIN_QUERIES.iter().find(|q| q.name == name)
}

/// Objects of at least this size are listed by `large_objects`: 1 GiB, the original's "large objects"
/// threshold. Kept in step with the SQL by a test.
pub const LARGE_OBJECT_BYTES: u64 = 1 << 30;

/// Buckets with no write for this many days are listed by `stale_buckets`. Kept in step with the SQL
/// by a test.
pub const STALE_AFTER_DAYS: u32 = 365;

/// `noncurrent_versions_to_expire` lists versions noncurrent for more than this many days: a
/// lifecycle rule's `NoncurrentDays`. Kept in step with the SQL by a test.
pub const NONCURRENT_EXPIRY_DAYS: u32 = 30;

/// `cold_standard_objects` lists current STANDARD objects of at least this size (the size below
/// which STANDARD_IA bills more than STANDARD: its 128 KiB minimum)...
pub const COLD_OBJECT_MIN_BYTES: u64 = 128 * 1024;
/// ... not modified for this many days. Kept in step with the SQL by a test.
pub const COLD_AFTER_DAYS: u32 = 90;

/// The file name (the key's last `/`-separated part, lower case) that [`secret_like!`] judges: the
/// expression over the `key` column, for `secret_like_keys` and the comparison query alike.
macro_rules! secret_like_file_name {
    () => {
        "lower(regexp_extract(key, '[^/]*$'))"
    };
}
pub(crate) use secret_like_file_name;

/// The rule of `secret_like_keys`: a condition on `file_name` (see [`secret_like_file_name!`]), the
/// well-known credential and key files, a disjunction to put in parentheses where it is one term
/// of more. A macro, so that both queries are one literal each.
macro_rules! secret_like {
    () => {
        "file_name IN (
    'passwd', 'shadow', 'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519',
    'credentials', 'credentials.json', 'client_secret.json', 'token.pickle',
    'terraform.tfstate', 'terraform.tfstate.backup', '.env', '.netrc', '.npmrc', '.pypirc',
    '.pgpass', '.git-credentials', '.htpasswd', '.s3cfg', '.dockercfg')
   OR file_name LIKE '.env.%'
   OR (file_name LIKE '%.%' AND regexp_extract(file_name, '[^.]*$') IN (
    'pem', 'key', 'pfx', 'p12', 'gpg', 'asc', 'jks', 'keystore', 'kdbx', 'ppk', 'ovpn',
    'tfvars', 'tfstate', 'publishsettings', 'env'))"
    };
}
pub(crate) use secret_like;

const BUILTIN_QUERIES: &[CatalogueQuery] = &[
    CatalogueQuery {
        name: "secret_like_keys",
        title: "Objects that look like secrets",
        description: "Current objects whose file name is a well-known credential or key file (private \
            SSH keys, .env files, cloud and package-manager credentials, Terraform state, key stores, \
            password databases). Each is a possible leaked secret: check who can read the bucket, \
            rotate what the file holds if it is real, and move secrets to a secrets manager.",
        sql: concat!(
            "WITH files AS (
  SELECT account, region, bucket, key, size, last_modified_date,
         ",
            secret_like_file_name!(),
            " AS file_name
  FROM {database}.{table}
  WHERE coalesce(is_latest, true) AND NOT coalesce(is_delete_marker, false)
)
SELECT account, region, bucket, key, size, last_modified_date
FROM files
WHERE ",
            secret_like!(),
            "
ORDER BY account, region, bucket, key
LIMIT 1000"
        ),
    },
    CatalogueQuery {
        name: "unencrypted_objects",
        title: "Objects without server-side encryption",
        description: "Object versions S3 reports as NOT-SSE, per bucket. S3 has encrypted every new \
            object since January 2023, so these were written before and never rewritten. Re-encrypt \
            them in place (S3 Batch Operations copy) or delete them if unneeded.",
        sql: "SELECT account, region, bucket,
       count(*) AS versions,
       sum(coalesce(size, 0)) AS bytes,
       min(key) AS first_key
FROM {database}.{table}
WHERE encryption_status = 'NOT-SSE' AND NOT coalesce(is_delete_marker, false)
GROUP BY account, region, bucket
ORDER BY bytes DESC, account, region, bucket
LIMIT 100",
    },
    CatalogueQuery {
        name: "replication_failures",
        title: "Objects that failed to replicate",
        description: "Object versions whose replication status is FAILED, per bucket: their replicas \
            are missing, so a disaster-recovery or compliance copy is incomplete. Fix the replication \
            rule or destination permissions, then replicate them again with S3 Batch Replication.",
        sql: "SELECT account, region, bucket,
       count(*) AS versions,
       sum(coalesce(size, 0)) AS bytes,
       min(key) AS first_key
FROM {database}.{table}
WHERE replication_status = 'FAILED'
GROUP BY account, region, bucket
ORDER BY versions DESC, account, region, bucket
LIMIT 100",
    },
    CatalogueQuery {
        name: "object_lock_summary",
        title: "Object Lock retention and legal holds",
        description: "Object versions under an Object Lock retention mode or a legal hold, per bucket, \
            mode and hold, with the earliest and latest retain-until dates. COMPLIANCE versions cannot \
            be deleted by anyone until their date: check that dates far in the future are intended \
            (they are paid for until then).",
        sql: "WITH locked AS (
  SELECT account, region, bucket, size, object_lock_retain_until_date,
         coalesce(upper(object_lock_mode), 'NONE') AS lock_mode,
         coalesce(upper(object_lock_legal_hold_status), 'OFF') AS legal_hold
  FROM {database}.{table}
  WHERE object_lock_mode IS NOT NULL OR upper(object_lock_legal_hold_status) = 'ON'
)
SELECT account, region, bucket, lock_mode, legal_hold,
       count(*) AS versions,
       sum(coalesce(size, 0)) AS bytes,
       min(object_lock_retain_until_date) AS earliest_retain_until,
       max(object_lock_retain_until_date) AS latest_retain_until
FROM locked
GROUP BY account, region, bucket, lock_mode, legal_hold
ORDER BY account, region, bucket, lock_mode, legal_hold
LIMIT 200",
    },
    CatalogueQuery {
        name: "large_objects",
        title: "Largest objects (1 GiB and more)",
        description: "The 100 largest object versions of at least 1 GiB, current or not, each known \
            by its key and last-modified time (list-object-versions on the key shows its version \
            id). Check that each is still needed, is in a storage class that suits how often it is \
            read, and, if noncurrent, that a lifecycle rule will expire it.",
        // Not the version id: it is the table's largest column (a third of its bytes), and Athena
        // bills every byte of a column a query names, for 100 rows.
        sql: "SELECT account, region, bucket, key, last_modified_date, size, storage_class,
       coalesce(is_latest, true) AS is_current
FROM {database}.{table}
WHERE size >= 1073741824 AND NOT coalesce(is_delete_marker, false)
ORDER BY size DESC, account, region, bucket, key, last_modified_date
LIMIT 100",
    },
    CatalogueQuery {
        name: "version_bloat",
        title: "Noncurrent versions and delete markers",
        description: "Buckets holding noncurrent versions or delete markers, by noncurrent bytes. \
            Noncurrent versions are billed like current data but invisible in a listing; many delete \
            markers slow listings. Add a lifecycle rule expiring noncurrent versions after a retention \
            period, and expired delete markers.",
        sql: "WITH versions AS (
  SELECT account, region, bucket,
         sum(CASE WHEN coalesce(is_latest, true) AND NOT coalesce(is_delete_marker, false) THEN coalesce(size, 0) ELSE 0 END) AS current_bytes,
         sum(CASE WHEN NOT coalesce(is_latest, true) AND NOT coalesce(is_delete_marker, false) THEN 1 ELSE 0 END) AS noncurrent_versions,
         sum(CASE WHEN NOT coalesce(is_latest, true) AND NOT coalesce(is_delete_marker, false) THEN coalesce(size, 0) ELSE 0 END) AS noncurrent_bytes,
         sum(CASE WHEN coalesce(is_delete_marker, false) THEN 1 ELSE 0 END) AS delete_markers
  FROM {database}.{table}
  GROUP BY account, region, bucket
)
SELECT account, region, bucket, current_bytes, noncurrent_versions, noncurrent_bytes, delete_markers
FROM versions
WHERE noncurrent_versions > 0 OR delete_markers > 0
ORDER BY noncurrent_bytes DESC, delete_markers DESC, account, region, bucket
LIMIT 100",
    },
    CatalogueQuery {
        name: "small_objects_in_archive_classes",
        title: "Small objects in infrequent-access and archive classes",
        description: "Object versions under 128 KiB in STANDARD_IA, ONEZONE_IA, GLACIER_IR, GLACIER or \
            DEEP_ARCHIVE, per bucket and class. The infrequent-access classes and Glacier Instant \
            Retrieval bill at least 128 KiB per object; Glacier Flexible Retrieval and Deep Archive add \
            40 KiB of overhead per object. Such objects often cost more there than in STANDARD: keep \
            small objects out of lifecycle transitions (ObjectSizeGreaterThan) or aggregate them.",
        sql: "SELECT account, region, bucket, storage_class,
       count(*) AS versions,
       sum(coalesce(size, 0)) AS bytes
FROM {database}.{table}
WHERE storage_class IN ('STANDARD_IA', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE')
  AND size < 131072 AND NOT coalesce(is_delete_marker, false)
GROUP BY account, region, bucket, storage_class
ORDER BY versions DESC, account, region, bucket, storage_class
LIMIT 100",
    },
    CatalogueQuery {
        name: "kms_without_bucket_key",
        title: "SSE-KMS objects without an S3 Bucket Key",
        description: "Object versions encrypted with SSE-KMS without an S3 Bucket Key, per bucket. Every \
            read and write of them is a KMS request, billed and throttled per account. Enable the \
            bucket's Bucket Key; existing objects use it once copied in place.",
        sql: "SELECT account, region, bucket,
       count(*) AS versions,
       sum(coalesce(size, 0)) AS bytes
FROM {database}.{table}
WHERE encryption_status = 'SSE-KMS' AND bucket_key_status = 'DISABLED'
  AND NOT coalesce(is_delete_marker, false)
GROUP BY account, region, bucket
ORDER BY versions DESC, account, region, bucket
LIMIT 100",
    },
    CatalogueQuery {
        name: "noncurrent_versions_to_expire",
        title: "Noncurrent versions older than 30 days",
        description: "Object versions noncurrent for more than 30 days (since a newer version or a \
            delete marker replaced them), per bucket and storage class. Unless they are kept on \
            purpose, a lifecycle rule with NoncurrentVersionExpiration (NoncurrentDays 30) deletes \
            them; the report's savings price what they cost a month.",
        sql: "WITH versions AS (
  SELECT account, region, bucket, storage_class, size, is_latest, is_delete_marker,
         lead(last_modified_date) OVER (
           PARTITION BY account, region, bucket, key ORDER BY last_modified_date) AS replaced_at
  FROM {database}.{table}
)
SELECT account, region, bucket, coalesce(storage_class, 'UNKNOWN') AS storage_class,
       count(*) AS versions,
       sum(coalesce(size, 0)) AS bytes
FROM versions
WHERE NOT coalesce(is_latest, true) AND NOT coalesce(is_delete_marker, false)
  AND replaced_at < current_timestamp - INTERVAL '30' DAY
GROUP BY account, region, bucket, coalesce(storage_class, 'UNKNOWN')
ORDER BY bytes DESC, account, region, bucket, storage_class
LIMIT 100",
    },
    CatalogueQuery {
        name: "cold_standard_objects",
        title: "STANDARD objects not modified for 90 days",
        description: "Current objects of 128 KiB or more in STANDARD not modified for 90 days, per \
            bucket. If they are rarely read (the inventory cannot tell), a lifecycle transition to \
            STANDARD_IA or Intelligent-Tiering stores them for about half the price; the report's \
            savings price the difference.",
        sql: "SELECT account, region, bucket,
       count(*) AS objects,
       sum(size) AS bytes
FROM {database}.{table}
WHERE storage_class = 'STANDARD' AND coalesce(is_latest, true)
  AND NOT coalesce(is_delete_marker, false)
  AND size >= 131072 AND last_modified_date < current_timestamp - INTERVAL '90' DAY
GROUP BY account, region, bucket
ORDER BY bytes DESC, account, region, bucket
LIMIT 100",
    },
    CatalogueQuery {
        name: "stale_buckets",
        title: "Buckets not written for a year",
        description: "Buckets whose newest object version or delete marker is more than 365 days old, \
            oldest first. Nobody writes to them any more: confirm an owner still needs them, then \
            archive (lifecycle to a colder class) or delete them.",
        sql: "WITH buckets AS (
  SELECT account, region, bucket,
         max(last_modified_date) AS newest_write,
         count(*) AS versions,
         sum(coalesce(size, 0)) AS bytes
  FROM {database}.{table}
  GROUP BY account, region, bucket
)
SELECT account, region, bucket, newest_write,
       date_diff('day', CAST(newest_write AS date), current_date) AS days_since_write,
       versions, bytes
FROM buckets
WHERE newest_write < current_timestamp - INTERVAL '365' DAY
ORDER BY newest_write, account, region, bucket
LIMIT 100",
    },
    CatalogueQuery {
        name: "storage_class_breakdown",
        title: "Storage by class",
        description: "Current objects, all versions and bytes per storage class, across every bucket. \
            A starting point for lifecycle and Intelligent-Tiering decisions.",
        sql: "WITH classed AS (
  SELECT coalesce(storage_class, 'UNKNOWN') AS class_name, size,
         coalesce(is_latest, true) AS is_current
  FROM {database}.{table}
  WHERE NOT coalesce(is_delete_marker, false)
)
SELECT class_name AS storage_class,
       sum(CASE WHEN is_current THEN 1 ELSE 0 END) AS current_objects,
       count(*) AS versions,
       sum(coalesce(size, 0)) AS bytes
FROM classed
GROUP BY class_name
ORDER BY bytes DESC, class_name
LIMIT 100",
    },
    CatalogueQuery {
        name: "extension_histogram",
        title: "Objects by file extension",
        description: "The 50 most common file extensions of current objects, with their bytes: what \
            the buckets actually hold. Unexpected types (executables, archives, databases, media in a \
            log bucket) are worth a look.",
        sql: "WITH files AS (
  SELECT regexp_extract(key, '[^/]*$') AS file_name, size
  FROM {database}.{table}
  WHERE coalesce(is_latest, true) AND NOT coalesce(is_delete_marker, false)
), typed AS (
  SELECT CASE WHEN file_name LIKE '%.%' THEN lower(regexp_extract(file_name, '[^.]*$'))
              ELSE '(none)' END AS file_extension,
         size
  FROM files
)
SELECT file_extension, count(*) AS objects, sum(coalesce(size, 0)) AS bytes
FROM typed
GROUP BY file_extension
ORDER BY objects DESC, file_extension
LIMIT 50",
    },
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::catalogue::{check_placeholders, render, Identifier};

    #[test]
    fn names_are_unique_stable_snake_case() {
        let mut seen = HashSet::new();
        for q in builtin_queries() {
            assert!(seen.insert(q.name), "duplicate {}", q.name);
            assert!(
                q.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                q.name
            );
            assert!(!q.title.is_empty() && !q.description.is_empty());
            assert_eq!(builtin_query(q.name), Some(q));
        }
        assert!(builtin_query("nope").is_none());
    }

    #[test]
    fn every_query_renders_and_is_ordered_and_limited() {
        let db = Identifier::database("db").unwrap();
        let table = Identifier::table("t").unwrap();
        for q in builtin_queries() {
            check_placeholders(q.sql).unwrap();
            let sql = render(q.sql, &db, &table).unwrap();
            assert!(sql.contains("FROM \"db\".\"t\""), "{}", q.name);
            assert!(sql.contains("\nORDER BY "), "{}", q.name);
            assert!(sql.contains("\nLIMIT "), "{}", q.name);
            // Functions that differ between Trino and DuckDB stay out.
            for banned in [
                "regexp_like",
                "regexp_matches",
                "split(",
                "element_at",
                "count_if",
                "date_format",
                ";",
            ] {
                assert!(!sql.contains(banned), "{} uses {banned}", q.name);
            }
        }
    }

    #[test]
    fn thresholds_match_their_constants() {
        let large = builtin_query("large_objects").unwrap();
        assert!(large.sql.contains(&format!("size >= {LARGE_OBJECT_BYTES}")));
        let stale = builtin_query("stale_buckets").unwrap();
        assert!(stale
            .sql
            .contains(&format!("INTERVAL '{STALE_AFTER_DAYS}' DAY")));
        assert!(stale.description.contains(&STALE_AFTER_DAYS.to_string()));
        let noncurrent = builtin_query("noncurrent_versions_to_expire").unwrap();
        let interval = format!("INTERVAL '{NONCURRENT_EXPIRY_DAYS}' DAY");
        assert!(noncurrent.sql.contains(&interval));
        assert!(noncurrent
            .description
            .contains(&format!("NoncurrentDays {NONCURRENT_EXPIRY_DAYS}")));
        let cold = builtin_query("cold_standard_objects").unwrap();
        assert!(cold
            .sql
            .contains(&format!("size >= {COLD_OBJECT_MIN_BYTES}")));
        assert!(cold
            .sql
            .contains(&format!("INTERVAL '{COLD_AFTER_DAYS}' DAY")));
        assert!(cold.title.contains(&COLD_AFTER_DAYS.to_string()));
    }

    #[test]
    fn object_lock_values_are_compared_in_upper_case() {
        // S3 writes COMPLIANCE / GOVERNANCE / ON: the original's lower-case filter matched nothing.
        let sql = builtin_query("object_lock_summary").unwrap().sql;
        assert!(sql.contains("upper(object_lock_mode)"));
        assert!(!sql.contains("'compliance'"));
    }

    #[test]
    fn secrets_query_keeps_the_original_list() {
        let sql = builtin_query("secret_like_keys").unwrap().sql;
        for name in [
            "'pfx'",
            "'key'",
            "'gpg'",
            "'asc'",
            "'passwd'",
            "'shadow'",
            "'id_rsa'",
            "'tfvars'",
            "'tfstate'",
            "'credentials'",
            "'token.pickle'",
            "'publishsettings'",
            "'credentials.json'",
            "'client_secret.json'",
            // and modern ones
            "'.env'",
            "'pem'",
            "'id_ed25519'",
            "'kdbx'",
            "'terraform.tfstate'",
        ] {
            assert!(sql.contains(name), "{name}");
        }
    }
}

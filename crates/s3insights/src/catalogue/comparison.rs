//! The queries that compare a run's data with the previous run's, object by object: what is new
//! since then and dangerous. They read both runs' tables (Athena bills both), and are planned only
//! when the run has a previous run to compare with (`crate::report::comparable`).
//!
//! An object counts where the previous run inventoried something in the same account and region
//! (its table has rows there): the finer rule of the bucket comparison (which accounts and regions a
//! run covered) would need every covered pair in the SQL.

use super::{builtin_query, render, Identifier, PlaceholderError};

/// Current objects publicly readable by ACL now and not in the previous run.
pub const NEW_PUBLIC_OBJECTS: &str = "new_public_objects";
/// Secret-like keys (the `secret_like_keys` rule) not in the previous run.
pub const NEW_SECRET_LIKE_KEYS: &str = "new_secret_like_keys";
/// Unencrypted object versions not in the previous run: one row, `versions`. A version is known by
/// its key and last-modified time (to the millisecond), not its id: the ids are the table's
/// largest column, and Athena bills what it reads.
pub const NEW_UNENCRYPTED_VERSIONS: &str = "new_unencrypted_versions";

/// Each comparison query's name, title and description, as the report shows them.
pub const COMPARISON_QUERIES: [(&str, &str, &str); 3] = [
    (
        NEW_PUBLIC_OBJECTS,
        "Objects made public since the previous run",
        "Current objects whose ACL grants everyone (AllUsers) or every AWS account \
         (AuthenticatedUsers) read or more, that the previous run did not find public. Check each: \
         remove the grant, or turn ACLs off (Object Ownership: bucket owner enforced).",
    ),
    (
        NEW_SECRET_LIKE_KEYS,
        "Secret-like keys new since the previous run",
        "Objects matching the secret_like_keys rule that were not there in the previous run: \
         likely leaked credentials, new this time.",
    ),
    (
        NEW_UNENCRYPTED_VERSIONS,
        "Unencrypted versions new since the previous run",
        "Object versions without server-side encryption (NOT-SSE) that the previous run did not \
         have: a bucket default encryption or a client stopped encrypting.",
    ),
];

/// The grantees that make an object public by ACL: everyone, and every AWS account; the end of
/// their URI and its closing quote in the ACL JSON, so that the name's last letter is matched whole.
const PUBLIC_GRANTEES: [&str; 2] = ["/global/AllUsers\"", "/global/AuthenticatedUsers\""];

/// The previous run's table, as its report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousTable {
    /// The previous run's id.
    pub run_id: String,
    /// Its Athena database.
    pub database: Identifier,
    /// Its Athena table.
    pub table: Identifier,
}

/// The comparison queries, `(name, sql)`, over the run's table and the previous run's.
pub fn comparison_queries(
    database: &Identifier,
    table: &Identifier,
    previous: &PreviousTable,
) -> Result<Vec<(&'static str, String)>, PlaceholderError> {
    let now = format!("{}.{}", database.dml_quoted(), table.dml_quoted());
    let before = format!(
        "{}.{}",
        previous.database.dml_quoted(),
        previous.table.dml_quoted()
    );
    let secret = builtin_query("secret_like_keys").expect("the catalogue has secret_like_keys");
    let secret = render(secret.sql, database, table)?;
    let inventoried = format!(
        "EXISTS (SELECT 1 FROM {before} c WHERE c.account = n.account AND c.region = n.region)"
    );
    let same_object =
        "p.account = n.account AND p.region = n.region AND p.bucket = n.bucket AND p.key = n.key";
    Ok(vec![
        (
            NEW_PUBLIC_OBJECTS,
            format!(
                "SELECT n.account, n.region, n.bucket, n.key
FROM {now} n
WHERE coalesce(n.is_latest, true) AND NOT coalesce(n.is_delete_marker, false)
  AND ({})
  AND {inventoried}
  AND NOT EXISTS (SELECT 1 FROM {before} p WHERE {same_object}
                  AND coalesce(p.is_latest, true) AND ({}))
ORDER BY n.account, n.region, n.bucket, n.key
LIMIT 100",
                public_acl("n"),
                public_acl("p"),
            ),
        ),
        (
            NEW_SECRET_LIKE_KEYS,
            format!(
                "SELECT n.account, n.region, n.bucket, n.key
FROM ({secret}) n
WHERE {inventoried}
  AND NOT EXISTS (SELECT 1 FROM {before} p WHERE {same_object})
ORDER BY n.account, n.region, n.bucket, n.key
LIMIT 100"
            ),
        ),
        (
            NEW_UNENCRYPTED_VERSIONS,
            format!(
                "SELECT count(*) AS versions
FROM {now} n
WHERE n.encryption_status = 'NOT-SSE' AND NOT coalesce(n.is_delete_marker, false)
  AND {inventoried}
  AND NOT EXISTS (SELECT 1 FROM {before} p WHERE {same_object}
                  AND p.last_modified_date = n.last_modified_date)"
            ),
        ),
    ])
}

/// Whether `alias`'s `object_access_control_list` grants a public grantee. The column is base64 of
/// S3's ACL JSON; rather than decode it (Athena and DuckDB spell that differently), it is searched
/// for each grantee's URI as base64 at each of the three byte alignments ([`base64_needles`]).
fn public_acl(alias: &str) -> String {
    PUBLIC_GRANTEES
        .iter()
        .flat_map(|grantee| base64_needles(grantee.as_bytes()))
        .map(|needle| format!("{alias}.object_access_control_list LIKE '%{needle}%'"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 characters that encode `text` wherever it starts in a longer text, one per byte
/// alignment (0, 1 or 2 bytes before it in its 3-byte group): each keeps only the characters made
/// of `text`'s bits alone, so the base64 of any text containing `text` contains one of the three.
pub(crate) fn base64_needles(text: &[u8]) -> [String; 3] {
    std::array::from_fn(|offset| {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(text);
        let bits = |i: usize| (bytes[i / 8] >> (7 - i % 8)) & 1;
        let (first_bit, end_bit) = (8 * offset, 8 * bytes.len());
        (0..)
            .map(|j| 6 * j)
            .take_while(|start| start + 6 <= end_bit)
            .filter(|start| *start >= first_bit)
            .map(|start| {
                let value = (0..6).fold(0usize, |v, b| v << 1 | usize::from(bits(start + b)));
                char::from(BASE64[value])
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn a_grantee_is_found_at_every_alignment_and_only_there() {
        let uri = b"http://acs.amazonaws.com/groups/global/AllUsers";
        let needles = base64_needles(PUBLIC_GRANTEES[0].as_bytes());
        for prefix in 0..7 {
            let acl = format!(
                "{}{{\"grants\":[{{\"permission\":\"READ\",\"type\":\"Group\",\"uri\":\"{}\"}}]}}",
                "x".repeat(prefix),
                String::from_utf8_lossy(uri)
            );
            let encoded = base64(acl.as_bytes());
            assert!(
                needles.iter().any(|n| encoded.contains(n.as_str())),
                "prefix {prefix}: {encoded}"
            );
            let private = acl.replace("AllUsers", "AllUserz");
            let encoded = base64(private.as_bytes());
            assert!(
                !needles.iter().any(|n| encoded.contains(n.as_str())),
                "prefix {prefix}, not public: {encoded}"
            );
        }
        // The aligned needle is the plain encoding without its last, partial character.
        assert_eq!(needles[0].len(), 17 * 8 / 6);
        assert!(base64(PUBLIC_GRANTEES[0].as_bytes()).starts_with(&needles[0]));
    }

    #[test]
    fn the_queries_read_both_tables() {
        let previous = PreviousTable {
            run_id: "r0".into(),
            database: Identifier::database("s3insights").unwrap(),
            table: Identifier::table("r0inventorytable").unwrap(),
        };
        let queries = comparison_queries(
            &Identifier::database("s3insights").unwrap(),
            &Identifier::table("r1inventorytable").unwrap(),
            &previous,
        )
        .unwrap();
        assert_eq!(
            queries.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [
                NEW_PUBLIC_OBJECTS,
                NEW_SECRET_LIKE_KEYS,
                NEW_UNENCRYPTED_VERSIONS
            ]
        );
        for (name, sql) in &queries {
            assert!(
                sql.contains("\"s3insights\".\"r1inventorytable\""),
                "{name}"
            );
            assert!(
                sql.contains("\"s3insights\".\"r0inventorytable\""),
                "{name}"
            );
            assert!(!sql.contains('{'), "{name}: a placeholder left");
        }
    }
}

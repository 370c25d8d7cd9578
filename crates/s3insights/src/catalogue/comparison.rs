//! The query that compares a run's data with the previous run's, object by object: what is new
//! since then and dangerous. It reads both runs' tables (Athena bills both), once each, and is
//! planned only when the run has a previous run to compare with (`crate::report::comparable`).
//!
//! One query answers three findings, so that each table's columns are read once: the key and the
//! last-modified time are most of what it reads, and three queries read them three times. Each
//! table is named once in the SQL (Trino reads a table once per reference, a CTE included): the two
//! runs' rows go through one `UNION ALL` and are grouped by object version, then by object.
//!
//! An object counts where the previous run inventoried something in the same account and region
//! (its table has rows there; that test reads only the partition keys): the finer rule of the bucket
//! comparison (which accounts and regions a run covered) would need every covered pair in the SQL.

use super::queries::{secret_like, secret_like_file_name};
use super::{Identifier, PlaceholderError};

/// The comparison query: what is new since the previous run.
pub const NEW_SINCE_PREVIOUS_RUN: &str = "new_since_previous_run";
/// Its column flagging (`1`) a current object publicly readable by ACL now and not in the previous
/// run.
pub const NEW_PUBLIC: &str = "new_public";
/// Its column flagging (`1`) a secret-like key (the `secret_like_keys` rule) not in the previous run.
pub const NEW_SECRET_LIKE: &str = "new_secret_like";
/// Its column counting, on every row, the current objects made public since the previous run.
pub const NEW_PUBLIC_OBJECTS: &str = "new_public_objects";
/// Its column counting, on every row, the secret-like keys new since the previous run.
pub const NEW_SECRET_LIKE_KEYS: &str = "new_secret_like_keys";
/// Its column counting, on every row, the unencrypted object versions not in the previous run. A
/// version is known by its key and last-modified time (to the millisecond), not its id: the ids are
/// the table's largest column, and Athena bills what it reads.
pub const NEW_UNENCRYPTED_VERSIONS: &str = "new_unencrypted_versions";
/// The most objects the query lists of each finding.
pub const NEW_OBJECTS_LISTED: usize = 100;

/// The comparison query's name, title and description, as the report shows them.
pub const COMPARISON_QUERIES: [(&str, &str, &str); 1] = [(
    NEW_SINCE_PREVIOUS_RUN,
    "New since the previous run",
    "Objects made public, secret-like keys and unencrypted versions that the previous run did not \
     have. `new_public`: the current object's ACL grants everyone (AllUsers) or every AWS account \
     (AuthenticatedUsers) read or more, and did not then: remove the grant, or turn ACLs off \
     (Object Ownership: bucket owner enforced). `new_secret_like`: the key matches the \
     secret_like_keys rule and was not there then: a likely leaked credential, new this time. \
     `new_unencrypted_versions`: versions without server-side encryption \
     (NOT-SSE) that were not there then: a bucket default encryption or a client stopped \
     encrypting. Every row carries the three totals (`new_public_objects`, `new_secret_like_keys`, \
     `new_unencrypted_versions`); at most 100 objects of each of the first two findings are \
     listed, the two findings taking turns. When neither has any, one row without a flag \
     carries the totals.",
)];

/// The columns of the data (not the partition keys) the comparison reads of the run's table and of
/// the previous run's: what Athena bills, kept in step with the SQL by a test and read by
/// `scripts/bench-ingest` for the cost model.
pub const COLUMNS_READ: [&[&str]; 2] = [
    &[
        "bucket",
        "key",
        "last_modified_date",
        "is_latest",
        "is_delete_marker",
        "encryption_status",
        "object_access_control_list",
    ],
    &[
        "bucket",
        "key",
        "last_modified_date",
        "is_latest",
        "object_access_control_list",
    ],
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
    Ok(vec![(NEW_SINCE_PREVIOUS_RUN, new_since(&now, &before))])
}

/// The SQL of [`NEW_SINCE_PREVIOUS_RUN`] over the quoted tables `now` and `before`, in four steps:
/// each run's rows flagged (`runs`); per object version what each run says of it (`versions`); per
/// object the findings (`objects`); the first objects of each finding, with the totals. The rows
/// take turns between the two findings (each row's rank in its finding first), so that the report's
/// first rows show both.
fn new_since(now: &str, before: &str) -> String {
    let listed = NEW_OBJECTS_LISTED;
    let (public_now, public_before) = (public_acl("n"), public_acl("p"));
    let file_name = secret_like_file_name!();
    let secret_like = secret_like!();
    format!(
        "WITH current_rows AS (
  SELECT n.account, n.region, n.bucket, n.key, n.last_modified_date,
         coalesce(n.is_latest, true) AND NOT coalesce(n.is_delete_marker, false) AS is_current,
         CASE WHEN n.encryption_status = 'NOT-SSE' AND NOT coalesce(n.is_delete_marker, false)
              THEN 1 ELSE 0 END AS unencrypted,
         CASE WHEN {public_now} THEN 1 ELSE 0 END AS acl_public,
         {file_name} AS file_name
  FROM {now} n
), runs AS (
  SELECT account, region, bucket, key, last_modified_date, 0 AS in_before,
         CASE WHEN is_current AND acl_public = 1 THEN 1 ELSE 0 END AS public_now,
         0 AS public_before,
         CASE WHEN is_current AND ({secret_like}) THEN 1 ELSE 0 END AS secret_like_now,
         unencrypted AS unencrypted_now
  FROM current_rows
  UNION ALL
  SELECT p.account, p.region, p.bucket, p.key, p.last_modified_date, 1, 0,
         CASE WHEN coalesce(p.is_latest, true) AND ({public_before}) THEN 1 ELSE 0 END, 0, 0
  FROM {before} p
), versions AS (
  SELECT account, region, bucket, key,
         max(in_before) AS in_before,
         max(public_now) AS public_now,
         max(public_before) AS public_before,
         max(secret_like_now) AS secret_like_now,
         sum(unencrypted_now) AS unencrypted_now
  FROM runs
  GROUP BY account, region, bucket, key, last_modified_date
), objects AS (
  SELECT account, region, bucket, key,
         CASE WHEN max(public_now) = 1 AND max(public_before) = 0 THEN 1 ELSE 0 END AS new_public,
         CASE WHEN max(secret_like_now) = 1 AND max(in_before) = 0 THEN 1 ELSE 0 END
           AS new_secret_like,
         sum(CASE WHEN in_before = 0 THEN unencrypted_now ELSE 0 END) AS new_unencrypted
  FROM versions
  GROUP BY account, region, bucket, key
), findings AS (
  SELECT o.*,
         sum(new_public) OVER () AS new_public_objects,
         sum(new_secret_like) OVER () AS new_secret_like_keys,
         sum(new_unencrypted) OVER () AS new_unencrypted_versions,
         row_number() OVER (PARTITION BY new_public ORDER BY account, region, bucket, key)
           AS public_rank,
         row_number() OVER (PARTITION BY new_secret_like ORDER BY account, region, bucket, key)
           AS secret_like_rank,
         row_number() OVER (ORDER BY account, region, bucket, key) AS row_rank,
         sum(new_public + new_secret_like) OVER () AS flagged
  FROM objects o
  WHERE (new_public = 1 OR new_secret_like = 1 OR new_unencrypted > 0)
    AND EXISTS (SELECT 1 FROM {before} c WHERE c.account = o.account AND c.region = o.region)
)
SELECT account, region, bucket, key, new_public, new_secret_like,
       new_public_objects, new_secret_like_keys, new_unencrypted_versions
FROM findings
WHERE (new_public = 1 AND public_rank <= {listed})
   OR (new_secret_like = 1 AND secret_like_rank <= {listed})
   OR (row_rank = 1 AND flagged = 0)
ORDER BY CASE WHEN new_public = 1 AND (new_secret_like = 0 OR public_rank <= secret_like_rank)
              THEN public_rank
              WHEN new_secret_like = 1 THEN secret_like_rank
              ELSE 0 END,
         account, region, bucket, key"
    )
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

    fn query() -> String {
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
            [NEW_SINCE_PREVIOUS_RUN]
        );
        queries.into_iter().next().unwrap().1
    }

    #[test]
    fn one_query_reads_each_table_for_its_data_once() {
        let sql = query();
        assert!(!sql.contains('{'), "a placeholder left: {sql}");
        assert_eq!(
            sql.matches("\"s3insights\".\"r1inventorytable\"").count(),
            1
        );
        // Once for the data, once for the accounts and regions it has (partition keys only).
        assert_eq!(
            sql.matches("\"s3insights\".\"r0inventorytable\"").count(),
            2
        );
        for column in [
            NEW_PUBLIC,
            NEW_SECRET_LIKE,
            NEW_PUBLIC_OBJECTS,
            NEW_SECRET_LIKE_KEYS,
            NEW_UNENCRYPTED_VERSIONS,
        ] {
            assert!(sql.contains(&format!("{column}\n")) || sql.contains(&format!("{column},")));
        }
    }

    #[test]
    fn the_columns_read_are_those_the_sql_names_of_each_table() {
        let sql = query();
        let (now, before) = sql.split_once("UNION ALL").unwrap();
        let names = |text: &str, alias: &str| -> Vec<String> {
            let schema = inventory_format::normalised_schema();
            schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .filter(|name| text.contains(&format!("{alias}.{name}")))
                .filter(|name| !["account", "region"].contains(&name.as_str()))
                .collect()
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let listed = |columns: &[&str]| sorted(columns.iter().map(|c| (*c).to_owned()).collect());
        assert_eq!(sorted(names(now, "n")), listed(COLUMNS_READ[0]));
        assert_eq!(sorted(names(before, "p")), listed(COLUMNS_READ[1]));
    }
}

//! DDL for the run's Athena database, table and partitions.
//!
//! The table's columns are derived from [`inventory_format::normalised_schema`], the schema of every
//! consolidated Parquet file, so the table cannot drift from the data. Partitions are registered
//! explicitly, with their locations, instead of `MSCK REPAIR TABLE` (the original's choice), which lists
//! the whole dataset and infers partitions from folder names.

use std::collections::BTreeMap;

use arrow::datatypes::DataType;
use inventory_format::normalised_schema;

use super::error::CatalogueError;
use super::identifier::Identifier;

/// Longest query string Athena accepts, in bytes: 262,144.
///
/// Not adjustable. AWS knowledge center, "How do I increase the maximum length of the query string in
/// Athena?" (<https://repost.aws/knowledge-center/athena-query-string-length>): `StartQueryExecution`
/// refuses a longer `QueryString` with "Member must have length less than or equal to 262144", and the
/// advice for "ALTER TABLE ADD PARTITION ... to add thousands of partitions" is to run several such
/// statements instead of one long one, which [`partition_statements`] does.
pub const ATHENA_MAX_QUERY_BYTES: usize = 262_144;

/// The table's partition keys, in order: account id, region, bucket name.
///
/// The bucket key is `bucket_name` because the data already has a `bucket` column, and Athena refuses a
/// partition key named like a column. Data folders are `account=A/region=G/bucket=B/`: partitions are
/// registered with explicit locations, so folder names need not equal key names.
pub const PARTITION_KEYS: [&str; 3] = ["account", "region", "bucket_name"];

/// The Athena (Hive DDL) type of an Arrow column type of the dataset.
///
/// Only the types the normalised schema uses are mapped; any other is an error, so a schema change that
/// needs a new mapping fails the tests instead of producing a table Athena cannot read.
pub fn athena_type(column: &str, data_type: &DataType) -> Result<&'static str, CatalogueError> {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 => Ok("string"),
        DataType::Boolean => Ok("boolean"),
        DataType::Int64 => Ok("bigint"),
        // Athena reads Parquet TIMESTAMP (any unit, UTC-adjusted or not) as `timestamp`.
        DataType::Timestamp(_, _) => Ok("timestamp"),
        other => Err(CatalogueError::UnsupportedColumnType {
            column: column.to_owned(),
            arrow_type: other.to_string(),
        }),
    }
}

/// `CREATE DATABASE IF NOT EXISTS` for the run's database.
///
/// Idempotent, so a retried Task is harmless.
pub fn database_ddl(database: &Identifier) -> String {
    format!("CREATE DATABASE IF NOT EXISTS {}", database.ddl_quoted())
}

/// `CREATE EXTERNAL TABLE IF NOT EXISTS` over one run's consolidated Parquet dataset.
///
/// `location` is the run's dataset prefix (`s3://consolidated/inventory/run=R/`); it must be an `s3://`
/// URI ending in `/` (Athena reads every object under a folder). Idempotent, so a retried Task is
/// harmless.
pub fn table_ddl(
    database: &Identifier,
    table: &Identifier,
    location: &str,
) -> Result<String, CatalogueError> {
    let location = ddl_location(location, "table location")?;
    let schema = normalised_schema();
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let ty = athena_type(field.name(), field.data_type())?;
            Ok(format!("  {} {ty}", backticked(field.name())))
        })
        .collect::<Result<Vec<_>, CatalogueError>>()?;
    let partition_keys = PARTITION_KEYS
        .iter()
        .map(|key| format!("{} string", backticked(key)))
        .collect::<Vec<_>>();
    Ok(format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {}.{} (\n{}\n)\nPARTITIONED BY ({})\nSTORED AS PARQUET\nLOCATION {location}",
        database.ddl_quoted(),
        table.ddl_quoted(),
        columns.join(",\n"),
        partition_keys.join(", "),
    ))
}

/// One partition of the table: a source bucket's folder of consolidated data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Source account id (partition key `account`).
    pub account: String,
    /// Source bucket's region (partition key `region`).
    pub region: String,
    /// Source bucket name (partition key `bucket_name`).
    pub bucket: String,
    /// The folder holding its data, `s3://…/inventory/run=R/account=A/region=G/bucket=B/`.
    pub location: String,
}

/// `ALTER TABLE … ADD IF NOT EXISTS PARTITION (…) LOCATION '…' PARTITION …` statements registering
/// `partitions`, each at most `max_statement_bytes` long (use [`ATHENA_MAX_QUERY_BYTES`]).
///
/// Partitions are sorted (account, region, bucket) and de-duplicated, so the statements are the same
/// whatever order the buckets finished in; `IF NOT EXISTS` makes re-running them harmless. No
/// partitions, no statements. Fails if one partition clause cannot fit, if a value cannot be written
/// as a literal, or if one partition is given two locations.
pub fn partition_statements(
    database: &Identifier,
    table: &Identifier,
    partitions: &[Partition],
    max_statement_bytes: usize,
) -> Result<Vec<String>, CatalogueError> {
    let mut unique: BTreeMap<(&str, &str, &str), &str> = BTreeMap::new();
    for p in partitions {
        let key = (p.account.as_str(), p.region.as_str(), p.bucket.as_str());
        match unique.get(&key) {
            Some(first) if *first != p.location => {
                return Err(CatalogueError::ConflictingPartition {
                    partition: format!("{}/{}/{}", p.account, p.region, p.bucket),
                    first: (*first).to_owned(),
                    second: p.location.clone(),
                })
            }
            Some(_) => {}
            None => {
                unique.insert(key, &p.location);
            }
        }
    }

    let prefix = format!(
        "ALTER TABLE {}.{} ADD IF NOT EXISTS",
        database.ddl_quoted(),
        table.ddl_quoted()
    );
    let mut statements = Vec::new();
    let mut current = String::new();
    for ((account, region, bucket), location) in unique {
        let clause = format!(
            "\nPARTITION ({} = {}, {} = {}, {} = {}) LOCATION {}",
            backticked(PARTITION_KEYS[0]),
            ddl_literal(account, "partition account")?,
            backticked(PARTITION_KEYS[1]),
            ddl_literal(region, "partition region")?,
            backticked(PARTITION_KEYS[2]),
            ddl_literal(bucket, "partition bucket")?,
            ddl_location(location, "partition location")?,
        );
        if prefix.len() + clause.len() > max_statement_bytes {
            return Err(CatalogueError::PartitionTooLong {
                partition: format!("{account}/{region}/{bucket}"),
                clause_bytes: clause.len(),
                max_statement_bytes,
            });
        }
        if !current.is_empty() && current.len() + clause.len() > max_statement_bytes {
            statements.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.push_str(&prefix);
        }
        current.push_str(&clause);
    }
    if !current.is_empty() {
        statements.push(current);
    }
    Ok(statements)
}

/// A column or key name in backticks (Hive DDL quoting). Names come from our own schema.
fn backticked(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A DDL string literal, `'value'`, for values that need no escaping; others are refused.
///
/// Athena DDL is parsed by Hive, whose string literals take C-style backslash escapes (`\'`), while
/// Athena DML (Trino) doubles quotes (`''`) and reads a backslash literally; the offline Athena's DDL
/// parser follows the Trino rule. No escaping is right for both, and no value we write needs one:
/// account ids are digits, region and bucket names are letters, digits, `.`, `-` and `_`, and
/// locations are built from those. So quotes, backslashes and control characters are refused.
fn ddl_literal(value: &str, what: &'static str) -> Result<String, CatalogueError> {
    let why = if value.is_empty() {
        Some("it is empty")
    } else if value.contains('\'') {
        Some("it contains a single quote")
    } else if value.contains('\\') {
        Some("it contains a backslash")
    } else if value.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    };
    match why {
        Some(why) => Err(CatalogueError::InvalidLiteral {
            what,
            value: value.to_owned(),
            why,
        }),
        None => Ok(format!("'{value}'")),
    }
}

/// A location literal: an `s3://bucket/…/` folder URI.
fn ddl_location(location: &str, what: &'static str) -> Result<String, CatalogueError> {
    let invalid = |why| CatalogueError::InvalidLiteral {
        what,
        value: location.to_owned(),
        why,
    };
    let Some(path) = location.strip_prefix("s3://") else {
        return Err(invalid("it is not an s3:// URI"));
    };
    if path.is_empty() || path.starts_with('/') {
        return Err(invalid("it names no bucket"));
    }
    if !location.ends_with('/') {
        return Err(invalid("a folder location must end with '/'"));
    }
    ddl_literal(location, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Identifier {
        Identifier::database("s3insights").unwrap()
    }

    fn table() -> Identifier {
        Identifier::table("inventory_r1").unwrap()
    }

    fn partition(account: &str, region: &str, bucket: &str) -> Partition {
        Partition {
            account: account.into(),
            region: region.into(),
            bucket: bucket.into(),
            location: format!(
                "s3://consolidated/inventory/run=r1/account={account}/region={region}/bucket={bucket}/"
            ),
        }
    }

    #[test]
    fn every_dataset_column_has_an_athena_type() {
        for field in normalised_schema().fields() {
            athena_type(field.name(), field.data_type()).unwrap();
        }
        assert!(athena_type("x", &DataType::Float32).is_err());
    }

    #[test]
    fn database_ddl_is_idempotent_and_quoted() {
        assert_eq!(
            database_ddl(&db()),
            "CREATE DATABASE IF NOT EXISTS `s3insights`"
        );
    }

    #[test]
    fn table_ddl_lists_the_dataset_schema_in_order() {
        let ddl = table_ddl(&db(), &table(), "s3://consolidated/inventory/run=r1/").unwrap();
        assert!(ddl.starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS `s3insights`.`inventory_r1` (\n  `bucket` string,\n  `key` string,\n  `version_id` string,\n  `is_latest` boolean,"), "{ddl}");
        assert!(ddl.contains("  `size` bigint,\n  `last_modified_date` timestamp,"));
        assert!(ddl.ends_with("  `lifecycle_expiration_date` timestamp\n)\nPARTITIONED BY (`account` string, `region` string, `bucket_name` string)\nSTORED AS PARQUET\nLOCATION 's3://consolidated/inventory/run=r1/'"), "{ddl}");
        let columns = ddl.lines().filter(|l| l.starts_with("  `")).count();
        assert_eq!(columns, normalised_schema().fields().len());
        // No partition key may repeat a column name: Athena refuses the table.
        for key in PARTITION_KEYS {
            assert!(normalised_schema().field_with_name(key).is_err(), "{key}");
        }
    }

    #[test]
    fn table_ddl_refuses_locations_that_are_not_s3_folders() {
        for bad in [
            "consolidated/inventory/",
            "s3://",
            "s3:///x/",
            "s3://b/inventory",
            "s3://b/it's/",
            "s3://b/a\\b/",
            "s3://b/line\nbreak/",
        ] {
            let err = table_ddl(&db(), &table(), bad).unwrap_err();
            assert!(
                matches!(err, CatalogueError::InvalidLiteral { .. }),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn partition_statement_registers_each_partition_with_its_location() {
        let statements = partition_statements(
            &db(),
            &table(),
            &[partition("111111111111", "eu-west-1", "logs")],
            ATHENA_MAX_QUERY_BYTES,
        )
        .unwrap();
        assert_eq!(
            statements,
            vec!["ALTER TABLE `s3insights`.`inventory_r1` ADD IF NOT EXISTS\nPARTITION (`account` = '111111111111', `region` = 'eu-west-1', `bucket_name` = 'logs') LOCATION 's3://consolidated/inventory/run=r1/account=111111111111/region=eu-west-1/bucket=logs/'".to_owned()]
        );
        assert!(
            partition_statements(&db(), &table(), &[], ATHENA_MAX_QUERY_BYTES)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn partition_statements_split_under_the_limit_sorted_and_deduplicated() {
        let mut partitions: Vec<_> = (0..500)
            .rev()
            .map(|i| partition("111111111111", "us-east-1", &format!("bucket-{i:04}")))
            .collect();
        partitions.push(partition("111111111111", "us-east-1", "bucket-0007"));
        let max = 4_000;
        let statements = partition_statements(&db(), &table(), &partitions, max).unwrap();
        assert!(statements.len() > 1);
        let mut seen = Vec::new();
        for statement in &statements {
            assert!(statement.len() <= max, "{}", statement.len());
            assert!(statement.starts_with(
                "ALTER TABLE `s3insights`.`inventory_r1` ADD IF NOT EXISTS\nPARTITION"
            ));
            for line in statement.lines().skip(1) {
                let bucket = line.split("`bucket_name` = '").nth(1).unwrap();
                seen.push(bucket.split('\'').next().unwrap().to_owned());
            }
        }
        let expected: Vec<_> = (0..500).map(|i| format!("bucket-{i:04}")).collect();
        assert_eq!(seen, expected);
        // Each statement is as full as it can be: the next clause would not have fit.
        for pair in statements.windows(2) {
            let next_clause = pair[1].lines().nth(1).unwrap().len() + 1;
            assert!(pair[0].len() + next_clause > max);
        }
    }

    #[test]
    fn partition_statements_refuse_what_cannot_be_written() {
        let mut quoted = partition("111111111111", "us-east-1", "x");
        quoted.bucket = "it's".into();
        let err =
            partition_statements(&db(), &table(), &[quoted], ATHENA_MAX_QUERY_BYTES).unwrap_err();
        assert!(
            matches!(
                err,
                CatalogueError::InvalidLiteral {
                    what: "partition bucket",
                    ..
                }
            ),
            "{err}"
        );

        let mut moved = partition("111111111111", "us-east-1", "x");
        moved.location = "s3://elsewhere/x/".into();
        let err = partition_statements(
            &db(),
            &table(),
            &[partition("111111111111", "us-east-1", "x"), moved],
            ATHENA_MAX_QUERY_BYTES,
        )
        .unwrap_err();
        assert!(
            matches!(err, CatalogueError::ConflictingPartition { .. }),
            "{err}"
        );

        let err = partition_statements(
            &db(),
            &table(),
            &[partition("111111111111", "us-east-1", "x")],
            100,
        )
        .unwrap_err();
        assert!(
            matches!(err, CatalogueError::PartitionTooLong { .. }),
            "{err}"
        );
    }
}

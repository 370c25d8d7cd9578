//! Everything S3Insights says to Athena: the database and table DDL, the partition statements, the
//! built-in query catalogue, query templates, the check that a user query is one read-only query,
//! and console links.
//!
//! It exists so that every statement the platform sends is built (and tested) in one place, away from
//! the AWS adapters: identifiers are validated and quoted, literals checked, statements kept under
//! Athena's size limit, and every built-in query is portable between Athena (Trino) and the DuckDB
//! engine of the offline Athena.
//!
//! Quoting differs by statement kind, as Athena documents: DDL (Hive) quotes identifiers with
//! backticks, DML (Trino) with double quotes. [`Identifier`] only admits names that need neither, and
//! quotes them anyway.

mod comparison;
mod console;
mod ddl;
mod error;
mod identifier;
mod lexer;
mod queries;
mod statement;
mod template;
mod user_query;

pub use comparison::{
    comparison_queries, PreviousTable, COLUMNS_READ, COMPARISON_QUERIES, NEW_OBJECTS_LISTED,
    NEW_PUBLIC, NEW_PUBLIC_OBJECTS, NEW_SECRET_LIKE, NEW_SECRET_LIKE_KEYS, NEW_SINCE_PREVIOUS_RUN,
    NEW_UNENCRYPTED_VERSIONS,
};
pub use console::console_link;
pub use ddl::{
    athena_type, database_ddl, partition_statements, table_ddl, Partition, ATHENA_MAX_QUERY_BYTES,
    PARTITION_KEYS,
};
pub use error::{CatalogueError, IdentifierKind};
pub use identifier::Identifier;
pub use queries::{
    builtin_queries, builtin_query, CatalogueQuery, COLD_AFTER_DAYS, COLD_OBJECT_MIN_BYTES,
    LARGE_OBJECT_BYTES, NONCURRENT_EXPIRY_DAYS, STALE_AFTER_DAYS,
};
pub use statement::{check_read_only, StatementError};
pub use template::{check_placeholders, render, PlaceholderError, PlaceholderProblem};
pub use user_query::{builtin_query_names, check_user_query, input_rules, UserQueryError};

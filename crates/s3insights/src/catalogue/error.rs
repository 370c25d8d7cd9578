//! The ways building an Athena statement can fail.

use std::fmt;

/// Why a statement, identifier or link could not be built.
///
/// Each variant names the offending value so the caller can report it as is (input validation shows
/// these to the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// An Athena database or table name outside what Athena accepts.
    #[error("invalid Athena {kind} name {value:?}: {why}")]
    InvalidIdentifier {
        /// What the name is for ("database", "table").
        kind: IdentifierKind,
        /// The rejected name.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A value that would be written into a DDL string literal but cannot be, safely.
    #[error("{what} {value:?} cannot be written in an Athena DDL statement: {why}")]
    InvalidLiteral {
        /// What the value is (e.g. "partition location").
        what: &'static str,
        /// The rejected value.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// One partition clause alone is longer than the statement size limit.
    #[error("the partition clause for {partition} is {clause_bytes} bytes: with the statement prefix it exceeds the {max_statement_bytes}-byte limit")]
    PartitionTooLong {
        /// `account/region/bucket` of the partition.
        partition: String,
        /// Bytes of its clause.
        clause_bytes: usize,
        /// The limit asked for.
        max_statement_bytes: usize,
    },
    /// The same partition listed twice with different locations.
    #[error("partition {partition} is listed with two locations: {first:?} and {second:?}")]
    ConflictingPartition {
        /// `account/region/bucket` of the partition.
        partition: String,
        /// The first location given.
        first: String,
        /// The other location given.
        second: String,
    },
    /// A column of the dataset schema whose Arrow type has no Athena equivalent here.
    #[error("column {column:?} has Arrow type {arrow_type}, which has no Athena type mapping")]
    UnsupportedColumnType {
        /// Column name.
        column: String,
        /// The Arrow type, as Arrow prints it.
        arrow_type: String,
    },
    /// An AWS region name that cannot be put in a console URL.
    #[error("invalid AWS region {0:?} for a console link")]
    InvalidRegion(String),
    /// An empty query execution id.
    #[error("empty query execution id")]
    EmptyExecutionId,
}

/// What an [`crate::catalogue::Identifier`] names, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentifierKind {
    /// An Athena (Glue) database.
    Database,
    /// An Athena (Glue) table.
    Table,
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentifierKind::Database => "database",
            IdentifierKind::Table => "table",
        })
    }
}

//! The one check of a user query, run when the Harvester input is validated: its placeholders
//! ([`super::check_placeholders`]), then, on the statement Athena would receive, that it is exactly
//! one read-only query ([`super::check_read_only`]).

use std::sync::OnceLock;

use super::identifier::Identifier;
use super::queries::builtin_queries;
use super::statement::{check_read_only, StatementError};
use super::template::{check_placeholders, render, PlaceholderError};
use crate::input::{Partition, Rules};

/// Why a user query is refused. Its `Display` is a phrase that follows the query's name:
/// `"cleanup" is a DROP statement; …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserQueryError {
    /// Unknown placeholders or unbalanced braces.
    #[error("has placeholder problems: {0}")]
    Placeholders(#[from] PlaceholderError),
    /// Not exactly one read-only query.
    #[error("{0}")]
    NotReadOnly(#[from] StatementError),
}

/// Checks a user query template: placeholders first, then the statement it renders to (with the
/// database and table named `database` and `table`, so messages quoting the text read like the
/// template) must be one read-only query.
pub fn check_user_query(template: &str) -> Result<(), UserQueryError> {
    check_placeholders(template)?;
    let database = Identifier::database("database").expect("a valid database name");
    let table = Identifier::table("table").expect("a valid table name");
    let sql = render(template, &database, &table)?;
    check_read_only(&sql)?;
    Ok(())
}

/// The built-in queries' names, the comparison queries' included (user queries may not reuse
/// them).
pub fn builtin_query_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let comparison = super::COMPARISON_QUERIES.iter().map(|(name, _, _)| *name);
        builtin_queries()
            .iter()
            .map(|q| q.name)
            .chain(comparison)
            .collect()
    })
}

fn user_query_check(template: &str) -> Result<(), String> {
    check_user_query(template).map_err(|e| e.to_string())
}

/// The rules a Harvester input is validated by: the catalogue's query names and user-query check,
/// and the regions of the host's `partition`.
pub fn input_rules(partition: &Partition) -> Rules<'_> {
    Rules {
        builtin_query_names: builtin_query_names(),
        check_query: user_query_check,
        partition,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::statement::tests::READ_ONLY;

    #[test]
    fn every_builtin_query_passes_the_user_query_check() {
        for query in builtin_queries() {
            assert_eq!(check_user_query(query.sql), Ok(()), "{}", query.name);
        }
        assert_eq!(
            builtin_query_names().len(),
            builtin_queries().len() + super::super::COMPARISON_QUERIES.len()
        );
    }

    #[test]
    fn read_only_templates_pass_with_their_placeholders() {
        for sql in READ_ONLY {
            // Literal braces are written doubled in templates.
            let template = sql.replace('{', "{{").replace('}', "}}");
            assert_eq!(check_user_query(&template), Ok(()), "{template}");
        }
        for template in [
            "SELECT count(*) FROM {database}.{table}",
            "SELECT * FROM {ATHENA_DATABASE}.{ATHENA_TABLE} WHERE k = '{{x}}'",
            "TABLE {table}",
        ] {
            assert_eq!(check_user_query(template), Ok(()), "{template}");
        }
    }

    #[test]
    fn a_write_is_refused_by_kind_and_placeholders_first() {
        let err = check_user_query("DROP TABLE {database}.other").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("is a DROP statement; user queries must be one read-only query"),
            "{err}"
        );
        let err =
            check_user_query("SELECT * FROM {table}; DROP TABLE {database}.{table}").unwrap_err();
        assert!(
            err.to_string()
                .contains("near \"DROP TABLE \\\"database\\\".\\\"table\\\"\""),
            "{err}"
        );
        let err = check_user_query("DROP TABLE {tabel}").unwrap_err();
        assert!(matches!(err, UserQueryError::Placeholders(_)), "{err}");
        assert!(
            err.to_string().contains("unknown placeholder {tabel}"),
            "{err}"
        );
    }
}

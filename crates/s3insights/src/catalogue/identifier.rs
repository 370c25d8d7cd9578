//! Athena database and table names, validated once and quoted per statement kind.

use std::fmt;

use super::error::{CatalogueError, IdentifierKind};

/// Longest database or table name the Glue Data Catalog accepts.
const MAX_IDENTIFIER_LEN: usize = 255;

/// A database or table name Athena accepts as is: 1 to 255 of `a-z`, `0-9`, `_`.
///
/// It exists so that a name is checked once, where it enters (the Harvester input), and every
/// statement built from it can quote it without escaping anything. Athena documents that database,
/// table and column names may hold only lower-case letters, digits and underscores, and the Glue
/// catalog stores them lower-cased: an upper-case name is refused rather than silently changed, so the
/// name the user gave is the name they will find in the console.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier {
    name: String,
    kind: IdentifierKind,
}

impl Identifier {
    /// Validates a database name.
    pub fn database(name: &str) -> Result<Self, CatalogueError> {
        Self::new(name, IdentifierKind::Database)
    }

    /// Validates a table name.
    pub fn table(name: &str) -> Result<Self, CatalogueError> {
        Self::new(name, IdentifierKind::Table)
    }

    fn new(name: &str, kind: IdentifierKind) -> Result<Self, CatalogueError> {
        let why = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > MAX_IDENTIFIER_LEN {
            Some("it is longer than 255 characters")
        } else if name.chars().any(|c| c.is_ascii_uppercase()) {
            Some("Athena names are lower case; write it in lower case")
        } else if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            Some("only lower-case letters, digits and underscores are allowed")
        } else {
            None
        };
        match why {
            Some(why) => Err(CatalogueError::InvalidIdentifier {
                kind,
                value: name.to_owned(),
                why,
            }),
            None => Ok(Identifier {
                name: name.to_owned(),
                kind,
            }),
        }
    }

    /// The bare name.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The name quoted for DDL (Hive): `` `name` ``.
    pub fn ddl_quoted(&self) -> String {
        // Validation admits no backtick; doubling keeps the function correct on its own.
        format!("`{}`", self.name.replace('`', "``"))
    }

    /// The name quoted for DML (Trino, and DuckDB offline): `"name"`.
    pub fn dml_quoted(&self) -> String {
        format!("\"{}\"", self.name.replace('"', "\"\""))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_athena_names_and_quotes_them_per_statement_kind() {
        let db = Identifier::database("s3insights_2024").unwrap();
        assert_eq!(db.ddl_quoted(), "`s3insights_2024`");
        assert_eq!(db.dml_quoted(), "\"s3insights_2024\"");
        assert!(Identifier::table("_leading_underscore").is_ok());
        assert!(Identifier::table("1starts_with_digit").is_ok());
        assert!(Identifier::table(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn refuses_names_athena_would_change_or_reject() {
        for bad in [
            "",
            "Upper",
            "with-dash",
            "with space",
            "dot.ted",
            "back`tick",
            "quo\"te",
            "semi;colon",
            "é",
        ] {
            let err = Identifier::database(bad).unwrap_err();
            assert!(
                matches!(err, CatalogueError::InvalidIdentifier { .. }),
                "{bad:?}"
            );
            assert!(err.to_string().contains("database"), "{err}");
        }
        assert!(Identifier::table(&"a".repeat(256)).is_err());
    }
}

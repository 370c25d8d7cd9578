//! Query templates: `{database}` and `{table}` placeholders, checked up front and substituted quoted.
//!
//! Built-in and user queries are written once and run against whatever database and table a run
//! names. A template names them with placeholders, each replaced by one double-quoted identifier (DML
//! quoting), so `FROM {database}.{table}` becomes `FROM "s3insights"."inventory_r1"`:
//!
//! | placeholder | becomes |
//! | --- | --- |
//! | `{database}` | the run's database, quoted |
//! | `{table}` | the run's table, quoted |
//! | `{ATHENA_DATABASE}` | the same as `{database}` (the original S3Insights' spelling) |
//! | `{ATHENA_TABLE}` | the same as `{table}` (the original S3Insights' spelling) |
//! | `{{` / `}}` | a literal `{` / `}` |
//!
//! Any other `{…}` is refused, naming it, and so is a lone `{` or `}`: a typo such as `{tabel}` or the
//! original's hand-filled `{BUCKET_NAME}` is reported when the run's input is validated, not after
//! hours of inventory. Braces are rare in SQL; inside a string literal write them doubled
//! (`'{{"a": 1}}'` is the JSON text `{"a": 1}`). Queries run with the run's database as their
//! `QueryExecutionContext`, so a bare `{table}` also resolves.

use std::fmt;

use super::identifier::Identifier;

/// Every problem found in one template.
///
/// All problems are reported at once, so a user fixes a query in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.problems))]
pub struct PlaceholderError {
    /// The problems, in the order they occur in the template.
    pub problems: Vec<PlaceholderProblem>,
}

/// One problem in a template; offsets are byte offsets into the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceholderProblem {
    /// `{name}` is not a known placeholder.
    Unknown {
        /// The text between the braces.
        name: String,
        /// Offset of the `{`.
        offset: usize,
    },
    /// A `{` with no closing `}`.
    Unclosed {
        /// Offset of the `{`.
        offset: usize,
    },
    /// A `}` that closes nothing (write `}}` for a literal brace).
    UnmatchedClose {
        /// Offset of the `}`.
        offset: usize,
    },
}

impl fmt::Display for PlaceholderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlaceholderProblem::Unknown { name, offset } => write!(
                f,
                "unknown placeholder {{{name}}} at byte {offset} (known: {{database}}, {{table}}; write {{{{ and }}}} for literal braces)"
            ),
            PlaceholderProblem::Unclosed { offset } => write!(
                f,
                "'{{' at byte {offset} is never closed (write {{{{ for a literal brace)"
            ),
            PlaceholderProblem::UnmatchedClose { offset } => write!(
                f,
                "'}}' at byte {offset} closes nothing (write }}}} for a literal brace)"
            ),
        }
    }
}

fn describe(problems: &[PlaceholderProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy)]
enum Target {
    Database,
    Table,
}

fn target(name: &str) -> Option<Target> {
    match name {
        "database" | "ATHENA_DATABASE" => Some(Target::Database),
        "table" | "ATHENA_TABLE" => Some(Target::Table),
        _ => None,
    }
}

/// A piece of a parsed template.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(Target),
}

/// Splits a template into text and placeholders, or lists every problem.
fn parse(template: &str) -> Result<Vec<Piece<'_>>, PlaceholderError> {
    let mut pieces = Vec::new();
    let mut problems = Vec::new();
    let bytes = template.as_bytes();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                pieces.push(Piece::Text(&template[text_start..=i]));
                i += 2;
                text_start = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                pieces.push(Piece::Text(&template[text_start..=i]));
                i += 2;
                text_start = i;
            }
            b'{' => {
                pieces.push(Piece::Text(&template[text_start..i]));
                match template[i + 1..].find(['{', '}']) {
                    Some(rel) if bytes[i + 1 + rel] == b'}' => {
                        let name = &template[i + 1..i + 1 + rel];
                        match target(name) {
                            Some(t) => pieces.push(Piece::Placeholder(t)),
                            None => problems.push(PlaceholderProblem::Unknown {
                                name: name.to_owned(),
                                offset: i,
                            }),
                        }
                        i += rel + 2;
                    }
                    _ => {
                        problems.push(PlaceholderProblem::Unclosed { offset: i });
                        i += 1;
                    }
                }
                text_start = i;
            }
            b'}' => {
                problems.push(PlaceholderProblem::UnmatchedClose { offset: i });
                i += 1;
                text_start = i;
            }
            _ => i += 1,
        }
    }
    pieces.push(Piece::Text(&template[text_start..]));
    if problems.is_empty() {
        Ok(pieces)
    } else {
        Err(PlaceholderError { problems })
    }
}

/// Checks a template without rendering it: every `{…}` is a known placeholder, every brace balanced.
///
/// Input validation calls this on each user query, before the run creates anything.
pub fn check_placeholders(template: &str) -> Result<(), PlaceholderError> {
    parse(template).map(|_| ())
}

/// The statement a template stands for in a run: placeholders replaced by quoted identifiers, `{{` and
/// `}}` by single braces.
pub fn render(
    template: &str,
    database: &Identifier,
    table: &Identifier,
) -> Result<String, PlaceholderError> {
    let pieces = parse(template)?;
    let mut out = String::with_capacity(template.len() + 32);
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(Target::Database) => out.push_str(&database.dml_quoted()),
            Piece::Placeholder(Target::Table) => out.push_str(&table.dml_quoted()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_it(template: &str) -> Result<String, PlaceholderError> {
        render(
            template,
            &Identifier::database("db").unwrap(),
            &Identifier::table("t").unwrap(),
        )
    }

    #[test]
    fn substitutes_quoted_identifiers() {
        assert_eq!(
            render_it("SELECT count(*) FROM {database}.{table} WHERE x = 1").unwrap(),
            "SELECT count(*) FROM \"db\".\"t\" WHERE x = 1"
        );
        assert_eq!(
            render_it("SELECT * FROM {ATHENA_TABLE} -- {{legacy}}").unwrap(),
            "SELECT * FROM \"t\" -- {legacy}"
        );
        assert_eq!(render_it("").unwrap(), "");
        assert_eq!(render_it("{table}").unwrap(), "\"t\"");
    }

    #[test]
    fn doubled_braces_are_literal_braces() {
        assert_eq!(
            render_it("SELECT '{{\"a\": 1}}' FROM {table}").unwrap(),
            "SELECT '{\"a\": 1}' FROM \"t\""
        );
        assert_eq!(render_it("{{{table}}}").unwrap(), "{\"t\"}");
        check_placeholders("'}}{{'").unwrap();
    }

    #[test]
    fn unicode_text_passes_through() {
        assert_eq!(
            render_it("SELECT 'ключ ✓' FROM {table}").unwrap(),
            "SELECT 'ключ ✓' FROM \"t\""
        );
    }

    #[test]
    fn reports_every_problem_naming_it() {
        let err = check_placeholders(
            "SELECT * FROM {database}.{tabel} WHERE bucket = '{BUCKET_NAME}' AND x = '}' AND y = '{",
        )
        .unwrap_err();
        assert_eq!(
            err.problems,
            vec![
                PlaceholderProblem::Unknown {
                    name: "tabel".into(),
                    offset: 25
                },
                PlaceholderProblem::Unknown {
                    name: "BUCKET_NAME".into(),
                    offset: 49
                },
                PlaceholderProblem::UnmatchedClose { offset: 73 },
                PlaceholderProblem::Unclosed { offset: 85 },
            ]
        );
        let message = err.to_string();
        assert!(message.contains("unknown placeholder {tabel}"), "{message}");
        assert!(message.contains("{BUCKET_NAME}"), "{message}");
        assert!(render_it("{tabel}").is_err());
    }

    #[test]
    fn nested_or_empty_braces_are_problems() {
        let err = check_placeholders("{{table}").unwrap_err();
        assert_eq!(
            err.problems,
            vec![PlaceholderProblem::UnmatchedClose { offset: 7 }]
        );
        let err = check_placeholders("{}").unwrap_err();
        assert_eq!(
            err.problems,
            vec![PlaceholderProblem::Unknown {
                name: String::new(),
                offset: 0
            }]
        );
        let err = check_placeholders("{a{table}").unwrap_err();
        assert_eq!(
            err.problems,
            vec![PlaceholderProblem::Unclosed { offset: 0 }]
        );
    }
}

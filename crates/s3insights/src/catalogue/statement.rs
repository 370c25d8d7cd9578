//! Is a statement one read-only query? Checked by parsing the statement's top-level shape over
//! Athena's (Trino's) tokens, never by looking at a prefix.
//!
//! Trino's grammar decides a statement's kind by its first tokens: a query (`rootQuery`) is
//!
//! ```text
//! query      := [WITH [RECURSIVE] name [(columns)] AS ( query ) {, …}] queryNoWith
//! queryNoWith:= primary {UNION|INTERSECT|EXCEPT … primary} [ORDER BY …] [OFFSET …] [LIMIT|FETCH …]
//! primary    := SELECT … | VALUES … | TABLE name | ( queryNoWith )
//! ```
//!
//! and nothing inside a query can change data. So the check is: the statement starts with a query
//! (each CTE's body and a leading parenthesised query checked the same way, recursively), every
//! parenthesis and bracket is balanced, and nothing follows but one optional `;`. A second statement
//! after `;` is refused, and so is every other statement kind (`DROP`, `INSERT`, `CREATE TABLE AS`,
//! `UNLOAD`, `MSCK`, `USING EXTERNAL FUNCTION …`, `EXPLAIN ANALYZE` (which runs its statement), ...).
//!
//! Why not the `sqlparser` crate: it has no Trino/Athena dialect, and version 0.64 (tried on every
//! built-in query and on common Athena queries) refuses queries Athena runs, such as
//! `json_query(… WITH ARRAY WRAPPER)` and `TABLE t`; a read-only check must never refuse a query
//! Athena runs, and only the statement's kind matters here, which the first tokens decide.

use super::lexer::{tokenize, Kind, LexError, Token};

/// The statement kinds user queries may be.
const QUERY_STARTS: [&str; 3] = ["SELECT", "VALUES", "TABLE"];

/// Why a statement is not exactly one read-only query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Nothing but whitespace and comments.
    #[error("holds no statement, only whitespace or comments")]
    Empty,
    /// A statement of another kind (`found`: its first keyword, upper-cased, or its first token).
    #[error("is {} statement; {READ_ONLY_RULE}", article(found))]
    NotAQuery {
        /// The statement's first keyword (`DROP`) or, when it starts with no word, its first token.
        found: String,
    },
    /// A CTE body or a parenthesised query that is not a query.
    #[error(
        "has {} statement in parentheses near {near:?}; {READ_ONLY_RULE}",
        article(found)
    )]
    NotAQueryInside {
        /// The first keyword inside the parentheses.
        found: String,
        /// The text from there on, cut short.
        near: String,
    },
    /// A second statement after the first one's `;`.
    #[error(
        "holds a second statement after ';' ({} statement, near {near:?}); {READ_ONLY_RULE}",
        article(found)
    )]
    SecondStatement {
        /// The second statement's first keyword.
        found: String,
        /// The text from there on, cut short.
        near: String,
    },
    /// A `WITH` clause that is not `name [(columns)] AS (query)`.
    #[error("has a WITH clause that is not `name [(columns)] AS (query)`: expected {expected} near {near:?}")]
    MalformedWith {
        /// What was expected.
        expected: &'static str,
        /// The text from there on, cut short.
        near: String,
    },
    /// A `)` or `]` that closes nothing, or closes the other kind.
    #[error("has a '{found}' that closes nothing near {near:?}")]
    UnmatchedClose {
        /// The closing character.
        found: char,
        /// The text from there on, cut short.
        near: String,
    },
    /// A `(` or `[` never closed.
    #[error("has a '{open}' that is never closed near {near:?}")]
    Unclosed {
        /// The opening character.
        open: char,
        /// The text from there on, cut short.
        near: String,
    },
    /// A `;` inside parentheses.
    #[error("has a ';' inside parentheses near {near:?}")]
    SemicolonInside {
        /// The text from there on, cut short.
        near: String,
    },
    /// A string, identifier or comment that never ends.
    #[error("has a {what} that is never closed near {near:?}")]
    Unterminated {
        /// What never ends.
        what: String,
        /// The text from its start, cut short.
        near: String,
    },
}

const READ_ONLY_RULE: &str = "user queries must be one read-only query (SELECT or WITH … SELECT; \
                              VALUES, TABLE and parenthesised queries with UNION, INTERSECT or EXCEPT \
                              are queries too)";

fn article(found: &str) -> String {
    let vowel = found
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {found}", if vowel { "an" } else { "a" })
}

/// The text of `sql` from `start`, on one line, at most 40 characters.
fn near(sql: &str, start: usize) -> String {
    let text: String = sql[start..]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

/// Checks that `sql` is exactly one read-only query (see the module documentation).
pub fn check_read_only(sql: &str) -> Result<(), StatementError> {
    let tokens =
        tokenize(sql).map_err(|LexError { what, start }| StatementError::Unterminated {
            what: what.to_string(),
            near: near(sql, start),
        })?;
    if tokens.is_empty() {
        return Err(StatementError::Empty);
    }
    let mut parser = Parser {
        sql,
        tokens: &tokens,
        pos: 0,
    };
    parser.query(false)?;
    if parser.peek_kind() == Some(Kind::Semicolon) {
        parser.pos += 1;
    }
    match parser.peek() {
        None => Ok(()),
        Some(token) => Err(StatementError::SecondStatement {
            found: parser.kind_of(token),
            near: near(sql, token.start),
        }),
    }
}

struct Parser<'a> {
    sql: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.pos).copied()
    }

    fn peek_kind(&self) -> Option<Kind> {
        self.peek().map(|t| t.kind)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        self.peek().is_some_and(|t| t.is_keyword(self.sql, keyword))
    }

    /// Where the parser stands, for messages (the end of the text once past the last token).
    fn here(&self) -> String {
        self.peek()
            .map(|t| near(self.sql, t.start))
            .unwrap_or_else(|| "the end".into())
    }

    /// A statement kind for messages: the first keyword upper-cased (two for `USING EXTERNAL` and
    /// `WITH FUNCTION`), or the token itself.
    fn kind_of(&self, token: Token) -> String {
        let text = token.text(self.sql);
        if token.kind != Kind::Word {
            return text.chars().take(20).collect();
        }
        text.to_ascii_uppercase()
    }

    /// `query := [WITH …] primary rest`; `nested` when inside parentheses (the query then ends at
    /// the closing parenthesis, which is left for the caller).
    fn query(&mut self, nested: bool) -> Result<(), StatementError> {
        if self.peek_keyword("WITH") {
            self.pos += 1;
            self.with_list()?;
        }
        let Some(first) = self.peek() else {
            return Err(StatementError::MalformedWith {
                expected: "a query after the WITH clause",
                near: "the end".into(),
            });
        };
        match first.kind {
            Kind::Word if QUERY_STARTS.iter().any(|k| first.is_keyword(self.sql, k)) => {
                self.pos += 1;
            }
            Kind::Open('(') => {
                self.pos += 1;
                self.inner_query(first.start)?;
            }
            _ if nested => {
                return Err(StatementError::NotAQueryInside {
                    found: self.kind_of(first),
                    near: near(self.sql, first.start),
                })
            }
            _ => {
                return Err(StatementError::NotAQuery {
                    found: self.kind_of(first),
                })
            }
        }
        self.rest(nested)
    }

    /// A parenthesised query, its `(` (at byte `open`) consumed: the query, then its `)`.
    fn inner_query(&mut self, open: usize) -> Result<(), StatementError> {
        self.query(true)?;
        match self.peek() {
            Some(t) if t.kind == Kind::Close(')') => {
                self.pos += 1;
                Ok(())
            }
            Some(t) => Err(StatementError::UnmatchedClose {
                found: t.text(self.sql).chars().next().unwrap_or(')'),
                near: near(self.sql, t.start),
            }),
            None => Err(StatementError::Unclosed {
                open: '(',
                near: near(self.sql, open),
            }),
        }
    }

    /// `name [(columns)] AS ( query ) {, …}` after `WITH [RECURSIVE]`.
    fn with_list(&mut self) -> Result<(), StatementError> {
        if self.peek_keyword("RECURSIVE") {
            self.pos += 1;
        }
        loop {
            let name = self.peek();
            let after_name = self.tokens.get(self.pos + 1);
            match name {
                // `WITH FUNCTION f(…) RETURNS …`: an inline function, not a query name.
                Some(t)
                    if t.is_keyword(self.sql, "FUNCTION")
                        && after_name.is_some_and(|n| {
                            n.kind == Kind::Word && !n.is_keyword(self.sql, "AS")
                        }) =>
                {
                    return Err(StatementError::NotAQuery {
                        found: "WITH FUNCTION".into(),
                    })
                }
                Some(t) if matches!(t.kind, Kind::Word | Kind::QuotedIdentifier) => self.pos += 1,
                _ => {
                    return Err(StatementError::MalformedWith {
                        expected: "a query name",
                        near: self.here(),
                    })
                }
            }
            if self.peek_kind() == Some(Kind::Open('(')) {
                self.pos += 1;
                self.skip_balanced('(')?;
            }
            if !self.peek_keyword("AS") {
                return Err(StatementError::MalformedWith {
                    expected: "AS",
                    near: self.here(),
                });
            }
            self.pos += 1;
            if self.peek_kind() != Some(Kind::Open('(')) {
                return Err(StatementError::MalformedWith {
                    expected: "'(' and the query",
                    near: self.here(),
                });
            }
            let open = self.tokens[self.pos].start;
            self.pos += 1;
            self.inner_query(open)?;
            if self.peek_kind() == Some(Kind::Symbol)
                && self.peek().is_some_and(|t| t.text(self.sql) == ",")
            {
                self.pos += 1;
            } else {
                return Ok(());
            }
        }
    }

    /// The rest of a query: any balanced tokens, up to the end, a `;` (top level) or the `)` that
    /// closes the enclosing parentheses (nested).
    fn rest(&mut self, nested: bool) -> Result<(), StatementError> {
        while let Some(token) = self.peek() {
            match token.kind {
                Kind::Open(open) => {
                    self.pos += 1;
                    self.skip_balanced(open)?;
                }
                Kind::Close(_) if nested => return Ok(()),
                Kind::Close(found) => {
                    return Err(StatementError::UnmatchedClose {
                        found,
                        near: near(self.sql, token.start),
                    })
                }
                Kind::Semicolon if nested => {
                    return Err(StatementError::SemicolonInside {
                        near: near(self.sql, token.start),
                    })
                }
                Kind::Semicolon => return Ok(()),
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// Skips to just after the bracket that closes `open` (already consumed).
    fn skip_balanced(&mut self, open: char) -> Result<(), StatementError> {
        let start = self.tokens[self.pos - 1].start;
        let mut stack = vec![open];
        while let Some(token) = self.peek() {
            self.pos += 1;
            match token.kind {
                Kind::Open(c) => stack.push(c),
                Kind::Close(c) => {
                    let expected = if stack.last() == Some(&'(') { ')' } else { ']' };
                    if c != expected {
                        return Err(StatementError::UnmatchedClose {
                            found: c,
                            near: near(self.sql, token.start),
                        });
                    }
                    stack.pop();
                    if stack.is_empty() {
                        return Ok(());
                    }
                }
                Kind::Semicolon => {
                    return Err(StatementError::SemicolonInside {
                        near: near(self.sql, token.start),
                    })
                }
                _ => {}
            }
        }
        Err(StatementError::Unclosed {
            open,
            near: near(self.sql, start),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Queries Athena (Trino) runs, in the syntax users write.
    pub(crate) const READ_ONLY: &[&str] = &[
        "SELECT 1",
        "select 1;",
        "  SELECT 1 ; -- done\n",
        "/* DROP TABLE t; */ SELECT 1 -- ; DROP TABLE t",
        "sElEcT ';' AS semi, \"a;b\" FROM t",
        "WITH a AS (SELECT 1) SELECT * FROM a",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r",
        "WITH a AS (SELECT 1), \"b c\" (x) AS (WITH d AS (SELECT 2) SELECT * FROM d) SELECT * FROM a, \"b c\"",
        "WITH function AS (SELECT 1) SELECT * FROM function",
        "VALUES (1, 'a'), (2, 'b')",
        "TABLE db.t",
        "(SELECT 1) UNION ALL (SELECT 2) ORDER BY 1",
        "((SELECT 1)) INTERSECT SELECT 1 EXCEPT (VALUES 2)",
        "SELECT transform(ARRAY[1, 2, 3], x -> x + 1), reduce(ARRAY[1], 0, (s, x) -> s + x, s -> s)",
        "SELECT bucket, approx_percentile(size, 0.5) FROM t GROUP BY bucket",
        "SELECT try_cast(size AS varchar), x[1], m['k'] FROM t",
        "SELECT k, n FROM UNNEST(ARRAY['a', 'b']) WITH ORDINALITY AS u(k, n)",
        "SELECT date_diff('day', CAST(d AS date), current_date) FROM t",
        "SELECT json_query('{\"a\": [1]}', 'lax $.a' WITH ARRAY WRAPPER)",
        "SELECT * FROM t TABLESAMPLE BERNOULLI (10) OFFSET 10 ROWS FETCH FIRST 5 ROWS ONLY",
        "SELECT U&'\\00e9', X'00ff', DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00:00 UTC'",
        "SELECT * FROM t MATCH_RECOGNIZE (PARTITION BY b ORDER BY k MEASURES A.s AS s PATTERN (A B+) DEFINE B AS B.s > A.s)",
        "SELECT 'it''s', \"we\"\"ird\" FROM \"列\" WHERE k = 'ключ ✓'",
    ];

    #[test]
    fn read_only_queries_pass() {
        for sql in READ_ONLY {
            assert_eq!(check_read_only(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn other_statements_are_named_by_their_kind() {
        for (sql, kind) in [
            ("DROP TABLE {database}.other", "DROP"),
            ("drop table t", "DROP"),
            ("INSERT INTO t SELECT 1", "INSERT"),
            ("CREATE TABLE t AS SELECT 1", "CREATE"),
            (
                "UNLOAD (SELECT 1) TO 's3://b/' WITH (format = 'JSON')",
                "UNLOAD",
            ),
            ("MSCK REPAIR TABLE t", "MSCK"),
            ("ALTER TABLE t ADD PARTITION (a = 1)", "ALTER"),
            ("DELETE FROM t", "DELETE"),
            ("UPDATE t SET a = 1", "UPDATE"),
            (
                "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE",
                "MERGE",
            ),
            ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN"),
            (
                "USING EXTERNAL FUNCTION f(x int) RETURNS int LAMBDA 'l' SELECT f(1)",
                "USING",
            ),
            ("SHOW TABLES", "SHOW"),
            ("PREPARE s FROM DROP TABLE t", "PREPARE"),
            (
                "WITH FUNCTION f() RETURNS int RETURN 1 SELECT f()",
                "WITH FUNCTION",
            ),
            ("WITH a AS (SELECT 1) DROP TABLE t", "DROP"),
            ("/* SELECT */ -- SELECT\nINSERT INTO t VALUES 1", "INSERT"),
            ("'SELECT'", "'SELECT'"),
        ] {
            assert_eq!(
                check_read_only(sql),
                Err(StatementError::NotAQuery { found: kind.into() }),
                "{sql}"
            );
        }
        let message = check_read_only("DROP TABLE t").unwrap_err().to_string();
        assert!(message.starts_with("is a DROP statement; user queries must be one read-only query (SELECT or WITH … SELECT"), "{message}");
        let message = check_read_only("INSERT INTO t VALUES 1")
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("is an INSERT statement"), "{message}");
    }

    #[test]
    fn a_second_statement_is_refused() {
        for (sql, kind) in [
            ("SELECT 1; DROP TABLE t", "DROP"),
            ("SELECT 1; SELECT 2", "SELECT"),
            ("SELECT 1;;", ";"),
            (
                "WITH a AS (SELECT 1) SELECT * FROM a; DELETE FROM t",
                "DELETE",
            ),
            (
                "SELECT 1; -- comment\n/* c */ INSERT INTO t VALUES 1",
                "INSERT",
            ),
        ] {
            match check_read_only(sql) {
                Err(StatementError::SecondStatement { found, .. }) => {
                    assert_eq!(found, kind, "{sql}")
                }
                other => panic!("{sql}: {other:?}"),
            }
        }
        let message = check_read_only("SELECT 1; DROP TABLE t")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("a DROP statement, near \"DROP TABLE t\""),
            "{message}"
        );
    }

    #[test]
    fn what_is_in_parentheses_must_be_a_query_and_balanced() {
        assert!(matches!(
            check_read_only("WITH a AS (DELETE FROM t) SELECT 1"),
            Err(StatementError::NotAQueryInside { found, .. }) if found == "DELETE"
        ));
        assert!(matches!(
            check_read_only("(DROP TABLE t)"),
            Err(StatementError::NotAQueryInside { found, .. }) if found == "DROP"
        ));
        for sql in [
            "SELECT (1",
            "SELECT f(ARRAY[1, 2]",
            "(SELECT 1",
            "WITH a AS (SELECT 1 SELECT 2",
        ] {
            assert!(
                matches!(check_read_only(sql), Err(StatementError::Unclosed { .. })),
                "{sql}"
            );
        }
        for sql in [
            "SELECT 1)",
            "SELECT (1]",
            "SELECT f(ARRAY[1, 2)",
            "SELECT ]",
            "(SELECT 1]",
        ] {
            assert!(
                matches!(
                    check_read_only(sql),
                    Err(StatementError::UnmatchedClose { .. })
                ),
                "{sql}: {:?}",
                check_read_only(sql)
            );
        }
        for sql in [
            "SELECT (1; DROP TABLE t)",
            "WITH a AS (SELECT 1; DROP TABLE t) SELECT 1",
        ] {
            assert!(
                matches!(
                    check_read_only(sql),
                    Err(StatementError::SemicolonInside { .. })
                ),
                "{sql}"
            );
        }
    }

    #[test]
    fn malformed_text_is_refused_saying_where() {
        assert_eq!(check_read_only(""), Err(StatementError::Empty));
        assert_eq!(
            check_read_only(" -- only\n/* comments */"),
            Err(StatementError::Empty)
        );
        assert_eq!(
            check_read_only("SELECT 'abc; DROP TABLE t"),
            Err(StatementError::Unterminated {
                what: "string literal".into(),
                near: "'abc; DROP TABLE t".into()
            })
        );
        for (sql, expected) in [
            ("WITH a SELECT 1", "AS"),
            ("WITH a AS SELECT 1", "'(' and the query"),
            ("WITH a AS (SELECT 1)", "a query after the WITH clause"),
            ("WITH 'a' AS (SELECT 1) SELECT 1", "a query name"),
            ("WITH a AS (SELECT 1), SELECT 1", "AS"),
        ] {
            match check_read_only(sql) {
                Err(StatementError::MalformedWith { expected: e, .. }) => {
                    assert_eq!(e, expected, "{sql}")
                }
                other => panic!("{sql}: {other:?}"),
            }
        }
        let long = format!("SELECT ({}", "x ".repeat(100));
        let message = check_read_only(&long).unwrap_err().to_string();
        assert!(message.contains('…') && message.len() < 120, "{message}");
    }
}

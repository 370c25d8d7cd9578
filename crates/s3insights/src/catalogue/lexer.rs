//! A tokenizer following Athena's (Trino's) lexical rules, as far as the shape of a statement needs:
//! where strings, quoted identifiers and comments begin and end, and where the parentheses,
//! brackets and semicolons are.
//!
//! Trino's grammar (`SqlBase.g4`): a string is `'…'` with `''` for a quote (no backslash escapes;
//! `U&'…'` and `X'…'` are a word followed by a string); a quoted identifier is `"…"` with `""` for a
//! quote; backquoted identifiers `` `…` `` are lexed (and refused by Trino later); `--` comments run
//! to the end of the line and `/* … */` comments do not nest. Everything else is words (letters,
//! digits, `_`, `@`, `$`, `:`) and one-character symbols.

use std::fmt;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A keyword, an unquoted identifier or a number.
    Word,
    /// `"…"` or `` `…` ``.
    QuotedIdentifier,
    /// `'…'`.
    String,
    /// `(` or `[`.
    Open(char),
    /// `)` or `]`.
    Close(char),
    /// `;`.
    Semicolon,
    /// Any other symbol (operators, `,`, `.`, ...), one character.
    Symbol,
}

/// One token: its kind and where it is (byte range in the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token's text.
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }

    /// True for the word `keyword`, in any case.
    pub fn is_keyword(&self, sql: &str, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text(sql).eq_ignore_ascii_case(keyword)
    }
}

/// Something that never ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unterminated {
    /// A `'` string.
    String,
    /// A `"` or `` ` `` identifier.
    QuotedIdentifier,
    /// A `/*` comment.
    Comment,
}

impl fmt::Display for Unterminated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unterminated::String => "string literal",
            Unterminated::QuotedIdentifier => "quoted identifier",
            Unterminated::Comment => "/* comment",
        })
    }
}

/// A lexical error: what never ends, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexError {
    pub what: Unterminated,
    pub start: usize,
}

fn is_word_char(ch: char) -> bool {
    ch.is_alphanumeric() || matches!(ch, '_' | '@' | '$' | ':')
}

/// The end of a quoted token opened at `start` by `quote`, where a doubled quote stands for one.
fn quoted_end(sql: &str, start: usize, quote: char) -> Option<usize> {
    let mut chars = sql[start + 1..].char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if ch == quote {
            if chars.peek().is_some_and(|(_, next)| *next == quote) {
                chars.next();
                continue;
            }
            return Some(start + 1 + i + ch.len_utf8());
        }
    }
    None
}

/// Splits `sql` into tokens, dropping whitespace and comments.
pub(crate) fn tokenize(sql: &str) -> Result<Vec<Token>, LexError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    while let Some(ch) = sql[pos..].chars().next() {
        let rest = &sql[pos..];
        let (kind, end) = if ch.is_whitespace() {
            pos += ch.len_utf8();
            continue;
        } else if rest.starts_with("--") {
            pos += rest.find(['\n', '\r']).unwrap_or(rest.len());
            continue;
        } else if let Some(comment) = rest.strip_prefix("/*") {
            let close = comment.find("*/").ok_or(LexError {
                what: Unterminated::Comment,
                start: pos,
            })?;
            pos += 2 + close + 2;
            continue;
        } else {
            match ch {
                '\'' => (
                    Kind::String,
                    quoted_end(sql, pos, '\'').ok_or(LexError {
                        what: Unterminated::String,
                        start: pos,
                    })?,
                ),
                '"' | '`' => (
                    Kind::QuotedIdentifier,
                    quoted_end(sql, pos, ch).ok_or(LexError {
                        what: Unterminated::QuotedIdentifier,
                        start: pos,
                    })?,
                ),
                '(' | '[' => (Kind::Open(ch), pos + 1),
                ')' | ']' => (Kind::Close(ch), pos + 1),
                ';' => (Kind::Semicolon, pos + 1),
                c if is_word_char(c) => {
                    let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
                    (Kind::Word, pos + len)
                }
                c => (Kind::Symbol, pos + c.len_utf8()),
            }
        };
        tokens.push(Token {
            kind,
            start: pos,
            end,
        });
        pos = end;
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<(Kind, &str)> {
        tokenize(sql)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.text(sql)))
            .collect()
    }

    #[test]
    fn strings_identifiers_and_comments_hide_what_they_hold() {
        assert_eq!(
            kinds("SELECT 'it''s; DROP', \"a\"\"b;\" -- ; DROP\n/* ; ( */ x;"),
            vec![
                (Kind::Word, "SELECT"),
                (Kind::String, "'it''s; DROP'"),
                (Kind::Symbol, ","),
                (Kind::QuotedIdentifier, "\"a\"\"b;\""),
                (Kind::Word, "x"),
                (Kind::Semicolon, ";"),
            ]
        );
        assert_eq!(
            kinds("U&'\\00e9' X'ff' `q;`"),
            vec![
                (Kind::Word, "U"),
                (Kind::Symbol, "&"),
                (Kind::String, "'\\00e9'"),
                (Kind::Word, "X"),
                (Kind::String, "'ff'"),
                (Kind::QuotedIdentifier, "`q;`"),
            ]
        );
        // A backslash does not escape a quote in Trino.
        assert_eq!(kinds("'a\\' ;")[1], (Kind::Semicolon, ";"));
    }

    #[test]
    fn comments_end_where_trino_ends_them() {
        assert_eq!(kinds("-- only a comment"), vec![]);
        assert_eq!(
            kinds("/* a /* b */ c */"),
            vec![(Kind::Word, "c"), (Kind::Symbol, "*"), (Kind::Symbol, "/")]
        );
        assert_eq!(kinds("a--b\rc"), vec![(Kind::Word, "a"), (Kind::Word, "c")]);
        assert_eq!(
            kinds("x->y"),
            vec![
                (Kind::Word, "x"),
                (Kind::Symbol, "-"),
                (Kind::Symbol, ">"),
                (Kind::Word, "y")
            ]
        );
    }

    #[test]
    fn unterminated_tokens_say_where_they_start() {
        for (sql, what, start) in [
            ("SELECT 'abc", Unterminated::String, 7),
            ("SELECT \"abc", Unterminated::QuotedIdentifier, 7),
            ("SELECT `abc", Unterminated::QuotedIdentifier, 7),
            ("SELECT 1 /* x", Unterminated::Comment, 9),
            ("SELECT 'it''", Unterminated::String, 7),
        ] {
            assert_eq!(tokenize(sql), Err(LexError { what, start }), "{sql}");
        }
    }

    #[test]
    fn any_unicode_text_is_tokenized() {
        let sql = "SELECT 'ключ ✓', \"列\" FROM t WHERE k = 'é' -- ✓";
        assert_eq!(tokenize(sql).unwrap().len(), 10);
    }
}

//! Deterministic number, size and duration formatting, and making hostile text displayable.

use std::borrow::Cow;

const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// A byte count in binary units with one decimal: `0 B`, `512 B`, `1.5 GiB`.
///
/// Integer arithmetic only (rounded half up), so the same count always prints the same, and a value
/// that rounds up to 1024 of a unit moves to the next one (`1.0 MiB`, never `1024.0 KiB`).
pub fn human_bytes(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut exponent = 1;
    while exponent + 1 < UNITS.len() && bytes >= 1u64 << (10 * (exponent + 1)) {
        exponent += 1;
    }
    loop {
        let unit = 1u128 << (10 * exponent);
        let tenths = (u128::from(bytes) * 10 + unit / 2) / unit;
        if tenths >= 10_240 && exponent + 1 < UNITS.len() {
            exponent += 1;
            continue;
        }
        return format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[exponent]);
    }
}

/// A count with thousands separators: `1,234,567`.
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// US dollars: cents with thousands separators (`$1,234.56`), a positive amount under a cent as
/// `under $0.01`.
pub fn usd(amount: f64) -> String {
    let cents = (amount.max(0.0) * 100.0).round() as u64;
    if cents == 0 && amount > 0.0 {
        return "under $0.01".to_owned();
    }
    format!("${}.{:02}", group_thousands(cents / 100), cents % 100)
}

/// Tenths of a percent as text: `625` → `62.5%`.
pub fn percent(tenths: u32) -> String {
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// A duration in seconds as `1h 02m 03s`, `4m 05s` or `6s` (negative counts as zero).
pub fn human_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// Characters that change how the text around them displays: bidirectional embeddings, overrides
/// and isolates, and zero-width characters. A key holding them can show as another key.
fn is_deceptive(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `text` on one line, with every control character (newlines and tabs included) and every
/// deceptive character written as a visible `\u{…}` escape.
///
/// Object keys, reasons and query results are shown this way: a key cannot break a table row, spoof
/// another key, or send escape sequences to a terminal.
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    visible(text, false)
}

/// Like [`one_line`], but keeps newlines and tabs: for SQL text and the input echo.
pub(crate) fn multi_line(text: &str) -> Cow<'_, str> {
    visible(text, true)
}

fn visible(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let hidden =
        |c: char| (c.is_control() && !(keep_lines && (c == '\n' || c == '\t'))) || is_deceptive(c);
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// At most `max_chars` characters of `text`, ending in `…` when cut.
pub(crate) fn shorten(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let keep: String = text.chars().take(max_chars.saturating_sub(1)).collect();
            Cow::Owned(keep + "…")
        }
    }
}

/// At most `max_chars` characters of `text`, its middle replaced by `…` when cut: a key keeps its
/// first folder and its file name, the parts that tell what it is.
pub(crate) fn shorten_middle(text: &str, max_chars: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max_chars {
        return Cow::Borrowed(text);
    }
    let tail = max_chars.saturating_sub(1) / 2;
    let head = max_chars.saturating_sub(1) - tail;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    Cow::Owned(format!("{start}…{end}"))
}

/// [`one_line`] then [`shorten`]: how a value is shown in a table cell.
pub(crate) fn cell(text: &str, max_chars: usize) -> String {
    shorten(&one_line(text), max_chars).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(human_bytes(1_048_575), "1.0 MiB");
        assert_eq!(human_bytes((1 << 40) + (1 << 39)), "1.5 TiB");
        assert_eq!(human_bytes(u64::MAX), "16.0 EiB");
        // Rounding half up, in integers.
        assert_eq!(human_bytes(1024 + 51), "1.0 KiB");
        assert_eq!(human_bytes(1024 + 52), "1.1 KiB");
    }

    #[test]
    fn counts_and_shares() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(percent(1000), "100.0%");
        assert_eq!(percent(5), "0.5%");
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(-5), "0s");
        assert_eq!(human_duration(6), "6s");
        assert_eq!(human_duration(245), "4m 05s");
        assert_eq!(human_duration(3723), "1h 02m 03s");
    }

    #[test]
    fn hostile_characters_become_visible() {
        assert_eq!(one_line("plain ключ ✓"), "plain ключ ✓");
        assert_eq!(one_line("a\nb\tc\u{1b}[31m"), "a\\u{a}b\\u{9}c\\u{1b}[31m");
        assert_eq!(one_line("abc\u{202E}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert_eq!(multi_line("a\n\tb\u{7}"), "a\n\tb\\u{7}");
    }

    #[test]
    fn shortening_counts_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "ab…");
        assert_eq!(shorten("ключи", 4), "клю…");
        assert_eq!(cell("a\nbcdef", 4), "a\\u…");
        assert_eq!(shorten_middle("abc", 3), "abc");
        assert_eq!(shorten_middle("deploy/xxxxxx/.env", 11), "deplo…/.env");
        assert_eq!(shorten_middle("ключи", 4), "кл…и");
    }
}

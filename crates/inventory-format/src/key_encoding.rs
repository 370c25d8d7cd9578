//! URL-encoding of object keys in CSV reports.
//!
//! The S3 user guide says that in CSV reports "the key name is URL-encoded
//! and must be decoded before you can use it". The encoding is the HTML-form
//! one (`application/x-www-form-urlencoded`, like Java's `URLEncoder`): a
//! space becomes `+`, and every byte other than `A-Z a-z 0-9 . - * _` becomes
//! `%XX` (so `/` is `%2F` and a literal `+` is `%2B`). Consumers that decode
//! with plain percent-decoding turn `+` into a wrong key; see
//! cloud-custodian issue #1997 ("S3 Inventory ... URL-encoded with space
//! encoded as plus").

/// Encodes a key the way S3 writes it in a CSV inventory report.
pub fn encode_csv_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() * 3 / 2);
    for &b in key.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
    out
}

/// Why a CSV key could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDecodeError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

/// Decodes a CSV key: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn decode_csv_key(encoded: &str) -> Result<String, KeyDecodeError> {
    let mut out = Vec::with_capacity(encoded.len());
    decode_csv_key_into(encoded, &mut out)?;
    String::from_utf8(out).map_err(|_| KeyDecodeError::NotUtf8)
}

/// [`decode_csv_key`] into a reusable buffer (cleared first), so a reader
/// decoding millions of keys does not allocate one string per key.
pub fn decode_csv_key_into<'a>(
    encoded: &str,
    out: &'a mut Vec<u8>,
) -> Result<&'a str, KeyDecodeError> {
    out.clear();
    let bytes = encoded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Copy the run up to the next escape in one go.
        let run = memchr::memchr2(b'%', b'+', &bytes[i..]).unwrap_or(bytes.len() - i);
        out.extend_from_slice(&bytes[i..i + run]);
        i += run;
        match bytes.get(i) {
            None => break,
            Some(b'+') => {
                out.push(b' ');
                i += 1;
            }
            Some(_) => {
                let hi = bytes.get(i + 1).and_then(|b| hex_value(*b));
                let lo = bytes.get(i + 2).and_then(|b| hex_value(*b));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(KeyDecodeError::BadEscape),
                }
                i += 3;
            }
        }
    }
    std::str::from_utf8(out).map_err(|_| KeyDecodeError::NotUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_a_form() {
        assert_eq!(encode_csv_key("a b/c+d.txt"), "a+b%2Fc%2Bd.txt");
        assert_eq!(encode_csv_key("100%"), "100%25");
        assert_eq!(encode_csv_key("é"), "%C3%A9");
        assert_eq!(encode_csv_key("x_y-z.*"), "x_y-z.*");
    }

    #[test]
    fn decodes_what_it_encodes() {
        for key in [
            "plain",
            "with space",
            "a+b",
            "100% sure",
            "日本語/ファイル.txt",
            "<script>alert(\"x\")</script>",
            "line\nbreak,comma\"quote'",
            "",
        ] {
            assert_eq!(decode_csv_key(&encode_csv_key(key)).as_deref(), Ok(key));
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decode_csv_key("%G0"), Err(KeyDecodeError::BadEscape));
        assert_eq!(decode_csv_key("abc%2"), Err(KeyDecodeError::BadEscape));
        assert_eq!(decode_csv_key("%FF"), Err(KeyDecodeError::NotUtf8));
        assert_eq!(decode_csv_key("%41%2f"), Ok("A/".to_owned()));
        assert_eq!(decode_csv_key("%"), Err(KeyDecodeError::BadEscape));
        assert_eq!(decode_csv_key("a+%2B+"), Ok("a + ".to_owned()));
        let mut buf = b"left over".to_vec();
        assert_eq!(decode_csv_key_into("x%2Fy", &mut buf), Ok("x/y"));
    }
}

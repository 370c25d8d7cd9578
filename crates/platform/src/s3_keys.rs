//! Object keys as S3 listings carry them, and which keys an XML request can carry.
//!
//! S3 allows any UTF-8 in an object key, but its list responses are XML 1.0, which cannot carry
//! U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE or U+FFFF: S3 writes them as character
//! references such as `&#x1;`, which conforming XML parsers refuse (botocore's does; the Rust SDK's
//! happens to decode a reference but refuses the raw character), and a carriage return does not
//! survive XML's line-end normalisation. The S3 API reference's answer is `encoding-type=url`, so
//! every listing we make asks for it ([`LISTING_ENCODING`]) and decodes what S3 then encodes with
//! [`decode`]. Per the S3 API reference (`EncodingType` of ListObjectsV2 and ListObjectVersions), the
//! encoded response elements are:
//!
//! - ListObjectsV2: `Delimiter`, `Prefix` (also `CommonPrefixes/Prefix`), `Key`, `StartAfter`;
//! - ListObjectVersions: `KeyMarker`, `NextKeyMarker`, `Prefix` (also `CommonPrefixes/Prefix`),
//!   `Key`, `Delimiter`.
//!
//! Tokens and version ids (`ContinuationToken`, `NextContinuationToken`, `VersionIdMarker`,
//! `NextVersionIdMarker`) are not encoded. S3 encodes a space as `+` and a `+` as `%2B`, like an HTML
//! form, so a decoder must read `+` as a space (botocore decodes these fields with `unquote_plus`).
//! A marker passed back for the next page is the decoded key (the SDK encodes request parameters
//! itself).
//!
//! Requests that carry keys in an XML body (DeleteObjects) have the same problem the other way:
//! [`xml_safe`] tells whether a key can go there; [`delete_versions`] deletes any other key one at a
//! time, its key in the URL.

use aws_sdk_s3::types::{Delete, EncodingType, ObjectIdentifier};

/// The `encoding-type` every listing asks for.
pub const LISTING_ENCODING: EncodingType = EncodingType::Url;

/// A listing value that is not what `encoding-type=url` produces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("S3 listed {value:?}, which is not URL-encoded UTF-8: {reason}")]
pub struct KeyDecodeError {
    /// The value as listed.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Decodes one URL-encoded listing value (a key, prefix, delimiter or key marker): `%XX` is the
/// byte `XX`, `+` is a space, anything else stands for itself; the bytes must be UTF-8.
pub fn decode(encoded: &str) -> Result<String, KeyDecodeError> {
    if !encoded.contains(['%', '+']) {
        return Ok(encoded.to_string());
    }
    let error = |reason| KeyDecodeError {
        value: encoded.to_string(),
        reason,
    };
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .ok_or_else(|| error("a % is not followed by two hex digits"))?;
                let value = std::str::from_utf8(hex)
                    .ok()
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| error("a % is not followed by two hex digits"))?;
                out.push(value);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| error("the decoded bytes are not UTF-8"))
}

/// [`decode`] of an optional listing value (the SDK's accessors return `Option<&str>`).
pub fn decode_opt(encoded: Option<&str>) -> Result<Option<String>, KeyDecodeError> {
    encoded.map(decode).transpose()
}

/// Whether XML 1.0 can carry `key` in an element's text: every character is a `Char` of the XML
/// 1.0 specification (§2.2), and none is a carriage return (XML parsers turn a raw CR into a line
/// feed, and the SDK's request writer leaves the rest to the parser).
pub fn xml_safe(key: &str) -> bool {
    key.chars().all(|c| {
        matches!(c, '\u{9}' | '\u{A}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    })
}

/// Why deleting object versions stopped: what was being done, what S3 said, and whether retrying
/// may help (`crate::sdk_error::is_transient`; keys S3 refused within a DeleteObjects answer count as
/// transient, as S3 documents them per key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct DeleteFailure {
    /// The call, with the bucket and key involved.
    pub operation: String,
    /// What S3 answered (code and message).
    pub message: String,
    /// Whether retrying may succeed.
    pub transient: bool,
}

fn failure<E>(
    operation: String,
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> DeleteFailure
where
    E: std::error::Error + aws_sdk_s3::error::ProvideErrorMetadata + 'static,
{
    DeleteFailure {
        transient: crate::sdk_error::is_transient(err),
        message: crate::sdk_error::summary(&operation, err),
        operation,
    }
}

/// Deletes `(key, version)`s from `bucket` whatever their keys hold: DeleteObjects, a thousand at a
/// time, for keys its XML body can carry ([`xml_safe`]), DeleteObject one at a time for the others.
/// Returns how many were deleted.
pub async fn delete_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    versions: Vec<(String, Option<String>)>,
) -> Result<u64, DeleteFailure> {
    let (batched, single): (Vec<_>, Vec<_>) =
        versions.into_iter().partition(|(key, _)| xml_safe(key));
    let mut deleted = 0u64;
    for (key, version) in single {
        s3.delete_object()
            .bucket(bucket)
            .key(&key)
            .set_version_id(version)
            .send()
            .await
            .map_err(|e| failure(format!("delete {key:?} from {bucket}"), &e))?;
        deleted += 1;
    }
    let identifiers: Vec<ObjectIdentifier> = batched
        .into_iter()
        .filter_map(|(key, version)| {
            ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version)
                .build()
                .ok()
        })
        .collect();
    for chunk in identifiers.chunks(1000) {
        let operation = format!("delete objects in {bucket}");
        let delete = Delete::builder()
            .set_objects(Some(chunk.to_vec()))
            .quiet(true)
            .build()
            .map_err(|e| DeleteFailure {
                operation: operation.clone(),
                message: e.to_string(),
                transient: false,
            })?;
        let answer = s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| failure(operation.clone(), &e))?;
        if let Some(first) = answer.errors().first() {
            return Err(DeleteFailure {
                message: format!(
                    "{} of {} not deleted, e.g. {}: {}",
                    answer.errors().len(),
                    chunk.len(),
                    first.key().unwrap_or_default(),
                    first.message().unwrap_or_default()
                ),
                operation,
                transient: true,
            });
        }
        deleted += chunk.len() as u64;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_s3_encodes() {
        // Measured S3 encodings: a space is `+`, a plus `%2B`, a percent `%25`, UTF-8 bytes escaped.
        assert_eq!(decode("a+b.txt").unwrap(), "a b.txt");
        assert_eq!(decode("a%2Bb.txt").unwrap(), "a+b.txt");
        assert_eq!(decode("100%25.csv").unwrap(), "100%.csv");
        assert_eq!(
            decode("%ED%95%9C%EA%B8%80/x.txt").unwrap(),
            "\u{D55C}\u{AE00}/x.txt"
        );
        assert_eq!(decode("ctl%01%7F/end.").unwrap(), "ctl\u{1}\u{7F}/end.");
        assert_eq!(decode("%EF%BF%BF").unwrap(), "\u{FFFF}");
        assert_eq!(decode("plain/key.txt").unwrap(), "plain/key.txt");
        assert_eq!(decode("").unwrap(), "");
        assert_eq!(decode_opt(None).unwrap(), None);
        assert_eq!(decode_opt(Some("x+y")).unwrap().as_deref(), Some("x y"));
    }

    #[test]
    fn refuses_what_s3_never_sends() {
        for bad in ["50%", "%4", "%zz", "%FF", "%C3"] {
            let err = decode(bad).unwrap_err();
            assert_eq!(err.value, bad);
        }
    }

    /// The encoding S3 applies (and the local AWS reproduces), written independently.
    fn encode(key: &str) -> String {
        let mut out = String::new();
        for b in key.bytes() {
            match b {
                b' ' => out.push('+'),
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                    out.push(b as char)
                }
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn every_utf8_key_round_trips(key in proptest::prelude::any::<String>()) {
            proptest::prop_assert_eq!(decode(&encode(&key)).unwrap(), key);
        }
    }

    #[test]
    fn xml_safe_tells_which_keys_a_delete_request_can_carry() {
        for key in [
            "a/b.txt",
            "tab\there",
            "nl\nhere",
            "ünï/ファイル",
            "\u{10FFFF}",
            "\u{7F}",
        ] {
            assert!(xml_safe(key), "{key:?}");
        }
        for key in [
            "\u{1}", "cr\rhere", "\u{1F}", "\u{FFFE}", "\u{FFFF}", "\u{0}",
        ] {
            assert!(!xml_safe(key), "{key:?}");
        }
    }
}

//! Where S3 puts a report's objects in the destination bucket.
//!
//! Documented layout (S3 user guide, "Locating your inventory list"):
//!
//! ```text
//! destination-prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.json
//! destination-prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.checksum
//! destination-prefix/source-bucket/config-ID/hive/dt=YYYY-MM-DD-HH-MM/symlink.txt
//! destination-prefix/source-bucket/config-ID/data/example-file-name.csv.gz
//! ```
//!
//! Without a destination prefix the leading segment is absent. A prefix's
//! trailing `/` is not doubled (an assumption: the docs do not say).

use chrono::{DateTime, Utc};

fn base(prefix: Option<&str>, source_bucket: &str, config_id: &str) -> String {
    match prefix
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty())
    {
        Some(p) => format!("{p}/{source_bucket}/{config_id}"),
        None => format!("{source_bucket}/{config_id}"),
    }
}

/// The "folder" of one report's manifest files, without trailing slash:
/// `prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ`.
pub fn manifest_dir(
    prefix: Option<&str>,
    source_bucket: &str,
    config_id: &str,
    timestamp: DateTime<Utc>,
) -> String {
    format!(
        "{}/{}",
        base(prefix, source_bucket, config_id),
        timestamp.format("%Y-%m-%dT%H-%MZ")
    )
}

/// Key of `manifest.json` for a report.
pub fn manifest_json_key(
    prefix: Option<&str>,
    source_bucket: &str,
    config_id: &str,
    timestamp: DateTime<Utc>,
) -> String {
    format!(
        "{}/manifest.json",
        manifest_dir(prefix, source_bucket, config_id, timestamp)
    )
}

/// Key of `manifest.checksum` (MD5 hex of the `manifest.json` bytes).
pub fn manifest_checksum_key(
    prefix: Option<&str>,
    source_bucket: &str,
    config_id: &str,
    timestamp: DateTime<Utc>,
) -> String {
    format!(
        "{}/manifest.checksum",
        manifest_dir(prefix, source_bucket, config_id, timestamp)
    )
}

/// Key of a data file: `prefix/source-bucket/config-ID/data/<file_name>`,
/// where S3's `file_name` is a UUID plus [`crate::FileFormat::extension`].
pub fn data_file_key(
    prefix: Option<&str>,
    source_bucket: &str,
    config_id: &str,
    file_name: &str,
) -> String {
    format!(
        "{}/data/{file_name}",
        base(prefix, source_bucket, config_id)
    )
}

/// Key of the Hive-compatible manifest:
/// `prefix/source-bucket/config-ID/hive/dt=YYYY-MM-DD-HH-MM/symlink.txt`.
pub fn hive_symlink_key(
    prefix: Option<&str>,
    source_bucket: &str,
    config_id: &str,
    timestamp: DateTime<Utc>,
) -> String {
    format!(
        "{}/hive/dt={}/symlink.txt",
        base(prefix, source_bucket, config_id),
        timestamp.format("%Y-%m-%d-%H-%M")
    )
}

/// Content of `symlink.txt`: one `s3://bucket/key` URI per data file and
/// line, the format Hive's `SymlinkTextInputFormat` reads. (The S3 guide
/// names the file but not its content; this is the Hive convention.)
pub fn symlink_txt(destination_bucket_name: &str, data_keys: &[String]) -> String {
    data_keys
        .iter()
        .map(|k| format!("s3://{destination_bucket_name}/{k}\n"))
        .collect()
}

/// The ARN S3 writes as `destinationBucket`: `arn:aws:s3:::name`.
pub fn bucket_arn(bucket_name: &str) -> String {
    format!("arn:aws:s3:::{bucket_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2016-11-06T21:32:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn documented_layout() {
        let p = Some("destination-prefix");
        assert_eq!(
            manifest_json_key(p, "src", "cfg", at()),
            "destination-prefix/src/cfg/2016-11-06T21-32Z/manifest.json"
        );
        assert_eq!(
            manifest_checksum_key(p, "src", "cfg", at()),
            "destination-prefix/src/cfg/2016-11-06T21-32Z/manifest.checksum"
        );
        assert_eq!(
            hive_symlink_key(p, "src", "cfg", at()),
            "destination-prefix/src/cfg/hive/dt=2016-11-06-21-32/symlink.txt"
        );
        assert_eq!(
            data_file_key(p, "src", "cfg", "u.orc"),
            "destination-prefix/src/cfg/data/u.orc"
        );
    }

    #[test]
    fn no_prefix_no_leading_segment() {
        assert_eq!(manifest_dir(None, "s", "c", at()), "s/c/2016-11-06T21-32Z");
        assert_eq!(
            manifest_dir(Some(""), "s", "c", at()),
            "s/c/2016-11-06T21-32Z"
        );
        assert_eq!(data_file_key(Some("inv/"), "s", "c", "f"), "inv/s/c/data/f");
    }

    #[test]
    fn symlink_lists_uris() {
        let keys = vec!["a/data/1.orc".to_owned(), "a/data/2.orc".to_owned()];
        assert_eq!(
            symlink_txt("dest", &keys),
            "s3://dest/a/data/1.orc\ns3://dest/a/data/2.orc\n"
        );
        assert_eq!(bucket_arn("dest"), "arn:aws:s3:::dest");
    }
}

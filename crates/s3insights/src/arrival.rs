//! What an inventory report's notification means: which messages carry a report, whose report it
//! is, whether it is accepted, and the status its bucket moves to.
//!
//! The staging bucket notifies only `manifest.checksum`, which S3 writes after the data files and
//! `manifest.json` (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html>).
//! A message reaches the inventory queue as the S3 event itself (raw SNS delivery) or inside an SNS
//! envelope; S3's test event, sent when the notification is configured, carries no report
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>).
//! Keys in S3 events are URL-encoded, with `+` for a space.
//!
//! A report is accepted only for a bucket of the run that still waits (`in_progress`): the same
//! manifest again is a duplicate, a manifest that was refused before is refused again (so the
//! message, retried, ends in the dead-letter queue), and anything else arrived too late or twice.

use serde_json::Value;

use crate::names::Deployment;
use crate::state::{bucket_sk, BucketChange, BucketRecord};
use crate::BucketStatus;

/// The only status a report moves a bucket from: a bucket that no longer waits keeps its status.
pub const WAITING: [BucketStatus; 1] = [BucketStatus::InProgress];

/// One `manifest.checksum` arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArrival {
    /// Staging bucket.
    pub staging_bucket: String,
    /// Its region.
    pub region: String,
    /// The key of `manifest.checksum`, decoded.
    pub checksum_key: String,
}

/// A message that is not an S3 notification at all (kept, in the dead-letter queue, for a person).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableMessage(pub String);

/// Decodes an S3 event key (URL-encoded, `+` for space); an escape that is not two hex digits is
/// kept as it is.
pub fn decode_event_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What an inventory queue message carries: S3's notification of report arrivals, or a data file
/// task the processor sent itself ([`crate::data_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryMessage {
    /// Report arrivals (none for S3's test event or other objects).
    Reports(Vec<ReportArrival>),
    /// One data file of an accepted report to consolidate.
    DataFile(Box<crate::data_file::DataFileTask>),
}

/// Reads an inventory queue message: a data file task (`{"data_file": ...}`) or S3's
/// notification ([`arrivals`]).
pub fn message(body: &str) -> Result<InventoryMessage, UnreadableMessage> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| UnreadableMessage(format!("not JSON: {e}")))?;
    if value.get("data_file").is_some() {
        let task: crate::data_file::DataFileMessage = serde_json::from_value(value)
            .map_err(|e| UnreadableMessage(format!("data file task: {e}")))?;
        return Ok(InventoryMessage::DataFile(Box::new(task.data_file)));
    }
    arrivals(body).map(InventoryMessage::Reports)
}

/// The report arrivals an SQS message body carries: an S3 event (raw SNS delivery), an SNS envelope
/// around one, or an S3 test event (none). Records of other objects or events are not arrivals.
pub fn arrivals(body: &str) -> Result<Vec<ReportArrival>, UnreadableMessage> {
    let unreadable = |reason: String| UnreadableMessage(reason);
    let value: Value =
        serde_json::from_str(body).map_err(|e| unreadable(format!("not JSON: {e}")))?;
    let value = match value.get("Message").and_then(Value::as_str) {
        Some(inner) if value.get("Type").is_some() => serde_json::from_str(inner)
            .map_err(|e| unreadable(format!("SNS message is not JSON: {e}")))?,
        _ => value,
    };
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    let records = value
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| unreadable("neither an S3 event nor an S3 test event".to_string()))?;
    let mut out = Vec::new();
    for record in records {
        let name = record["eventName"].as_str().unwrap_or_default();
        let key = decode_event_key(record["s3"]["object"]["key"].as_str().unwrap_or_default());
        if name.starts_with("ObjectCreated:") && key.ends_with("/manifest.checksum") {
            out.push(ReportArrival {
                staging_bucket: record["s3"]["bucket"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                region: record["awsRegion"].as_str().unwrap_or_default().to_string(),
                checksum_key: key,
            });
        }
    }
    Ok(out)
}

/// The parts of `<account>/<region>/<bucket>/<configuration id>/<timestamp>/manifest.checksum`: the
/// configuration's destination prefix is `<account>/<region>`, the rest is S3's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    /// Source account.
    pub account: String,
    /// Source region.
    pub region: String,
    /// Source bucket.
    pub bucket: String,
    /// The inventory configuration id.
    pub configuration_id: String,
    /// The report's folder (everything before `manifest.checksum`).
    pub dir: String,
}

impl ReportKey {
    /// The parts of a `manifest.checksum` key, or `None` for any other shape.
    pub fn parse(key: &str) -> Option<Self> {
        let parts: Vec<&str> = key.split('/').collect();
        if parts.len() != 6 || parts[5] != "manifest.checksum" {
            return None;
        }
        Some(Self {
            account: parts[0].to_string(),
            region: parts[1].to_string(),
            bucket: parts[2].to_string(),
            configuration_id: parts[3].to_string(),
            dir: parts[..5].join("/"),
        })
    }

    /// The report's `manifest.json`.
    pub fn manifest_key(&self) -> String {
        format!("{}/manifest.json", self.dir)
    }
}

/// A report of one of this deployment's runs, at the layout its configuration asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedReport {
    /// The run whose staging bucket received it.
    pub run_id: String,
    /// Its key's parts.
    pub key: ReportKey,
    /// Its `manifest.json`.
    pub manifest_key: String,
    /// The sort key of its source bucket's record.
    pub bucket_sk: String,
}

/// Whose report `arrival` is: `Err` with the reason when it is not ours to act on (another
/// deployment's bucket, another layout, another run's configuration).
pub fn accept(deployment: &Deployment, arrival: &ReportArrival) -> Result<AcceptedReport, String> {
    let Some(run_id) = deployment.run_of_staging_bucket(&arrival.staging_bucket, &arrival.region)
    else {
        return Err(format!(
            "{} is not a staging bucket of this deployment",
            arrival.staging_bucket
        ));
    };
    let Some(key) = ReportKey::parse(&arrival.checksum_key) else {
        return Err(format!(
            "{} is not at account/region/bucket/configuration/timestamp/manifest.checksum",
            arrival.checksum_key
        ));
    };
    if key.configuration_id != deployment.configuration_id(&run_id) {
        return Err(format!(
            "configuration {} is not run {run_id}'s",
            key.configuration_id
        ));
    }
    Ok(AcceptedReport {
        bucket_sk: bucket_sk(&key.account, &key.region, &key.bucket),
        manifest_key: key.manifest_key(),
        run_id,
        key,
    })
}

/// What to do with an accepted report, given its bucket's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The bucket waits for it (and for no other report): check its manifest and send its data
    /// files' tasks (again, if the message is a retry).
    Consolidate,
    /// The same manifest was consolidated before.
    Duplicate,
    /// The same manifest was refused before, for this reason: refuse it again.
    StillInvalid(String),
    /// Not ours to act on, for this reason.
    Ignore(String),
}

impl AcceptedReport {
    /// What to do with the report, given its bucket's record (`None`: not in the run).
    pub fn verdict(&self, record: Option<&BucketRecord>) -> Verdict {
        let Some(record) = record else {
            return Verdict::Ignore(format!(
                "bucket {} is not part of run {}",
                self.key.bucket, self.run_id
            ));
        };
        let same_manifest = record.manifest_key.as_deref() == Some(self.manifest_key.as_str());
        match record.status {
            BucketStatus::InProgress if same_manifest || record.manifest_key.is_none() => {
                Verdict::Consolidate
            }
            BucketStatus::InProgress => Verdict::Ignore(format!(
                "bucket {} is consolidating report {}; report {} waits for the next run",
                self.key.bucket,
                record.manifest_key.as_deref().unwrap_or_default(),
                self.manifest_key
            )),
            BucketStatus::Done if same_manifest => Verdict::Duplicate,
            BucketStatus::ReportInvalid if same_manifest => {
                Verdict::StillInvalid(record.reason.clone().unwrap_or_default())
            }
            other => Verdict::Ignore(format!(
                "bucket {} is {other}; report {} arrived too late or twice",
                self.key.bucket, self.manifest_key
            )),
        }
    }

    /// The bucket's change when the report cannot be consolidated: `report_invalid`, with why.
    pub fn invalid<'a>(&'a self, reason: &'a str) -> BucketChange<'a> {
        let mut change = BucketChange::to(BucketStatus::ReportInvalid).because(reason);
        change.manifest_key = Some(&self.manifest_key);
        change.configured = Some(true);
        change
    }
}

/// What became of one report or data file task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The report's manifest was checked and a task sent for each of its data files.
    Planned {
        /// Source bucket.
        bucket: String,
        /// Data files.
        files: u64,
    },
    /// One data file was consolidated; others are still to come.
    FileConsolidated {
        /// Source bucket.
        bucket: String,
        /// The file's position in the manifest.
        index: u64,
        /// Rows it held.
        rows: u64,
    },
    /// The last data file is in: the bucket is `done` with every file's figures.
    Consolidated {
        /// Source bucket.
        bucket: String,
        /// Rows consolidated.
        rows: u64,
    },
    /// The same manifest was consolidated before.
    Duplicate,
    /// Not ours to act on; the reason is logged.
    Ignored(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKSUM: &str =
        "111111111111/eu-west-1/photos-2019/s3insights-s3insights-r1/2026-11-26T00-00Z/manifest.checksum";

    fn deployment() -> Deployment {
        Deployment::new("s3insights", "000000000000")
    }

    fn arrival(staging_bucket: &str, checksum_key: &str) -> ReportArrival {
        ReportArrival {
            staging_bucket: staging_bucket.into(),
            region: "eu-west-1".into(),
            checksum_key: checksum_key.into(),
        }
    }

    fn record(status: BucketStatus, manifest_key: Option<&str>) -> BucketRecord {
        BucketRecord {
            pk: "run#r1".into(),
            sk: bucket_sk("111111111111", "eu-west-1", "photos-2019"),
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            bucket: "photos-2019".into(),
            status,
            reason: Some("MD5 differs".into()),
            in_progress_run: None,
            figures: None,
            manifest_key: manifest_key.map(str::to_string),
            files: 0,
            files_done: 0,
            configured: true,
            updated_at: "2026-11-26T00:00:00Z".into(),
        }
    }

    #[test]
    fn event_keys_are_decoded_like_s3_encodes_them() {
        assert_eq!(
            decode_event_key("a/b+c/%3Cscript%3E.txt"),
            "a/b c/<script>.txt"
        );
        assert_eq!(decode_event_key("100%25"), "100%");
        assert_eq!(decode_event_key("bad%zz"), "bad%zz");
        assert_eq!(decode_event_key("end%4"), "end%4");
    }

    #[test]
    fn only_checksum_arrivals_matter() {
        let fixture = include_str!("../fixtures/s3-event-manifest-checksum.json");
        let found = arrivals(fixture).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].region, "eu-west-1");
        assert_eq!(found[0].checksum_key, CHECKSUM);
        assert!(
            arrivals(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#)
                .unwrap()
                .is_empty()
        );
        assert!(arrivals("[]").is_err());
        assert!(arrivals("not json").is_err());
        let data_file = fixture.replace("manifest.checksum", "data/x.parquet");
        assert!(arrivals(&data_file).unwrap().is_empty());
        let removed = fixture.replace("ObjectCreated:Put", "ObjectRemoved:Delete");
        assert!(arrivals(&removed).unwrap().is_empty());
    }

    #[test]
    fn sns_envelopes_are_opened() {
        let fixture = include_str!("../fixtures/s3-event-manifest-checksum.json");
        let envelope = serde_json::json!({"Type": "Notification", "Message": fixture}).to_string();
        assert_eq!(arrivals(&envelope).unwrap(), arrivals(fixture).unwrap());
        let test_event = serde_json::json!({
            "Type": "Notification",
            "Message": r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#,
        });
        assert!(arrivals(&test_event.to_string()).unwrap().is_empty());
        let broken = serde_json::json!({"Type": "Notification", "Message": "{"}).to_string();
        assert!(arrivals(&broken)
            .unwrap_err()
            .0
            .starts_with("SNS message is not JSON"));
    }

    #[test]
    fn report_keys_name_account_region_bucket_and_configuration() {
        let key = ReportKey::parse(
            "111111111111/us-east-1/photos/s3insights-x-r1/2026-11-26T00-00Z/manifest.checksum",
        )
        .unwrap();
        assert_eq!(
            (
                key.account.as_str(),
                key.region.as_str(),
                key.bucket.as_str()
            ),
            ("111111111111", "us-east-1", "photos")
        );
        assert_eq!(key.configuration_id, "s3insights-x-r1");
        assert_eq!(
            key.manifest_key(),
            "111111111111/us-east-1/photos/s3insights-x-r1/2026-11-26T00-00Z/manifest.json"
        );
        assert!(ReportKey::parse("a/b/manifest.checksum").is_none());
        assert!(ReportKey::parse("a/b/c/d/e/manifest.json").is_none());
    }

    #[test]
    fn only_this_deployments_runs_are_accepted() {
        let d = deployment();
        let staging = d.staging_bucket("r1", "eu-west-1");
        let accepted = accept(&d, &arrival(&staging, CHECKSUM)).unwrap();
        assert_eq!(accepted.run_id, "r1");
        assert_eq!(
            accepted.bucket_sk,
            "bucket#111111111111#eu-west-1#photos-2019"
        );
        assert!(accepted.manifest_key.ends_with("/manifest.json"));
        let not_staging = accept(&d, &arrival("someone-else", CHECKSUM)).unwrap_err();
        assert!(
            not_staging.contains("is not a staging bucket"),
            "{not_staging}"
        );
        let layout = accept(&d, &arrival(&staging, "x/manifest.checksum")).unwrap_err();
        assert!(layout.contains("is not at account/region"), "{layout}");
        let other_run = CHECKSUM.replace("s3insights-s3insights-r1", "s3insights-s3insights-r2");
        let other = accept(&d, &arrival(&staging, &other_run)).unwrap_err();
        assert_eq!(
            other,
            "configuration s3insights-s3insights-r2 is not run r1's"
        );
    }

    #[test]
    fn a_report_is_consolidated_once_and_only_for_a_waiting_bucket() {
        let d = deployment();
        let accepted =
            accept(&d, &arrival(&d.staging_bucket("r1", "eu-west-1"), CHECKSUM)).unwrap();
        let manifest = Some(accepted.manifest_key.as_str());
        assert_eq!(
            accepted.verdict(Some(&record(BucketStatus::InProgress, None))),
            Verdict::Consolidate
        );
        // A retried message re-sends the tasks of the report being consolidated...
        assert_eq!(
            accepted.verdict(Some(&record(BucketStatus::InProgress, manifest))),
            Verdict::Consolidate
        );
        // ...but a second report does not interrupt it.
        match accepted.verdict(Some(&record(
            BucketStatus::InProgress,
            Some("other/manifest.json"),
        ))) {
            Verdict::Ignore(reason) => {
                assert!(
                    reason.contains("is consolidating report other/manifest.json"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            accepted.verdict(Some(&record(BucketStatus::Done, manifest))),
            Verdict::Duplicate
        );
        assert_eq!(
            accepted.verdict(Some(&record(BucketStatus::ReportInvalid, manifest))),
            Verdict::StillInvalid("MD5 differs".into())
        );
        match accepted.verdict(Some(&record(
            BucketStatus::Done,
            Some("other/manifest.json"),
        ))) {
            Verdict::Ignore(reason) => assert!(reason.contains("is done"), "{reason}"),
            other => panic!("{other:?}"),
        }
        match accepted.verdict(Some(&record(BucketStatus::TimedOut, manifest))) {
            Verdict::Ignore(reason) => assert!(reason.contains("arrived too late"), "{reason}"),
            other => panic!("{other:?}"),
        }
        match accepted.verdict(None) {
            Verdict::Ignore(reason) => {
                assert_eq!(reason, "bucket photos-2019 is not part of run r1")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn data_file_tasks_and_s3_notifications_share_the_queue() {
        let fixture = include_str!("../fixtures/s3-event-manifest-checksum.json");
        assert!(matches!(message(fixture).unwrap(), InventoryMessage::Reports(r) if r.len() == 1));
        let bad = message(r#"{"data_file": {"run_id": "r1"}}"#).unwrap_err();
        assert!(
            bad.0.starts_with("data file task: missing field"),
            "{}",
            bad.0
        );
        assert!(message("[]").is_err());
    }

    #[test]
    fn a_refused_report_moves_the_bucket_to_report_invalid_with_its_manifest() {
        let d = deployment();
        let accepted =
            accept(&d, &arrival(&d.staging_bucket("r1", "eu-west-1"), CHECKSUM)).unwrap();
        let invalid = accepted.invalid("MD5 differs");
        assert_eq!(invalid.to, BucketStatus::ReportInvalid);
        assert_eq!(invalid.reason, Some("MD5 differs"));
        assert_eq!(invalid.figures, None);
        assert_eq!(invalid.manifest_key, Some(accepted.manifest_key.as_str()));
        assert_eq!(WAITING, [BucketStatus::InProgress]);
    }
}

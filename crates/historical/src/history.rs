//! The history table: every Durable revision as one row, for SQL (Athena over Parquet in S3,
//! partitioned by technology and day; `template.yaml`'s `HistoryTable`).
//!
//! A revision's row is written once, under a key derived from the revision's identity (its ARN and
//! `eventTime`), so a retried write replaces it and never adds a second row.

use serde_json::Value;

use crate::tech::Technology;

/// The history table's data columns, in order, with their Athena (Glue) types. `template.yaml`'s
/// `HistoryTable` declares exactly these (a test compares them); `tech` and `day` are its partition
/// keys, columns of the table taken from the object's folders, not stored in the file (Athena
/// refuses a partition key named like a data column).
pub const COLUMNS: [(&str, &str); 10] = [
    ("arn", "string"),
    ("event_time", "timestamp"),
    ("account_id", "string"),
    ("region", "string"),
    ("change_kind", "string"),
    ("event_name", "string"),
    ("principal", "string"),
    ("source_ip", "string"),
    ("configuration", "string"),
    ("patch", "string"),
];

/// The history table's partition keys (both strings): the technology, and the revision's UTC day
/// (`YYYY-MM-DD`).
pub const PARTITION_KEYS: [&str; 2] = ["tech", "day"];

/// Where the table's objects live under its bucket.
pub const PREFIX: &str = "history/";

/// One revision as a row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The resource.
    pub arn: String,
    /// The revision's `eventTime`, milliseconds since the epoch (whole seconds, as stored).
    pub event_time_millis: i64,
    /// The technology.
    pub tech: Technology,
    /// `accountId`.
    pub account_id: String,
    /// `Region`.
    pub region: String,
    /// The change's kind (`created`, `updated`, `deleted`).
    pub change_kind: String,
    /// The CloudTrail event (or poll) that made the revision.
    pub event_name: String,
    /// Who made the change: [`principal`].
    pub principal: Option<String>,
    /// The caller's IP address (`sourceIpAddress`), when CloudTrail gave one.
    pub source_ip: Option<String>,
    /// The configuration, as JSON (`{}` for a deletion).
    pub configuration: String,
    /// The change's RFC 6902 patch, as JSON (`[]` when omitted for size; `change_kind` still says).
    pub patch: String,
    /// The partition day, `YYYY-MM-DD`.
    pub day: String,
}

/// Who made a change: the caller's ARN, else its principal id, else what invoked it on its behalf
/// (an AWS service); `None` for a poll, which has no caller.
pub fn principal(item: &Value) -> Option<String> {
    let identity = &item["userIdentity"];
    [
        &identity["arn"],
        &item["principalId"],
        &identity["principalId"],
        &identity["invokedBy"],
    ]
    .into_iter()
    .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
    .map(str::to_owned)
}

/// Why a stored item makes no row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a Durable revision without {0}")]
pub struct MissingField(pub &'static str);

/// The row of a Durable revision of `tech` (its configuration resolved: not an S3 pointer).
pub fn row(tech: Technology, item: &Value) -> Result<HistoryRow, MissingField> {
    let text = |name: &'static str| {
        item.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(MissingField(name))
    };
    let event_time = text("eventTime")?;
    let parsed = chrono::DateTime::parse_from_rfc3339(&event_time)
        .map_err(|_| MissingField("a valid eventTime"))?;
    let change = &item["change"];
    Ok(HistoryRow {
        arn: text("arn")?,
        event_time_millis: parsed.timestamp_millis(),
        tech,
        account_id: text("accountId").unwrap_or_default(),
        region: text("Region").unwrap_or_default(),
        change_kind: change["kind"].as_str().unwrap_or_default().to_owned(),
        event_name: text("eventName").unwrap_or_default(),
        principal: principal(item),
        source_ip: text("sourceIpAddress").ok().filter(|s| !s.is_empty()),
        configuration: item
            .get("configuration")
            .cloned()
            .unwrap_or(Value::Object(Default::default()))
            .to_string(),
        patch: change
            .get("patch")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()))
            .to_string(),
        day: parsed.format("%Y-%m-%d").to_string(),
    })
}

/// The object key of a row: its partition's folders, then a name of its own derived from the ARN and
/// the time (FNV-1a of the ARN, so any ARN makes a short, safe name), so a rewrite replaces it.
pub fn object_key(row: &HistoryRow) -> String {
    let hash = row.arn.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{PREFIX}tech={}/day={}/{hash:016x}-{}.parquet",
        row.tech, row.day, row.event_time_millis
    )
}

/// The folder of one technology's day: `history/tech=<tech>/day=<day>/`.
pub fn day_prefix(tech: Technology, day: &str) -> String {
    format!("{PREFIX}tech={tech}/day={day}/")
}

/// The name of a day's compacted file, written at `now_millis`: never one a row has (rows end in
/// `-<event time>.parquet` after a hash), so compaction never replaces a row's file with itself.
pub fn compacted_key(tech: Technology, day: &str, now_millis: i64) -> String {
    format!("{}compacted-{now_millis}.parquet", day_prefix(tech, day))
}

/// What a compaction run does: the days (`YYYY-MM-DD`) and technologies to compact. The schedule's
/// event compacts the [`RECOMPACTED_DAYS`] days before today (UTC) of every technology, so a night
/// that failed, or a revision written late, is merged on a later night; a manual invocation names
/// its own: `{"days": ["2026-12-01"], "technologies": ["s3"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionRequest {
    /// The days to compact; `None`: yesterday.
    pub days: Option<Vec<String>>,
    /// The technologies; `None`: all.
    pub technologies: Option<Vec<Technology>>,
}

/// How many days before today a scheduled compaction looks at.
pub const RECOMPACTED_DAYS: i64 = 7;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualCompaction {
    #[serde(default)]
    days: Option<Vec<String>>,
    #[serde(default)]
    technologies: Option<Vec<Technology>>,
}

impl<'de> serde::Deserialize<'de> for CompactionRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let object = serde_json::Map::<String, Value>::deserialize(d)?;
        let Some(manual) = crate::event::scheduled_or_manual::<ManualCompaction>(object)
            .map_err(D::Error::custom)?
        else {
            return Ok(Self::default());
        };
        for day in manual.days.iter().flatten() {
            if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() || day.len() != 10 {
                return Err(D::Error::custom(format!(
                    "days: {day:?} is not a day as YYYY-MM-DD"
                )));
            }
        }
        Ok(Self {
            days: manual.days,
            technologies: manual.technologies,
        })
    }
}

impl CompactionRequest {
    /// The days to compact at `now`: those named, else the [`RECOMPACTED_DAYS`] days before `now`
    /// (UTC), the most recent first. A day already in one file costs one listing.
    pub fn days(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
        self.days.clone().unwrap_or_else(|| {
            (1..=RECOMPACTED_DAYS)
                .map(|back| {
                    (now - chrono::Duration::days(back))
                        .format("%Y-%m-%d")
                        .to_string()
                })
                .collect()
        })
    }

    /// The technologies to compact.
    pub fn technologies(&self) -> Vec<Technology> {
        self.technologies
            .clone()
            .unwrap_or_else(|| Technology::ALL.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn revision() -> Value {
        json!({
            "arn": "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-1",
            "eventTime": "2026-12-01T09:30:00Z",
            "accountId": "111111111111",
            "Region": "eu-west-1",
            "eventName": "AuthorizeSecurityGroupIngress",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/ana"},
            "sourceIpAddress": "198.51.100.7",
            "configuration": {"IpPermissions": [{"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
            "change": {"kind": "updated", "patch": [{"op": "add", "path": "/configuration/IpPermissions/0", "value": {}}]},
        })
    }

    #[test]
    fn a_revision_becomes_a_row_with_who_and_from_where() {
        let row = row(Technology::SecurityGroup, &revision()).expect("a row");
        assert_eq!(row.event_time_millis, 1_796_117_400_000);
        assert_eq!(row.day, "2026-12-01");
        assert_eq!(row.change_kind, "updated");
        assert_eq!(
            row.principal.as_deref(),
            Some("arn:aws:iam::111111111111:user/ana")
        );
        assert_eq!(row.source_ip.as_deref(), Some("198.51.100.7"));
        let configuration: Value = serde_json::from_str(&row.configuration).unwrap();
        assert_eq!(
            configuration["IpPermissions"][0]["IpRanges"][0]["CidrIp"],
            "0.0.0.0/0"
        );
        let patch: Value = serde_json::from_str(&row.patch).unwrap();
        assert_eq!(patch[0]["op"], "add");
    }

    #[test]
    fn a_poll_has_no_principal_and_a_deletion_an_empty_configuration() {
        let mut item = revision();
        item.as_object_mut().unwrap().remove("userIdentity");
        item["sourceIpAddress"] = json!("");
        item["configuration"] = json!({});
        let row = row(Technology::SecurityGroup, &item).expect("a row");
        assert_eq!(row.principal, None);
        assert_eq!(row.source_ip, None);
        assert_eq!(row.configuration, "{}");
    }

    #[test]
    fn a_row_lands_in_its_partition_under_a_name_of_its_own() {
        let row = row(Technology::SecurityGroup, &revision()).expect("a row");
        let key = object_key(&row);
        assert!(
            key.starts_with("history/tech=securitygroup/day=2026-12-01/"),
            "{key}"
        );
        assert!(key.ends_with("-1796117400000.parquet"), "{key}");
        assert_eq!(
            key,
            object_key(&row.clone()),
            "the same revision, the same key"
        );
        let mut other = row.clone();
        other.arn.push('2');
        assert_ne!(object_key(&other), key);
    }

    #[test]
    fn compaction_reads_the_schedule_as_yesterday_and_refuses_bad_days() {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 1, 30, 0).unwrap();
        let scheduled: CompactionRequest = serde_json::from_value(json!({
            "version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}
        }))
        .unwrap();
        let days = scheduled.days(now);
        assert_eq!(days.len(), 7);
        assert_eq!(days[0], "2026-12-06");
        assert_eq!(days[6], "2026-11-30");
        assert_eq!(scheduled.technologies(), Technology::ALL.to_vec());
        let manual: CompactionRequest =
            serde_json::from_value(json!({"days": ["2026-12-01"], "technologies": ["s3"]}))
                .unwrap();
        assert_eq!(manual.days(now), ["2026-12-01"]);
        assert_eq!(manual.technologies(), [Technology::S3]);
        for bad in [
            json!({"days": ["2026-13-01"]}),
            json!({"days": ["2026-12-1"]}),
            json!({"day": ["2026-12-01"]}),
            json!({"source": "aws.s3", "detail-type": "Object Created"}),
        ] {
            assert!(
                serde_json::from_value::<CompactionRequest>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            compacted_key(Technology::S3, "2026-12-06", 5),
            "history/tech=s3/day=2026-12-06/compacted-5.parquet"
        );
    }

    #[test]
    fn a_revision_without_its_keys_makes_no_row() {
        let mut item = revision();
        item.as_object_mut().unwrap().remove("arn");
        assert_eq!(row(Technology::S3, &item), Err(MissingField("arn")));
    }
}

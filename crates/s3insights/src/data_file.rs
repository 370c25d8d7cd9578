//! One data file of a report as one unit of work, and a bucket completed once all of its files are
//! in.
//!
//! A report of a large bucket has many data files (S3 splits them; each can hold millions of rows).
//! The processor therefore does not consolidate a report in one invocation: it checks the manifest,
//! records on the bucket how many files the report has, and sends itself one [`DataFileTask`] per
//! file through the inventory queue. Each task is consolidated on its own, in parallel with the
//! others, and retried alone when it fails. A consolidated file is recorded once
//! ([`DataFileRecord`], keyed by its index) together with the bucket's count of files in; the task
//! that brings the count to the number of files merges every file's figures and moves the bucket to
//! `done`, through the same conditional update as every other bucket decision, so a duplicate or
//! late task changes nothing.

use serde::{Deserialize, Serialize};

use crate::arrival::AcceptedReport;
use crate::state::{BucketChange, BucketRecord};
use crate::{BucketFigures, BucketStatus};
use inventory_format::{FileFormat, ManifestFile};

/// One data file of an accepted report, to consolidate: everything needed without reading the
/// manifest again (a manifest of thousands of files is read once, not once per file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFileTask {
    /// The run.
    pub run_id: String,
    /// Source account.
    pub account: String,
    /// Source region.
    pub region: String,
    /// Source bucket.
    pub bucket: String,
    /// The run's inventory configuration id on the bucket.
    pub configuration_id: String,
    /// The report's `manifest.json` (the bucket's `manifest_key`).
    pub manifest_key: String,
    /// The staging bucket holding the report.
    pub staging_bucket: String,
    /// Its region.
    pub staging_region: String,
    /// The manifest's `fileFormat`.
    pub file_format: FileFormat,
    /// The manifest's `fileSchema`.
    pub file_schema: String,
    /// The file's position in the manifest, from 0.
    pub index: u64,
    /// How many data files the report has.
    pub files: u64,
    /// The file as the manifest lists it (key, size, MD5).
    pub file: ManifestFile,
}

/// The message body of a task on the inventory queue: `{"data_file": {...}}`, told apart from S3's
/// notifications by its one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFileMessage {
    /// The task.
    pub data_file: DataFileTask,
}

impl AcceptedReport {
    /// One task per data file of the report's manifest, in the manifest's order.
    pub fn tasks(
        &self,
        staging_bucket: &str,
        file_format: FileFormat,
        file_schema: &str,
        files: &[ManifestFile],
    ) -> Vec<DataFileTask> {
        let total = files.len() as u64;
        files
            .iter()
            .enumerate()
            .map(|(index, file)| DataFileTask {
                run_id: self.run_id.clone(),
                account: self.key.account.clone(),
                region: self.key.region.clone(),
                bucket: self.key.bucket.clone(),
                configuration_id: self.key.configuration_id.clone(),
                manifest_key: self.manifest_key.clone(),
                staging_bucket: staging_bucket.to_string(),
                staging_region: self.key.region.clone(),
                file_format,
                file_schema: file_schema.to_string(),
                index: index as u64,
                files: total,
                file: file.clone(),
            })
            .collect()
    }
}

/// What to do with a data file task, given its bucket's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileVerdict {
    /// The bucket waits for this report: consolidate the file.
    Consolidate,
    /// The report was completed before: nothing to do.
    Duplicate,
    /// This file made the report invalid before, for this reason: refuse it again (so its message,
    /// retried, rests in the dead-letter queue).
    StillInvalid(String),
    /// Not to act on, for this reason (the bucket no longer waits, or waits for another report).
    Ignore(String),
}

impl DataFileTask {
    /// The sort key of its bucket's record.
    pub fn bucket_sk(&self) -> String {
        crate::state::bucket_sk(&self.account, &self.region, &self.bucket)
    }

    /// The sort key of its record once consolidated.
    pub fn record_sk(&self) -> String {
        data_file_sk(&self.account, &self.region, &self.bucket, self.index)
    }

    /// What to do with the task, given its bucket's record (`None`: not in the run).
    pub fn verdict(&self, record: Option<&BucketRecord>) -> FileVerdict {
        let Some(record) = record else {
            return FileVerdict::Ignore(format!(
                "bucket {} is not part of run {}",
                self.bucket, self.run_id
            ));
        };
        let same_manifest = record.manifest_key.as_deref() == Some(self.manifest_key.as_str());
        match record.status {
            BucketStatus::InProgress if same_manifest => FileVerdict::Consolidate,
            BucketStatus::Done if same_manifest => FileVerdict::Duplicate,
            BucketStatus::ReportInvalid
                if same_manifest
                    && record
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.contains(&self.file.key)) =>
            {
                FileVerdict::StillInvalid(record.reason.clone().unwrap_or_default())
            }
            BucketStatus::InProgress => FileVerdict::Ignore(format!(
                "bucket {} waits for report {}, not {}",
                self.bucket,
                record.manifest_key.as_deref().unwrap_or("(none yet)"),
                self.manifest_key
            )),
            other => FileVerdict::Ignore(format!(
                "bucket {} is {other}{}; data file {} of {} is not needed",
                self.bucket,
                record
                    .reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                self.index + 1,
                self.files
            )),
        }
    }

    /// Why the file makes its report invalid, naming the file (how [`DataFileTask::verdict`] knows
    /// the file again).
    pub fn refusal(&self, reason: &str) -> String {
        if reason.contains(&self.file.key) {
            reason.to_string()
        } else {
            format!("data file {}: {reason}", self.file.key)
        }
    }

    /// Its record once consolidated into `output_key`, measured as `figures`.
    pub fn consolidated(
        &self,
        output_key: &str,
        figures: BucketFigures,
        at: String,
    ) -> DataFileRecord {
        DataFileRecord {
            pk: crate::state::run_pk(&self.run_id),
            sk: self.record_sk(),
            manifest_key: self.manifest_key.clone(),
            index: self.index,
            key: self.file.key.clone(),
            output_key: output_key.to_string(),
            figures,
            updated_at: at,
        }
    }
}

/// Sort key of a consolidated data file: `file#<account>#<region>#<bucket>#<index, 6 digits>`.
pub fn data_file_sk(account: &str, region: &str, bucket: &str, index: u64) -> String {
    format!("{}{index:06}", data_file_sk_prefix(account, region, bucket))
}

/// Sort key prefix of a bucket's consolidated data files.
pub fn data_file_sk_prefix(account: &str, region: &str, bucket: &str) -> String {
    format!("file#{account}#{region}#{bucket}#")
}

/// A consolidated data file of a bucket's report, recorded once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFileRecord {
    /// `run#<run_id>`.
    pub pk: String,
    /// [`data_file_sk`].
    pub sk: String,
    /// The report it belongs to.
    pub manifest_key: String,
    /// Its position in the manifest.
    pub index: u64,
    /// The data file's key in the staging bucket.
    pub key: String,
    /// Where its normalised Parquet was written in the consolidated bucket.
    pub output_key: String,
    /// Its figures.
    pub figures: BucketFigures,
    /// When it was recorded (RFC 3339).
    pub updated_at: String,
}

/// A bucket's report once every one of its data files is in: the merged figures, or why the
/// records do not add up to the report (a record missing or of another report: wait, do not
/// complete).
pub fn completed(
    manifest_key: &str,
    files: u64,
    records: &[DataFileRecord],
) -> Result<BucketFigures, String> {
    let mut seen = vec![false; files as usize];
    for record in records {
        if record.manifest_key != manifest_key {
            return Err(format!(
                "data file record {} belongs to report {}, not {manifest_key}",
                record.sk, record.manifest_key
            ));
        }
        match seen.get_mut(record.index as usize) {
            Some(slot) => *slot = true,
            None => {
                return Err(format!(
                    "data file record {} is beyond the report's {files} files",
                    record.sk
                ))
            }
        }
    }
    match seen.iter().position(|in_| !in_) {
        Some(missing) => Err(format!(
            "data file {} of {files} is not in yet",
            missing + 1
        )),
        None => Ok(BucketFigures::merged(records.iter().map(|r| &r.figures))),
    }
}

/// The bucket's change once every data file of `manifest_key` is in: `done`, with the merged
/// figures and the number of files.
pub fn done<'a>(manifest_key: &'a str, figures: &'a BucketFigures, files: u64) -> BucketChange<'a> {
    let mut change = BucketChange::to(BucketStatus::Done);
    change.figures = Some(figures);
    change.manifest_key = Some(manifest_key);
    change.files = Some(files);
    change.configured = Some(true);
    change
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrival::{accept, ReportArrival};
    use crate::names::Deployment;
    use crate::state::bucket_sk;

    const CHECKSUM: &str =
        "111111111111/eu-west-1/photos/s3insights-s3insights-r1/2026-11-26T00-00Z/manifest.checksum";

    fn task(index: u64, files: u64) -> DataFileTask {
        let d = Deployment::new("s3insights", "000000000000");
        let staging = d.staging_bucket("r1", "eu-west-1");
        let arrival = ReportArrival {
            staging_bucket: staging.clone(),
            region: "eu-west-1".into(),
            checksum_key: CHECKSUM.into(),
        };
        let accepted = accept(&d, &arrival).unwrap();
        let listed: Vec<ManifestFile> = (0..files)
            .map(|i| ManifestFile {
                key: format!("data/{i}.parquet"),
                size: 10 + i,
                md5_checksum: format!("{i:032x}"),
            })
            .collect();
        let tasks = accepted.tasks(&staging, FileFormat::Parquet, "message s3 { }", &listed);
        assert_eq!(tasks.len() as u64, files);
        tasks[index as usize].clone()
    }

    fn record(status: BucketStatus, manifest_key: Option<&str>) -> BucketRecord {
        BucketRecord {
            pk: "run#r1".into(),
            sk: bucket_sk("111111111111", "eu-west-1", "photos"),
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            bucket: "photos".into(),
            status,
            reason: Some("MD5 differs".into()),
            in_progress_run: None,
            figures: None,
            manifest_key: manifest_key.map(str::to_string),
            files: 3,
            files_done: 0,
            configured: true,
            updated_at: "2026-11-26T00:00:00Z".into(),
        }
    }

    fn figures(rows: u64) -> BucketFigures {
        BucketFigures {
            rows,
            objects: rows,
            ..BucketFigures::default()
        }
    }

    #[test]
    fn tasks_carry_what_consolidating_a_file_needs_and_travel_as_one_field() {
        let t = task(1, 3);
        assert_eq!((t.index, t.files), (1, 3));
        assert_eq!(t.file.key, "data/1.parquet");
        assert_eq!(t.configuration_id, "s3insights-s3insights-r1");
        assert!(t.manifest_key.ends_with("2026-11-26T00-00Z/manifest.json"));
        assert_eq!(t.bucket_sk(), "bucket#111111111111#eu-west-1#photos");
        assert_eq!(t.record_sk(), "file#111111111111#eu-west-1#photos#000001");
        let body = serde_json::to_string(&DataFileMessage {
            data_file: t.clone(),
        })
        .unwrap();
        assert!(body.starts_with(r#"{"data_file":{"#), "{body}");
        let back: DataFileMessage = serde_json::from_str(&body).unwrap();
        assert_eq!(back.data_file, t);
    }

    #[test]
    fn a_file_is_consolidated_only_while_its_report_is_awaited() {
        let t = task(0, 3);
        let mine = Some(t.manifest_key.as_str());
        assert_eq!(
            t.verdict(Some(&record(BucketStatus::InProgress, mine))),
            FileVerdict::Consolidate
        );
        assert_eq!(
            t.verdict(Some(&record(BucketStatus::Done, mine))),
            FileVerdict::Duplicate
        );
        let verdict = |status, manifest| match t.verdict(Some(&record(status, manifest))) {
            FileVerdict::Ignore(reason) => reason,
            other => panic!("{other:?}"),
        };
        let invalid = verdict(BucketStatus::ReportInvalid, mine);
        assert_eq!(
            invalid,
            "bucket photos is report_invalid (MD5 differs); data file 1 of 3 is not needed"
        );
        // The file that made the report invalid is refused again; the others are not needed.
        let reason = t.refusal("MD5 differs");
        assert_eq!(reason, "data file data/0.parquet: MD5 differs");
        assert_eq!(t.refusal(&reason), reason);
        let mut culprit = record(BucketStatus::ReportInvalid, mine);
        culprit.reason = Some(reason.clone());
        assert_eq!(t.verdict(Some(&culprit)), FileVerdict::StillInvalid(reason));
        assert!(matches!(
            task(1, 3).verdict(Some(&culprit)),
            FileVerdict::Ignore(_)
        ));
        let other = verdict(BucketStatus::InProgress, Some("other/manifest.json"));
        assert!(
            other.contains("waits for report other/manifest.json"),
            "{other}"
        );
        let unplanned = verdict(BucketStatus::InProgress, None);
        assert!(unplanned.contains("(none yet)"), "{unplanned}");
        assert!(verdict(BucketStatus::TimedOut, mine).contains("is timed_out"));
        assert!(
            matches!(t.verdict(None), FileVerdict::Ignore(r) if r.contains("not part of run r1"))
        );
    }

    #[test]
    fn a_bucket_completes_with_every_files_figures_merged_once() {
        let tasks: Vec<_> = (0..3).map(|i| task(i, 3)).collect();
        let at = || "2026-11-26T00:00:00Z".to_string();
        let records: Vec<_> = tasks
            .iter()
            .map(|t| {
                t.consolidated(
                    &format!("out/{}.parquet", t.index),
                    figures(t.index + 1),
                    at(),
                )
            })
            .collect();
        let manifest = &tasks[0].manifest_key;
        let merged = completed(manifest, 3, &records).unwrap();
        assert_eq!((merged.rows, merged.objects), (6, 6));
        let missing = completed(manifest, 3, &records[..2]).unwrap_err();
        assert_eq!(missing, "data file 3 of 3 is not in yet");
        let mut foreign = records.clone();
        foreign[1].manifest_key = "other/manifest.json".into();
        assert!(completed(manifest, 3, &foreign)
            .unwrap_err()
            .contains("belongs to report other"));
        assert!(completed(manifest, 2, &records)
            .unwrap_err()
            .contains("beyond the report's 2 files"));
        // An empty report completes at once with nothing in it.
        assert_eq!(
            completed(manifest, 0, &[]).unwrap(),
            BucketFigures::default()
        );
        let change = done(manifest, &merged, 3);
        assert_eq!(change.to, BucketStatus::Done);
        assert_eq!((change.files, change.configured), (Some(3), Some(true)));
    }
}

//! The inventory configurator's decisions: which of an account's buckets a run covers, what the run's
//! inventory configuration asks for and where it sends reports, and how a bucket is first recorded.
//! What a look at a bucket means before it is configured is [`crate::probe::Probe::before_configuring`].

use inventory_format::InventoryField;

use crate::names::Deployment;
use crate::state::{bucket_sk, run_pk, BucketRecord, NOT_CONFIGURED_YET};
use crate::BucketStatus;

/// Prefix of the region recorded for a bucket whose region could not be read; the rest is why.
/// Such a bucket is recorded (so the report names it) but never configured.
pub const UNKNOWN_REGION: &str = "unknown:";

/// The optional fields every configuration asks for: all of them, so reports answer every catalogue
/// query (encryption, replication, Object Lock, tiers, checksums, ACLs, lifecycle).
pub fn optional_fields() -> Vec<InventoryField> {
    InventoryField::ALL
        .into_iter()
        .filter(|f| f.is_optional())
        .collect()
}

/// The destination prefix of a source bucket's reports in its region's staging bucket: S3 then
/// writes `<account>/<region>/<bucket>/<configuration id>/...`, so a report's key says whose it is.
pub fn destination_prefix(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

/// The region a `GetBucketLocation` answer names: none means us-east-1, and the legacy `EU` is
/// eu-west-1 (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html>).
pub fn location_region(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(other) => other.to_ascii_lowercase(),
    }
}

/// Whether a listed bucket is left out of the run: one of the deployment's own buckets, or one the
/// account's input excludes (`exclude` holds lower-case names).
pub fn is_excluded(
    deployment: &Deployment,
    consolidated_bucket: &str,
    exclude: &[String],
    bucket: &str,
) -> bool {
    deployment.is_own_bucket(bucket, consolidated_bucket)
        || exclude.contains(&bucket.to_ascii_lowercase())
}

/// The region a bucket is recorded under, or `None` when it is in a region the run does not cover.
/// A region that could not be read (`Err` with why) is recorded as [`UNKNOWN_REGION`] and the reason.
pub fn recorded_region(region: Result<String, String>, run_regions: &[String]) -> Option<String> {
    match region {
        Ok(region) if run_regions.contains(&region) => Some(region),
        Ok(_) => None,
        Err(reason) => Some(format!("{UNKNOWN_REGION}{reason}")),
    }
}

/// Why a bucket recorded under `region` cannot be configured, if its region is unknown.
pub fn unknown_region_reason(region: &str) -> Option<String> {
    region
        .strip_prefix(UNKNOWN_REGION)
        .map(|reason| format!("GetBucketLocation failed: {reason}"))
}

/// A bucket's first record, written before anything is put on it, so that Cleanup finds every
/// bucket that may carry the run's configuration even if the configurator dies right after.
pub fn first_record(
    run_id: &str,
    account: &str,
    region: &str,
    bucket: &str,
    now: &str,
) -> BucketRecord {
    BucketRecord {
        pk: run_pk(run_id),
        sk: bucket_sk(account, region, bucket),
        account: account.to_string(),
        region: region.to_string(),
        bucket: bucket.to_string(),
        status: BucketStatus::InventoryConfigurationNotCreated,
        reason: Some(NOT_CONFIGURED_YET.into()),
        in_progress_run: None,
        figures: None,
        manifest_key: None,
        files: 0,
        files_done: 0,
        configured: false,
        updated_at: now.to_string(),
    }
}

/// Whether a retry of the account keeps what an earlier attempt decided for a bucket: it does,
/// unless that attempt never got past the first record.
pub fn keeps_earlier_decision(existing: &BucketRecord) -> bool {
    existing.status != BucketStatus::InventoryConfigurationNotCreated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_name_regions_as_s3_documents() {
        assert_eq!(location_region(None), "us-east-1");
        assert_eq!(location_region(Some("")), "us-east-1");
        assert_eq!(location_region(Some("EU")), "eu-west-1");
        assert_eq!(location_region(Some("ap-southeast-2")), "ap-southeast-2");
    }

    #[test]
    fn every_optional_field_is_asked_for() {
        let names: Vec<&str> = optional_fields().iter().map(|f| f.config_name()).collect();
        for expected in [
            "Size",
            "EncryptionStatus",
            "ReplicationStatus",
            "ObjectLockMode",
            "StorageClass",
        ] {
            assert!(names.contains(&expected), "{names:?}");
        }
        assert!(optional_fields().iter().all(|f| f.is_optional()));
    }

    #[test]
    fn own_and_excluded_buckets_are_left_out() {
        let d = Deployment::new("s3i", "000000000000");
        let exclude = vec!["logs".to_string()];
        assert!(is_excluded(
            &d,
            "s3i-consolidated",
            &exclude,
            "s3i-consolidated"
        ));
        assert!(is_excluded(
            &d,
            "c",
            &exclude,
            &d.staging_bucket("r1", "us-east-1")
        ));
        assert!(is_excluded(&d, "c", &exclude, "LOGS"));
        assert!(!is_excluded(&d, "c", &exclude, "photos"));
    }

    #[test]
    fn buckets_outside_the_runs_regions_are_not_recorded_and_unknown_ones_are() {
        let regions = vec!["us-east-1".to_string()];
        assert_eq!(
            recorded_region(Ok("us-east-1".into()), &regions),
            Some("us-east-1".into())
        );
        assert_eq!(recorded_region(Ok("eu-west-1".into()), &regions), None);
        let unknown = recorded_region(Err("AccessDenied".into()), &regions).unwrap();
        assert_eq!(unknown, "unknown:AccessDenied");
        assert_eq!(
            unknown_region_reason(&unknown).as_deref(),
            Some("GetBucketLocation failed: AccessDenied")
        );
        assert_eq!(unknown_region_reason("us-east-1"), None);
    }

    #[test]
    fn a_first_record_is_not_configured_yet_and_a_retry_keeps_later_decisions() {
        let record = first_record("r1", "111111111111", "us-east-1", "photos", "now");
        assert_eq!(record.sk, "bucket#111111111111#us-east-1#photos");
        assert_eq!(
            record.status,
            BucketStatus::InventoryConfigurationNotCreated
        );
        assert_eq!(record.reason.as_deref(), Some(NOT_CONFIGURED_YET));
        assert!(!record.configured);
        assert!(!keeps_earlier_decision(&record));
        let decided = BucketRecord {
            status: BucketStatus::InProgress,
            ..record
        };
        assert!(keeps_earlier_decision(&decided));
        assert_eq!(
            destination_prefix("111111111111", "us-east-1"),
            "111111111111/us-east-1"
        );
    }
}

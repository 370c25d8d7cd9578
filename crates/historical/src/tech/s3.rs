//! S3 buckets: the original's event lists, plus the bucket settings CloudTrail reports that the
//! original left to polling (encryption, public access block, ownership, ...).

use super::{find_id, partition, FieldPath, Technology, TechnologyRules};
use crate::event::Detail;

/// Rules of the `s3` technology.
pub(super) struct S3Rules;

/// The original's `UPDATE_EVENTS` (without `PollS3`) followed by the additions.
const UPDATES: &[&str] = &[
    "CreateBucket",
    "DeleteBucketCors",
    "DeleteBucketLifecycle",
    "DeleteBucketPolicy",
    "DeleteBucketReplication",
    "DeleteBucketTagging",
    "DeleteBucketWebsite",
    "PutBucketAcl",
    "PutBucketCors",
    "PutBucketLifecycle",
    "PutBucketPolicy",
    "PutBucketLogging",
    "PutBucketNotification",
    "PutBucketReplication",
    "PutBucketTagging",
    "PutBucketRequestPayment",
    "PutBucketVersioning",
    "PutBucketWebsite",
    // additions: settings the original only saw by polling
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "PutAccelerateConfiguration",
    "PutBucketAnalyticsConfiguration",
    "DeleteBucketAnalyticsConfiguration",
    "PutBucketMetricsConfiguration",
    "DeleteBucketMetricsConfiguration",
    "PutBucketInventoryConfiguration",
    "DeleteBucketInventoryConfiguration",
    "PutBucketIntelligentTieringConfiguration",
    "DeleteBucketIntelligentTieringConfiguration",
    "PutObjectLockConfiguration",
];

const DELETES: &[&str] = &["DeleteBucket"];

/// cloudaux output the original's collector dropped before storing (`GrantReferences` holds
/// ephemeral display names); ignored here too so items written by any collector compare alike.
const IGNORED: &[FieldPath] = &[
    &["configuration", "GrantReferences"],
    &["configuration", "_version"],
    &["configuration", "Arn"],
    &["configuration", "Name"],
];

const EMBEDDED_JSON: &[FieldPath] = &[&["configuration", "Policy"]];

impl TechnologyRules for S3Rules {
    fn technology(&self) -> Technology {
        Technology::S3
    }
    fn event_source(&self) -> &'static str {
        "s3.amazonaws.com"
    }
    fn poll_event_name(&self) -> &'static str {
        "PollS3"
    }
    fn poll_event_source(&self) -> &'static str {
        "historical.s3.poller"
    }
    fn update_events(&self) -> &'static [&'static str] {
        UPDATES
    }
    fn delete_events(&self) -> &'static [&'static str] {
        DELETES
    }
    fn arn_service_and_resource(&self) -> (&'static str, &'static str) {
        ("s3", "")
    }
    /// `arn:aws:s3:::name`: bucket ARNs carry neither account nor region.
    fn arn(&self, _account: &str, region: &str, id: &str) -> String {
        format!("arn:{}:s3:::{id}", partition(region))
    }
    fn resource_ids(&self, detail: &Detail) -> Vec<String> {
        find_id(detail.request_parameters.as_ref(), &["bucketName"])
            .into_iter()
            .collect()
    }
    fn resource_id_fields(&self) -> &'static str {
        "requestParameters.bucketName"
    }
    fn ignored_paths(&self) -> &'static [FieldPath] {
        IGNORED
    }
    fn embedded_json_paths(&self) -> &'static [FieldPath] {
        EMBEDDED_JSON
    }
}

//! One look at a source bucket, and what it means for the bucket's status.
//!
//! The configurator (before configuring a bucket) and the monitor (while the run waits for its
//! report) look the same way: through the member role, one `ListObjectVersions` call of one key.
//! A bucket with no version and no delete marker gets no report from S3, so it is empty for the run.
//! A bucket that cannot be looked at (the role refused) has lost its access either way; what the
//! same answer of S3 means differs: a bucket refused before configuration was never configured;
//! refused while waiting, it was configured and access was lost.

use crate::BucketStatus;

/// A bucket that cannot be looked at because the member role cannot be assumed (STS's answer):
/// its access is lost, before configuring and while waiting alike.
pub fn role_refused(reason: String) -> (BucketStatus, String) {
    (BucketStatus::BucketAccessLost, reason)
}

/// What one look at a source bucket found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// No version and no delete marker.
    Empty,
    /// At least one version or delete marker.
    HasVersions,
    /// `NoSuchBucket`: the bucket is gone.
    Missing,
    /// Any other answer S3 gives with an HTTP status below 500 but 429 (retrying will not change it):
    /// the status and S3's code and message.
    Refused {
        /// The HTTP status.
        status: u16,
        /// S3's code and message.
        reason: String,
    },
}

/// What the configurator does with a bucket it looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeforeConfiguring {
    /// Put the run's configuration on it.
    Configure,
    /// Record this status (and reason), and leave it unconfigured.
    Record(BucketStatus, Option<String>),
}

impl Probe {
    /// The bucket's fate before the run's configuration is put on it.
    pub fn before_configuring(&self) -> BeforeConfiguring {
        match self {
            Probe::Empty => BeforeConfiguring::Record(BucketStatus::BucketIsEmpty, None),
            Probe::HasVersions => BeforeConfiguring::Configure,
            Probe::Missing => BeforeConfiguring::Record(
                BucketStatus::BucketNotAvailable,
                Some("the bucket was deleted before it could be configured".into()),
            ),
            Probe::Refused { reason, .. } => BeforeConfiguring::Record(
                BucketStatus::InventoryConfigurationNotCreated,
                Some(format!("ListObjectVersions: {reason}")),
            ),
        }
    }

    /// While the run waits for the bucket's report: the status it moves to and why, or `None` to
    /// go on waiting (it still has versions, or the answer may change: looked at again next time).
    pub fn while_waiting(&self) -> Option<(BucketStatus, String)> {
        match self {
            Probe::Empty => Some((BucketStatus::BucketIsEmpty, "emptied during the run".into())),
            Probe::HasVersions => None,
            Probe::Missing => Some((
                BucketStatus::BucketNotAvailable,
                "the bucket was deleted during the run".into(),
            )),
            Probe::Refused {
                status: 401 | 403,
                reason,
            } => Some((
                BucketStatus::BucketAccessLost,
                format!("ListObjectVersions refused: {reason}"),
            )),
            Probe::Refused { .. } => None,
        }
    }
}

/// The status a bucket gets from putting the run's configuration on it: `in_progress` (waiting for
/// its report), or `inventory_configuration_not_created` with S3's answer.
pub fn after_configuring(put: Result<(), String>) -> (BucketStatus, Option<String>) {
    match put {
        Ok(()) => (BucketStatus::InProgress, None),
        Err(reason) => (BucketStatus::InventoryConfigurationNotCreated, Some(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16) -> Probe {
        Probe::Refused {
            status,
            reason: "AccessDenied: no".into(),
        }
    }

    #[test]
    fn before_configuring_only_a_bucket_with_versions_is_configured() {
        use BeforeConfiguring::*;
        assert_eq!(Probe::HasVersions.before_configuring(), Configure);
        assert_eq!(
            Probe::Empty.before_configuring(),
            Record(BucketStatus::BucketIsEmpty, None)
        );
        assert_eq!(
            Probe::Missing.before_configuring(),
            Record(
                BucketStatus::BucketNotAvailable,
                Some("the bucket was deleted before it could be configured".into())
            )
        );
        // Refused before configuration: never configured, whatever the status.
        for status in [301, 403, 404] {
            assert_eq!(
                refused(status).before_configuring(),
                Record(
                    BucketStatus::InventoryConfigurationNotCreated,
                    Some("ListObjectVersions: AccessDenied: no".into())
                )
            );
        }
    }

    #[test]
    fn while_waiting_only_lost_access_gone_or_emptied_buckets_stop_waiting() {
        assert_eq!(Probe::HasVersions.while_waiting(), None);
        assert_eq!(
            Probe::Empty.while_waiting(),
            Some((BucketStatus::BucketIsEmpty, "emptied during the run".into()))
        );
        assert_eq!(
            Probe::Missing.while_waiting(),
            Some((
                BucketStatus::BucketNotAvailable,
                "the bucket was deleted during the run".into()
            ))
        );
        assert_eq!(
            role_refused("cannot assume".into()),
            (BucketStatus::BucketAccessLost, "cannot assume".into())
        );
        for status in [401, 403] {
            assert_eq!(
                refused(status).while_waiting(),
                Some((
                    BucketStatus::BucketAccessLost,
                    "ListObjectVersions refused: AccessDenied: no".into()
                ))
            );
        }
        // Any other refusal is looked at again next time.
        assert_eq!(refused(400).while_waiting(), None);
        assert_eq!(refused(404).while_waiting(), None);
    }

    #[test]
    fn a_configured_bucket_waits_and_a_refused_one_says_why() {
        assert_eq!(after_configuring(Ok(())), (BucketStatus::InProgress, None));
        assert_eq!(
            after_configuring(Err("PutBucketInventoryConfiguration: AccessDenied".into())),
            (
                BucketStatus::InventoryConfigurationNotCreated,
                Some("PutBucketInventoryConfiguration: AccessDenied".into())
            )
        );
    }
}

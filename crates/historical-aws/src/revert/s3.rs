//! A bucket's restorable parts put back: policy, versioning, encryption, public access block,
//! lifecycle rules and tags.

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator,
    LifecycleRuleFilter, NoncurrentVersionExpiration, NoncurrentVersionTransition,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, Transition,
    TransitionStorageClass, VersioningConfiguration,
};
use aws_smithy_types::date_time::Format;
use historical::revert::ApiCall;
use serde_json::Value;

use super::{build_error, flag, int, items, present, text, Parameters, RevertError, Sent};

pub(super) async fn apply(s3: &aws_sdk_s3::Client, call: &ApiCall) -> Result<(), RevertError> {
    let p = Parameters::of(call);
    let bucket = p.text("Bucket")?;
    let op = call.operation;
    match op {
        "PutBucketPolicy" => s3
            .put_bucket_policy()
            .bucket(bucket)
            .policy(p.text("Policy")?)
            .send()
            .await
            .sent(op),
        "DeleteBucketPolicy" => s3
            .delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .sent(op),
        "PutBucketVersioning" => {
            let status = text(p.value("VersioningConfiguration")?, "Status")
                .ok_or_else(|| p.error("VersioningConfiguration.Status", "required"))?;
            let configuration = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from(status.as_str()))
                .build();
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(configuration)
                .send()
                .await
                .sent(op)
        }
        "PutBucketEncryption" => {
            let configuration = encryption(op, p.value("ServerSideEncryptionConfiguration")?)?;
            s3.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(configuration)
                .send()
                .await
                .sent(op)
        }
        "DeleteBucketEncryption" => s3
            .delete_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .sent(op),
        "PutPublicAccessBlock" => {
            let block = p.value("PublicAccessBlockConfiguration")?;
            let configuration = PublicAccessBlockConfiguration::builder()
                .set_block_public_acls(flag(block, "BlockPublicAcls"))
                .set_ignore_public_acls(flag(block, "IgnorePublicAcls"))
                .set_block_public_policy(flag(block, "BlockPublicPolicy"))
                .set_restrict_public_buckets(flag(block, "RestrictPublicBuckets"))
                .build();
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(configuration)
                .send()
                .await
                .sent(op)
        }
        "DeletePublicAccessBlock" => s3
            .delete_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .sent(op),
        "PutBucketLifecycleConfiguration" => {
            let configuration = lifecycle(op, p.value("LifecycleConfiguration")?)?;
            s3.put_bucket_lifecycle_configuration()
                .bucket(bucket)
                .lifecycle_configuration(configuration)
                .send()
                .await
                .sent(op)
        }
        "DeleteBucketLifecycle" => s3
            .delete_bucket_lifecycle()
            .bucket(bucket)
            .send()
            .await
            .sent(op),
        "PutBucketTagging" => {
            let tags = items(p.value("Tagging")?, "TagSet")
                .map(|t| tag(op, t))
                .collect::<Result<Vec<_>, _>>()?;
            let tagging = Tagging::builder()
                .set_tag_set(Some(tags))
                .build()
                .map_err(|e| build_error(op, "Tagging", e))?;
            s3.put_bucket_tagging()
                .bucket(bucket)
                .tagging(tagging)
                .send()
                .await
                .sent(op)
        }
        "DeleteBucketTagging" => s3
            .delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .sent(op),
        _ => Err(RevertError::Unknown {
            service: "s3",
            operation: op,
        }),
    }
}

fn tag(op: &'static str, value: &Value) -> Result<Tag, RevertError> {
    Tag::builder()
        .set_key(text(value, "Key"))
        .set_value(text(value, "Value"))
        .build()
        .map_err(|e| build_error(op, "Tag", e))
}

fn encryption(
    op: &'static str,
    value: &Value,
) -> Result<ServerSideEncryptionConfiguration, RevertError> {
    let rules = items(value, "Rules")
        .map(|rule| {
            let default = present(rule, "ApplyServerSideEncryptionByDefault")
                .map(|d| {
                    ServerSideEncryptionByDefault::builder()
                        .set_sse_algorithm(
                            text(d, "SSEAlgorithm").map(|a| ServerSideEncryption::from(a.as_str())),
                        )
                        .set_kms_master_key_id(text(d, "KMSMasterKeyID"))
                        .build()
                        .map_err(|e| build_error(op, "ApplyServerSideEncryptionByDefault", e))
                })
                .transpose()?;
            Ok(ServerSideEncryptionRule::builder()
                .set_apply_server_side_encryption_by_default(default)
                .set_bucket_key_enabled(flag(rule, "BucketKeyEnabled"))
                .build())
        })
        .collect::<Result<Vec<_>, RevertError>>()?;
    ServerSideEncryptionConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| build_error(op, "ServerSideEncryptionConfiguration", e))
}

fn date(op: &'static str, value: &Value) -> Result<Option<DateTime>, RevertError> {
    text(value, "Date")
        .map(|d| DateTime::from_str(&d, Format::DateTime).map_err(|e| build_error(op, "Date", e)))
        .transpose()
}

fn lifecycle(op: &'static str, value: &Value) -> Result<BucketLifecycleConfiguration, RevertError> {
    let rules = items(value, "Rules")
        .map(|rule| lifecycle_rule(op, rule))
        .collect::<Result<Vec<_>, _>>()?;
    BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| build_error(op, "LifecycleConfiguration", e))
}

/// A rule's filter: a prefix, a tag, object sizes, or their conjunction.
fn lifecycle_filter(op: &'static str, f: &Value) -> Result<LifecycleRuleFilter, RevertError> {
    let size = |v: &Value, name: &str| v.get(name).and_then(Value::as_i64);
    let and = match present(f, "And") {
        Some(a) => Some(
            LifecycleRuleAndOperator::builder()
                .set_prefix(text(a, "Prefix"))
                .set_tags(Some(
                    items(a, "Tags")
                        .map(|t| tag(op, t))
                        .collect::<Result<Vec<_>, _>>()?,
                ))
                .set_object_size_greater_than(size(a, "ObjectSizeGreaterThan"))
                .set_object_size_less_than(size(a, "ObjectSizeLessThan"))
                .build(),
        ),
        None => None,
    };
    let single_tag = match present(f, "Tag") {
        Some(t) => Some(tag(op, t)?),
        None => None,
    };
    Ok(LifecycleRuleFilter::builder()
        .set_prefix(text(f, "Prefix"))
        .set_tag(single_tag)
        .set_object_size_greater_than(size(f, "ObjectSizeGreaterThan"))
        .set_object_size_less_than(size(f, "ObjectSizeLessThan"))
        .set_and(and)
        .build())
}

/// One rule, in the stored form `describe` wrote (the API's own names).
#[allow(deprecated)] // `Prefix` on the rule itself: legacy rules still carry it.
fn lifecycle_rule(op: &'static str, rule: &Value) -> Result<LifecycleRule, RevertError> {
    let filter = match present(rule, "Filter") {
        Some(f) => Some(lifecycle_filter(op, f)?),
        None => None,
    };
    let expiration = match present(rule, "Expiration") {
        Some(e) => Some(
            LifecycleExpiration::builder()
                .set_date(date(op, e)?)
                .set_days(int(e, "Days"))
                .set_expired_object_delete_marker(flag(e, "ExpiredObjectDeleteMarker"))
                .build(),
        ),
        None => None,
    };
    let transitions = items(rule, "Transitions")
        .map(|t| {
            Ok(Transition::builder()
                .set_date(date(op, t)?)
                .set_days(int(t, "Days"))
                .set_storage_class(
                    text(t, "StorageClass").map(|c| TransitionStorageClass::from(c.as_str())),
                )
                .build())
        })
        .collect::<Result<Vec<_>, RevertError>>()?;
    let noncurrent_transitions = items(rule, "NoncurrentVersionTransitions")
        .map(|t| {
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(int(t, "NoncurrentDays"))
                .set_newer_noncurrent_versions(int(t, "NewerNoncurrentVersions"))
                .set_storage_class(
                    text(t, "StorageClass").map(|c| TransitionStorageClass::from(c.as_str())),
                )
                .build()
        })
        .collect();
    let noncurrent_expiration = present(rule, "NoncurrentVersionExpiration").map(|e| {
        NoncurrentVersionExpiration::builder()
            .set_noncurrent_days(int(e, "NoncurrentDays"))
            .set_newer_noncurrent_versions(int(e, "NewerNoncurrentVersions"))
            .build()
    });
    let abort = present(rule, "AbortIncompleteMultipartUpload").map(|a| {
        AbortIncompleteMultipartUpload::builder()
            .set_days_after_initiation(int(a, "DaysAfterInitiation"))
            .build()
    });
    LifecycleRule::builder()
        .set_id(text(rule, "ID"))
        .set_prefix(text(rule, "Prefix"))
        .set_status(text(rule, "Status").map(|s| ExpirationStatus::from(s.as_str())))
        .set_filter(filter)
        .set_expiration(expiration)
        .set_transitions(Some(transitions).filter(|t: &Vec<_>| !t.is_empty()))
        .set_noncurrent_version_transitions(
            Some(noncurrent_transitions).filter(|t: &Vec<_>| !t.is_empty()),
        )
        .set_noncurrent_version_expiration(noncurrent_expiration)
        .set_abort_incomplete_multipart_upload(abort)
        .build()
        .map_err(|e| build_error(op, "LifecycleRule", e))
}

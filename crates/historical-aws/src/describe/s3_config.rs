//! S3 bucket configurations as the API's JSON (PascalCase names of the S3 API reference), one
//! conversion per GET the collector makes. The SDK types are not serde, so each shape is written
//! out here; members the SDK reports absent are omitted (see [`prune`]).
//!
//! Display names (`Owner.DisplayName`, grantee `DisplayName`) are left out: AWS is withdrawing
//! them, they are not configuration, and the original dropped `GrantReferences` for the same
//! reason.

use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::operation::get_bucket_notification_configuration::GetBucketNotificationConfigurationOutput;
use aws_sdk_s3::operation::get_bucket_website::GetBucketWebsiteOutput;
use aws_sdk_s3::types::{
    AnalyticsConfiguration, AnalyticsFilter, CorsRule, FilterRule, Grant, InventoryConfiguration,
    LifecycleRule, MetricsConfiguration, MetricsFilter, NotificationConfigurationFilter,
    ReplicationConfiguration, ServerSideEncryptionConfiguration, Tag,
};
use serde_json::{json, Value};

use super::json::{prune, tag_list, time};

fn tag(t: &Tag) -> Value {
    json!({"Key": t.key(), "Value": t.value()})
}

fn tags(ts: &[Tag]) -> Value {
    tag_list(ts.iter().map(|t| (t.key(), t.value())))
}

/// `Owner` of `GetBucketAcl`.
pub(crate) fn owner(acl: &GetBucketAclOutput) -> Value {
    prune(json!(acl.owner().map(|o| json!({"ID": o.id()}))))
}

/// `Grants` of `GetBucketAcl`.
pub(crate) fn grants(acl: &GetBucketAclOutput) -> Value {
    prune(Value::Array(acl.grants().iter().map(grant).collect()))
}

fn grant(g: &Grant) -> Value {
    json!({
        "Grantee": g.grantee().map(|e| json!({
            "Type": e.r#type().as_str(),
            "ID": e.id(),
            "URI": e.uri(),
            "EmailAddress": e.email_address(),
        })),
        "Permission": g.permission().map(|p| p.as_str()),
    })
}

/// `Rules` of `GetBucketLifecycleConfiguration`.
pub(crate) fn lifecycle_rules(rules: &[LifecycleRule]) -> Value {
    prune(Value::Array(rules.iter().map(lifecycle_rule).collect()))
}

/// `Prefix` is deprecated in favour of `Filter` but legacy rules still carry it, so it is kept.
#[allow(deprecated)]
fn lifecycle_rule(r: &LifecycleRule) -> Value {
    json!({
        "ID": r.id(),
        "Prefix": r.prefix(),
        "Status": r.status().as_str(),
        "Filter": r.filter().map(|f| json!({
            "Prefix": f.prefix(),
            "Tag": f.tag().map(tag),
            "ObjectSizeGreaterThan": f.object_size_greater_than(),
            "ObjectSizeLessThan": f.object_size_less_than(),
            "And": f.and().map(|a| json!({
                "Prefix": a.prefix(),
                "Tags": tags(a.tags()),
                "ObjectSizeGreaterThan": a.object_size_greater_than(),
                "ObjectSizeLessThan": a.object_size_less_than(),
            })),
        })),
        "Expiration": r.expiration().map(|e| json!({
            "Date": time(e.date()),
            "Days": e.days(),
            "ExpiredObjectDeleteMarker": e.expired_object_delete_marker(),
        })),
        "Transitions": r.transitions().iter().map(|t| json!({
            "Date": time(t.date()),
            "Days": t.days(),
            "StorageClass": t.storage_class().map(|s| s.as_str()),
        })).collect::<Vec<_>>(),
        "NoncurrentVersionTransitions": r.noncurrent_version_transitions().iter().map(|t| json!({
            "NoncurrentDays": t.noncurrent_days(),
            "NewerNoncurrentVersions": t.newer_noncurrent_versions(),
            "StorageClass": t.storage_class().map(|s| s.as_str()),
        })).collect::<Vec<_>>(),
        "NoncurrentVersionExpiration": r.noncurrent_version_expiration().map(|e| json!({
            "NoncurrentDays": e.noncurrent_days(),
            "NewerNoncurrentVersions": e.newer_noncurrent_versions(),
        })),
        "AbortIncompleteMultipartUpload": r.abort_incomplete_multipart_upload().map(|a| json!({
            "DaysAfterInitiation": a.days_after_initiation(),
        })),
    })
}

/// `CORSRules` of `GetBucketCors`.
pub(crate) fn cors_rules(rules: &[CorsRule]) -> Value {
    prune(Value::Array(
        rules
            .iter()
            .map(|r| {
                json!({
                    "ID": r.id(),
                    "AllowedHeaders": r.allowed_headers(),
                    "AllowedMethods": r.allowed_methods(),
                    "AllowedOrigins": r.allowed_origins(),
                    "ExposeHeaders": r.expose_headers(),
                    "MaxAgeSeconds": r.max_age_seconds(),
                })
            })
            .collect(),
    ))
}

/// `GetBucketWebsite`, or `null` when it holds nothing.
pub(crate) fn website(w: &GetBucketWebsiteOutput) -> Value {
    prune(json!({
        "IndexDocument": w.index_document().map(|d| json!({"Suffix": d.suffix()})),
        "ErrorDocument": w.error_document().map(|d| json!({"Key": d.key()})),
        "RedirectAllRequestsTo": w.redirect_all_requests_to().map(|r| json!({
            "HostName": r.host_name(),
            "Protocol": r.protocol().map(|p| p.as_str()),
        })),
        "RoutingRules": w.routing_rules().iter().map(|r| json!({
            "Condition": r.condition().map(|c| json!({
                "HttpErrorCodeReturnedEquals": c.http_error_code_returned_equals(),
                "KeyPrefixEquals": c.key_prefix_equals(),
            })),
            "Redirect": r.redirect().map(|d| json!({
                "HostName": d.host_name(),
                "HttpRedirectCode": d.http_redirect_code(),
                "Protocol": d.protocol().map(|p| p.as_str()),
                "ReplaceKeyPrefixWith": d.replace_key_prefix_with(),
                "ReplaceKeyWith": d.replace_key_with(),
            })),
        })).collect::<Vec<_>>(),
    }))
}

fn notification_filter(f: Option<&NotificationConfigurationFilter>) -> Value {
    json!(f.map(|f| json!({
        "Key": f.key().map(|k| json!({
            "FilterRules": k.filter_rules().iter().map(|r: &FilterRule| json!({
                "Name": r.name().map(|n| n.as_str()),
                "Value": r.value(),
            })).collect::<Vec<_>>(),
        })),
    })))
}

fn events(es: &[aws_sdk_s3::types::Event]) -> Vec<&str> {
    es.iter().map(|e| e.as_str()).collect()
}

/// `GetBucketNotificationConfiguration`.
pub(crate) fn notifications(n: &GetBucketNotificationConfigurationOutput) -> Value {
    prune(json!({
        "TopicConfigurations": n.topic_configurations().iter().map(|c| json!({
            "Id": c.id(), "TopicArn": c.topic_arn(), "Events": events(c.events()),
            "Filter": notification_filter(c.filter()),
        })).collect::<Vec<_>>(),
        "QueueConfigurations": n.queue_configurations().iter().map(|c| json!({
            "Id": c.id(), "QueueArn": c.queue_arn(), "Events": events(c.events()),
            "Filter": notification_filter(c.filter()),
        })).collect::<Vec<_>>(),
        "LambdaFunctionConfigurations": n.lambda_function_configurations().iter().map(|c| json!({
            "Id": c.id(), "LambdaFunctionArn": c.lambda_function_arn(),
            "Events": events(c.events()), "Filter": notification_filter(c.filter()),
        })).collect::<Vec<_>>(),
        "EventBridgeConfiguration": n.event_bridge_configuration().map(|_| json!({})),
    }))
}

/// `ReplicationConfiguration` of `GetBucketReplication`.
/// `Prefix` of legacy (V1) rules is deprecated but still reported, so it is kept.
#[allow(deprecated)]
pub(crate) fn replication(r: &ReplicationConfiguration) -> Value {
    prune(json!({
        "Role": r.role(),
        "Rules": r.rules().iter().map(|rule| json!({
            "ID": rule.id(),
            "Priority": rule.priority(),
            "Prefix": rule.prefix(),
            "Status": rule.status().as_str(),
            "Filter": rule.filter().map(|f| json!({
                "Prefix": f.prefix(),
                "Tag": f.tag().map(tag),
                "And": f.and().map(|a| json!({"Prefix": a.prefix(), "Tags": tags(a.tags())})),
            })),
            "DeleteMarkerReplication": rule.delete_marker_replication().map(|d| json!({
                "Status": d.status().map(|s| s.as_str()),
            })),
            "Destination": rule.destination().map(|d| json!({
                "Bucket": d.bucket(),
                "Account": d.account(),
                "StorageClass": d.storage_class().map(|s| s.as_str()),
                "AccessControlTranslation": d.access_control_translation().map(|a| json!({
                    "Owner": a.owner().as_str(),
                })),
                "EncryptionConfiguration": d.encryption_configuration().map(|e| json!({
                    "ReplicaKmsKeyID": e.replica_kms_key_id(),
                })),
            })),
        })).collect::<Vec<_>>(),
    }))
}

fn analytics_filter(f: &AnalyticsFilter) -> Value {
    match f {
        AnalyticsFilter::Prefix(p) => json!({"Prefix": p}),
        AnalyticsFilter::Tag(t) => json!({"Tag": tag(t)}),
        AnalyticsFilter::And(a) => json!({"And": {"Prefix": a.prefix(), "Tags": tags(a.tags())}}),
        _ => json!({}),
    }
}

/// One `AnalyticsConfiguration`.
pub(crate) fn analytics(c: &AnalyticsConfiguration) -> Value {
    prune(json!({
        "Id": c.id(),
        "Filter": c.filter().map(analytics_filter),
        "StorageClassAnalysis": c.storage_class_analysis().map(|s| json!({
            "DataExport": s.data_export().map(|d| json!({
                "OutputSchemaVersion": d.output_schema_version().as_str(),
                "Destination": d.destination().and_then(|x| x.s3_bucket_destination()).map(|b| json!({
                    "S3BucketDestination": {
                        "Format": b.format().as_str(),
                        "BucketAccountId": b.bucket_account_id(),
                        "Bucket": b.bucket(),
                        "Prefix": b.prefix(),
                    },
                })),
            })),
        })),
    }))
}

fn metrics_filter(f: &MetricsFilter) -> Value {
    match f {
        MetricsFilter::Prefix(p) => json!({"Prefix": p}),
        MetricsFilter::Tag(t) => json!({"Tag": tag(t)}),
        MetricsFilter::AccessPointArn(a) => json!({"AccessPointArn": a}),
        MetricsFilter::And(a) => json!({"And": {
            "Prefix": a.prefix(), "Tags": tags(a.tags()), "AccessPointArn": a.access_point_arn(),
        }}),
        _ => json!({}),
    }
}

/// One `MetricsConfiguration`.
pub(crate) fn metrics(c: &MetricsConfiguration) -> Value {
    prune(json!({"Id": c.id(), "Filter": c.filter().map(metrics_filter)}))
}

/// One `InventoryConfiguration`.
pub(crate) fn inventory(c: &InventoryConfiguration) -> Value {
    prune(json!({
        "Id": c.id(),
        "IsEnabled": c.is_enabled(),
        "IncludedObjectVersions": c.included_object_versions().as_str(),
        "Filter": c.filter().map(|f| json!({"Prefix": f.prefix()})),
        "Schedule": c.schedule().map(|s| json!({"Frequency": s.frequency().as_str()})),
        "OptionalFields": c.optional_fields().iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "Destination": c.destination().and_then(|d| d.s3_bucket_destination()).map(|b| json!({
            "S3BucketDestination": {
                "AccountId": b.account_id(),
                "Bucket": b.bucket(),
                "Format": b.format().as_str(),
                "Prefix": b.prefix(),
                "Encryption": b.encryption().map(|e| json!({
                    "SSES3": e.sses3().map(|_| json!({})),
                    "SSEKMS": e.ssekms().map(|k| json!({"KeyId": k.key_id()})),
                })),
            },
        })),
    }))
}

/// `ServerSideEncryptionConfiguration` of `GetBucketEncryption`.
pub(crate) fn encryption(c: &ServerSideEncryptionConfiguration) -> Value {
    prune(json!({
        "Rules": c.rules().iter().map(|r| json!({
            "ApplyServerSideEncryptionByDefault": r.apply_server_side_encryption_by_default().map(|d| json!({
                "SSEAlgorithm": d.sse_algorithm().as_str(),
                "KMSMasterKeyID": d.kms_master_key_id(),
            })),
            "BucketKeyEnabled": r.bucket_key_enabled(),
        })).collect::<Vec<_>>(),
    }))
}

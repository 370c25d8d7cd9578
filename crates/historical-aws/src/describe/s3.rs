//! S3 buckets: `GetBucketLocation`, then every bucket configuration GET in the bucket's region.
//!
//! `configuration` holds the original's keys (`Grants`, `Owner`, `LifecycleRules`, `Logging`,
//! `Policy`, `Versioning`, `Website`, `Cors`, `Notifications`, `Acceleration`, `Replication`,
//! `CreationDate`, `AnalyticsConfigurations`, `MetricsConfigurations`, `InventoryConfigurations`)
//! and what the original missed: `Encryption`, `PublicAccessBlock`, `OwnershipControls`,
//! `ObjectLock` and `PolicyStatus`. Values are the S3 API's shapes (see `s3_config`), not
//! cloudaux's, hence `version` 10 (cloudaux's schema was 9). A configuration that is not set is
//! `null` (lists: `[]`), never an error: S3 answers "not set" with an error code per GET
//! (`NoSuchLifecycleConfiguration`, `NoSuchBucketPolicy`, ...), listed where each is fetched.
//! `NoSuchBucket` at any step means the bucket is gone. `Policy` is the parsed policy document.
//! Top-level attributes: `BucketName`; `Region` is the bucket's region; `Tags` the bucket tags.
//!
//! S3 is global: [`list`] calls ListBuckets (1000 a page, every page) once for the whole account
//! and gives each bucket its own region (`BucketRegion`, else `GetBucketLocation`), so the poller
//! lists S3 once per account, as the original did in its primary region only.
//!
//! Offline gap: the local AWS does not implement `?analytics`, `?metrics` nor `?policyStatus` and
//! answers them with an object listing (`ListBucketResult`). That answer is read as "not set",
//! which is what AWS answers for a bucket without such configurations; any other failure of these
//! calls is an error.

use std::future::Future;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::{
    get_bucket_accelerate_configuration::GetBucketAccelerateConfigurationOutput,
    get_bucket_acl::GetBucketAclOutput, get_bucket_cors::GetBucketCorsOutput,
    get_bucket_encryption::GetBucketEncryptionOutput,
    get_bucket_lifecycle_configuration::GetBucketLifecycleConfigurationOutput,
    get_bucket_logging::GetBucketLoggingOutput,
    get_bucket_notification_configuration::GetBucketNotificationConfigurationOutput,
    get_bucket_ownership_controls::GetBucketOwnershipControlsOutput,
    get_bucket_policy::GetBucketPolicyOutput,
    get_bucket_policy_status::GetBucketPolicyStatusOutput,
    get_bucket_replication::GetBucketReplicationOutput, get_bucket_tagging::GetBucketTaggingOutput,
    get_bucket_versioning::GetBucketVersioningOutput, get_bucket_website::GetBucketWebsiteOutput,
    get_object_lock_configuration::GetObjectLockConfigurationOutput,
    get_public_access_block::GetPublicAccessBlockOutput,
};
use historical::resource::{Described, Listed};
use historical::Technology;
use serde_json::{json, Map, Value};

use super::error::{sdk_error, ApiError};
use super::json::{bucket_region, flatten_tags, policy_document, prune, time};
use super::s3_config as conv;
use super::{AccountClients, DescribeError};

/// Schema version of S3 bucket items (cloudaux's was 9; the API shapes and additions make 10).
pub const VERSION: u32 = 10;

/// Page size of the listing (`ListBuckets` `MaxBuckets`, at most 10,000).
pub const PAGE_SIZE: i32 = 1000;

/// Every bucket of the account, each with its region and creation date.
pub async fn list(clients: &AccountClients) -> Result<Vec<Listed>, DescribeError> {
    let s3 = clients.s3();
    let resource = format!("S3 buckets of {}", clients.account());
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_buckets()
            .max_buckets(PAGE_SIZE)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(e, &resource, "ListBuckets"))?;
        for bucket in page.buckets() {
            let Some(name) = bucket.name() else { continue };
            let region = match bucket.bucket_region() {
                Some(r) if !r.is_empty() => r.to_string(),
                _ => match location(&s3, name).await {
                    Ok(r) => r,
                    // deleted since the listing: nothing to poll
                    Err(DescribeError::Gone { .. }) => continue,
                    // one unreadable bucket must not hide the others; the collector reports it
                    // when an event names it
                    Err(e) if e.is_access_denied() => {
                        tracing::warn!(bucket = name, error = %e, "bucket region unreadable, not polled");
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            out.push(Listed {
                id: name.to_string(),
                region,
                created: time(bucket.creation_date()).as_str().map(str::to_string),
                described: None,
            });
        }
        match page.continuation_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The bucket's region from `GetBucketLocation`; `NoSuchBucket` is [`DescribeError::Gone`].
async fn location(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<String, DescribeError> {
    let answer = fetch(bucket, "GetBucketLocation", &[], false, async {
        s3.get_bucket_location().bucket(bucket).send().await
    })
    .await?;
    Ok(bucket_region(
        answer
            .as_ref()
            .and_then(|a| a.location_constraint())
            .map(|c| c.as_str()),
    ))
}

/// One S3 call: `Ok(None)` when AWS answers with one of the `absent` codes (the configuration is
/// not set), [`DescribeError::Gone`] on `NoSuchBucket`. `listing_is_absent` accepts the offline
/// answer to an unimplemented sub-resource (see the module documentation).
async fn fetch<T, E, F>(
    bucket: &str,
    operation: &'static str,
    absent: &[&str],
    listing_is_absent: bool,
    call: F,
) -> Result<Option<T>, DescribeError>
where
    F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match call.await {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let api = ApiError::from_sdk(e);
            if api.code_is(&["NoSuchBucket"]) {
                Err(DescribeError::Gone {
                    resource: bucket.to_string(),
                    operation,
                })
            } else if api.code_is(absent) || (listing_is_absent && api.listed_objects_instead) {
                Ok(None)
            } else {
                Err(api.into_error(bucket, operation))
            }
        }
    }
}

/// The bucket `name` as stored; `None` when it no longer exists.
pub async fn describe(
    clients: &AccountClients,
    name: &str,
) -> Result<Option<Described>, DescribeError> {
    let region = match location(&clients.s3(), name).await {
        Ok(r) => r,
        Err(DescribeError::Gone { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let s3 = clients.s3_in(&region);
    let settings = Settings::fetch(&s3, name).await?;
    let controls = Controls::fetch(&s3, name).await?;
    let global = clients.s3();
    let (analytics, metrics, inventory, created) = futures::try_join!(
        analytics_configurations(&s3, name),
        metrics_configurations(&s3, name),
        inventory_configurations(&s3, name),
        creation_date(&global, name),
    )?;
    let tags = settings
        .tagging
        .as_ref()
        .map(|t| flatten_tags(t.tag_set().iter().map(|t| (Some(t.key()), Some(t.value())))))
        .unwrap_or_default();
    let mut c = Map::new();
    settings.insert_into(&mut c);
    controls.insert_delivery_into(&mut c);
    c.insert("CreationDate".into(), created);
    c.insert("AnalyticsConfigurations".into(), Value::Array(analytics));
    c.insert("MetricsConfigurations".into(), Value::Array(metrics));
    c.insert("InventoryConfigurations".into(), Value::Array(inventory));
    controls.insert_protection_into(&mut c);
    let mut attributes = Map::new();
    attributes.insert("BucketName".into(), json!(name));
    Ok(Some(Described {
        arn: Technology::S3.rules().arn(clients.account(), &region, name),
        account_id: clients.account().to_string(),
        region,
        configuration: Value::Object(c),
        tags,
        version: VERSION,
        attributes,
    }))
}

/// The bucket's access and content settings (`None`: not set).
struct Settings {
    acl: Option<GetBucketAclOutput>,
    lifecycle: Option<GetBucketLifecycleConfigurationOutput>,
    logging: Option<GetBucketLoggingOutput>,
    policy: Option<GetBucketPolicyOutput>,
    tagging: Option<GetBucketTaggingOutput>,
    versioning: Option<GetBucketVersioningOutput>,
    website: Option<GetBucketWebsiteOutput>,
    cors: Option<GetBucketCorsOutput>,
}

impl Settings {
    /// The eight GETs, at once.
    async fn fetch(s3: &aws_sdk_s3::Client, b: &str) -> Result<Self, DescribeError> {
        let (acl, lifecycle, logging, policy, tagging, versioning, website, cors) = futures::try_join!(
            fetch(
                b,
                "GetBucketAcl",
                &[],
                false,
                s3.get_bucket_acl().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketLifecycleConfiguration",
                &["NoSuchLifecycleConfiguration"],
                false,
                s3.get_bucket_lifecycle_configuration().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketLogging",
                &[],
                false,
                s3.get_bucket_logging().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketPolicy",
                &["NoSuchBucketPolicy"],
                false,
                s3.get_bucket_policy().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketTagging",
                &["NoSuchTagSet"],
                false,
                s3.get_bucket_tagging().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketVersioning",
                &[],
                false,
                s3.get_bucket_versioning().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketWebsite",
                &["NoSuchWebsiteConfiguration"],
                false,
                s3.get_bucket_website().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketCors",
                &["NoSuchCORSConfiguration"],
                false,
                s3.get_bucket_cors().bucket(b).send()
            ),
        )?;
        Ok(Self {
            acl,
            lifecycle,
            logging,
            policy,
            tagging,
            versioning,
            website,
            cors,
        })
    }

    /// `Owner`, `Grants`, `LifecycleRules`, `Logging`, `Policy`, `Versioning`, `Website`, `Cors`
    /// (the tags are the item's `Tags`, not configuration).
    fn insert_into(&self, c: &mut Map<String, Value>) {
        let acl = self.acl.as_ref();
        c.insert("Owner".into(), acl.map(conv::owner).unwrap_or(Value::Null));
        c.insert("Grants".into(), acl.map(conv::grants).unwrap_or(json!([])));
        c.insert(
            "LifecycleRules".into(),
            self.lifecycle
                .as_ref()
                .map(|l| conv::lifecycle_rules(l.rules()))
                .unwrap_or(json!([])),
        );
        c.insert(
            "Logging".into(),
            json!(self
                .logging
                .as_ref()
                .and_then(|l| l.logging_enabled().map(|e| json!({
                    "TargetBucket": e.target_bucket(),
                    "TargetPrefix": e.target_prefix(),
                })))),
        );
        c.insert(
            "Policy".into(),
            json!(self
                .policy
                .as_ref()
                .and_then(|p| p.policy().map(policy_document))),
        );
        c.insert(
            "Versioning".into(),
            prune(json!(self.versioning.as_ref().map(|v| json!({
                "Status": v.status().map(|s| s.as_str()),
                "MFADelete": v.mfa_delete().map(|s| s.as_str()),
            })))),
        );
        c.insert(
            "Website".into(),
            json!(self.website.as_ref().map(conv::website)),
        );
        c.insert(
            "Cors".into(),
            self.cors
                .as_ref()
                .map(|r| conv::cors_rules(r.cors_rules()))
                .unwrap_or(json!([])),
        );
    }
}

/// What the bucket sends elsewhere and how it is protected (`None`: not set).
struct Controls {
    notifications: Option<GetBucketNotificationConfigurationOutput>,
    accelerate: Option<GetBucketAccelerateConfigurationOutput>,
    replication: Option<GetBucketReplicationOutput>,
    encryption: Option<GetBucketEncryptionOutput>,
    public_access: Option<GetPublicAccessBlockOutput>,
    ownership: Option<GetBucketOwnershipControlsOutput>,
    lock: Option<GetObjectLockConfigurationOutput>,
    status: Option<GetBucketPolicyStatusOutput>,
}

impl Controls {
    /// The eight GETs, at once.
    async fn fetch(s3: &aws_sdk_s3::Client, b: &str) -> Result<Self, DescribeError> {
        let (
            notifications,
            accelerate,
            replication,
            encryption,
            public_access,
            ownership,
            lock,
            status,
        ) = futures::try_join!(
            fetch(
                b,
                "GetBucketNotificationConfiguration",
                &[],
                false,
                s3.get_bucket_notification_configuration().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketAccelerateConfiguration",
                &[],
                false,
                s3.get_bucket_accelerate_configuration().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketReplication",
                &["ReplicationConfigurationNotFoundError"],
                false,
                s3.get_bucket_replication().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketEncryption",
                &["ServerSideEncryptionConfigurationNotFoundError"],
                false,
                s3.get_bucket_encryption().bucket(b).send()
            ),
            fetch(
                b,
                "GetPublicAccessBlock",
                &["NoSuchPublicAccessBlockConfiguration"],
                false,
                s3.get_public_access_block().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketOwnershipControls",
                &["OwnershipControlsNotFoundError"],
                false,
                s3.get_bucket_ownership_controls().bucket(b).send()
            ),
            fetch(
                b,
                "GetObjectLockConfiguration",
                &[
                    "ObjectLockConfigurationNotFoundError",
                    "NoSuchObjectLockConfiguration"
                ],
                false,
                s3.get_object_lock_configuration().bucket(b).send()
            ),
            fetch(
                b,
                "GetBucketPolicyStatus",
                &["NoSuchBucketPolicy"],
                true,
                s3.get_bucket_policy_status().bucket(b).send()
            ),
        )?;
        Ok(Self {
            notifications,
            accelerate,
            replication,
            encryption,
            public_access,
            ownership,
            lock,
            status,
        })
    }

    /// `Notifications`, `Acceleration`, `Replication`.
    fn insert_delivery_into(&self, c: &mut Map<String, Value>) {
        c.insert(
            "Notifications".into(),
            json!(self.notifications.as_ref().map(conv::notifications)),
        );
        c.insert(
            "Acceleration".into(),
            json!(self
                .accelerate
                .as_ref()
                .and_then(|a| a.status().map(|s| s.as_str().to_string()))),
        );
        c.insert(
            "Replication".into(),
            json!(self
                .replication
                .as_ref()
                .and_then(|r| r.replication_configuration().map(conv::replication))),
        );
    }

    /// `Encryption`, `PublicAccessBlock`, `OwnershipControls`, `ObjectLock`, `PolicyStatus`.
    fn insert_protection_into(&self, c: &mut Map<String, Value>) {
        c.insert(
            "Encryption".into(),
            json!(self.encryption.as_ref().and_then(|e| e
                .server_side_encryption_configuration()
                .map(conv::encryption))),
        );
        c.insert(
            "PublicAccessBlock".into(),
            prune(json!(self.public_access.as_ref().and_then(|p| p
                .public_access_block_configuration()
                .map(|p| json!({
                    "BlockPublicAcls": p.block_public_acls(),
                    "IgnorePublicAcls": p.ignore_public_acls(),
                    "BlockPublicPolicy": p.block_public_policy(),
                    "RestrictPublicBuckets": p.restrict_public_buckets(),
                }))))),
        );
        c.insert(
            "OwnershipControls".into(),
            json!(self
                .ownership
                .as_ref()
                .and_then(|o| o.ownership_controls().map(|o| json!({
                    "Rules": o.rules().iter().map(|r| json!({
                        "ObjectOwnership": r.object_ownership().as_str(),
                    })).collect::<Vec<_>>(),
                })))),
        );
        c.insert(
            "ObjectLock".into(),
            prune(json!(self.lock.as_ref().and_then(|l| l
                .object_lock_configuration()
                .map(|l| json!({
                    "ObjectLockEnabled": l.object_lock_enabled().map(|e| e.as_str()),
                    "Rule": l.rule().and_then(|r| r.default_retention()).map(|d| json!({
                        "DefaultRetention": {
                            "Mode": d.mode().map(|m| m.as_str()),
                            "Days": d.days(),
                            "Years": d.years(),
                        },
                    })),
                }))))),
        );
        c.insert(
            "PolicyStatus".into(),
            prune(json!(self.status.as_ref().and_then(|s| s
                .policy_status()
                .map(|p| json!({
                    "IsPublic": p.is_public(),
                }))))),
        );
    }
}

/// The bucket's creation date from ListBuckets (filtered by prefix; S3 has no per-bucket call
/// for it); `null` when the listing does not show the bucket yet (listing is eventually
/// consistent) or the endpoint ignores the prefix and the bucket is beyond what was read.
async fn creation_date(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Value, DescribeError> {
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_buckets()
            .prefix(bucket)
            .max_buckets(PAGE_SIZE)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(e, bucket, "ListBuckets"))?;
        if let Some(found) = page.buckets().iter().find(|b| b.name() == Some(bucket)) {
            return Ok(time(found.creation_date()));
        }
        match page.continuation_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(Value::Null),
        }
    }
}

/// Every item of a bucket configuration listing, following continuation tokens: `call` asks for one
/// page, `items` converts a page's entries, `next` gives the token of the next page (if truncated).
async fn every_page<P, E, F, Fut>(
    bucket: &str,
    operation: &'static str,
    listing_is_absent: bool,
    call: F,
    items: impl Fn(&P) -> Vec<Value>,
    next: impl Fn(&P) -> Option<String>,
) -> Result<Vec<Value>, DescribeError>
where
    F: Fn(Option<String>) -> Fut,
    Fut: Future<Output = Result<P, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let Some(page) = fetch(
            bucket,
            operation,
            &[],
            listing_is_absent,
            call(token.take()),
        )
        .await?
        else {
            return Ok(out);
        };
        out.extend(items(&page));
        match next(&page) {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// The token of the next page of a configuration listing, when S3 says the listing is truncated.
fn next_if_truncated(truncated: Option<bool>, token: Option<&str>) -> Option<String> {
    token
        .filter(|_| truncated == Some(true))
        .map(str::to_string)
}

/// Every analytics configuration (paginated by continuation token).
async fn analytics_configurations(
    s3: &aws_sdk_s3::Client,
    b: &str,
) -> Result<Vec<Value>, DescribeError> {
    every_page(
        b,
        "ListBucketAnalyticsConfigurations",
        true,
        |token| {
            s3.list_bucket_analytics_configurations()
                .bucket(b)
                .set_continuation_token(token)
                .send()
        },
        |page| {
            page.analytics_configuration_list()
                .iter()
                .map(conv::analytics)
                .collect()
        },
        |page| next_if_truncated(page.is_truncated(), page.next_continuation_token()),
    )
    .await
}

/// Every metrics configuration (paginated by continuation token).
async fn metrics_configurations(
    s3: &aws_sdk_s3::Client,
    b: &str,
) -> Result<Vec<Value>, DescribeError> {
    every_page(
        b,
        "ListBucketMetricsConfigurations",
        true,
        |token| {
            s3.list_bucket_metrics_configurations()
                .bucket(b)
                .set_continuation_token(token)
                .send()
        },
        |page| {
            page.metrics_configuration_list()
                .iter()
                .map(conv::metrics)
                .collect()
        },
        |page| next_if_truncated(page.is_truncated(), page.next_continuation_token()),
    )
    .await
}

/// Every inventory configuration (paginated by continuation token).
async fn inventory_configurations(
    s3: &aws_sdk_s3::Client,
    b: &str,
) -> Result<Vec<Value>, DescribeError> {
    every_page(
        b,
        "ListBucketInventoryConfigurations",
        false,
        |token| {
            s3.list_bucket_inventory_configurations()
                .bucket(b)
                .set_continuation_token(token)
                .send()
        },
        |page| {
            page.inventory_configuration_list()
                .iter()
                .map(conv::inventory)
                .collect()
        },
        |page| next_if_truncated(page.is_truncated(), page.next_continuation_token()),
    )
    .await
}

#[cfg(test)]
// the SDK's errors are large; only these helpers return them by value
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::get_bucket_policy_status::GetBucketPolicyStatusError;
    use aws_smithy_types::body::SdkBody;

    type Answer = Result<(), SdkError<GetBucketPolicyStatusError, HttpResponse>>;

    fn raw(status: u16, body: &'static str) -> HttpResponse {
        HttpResponse::new(status.try_into().expect("status"), SdkBody::from(body))
    }

    fn coded(code: &str, status: u16) -> Answer {
        let meta = ErrorMetadata::builder().code(code).build();
        Err(SdkError::service_error(
            GetBucketPolicyStatusError::generic(meta),
            raw(status, ""),
        ))
    }

    /// What the local AWS answers to a sub-resource it does not implement: a 200 object listing
    /// the SDK cannot read as the operation's output.
    fn listing() -> Answer {
        Err(SdkError::service_error(
            GetBucketPolicyStatusError::unhandled("invalid root, expected PolicyStatus"),
            raw(
                200,
                "<?xml version=\"1.0\"?><ListBucketResult></ListBucketResult>",
            ),
        ))
    }

    async fn run(answer: Answer, listing_is_absent: bool) -> Result<Option<()>, DescribeError> {
        let absent = &["NoSuchBucketPolicy"];
        fetch(
            "b",
            "GetBucketPolicyStatus",
            absent,
            listing_is_absent,
            async { answer },
        )
        .await
    }

    #[tokio::test]
    async fn unset_configurations_are_absent_and_missing_buckets_gone() {
        assert!(matches!(run(Ok(()), false).await, Ok(Some(()))));
        assert!(matches!(
            run(coded("NoSuchBucketPolicy", 404), false).await,
            Ok(None)
        ));
        assert!(matches!(
            run(coded("NoSuchBucket", 404), false).await,
            Err(DescribeError::Gone { .. })
        ));
        let denied = run(coded("AccessDenied", 403), false).await;
        assert!(denied.is_err_and(|e| e.is_access_denied()));
        let slow = run(coded("SlowDown", 503), false).await;
        assert!(slow.is_err_and(|e| e.is_transient()));
    }

    #[tokio::test]
    async fn an_object_listing_is_absent_only_where_allowed() {
        assert!(matches!(run(listing(), true).await, Ok(None)));
        assert!(matches!(
            run(listing(), false).await,
            Err(DescribeError::Other { .. })
        ));
    }
}

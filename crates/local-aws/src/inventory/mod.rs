//! S3 Inventory delivery, as S3 documents it — the one thing no emulator does.
//!
//! For each enabled inventory configuration (read from the local AWS, which stores them), the source
//! bucket is listed with the source account's credentials (versions and delete markers when the
//! configuration asks for all versions; `HeadObject` only when an optional field needs it), the data
//! files are written in the configured format with the configured fields, and then — in S3's order —
//! the data files, `manifest.json`, `manifest.checksum` (written last: its arrival means the report
//! is complete) and the Hive `symlink.txt` are put into the destination bucket at the documented keys,
//! each only if the destination bucket's policy lets S3 Inventory (`s3.amazonaws.com`) put it for the
//! source bucket, as the local AWS decides (stored as the destination owner's objects, which
//! `bucket-owner-full-control` makes them in AWS). A refused put ends the delivery
//! ([`DeliveryError::DestinationRefused`]): S3 writes no more of that report. Their S3 event
//! notifications then drive the real pipeline.
//!
//! Documented choices where AWS leaves room: a report is delivered as soon as its configuration is
//! seen (AWS: within 48 hours); a bucket with nothing to list gets no report (as the original
//! S3Insights documents); data files hold at most [`rows_per_file`] rows (`OFFLINE_INVENTORY_ROWS_PER_FILE`,
//! default [`ROWS_PER_FILE`]; AWS splits large reports into several files too); a configuration is served
//! once after it is put (as one schedule period would), unless a new report is asked for.
//!
//! A delivery that fails (a listing S3 answered but we could not read, a throttled or failed call,
//! a destination put that failed) is not a report S3 chose not to write: it is reported in
//! [`Delivery::failed`] with the configuration and the reason, the configuration stays pending, and
//! the next round tries it again. Only a source S3 refuses to read (a 4xx answer: the bucket is gone
//! or its owner's access is lost) or a configuration S3 cannot serve counts as served without a report.

use aws_sdk_s3::error::SdkError;
use chrono::Utc;
use inventory_format::field::{report_fields, InventoryField};
use inventory_format::format::FileFormat;
use inventory_format::manifest::{self, InventoryManifest, ManifestFile};
use inventory_format::record::InventoryRecord;
use platform::s3_keys::KeyDecodeError;
use serde::{Deserialize, Serialize};

use crate::admin::{Admin, AdminError};
use crate::sdk::Target;

mod listing;

use listing::list_source;
pub use listing::object_acl_field;

/// Delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The configurations could not be read.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// An S3 call failed.
    #[error("{action}: {message}")]
    S3 {
        /// What was being done.
        action: String,
        /// What S3 answered.
        message: String,
        /// Whether S3 refused the request (a 4xx error other than throttling or a timeout: the
        /// bucket or key is missing, access is denied), as opposed to a failure worth retrying.
        refused: bool,
    },
    /// A configuration the local AWS accepted but that cannot be delivered.
    #[error("inventory configuration {id} of bucket {bucket}: {message}")]
    Configuration {
        /// Source bucket.
        bucket: String,
        /// Configuration id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The source bucket could not be read (deleted, or its owner's access lost): S3 writes no report.
    #[error("source bucket {bucket}: {message}")]
    Source {
        /// Source bucket.
        bucket: String,
        /// What S3 answered.
        message: String,
    },
    /// The destination bucket's policy does not let S3 Inventory (`s3.amazonaws.com`) write the
    /// report: S3 writes none.
    #[error("{reason}")]
    DestinationRefused {
        /// What the destination bucket's policy does not allow.
        reason: String,
    },
    /// The delivery's own settings are wrong (the variable and what is wrong with it).
    #[error("{0}")]
    Settings(String),
    /// Writing a data file failed.
    #[error("writing the report of {bucket}: {source}")]
    Format {
        /// Source bucket.
        bucket: String,
        /// The format error.
        source: inventory_format::error::InventoryError,
    },
}

fn s3_error<E: std::error::Error + 'static>(
    action: impl Into<String>,
) -> impl FnOnce(SdkError<E>) -> DeliveryError {
    let action = action.into();
    move |e| {
        let status = match &e {
            SdkError::ServiceError(service) => Some(service.raw().status().as_u16()),
            _ => None,
        };
        DeliveryError::S3 {
            action,
            message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            refused: status.is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429),
        }
    }
}

/// A listing value that `encoding-type=url` should have produced but did not.
fn undecodable(action: impl Into<String>) -> impl FnOnce(KeyDecodeError) -> DeliveryError {
    let action = action.into();
    move |e| DeliveryError::S3 {
        action,
        message: e.to_string(),
        refused: false,
    }
}

/// One inventory configuration as the local AWS stores it (the S3 API's shape).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StoredConfiguration {
    /// The source bucket's owner.
    pub account: String,
    /// The source bucket.
    pub bucket: String,
    /// The destination bucket's owner, if the destination exists.
    pub destination_account: Option<String>,
    /// Whether its report has been delivered since it was put.
    #[serde(default)]
    pub served: bool,
    /// The configuration.
    pub configuration: InventoryConfiguration,
}

/// `InventoryConfiguration` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct InventoryConfiguration {
    /// Configuration id.
    pub id: String,
    /// Whether reports are produced.
    pub is_enabled: bool,
    /// `All` or `Current`.
    pub included_object_versions: String,
    /// Where reports go.
    pub destination: Destination,
    /// Optional fields.
    #[serde(default)]
    pub optional_fields: Vec<String>,
    /// Key prefix filter.
    #[serde(default)]
    pub filter: Option<Filter>,
}

/// `Destination` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Destination {
    /// `S3BucketDestination`.
    pub s3_bucket_destination: BucketDestination,
}

/// `S3BucketDestination` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BucketDestination {
    /// Destination bucket ARN.
    pub bucket: String,
    /// `CSV`, `ORC` or `Parquet`.
    pub format: String,
    /// Key prefix.
    #[serde(default)]
    pub prefix: Option<String>,
}

/// `InventoryFilter` of the S3 API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    /// Only keys with this prefix.
    pub prefix: String,
}

/// What one delivery wrote.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredReport {
    /// Source bucket owner.
    pub source_account: String,
    /// Source bucket.
    pub source_bucket: String,
    /// Configuration id.
    pub configuration_id: String,
    /// Destination bucket.
    pub destination_bucket: String,
    /// Key of `manifest.json`.
    pub manifest_key: String,
    /// Keys of the data files.
    pub data_keys: Vec<String>,
    /// Rows written.
    pub rows: usize,
}

/// A configuration no report was delivered for, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Undelivered {
    /// Source bucket owner.
    pub source_account: String,
    /// Source bucket.
    pub source_bucket: String,
    /// Configuration id.
    pub configuration_id: String,
    /// Why.
    pub reason: String,
}

/// What one round of delivery did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Delivery {
    /// Reports written.
    pub reports: Vec<DeliveredReport>,
    /// Configurations S3 could not serve: a missing source or destination bucket, an empty bucket.
    pub undelivered: Vec<Undelivered>,
    /// Deliveries that failed (an unreadable listing, a failed call): not served, tried again by the
    /// next round.
    pub failed: Vec<Undelivered>,
}

/// Most rows in one data file unless `OFFLINE_INVENTORY_ROWS_PER_FILE` says otherwise (AWS splits
/// large reports into several files too).
pub const ROWS_PER_FILE: usize = 100_000;

/// The variable that sets the rows per data file of every delivery, so that a test makes a
/// many-file report from a few objects.
pub const ROWS_PER_FILE_VARIABLE: &str = "OFFLINE_INVENTORY_ROWS_PER_FILE";

/// The most rows in one data file: `OFFLINE_INVENTORY_ROWS_PER_FILE` (a whole number of at least 1)
/// if set, else [`ROWS_PER_FILE`].
pub fn rows_per_file() -> Result<usize, DeliveryError> {
    parse_rows_per_file(std::env::var(ROWS_PER_FILE_VARIABLE).ok().as_deref())
}

fn parse_rows_per_file(value: Option<&str>) -> Result<usize, DeliveryError> {
    match value.map(str::trim) {
        None | Some("") => Ok(ROWS_PER_FILE),
        Some(text) => match text.parse::<usize>() {
            Ok(rows) if rows >= 1 => Ok(rows),
            _ => Err(DeliveryError::Settings(format!(
                "{ROWS_PER_FILE_VARIABLE} is {text:?}: expected a whole number of rows, at least 1"
            ))),
        },
    }
}

/// Which configurations a round of delivery serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// Only those not served since they were put: what S3's schedule does within one period, and
    /// what happens while an execution waits.
    Pending,
    /// Every enabled configuration, again (`offline deliver-inventory`: the next period's report).
    All,
}

/// Deliver a report for the enabled configurations of the `buckets` (all, if empty) that `round`
/// selects. A configuration S3 cannot serve is reported in [`Delivery::undelivered`] and recorded as
/// served; a delivery that failed is reported in [`Delivery::failed`] and stays pending, so a later
/// round tries it again. Each pending configuration is claimed before it is delivered (the claim is
/// atomic, so of several processes waiting at once exactly one delivers a pending report) and the
/// claim is released if the delivery fails.
pub async fn deliver_round(
    target: &Target,
    buckets: &[String],
    round: Round,
) -> Result<Delivery, DeliveryError> {
    let scope = Scope {
        buckets,
        configuration_id_suffix: None,
    };
    deliver_scoped(target, &scope, round).await
}

/// Which configurations a delivery round serves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// Only these source buckets (all, if empty).
    pub buckets: &'a [String],
    /// Only configurations whose id ends with this, if given: the caller's rule for which
    /// configurations are its own (S3 knows no such thing; an S3Insights run, for one, names its
    /// configurations `...-<run id>`), so that several callers delivering at once each serve theirs.
    pub configuration_id_suffix: Option<&'a str>,
}

impl Scope<'_> {
    fn includes(&self, stored: &StoredConfiguration) -> bool {
        (self.buckets.is_empty() || self.buckets.contains(&stored.bucket))
            && self
                .configuration_id_suffix
                .is_none_or(|suffix| stored.configuration.id.ends_with(suffix))
    }
}

/// [`deliver_round`] over the configurations `scope` selects.
pub async fn deliver_scoped(
    target: &Target,
    scope: &Scope<'_>,
    round: Round,
) -> Result<Delivery, DeliveryError> {
    let admin = Admin::new(&target.endpoint);
    let rows_per_file = rows_per_file()?;
    let mut delivery = Delivery::default();
    for stored in enabled_configurations(target).await? {
        if !scope.includes(&stored) || (round == Round::Pending && stored.served) {
            continue;
        }
        // Claim the report first: another `offline` process waiting on another execution may be
        // looking at the same configuration, and S3 delivers one report per period, not two.
        let claimed = claim(&admin, &stored, Claim::Take).await?;
        if round == Round::Pending && !claimed {
            continue;
        }
        let outcome = |reason: String| Undelivered {
            source_account: stored.account.clone(),
            source_bucket: stored.bucket.clone(),
            configuration_id: stored.configuration.id.clone(),
            reason,
        };
        match deliver(target, &stored, rows_per_file).await {
            Ok(Some(report)) => delivery.reports.push(report),
            Ok(None) => delivery
                .undelivered
                .push(outcome("nothing to list: S3 writes no report".into())),
            Err(e @ DeliveryError::Configuration { .. })
            | Err(e @ DeliveryError::Source { .. })
            | Err(e @ DeliveryError::DestinationRefused { .. }) => {
                delivery.undelivered.push(outcome(e.to_string()))
            }
            Err(e) => {
                tracing::warn!(
                    bucket = %stored.bucket, configuration = %stored.configuration.id,
                    error = %e, "inventory delivery failed; it stays pending"
                );
                // Only the claim this round took is released: a configuration another round
                // already served stays served.
                if claimed {
                    claim(&admin, &stored, Claim::Release).await?;
                }
                delivery.failed.push(outcome(e.to_string()));
            }
        }
    }
    Ok(delivery)
}

/// Taking or giving back a configuration's pending report.
#[derive(Debug, Clone, Copy)]
enum Claim {
    /// Claim it (records it as served); true when it was pending.
    Take,
    /// Give it back after a failed delivery (pending again); true when it was claimed.
    Release,
}

async fn claim(
    admin: &Admin,
    stored: &StoredConfiguration,
    what: Claim,
) -> Result<bool, DeliveryError> {
    let (route, field) = match what {
        Claim::Take => ("/_offline/s3/inventory-configurations/served", "claimed"),
        Claim::Release => ("/_offline/s3/inventory-configurations/released", "released"),
    };
    let answer: serde_json::Value = admin
        .post(
            route,
            serde_json::json!({
                "account": stored.account, "bucket": stored.bucket, "id": stored.configuration.id
            }),
        )
        .await?;
    Ok(answer[field] == serde_json::Value::Bool(true))
}

/// Deliver a report for every enabled configuration of the `buckets` (all, if empty), now.
pub async fn deliver_all(target: &Target, buckets: &[String]) -> Result<Delivery, DeliveryError> {
    deliver_round(target, buckets, Round::All).await
}

async fn enabled_configurations(
    target: &Target,
) -> Result<Vec<StoredConfiguration>, DeliveryError> {
    #[derive(Deserialize)]
    struct Listing {
        configurations: Vec<StoredConfiguration>,
    }
    let listing: Listing = Admin::new(&target.endpoint)
        .get("/_offline/s3/inventory-configurations")
        .await?;
    Ok(listing
        .configurations
        .into_iter()
        .filter(|c| c.configuration.is_enabled)
        .collect())
}

/// The region a bucket lives in (`EU` is the legacy name of eu-west-1).
async fn bucket_region(target: &Target, bucket: &str) -> Result<String, DeliveryError> {
    let answer = target
        .s3()
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(s3_error(format!("locate bucket {bucket}")))?;
    Ok(match answer.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(region) => region.to_string(),
    })
}

/// What a configuration asks for, checked: where its report goes, in which format, with which fields.
struct Order {
    destination_bucket: String,
    destination_account: String,
    prefix: Option<String>,
    format: FileFormat,
    fields: Vec<InventoryField>,
    all_versions: bool,
}

impl Order {
    /// The order of `stored`, or [`DeliveryError::Configuration`] naming what S3 cannot serve.
    fn of(stored: &StoredConfiguration) -> Result<Self, DeliveryError> {
        let config = &stored.configuration;
        let bad = |message: String| DeliveryError::Configuration {
            bucket: stored.bucket.clone(),
            id: config.id.clone(),
            message,
        };
        let destination = &config.destination.s3_bucket_destination;
        let destination_bucket = destination
            .bucket
            .strip_prefix("arn:aws:s3:::")
            .ok_or_else(|| {
                bad(format!(
                    "destination {} is not a bucket ARN",
                    destination.bucket
                ))
            })?
            .to_string();
        let destination_account = stored.destination_account.clone().ok_or_else(|| {
            bad(format!(
                "destination bucket {destination_bucket} does not exist"
            ))
        })?;
        let format: FileFormat = destination
            .format
            .parse()
            .map_err(|_| bad(format!("unknown format {}", destination.format)))?;
        let optional: Vec<InventoryField> = config
            .optional_fields
            .iter()
            .map(|name| {
                InventoryField::from_config_name(name)
                    .ok_or_else(|| bad(format!("unknown optional field {name}")))
            })
            .collect::<Result<_, _>>()?;
        let all_versions = config.included_object_versions == "All";
        Ok(Self {
            destination_bucket,
            destination_account,
            prefix: destination.prefix.clone().filter(|p| !p.is_empty()),
            format,
            fields: report_fields(&optional, all_versions),
            all_versions,
        })
    }
}

/// Deliver one report; `None` when the bucket has nothing to list.
pub async fn deliver(
    target: &Target,
    stored: &StoredConfiguration,
    rows_per_file: usize,
) -> Result<Option<DeliveredReport>, DeliveryError> {
    let order = Order::of(stored)?;
    let source = target.as_account(&stored.account);
    // S3 writes no report for a source it may not read; any other failure is ours to retry.
    let unreadable = |e: DeliveryError| match e {
        DeliveryError::S3 { refused: true, .. } => DeliveryError::Source {
            bucket: stored.bucket.clone(),
            message: e.to_string(),
        },
        other => other,
    };
    let region = bucket_region(&source, &stored.bucket)
        .await
        .map_err(unreadable)?;
    let source = source.in_region(&region);
    let records = list_source(&source, stored, &order.fields, order.all_versions)
        .await
        .map_err(unreadable)?;
    if records.is_empty() {
        return Ok(None);
    }
    let sink = target.as_account(&order.destination_account);
    let sink = Sink {
        target: sink.in_region(&bucket_region(&sink, &order.destination_bucket).await?),
        admin: Admin::new(&target.endpoint),
        account: &order.destination_account,
        bucket: &order.destination_bucket,
        source: stored,
    };
    let (manifest_key, data_keys) =
        write_report(&sink, stored, &order, &records, rows_per_file).await?;
    Ok(Some(DeliveredReport {
        source_account: stored.account.clone(),
        source_bucket: stored.bucket.clone(),
        configuration_id: stored.configuration.id.clone(),
        destination_bucket: order.destination_bucket,
        manifest_key,
        data_keys,
        rows: records.len(),
    }))
}

/// Where a report is written: the destination bucket, as S3 Inventory writes into it.
struct Sink<'a> {
    /// The destination owner's credentials, in the bucket's region: the local AWS stores the object
    /// as theirs, which is what `bucket-owner-full-control` makes it in AWS.
    target: Target,
    admin: Admin,
    account: &'a str,
    bucket: &'a str,
    source: &'a StoredConfiguration,
}

impl Sink<'_> {
    /// Puts one report object, if the destination bucket's policy lets `s3.amazonaws.com` put it for
    /// the source bucket (`aws:SourceArn`, `aws:SourceAccount`, `s3:x-amz-acl`), as S3 requires; the
    /// local AWS decides, as it decides every other request.
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), DeliveryError> {
        #[derive(Deserialize)]
        struct Decision {
            allowed: bool,
            reason: String,
        }
        let decision: Decision = self
            .admin
            .post(
                "/_offline/s3/inventory-delivery",
                serde_json::json!({
                    "destinationAccount": self.account, "destinationBucket": self.bucket, "key": key,
                    "sourceAccount": self.source.account, "sourceBucket": self.source.bucket,
                }),
            )
            .await?;
        if !decision.allowed {
            return Err(DeliveryError::DestinationRefused {
                reason: decision.reason,
            });
        }
        put(&self.target, self.bucket, key, body).await
    }
}

/// Puts the report of `records` into the destination bucket through `sink`, in S3's order:
/// the data files, `manifest.json`, `manifest.checksum` (last of the manifest's: its arrival means
/// the report is complete) and the Hive `symlink.txt`. Returns the manifest's key and the data files'.
async fn write_report(
    sink: &Sink<'_>,
    stored: &StoredConfiguration,
    order: &Order,
    records: &[InventoryRecord],
    rows_per_file: usize,
) -> Result<(String, Vec<String>), DeliveryError> {
    let (bucket, id) = (&stored.bucket, &stored.configuration.id);
    let destination = &order.destination_bucket;
    let prefix = order.prefix.as_deref();
    let started = Utc::now();
    let mut files = Vec::new();
    let mut data_keys = Vec::new();
    for chunk in records.chunks(rows_per_file.max(1)) {
        let body = inventory_format::write::write_data_file(order.format, &order.fields, chunk)
            .map_err(|source| DeliveryError::Format {
                bucket: bucket.clone(),
                source,
            })?;
        let name = format!("{}.{}", uuid::Uuid::new_v4(), order.format.extension());
        let key = manifest::data_file_key(prefix, bucket, id, &name);
        files.push(ManifestFile::describe(key.clone(), &body));
        sink.put(&key, body).await?;
        data_keys.push(key);
    }
    let report = InventoryManifest::new(
        bucket,
        destination,
        started,
        order.format,
        &order.fields,
        files,
    );
    let manifest_json = report.to_json();
    let checksum = manifest::md5_hex(&manifest_json);
    let manifest_key = manifest::manifest_json_key(prefix, bucket, id, started);
    sink.put(&manifest_key, manifest_json).await?;
    let checksum_key = manifest::manifest_checksum_key(prefix, bucket, id, started);
    sink.put(&checksum_key, checksum.into_bytes()).await?;
    let symlink = manifest::symlink_txt(destination, &data_keys);
    let symlink_key = manifest::hive_symlink_key(prefix, bucket, id, started);
    sink.put(&symlink_key, symlink.into_bytes()).await?;
    Ok((manifest_key, data_keys))
}

async fn put(target: &Target, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), DeliveryError> {
    target
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .map_err(s3_error(format!("put s3://{bucket}/{key}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_per_file_comes_from_its_variable_or_the_default() {
        assert_eq!(parse_rows_per_file(None).unwrap(), ROWS_PER_FILE);
        assert_eq!(parse_rows_per_file(Some(" ")).unwrap(), ROWS_PER_FILE);
        assert_eq!(parse_rows_per_file(Some("7")).unwrap(), 7);
        for bad in ["0", "-3", "ten", "1.5"] {
            let err = parse_rows_per_file(Some(bad)).unwrap_err().to_string();
            assert!(
                err.starts_with("OFFLINE_INVENTORY_ROWS_PER_FILE is"),
                "{err}"
            );
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn a_scope_selects_by_bucket_and_by_the_callers_id_suffix() {
        let stored = |bucket: &str, id: &str| -> StoredConfiguration {
            serde_json::from_value(serde_json::json!({
                "account": "111111111111", "bucket": bucket, "destinationAccount": null,
                "configuration": {"Id": id, "IsEnabled": true, "IncludedObjectVersions": "All",
                    "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::dst", "Format": "CSV"}}}
            }))
            .unwrap()
        };
        let everything = Scope::default();
        assert!(everything.includes(&stored("a", "x-r7")));
        let buckets = ["a".to_string()];
        let of_a = Scope {
            buckets: &buckets,
            configuration_id_suffix: None,
        };
        assert!(of_a.includes(&stored("a", "anything")));
        assert!(!of_a.includes(&stored("b", "anything")));
        let of_r7 = Scope {
            buckets: &[],
            configuration_id_suffix: Some("-r7"),
        };
        assert!(of_r7.includes(&stored("b", "s3insights-d-r7")));
        assert!(!of_r7.includes(&stored("b", "s3insights-d-r77")));
        assert!(!of_r7.includes(&stored("b", "s3insights-d-xr7")));
    }

    #[test]
    fn stored_configurations_read_the_launchers_json() {
        let json = serde_json::json!({
            "account": "111111111111", "bucket": "src", "destinationAccount": "000000000000",
            "configuration": {"Id": "s3insights", "IsEnabled": true, "IncludedObjectVersions": "All",
                "Schedule": {"Frequency": "Daily"},
                "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::dst", "Format": "Parquet", "Prefix": "inv"}},
                "OptionalFields": ["Size", "ETag"]}
        });
        let stored: StoredConfiguration = serde_json::from_value(json).unwrap();
        assert_eq!(
            stored
                .configuration
                .destination
                .s3_bucket_destination
                .prefix
                .as_deref(),
            Some("inv")
        );
        assert_eq!(stored.configuration.optional_fields, ["Size", "ETag"]);
        assert!(stored.configuration.filter.is_none());
    }

    #[test]
    fn object_acl_field_is_base64_json_as_documented() {
        use aws_sdk_s3::types::{Grant, Grantee, Permission, Type};
        let grants = [
            Grant::builder()
                .grantee(
                    Grantee::builder()
                        .r#type(Type::CanonicalUser)
                        .id("abc")
                        .build()
                        .unwrap(),
                )
                .permission(Permission::FullControl)
                .build(),
            Grant::builder()
                .grantee(
                    Grantee::builder()
                        .r#type(Type::Group)
                        .uri("http://acs.amazonaws.com/groups/global/AllUsers")
                        .build()
                        .unwrap(),
                )
                .permission(Permission::Read)
                .build(),
        ];
        let decoded = aws_smithy_types::base64::decode(object_acl_field(&grants)).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"version": "2022-11-10", "status": "AVAILABLE", "grants": [
                {"canonicalId": "abc", "permission": "FULL_CONTROL", "type": "CanonicalUser"},
                {"uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permission": "READ", "type": "Group"}
            ]})
        );
    }
}

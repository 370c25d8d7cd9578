//! The run's inventory configuration on a source bucket: put by the configurator, removed by the
//! configurator (Cleanup), by the processor once the bucket's report is in, and by the monitor once
//! the bucket stops waiting. Each call is by the run's configuration id, never another's.

use aws_sdk_s3::types::{
    InventoryConfiguration, InventoryDestination, InventoryFormat, InventoryFrequency,
    InventoryIncludedObjectVersions, InventoryOptionalField, InventoryS3BucketDestination,
    InventorySchedule,
};
use s3insights::configuration::optional_fields;

use crate::error::{error_code, http_status};

/// Where a configuration sends its reports.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// The host account (the staging bucket's owner).
    pub host_account: &'a str,
    /// The run's staging bucket in the source bucket's region.
    pub staging_bucket: &'a str,
    /// The destination prefix (`s3insights::configuration::destination_prefix`).
    pub prefix: &'a str,
}

/// The run's configuration: daily, every version, every optional field, Parquet, into `destination`.
fn configuration(
    configuration_id: &str,
    destination: Destination<'_>,
) -> Result<InventoryConfiguration, String> {
    let bucket = InventoryS3BucketDestination::builder()
        .account_id(destination.host_account)
        .bucket(format!("arn:aws:s3:::{}", destination.staging_bucket))
        .format(InventoryFormat::Parquet)
        .prefix(destination.prefix)
        .build()
        .map_err(|e| e.to_string())?;
    InventoryConfiguration::builder()
        .id(configuration_id)
        .is_enabled(true)
        .included_object_versions(InventoryIncludedObjectVersions::All)
        .destination(
            InventoryDestination::builder()
                .s3_bucket_destination(bucket)
                .build(),
        )
        .schedule(
            InventorySchedule::builder()
                .frequency(InventoryFrequency::Daily)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .set_optional_fields(Some(
            optional_fields()
                .into_iter()
                .map(|f| InventoryOptionalField::from(f.config_name()))
                .collect(),
        ))
        .build()
        .map_err(|e| e.to_string())
}

/// Puts the run's configuration on `bucket`; `Err` with S3's answer when it is refused.
pub async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    configuration_id: &str,
    destination: Destination<'_>,
) -> Result<(), String> {
    let configuration = configuration(configuration_id, destination)?;
    s3.put_bucket_inventory_configuration()
        .bucket(bucket)
        .id(configuration_id)
        .inventory_configuration(configuration)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "PutBucketInventoryConfiguration: {}",
                platform::sdk_error::summary("PutBucketInventoryConfiguration", &e)
            )
        })
}

/// Removes the run's configuration (by its id, never another) from one bucket. `Ok` when it is
/// gone (removed now, or already absent with its bucket), `Err(reason)` when it could not be removed.
pub async fn remove(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    configuration_id: &str,
) -> Result<(), String> {
    match s3
        .delete_bucket_inventory_configuration()
        .bucket(bucket)
        .id(configuration_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err)
            if matches!(
                error_code(&err),
                Some("NoSuchConfiguration") | Some("NoSuchBucket")
            ) || http_status(&err) == Some(404) =>
        {
            Ok(())
        }
        Err(err) => Err(platform::sdk_error::summary(
            "DeleteBucketInventoryConfiguration",
            &err,
        )),
    }
}

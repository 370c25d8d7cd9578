//! The Durable proxy: Durable tables' stream records → the history table (one Parquet row per
//! revision, `crate::history`) and the change-feed topic (`historical::proxy::durable_record`), with
//! the message attributes subscribers filter on (`tech`, `account`, `region`, `change`).
//!
//! The row is written first: a revision is published only once it is queryable, and a retry after a
//! failed publication rewrites the same row (its key is the revision's identity), never a second.
//!
//! A record that cannot be read or published is reported as a batch item failure (its sequence
//! number, [`crate::stream::failure`]); skipped records (Durable removals, replication noise)
//! are logged.

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_sns::types::MessageAttributeValue;
use futures::{stream, StreamExt};
use historical::message::{Publication, SNS_MESSAGE_LIMIT};
use historical::proxy::{durable_record, image, Forward, ProxyRegions};
use platform::config::{self, ConfigError, Lookup};
use platform::serve::FromEnv;
use tracing::debug;

use crate::error::FunctionError;
use crate::history::HistoryWriter;
use crate::store::Offload;

/// Publications sent at once.
pub const CONCURRENCY: usize = 8;

/// The Durable proxy's configuration and clients.
pub struct Config {
    sns: aws_sdk_sns::Client,
    regions: ProxyRegions,
    topic_arn: String,
    history: HistoryWriter,
    offload: Offload,
}

impl Config {
    /// The variables [`FromEnv::from_env`] reads: exactly the function's template `Environment`.
    pub const VARIABLES: &'static [&'static str] =
        &["PROXY_REGIONS", "CHANGE_FEED_TOPIC_ARN", "OFFLOAD_BUCKET"];
}

impl FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let s3 = aws_sdk_s3::Client::new(sdk);
        let bucket = config::required(env, "OFFLOAD_BUCKET")?;
        Ok(Self {
            sns: aws_sdk_sns::Client::new(sdk),
            regions: ProxyRegions::parse(
                &config::optional(env, "PROXY_REGIONS").unwrap_or_else(|| "*".into()),
            ),
            topic_arn: config::required(env, "CHANGE_FEED_TOPIC_ARN")?,
            // Offloaded configurations are read back from where their pointer says; the history
            // table's rows go under `history/` of the same bucket.
            offload: Offload::new(s3.clone(), bucket.clone(), ""),
            history: HistoryWriter::new(s3, bucket),
        })
    }
}

/// Publishes one change with its message attributes.
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    publication: &Publication,
) -> Result<(), FunctionError> {
    let mut request = sns
        .publish()
        .topic_arn(topic_arn)
        .message(&publication.body);
    for (name, value) in &publication.attributes {
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|e| FunctionError::Publish {
                topic: topic_arn.into(),
                message: format!("attribute {name}: {e}"),
            })?;
        request = request.message_attributes(name, attribute);
    }
    request.send().await.map_err(|e| FunctionError::Publish {
        topic: topic_arn.into(),
        message: platform::sdk_error::summary("sns:Publish", &e),
    })?;
    Ok(())
}

async fn forward_revision(ctx: &Config, record: &EventRecord) -> Result<(), FunctionError> {
    match durable_record(
        &ctx.regions,
        &crate::stream::record(record),
        SNS_MESSAGE_LIMIT,
    )? {
        Forward::Send(publication) => {
            write_history(ctx, record, &publication).await?;
            publish(&ctx.sns, &ctx.topic_arn, &publication).await
        }
        Forward::Skip(why) => {
            debug!(event_id = %record.event_id, skip = ?why, "record skipped");
            Ok(())
        }
    }
}

/// The revision's row in the history table: the stored item (its configuration read back if
/// offloaded), with the change as published.
async fn write_history(
    ctx: &Config,
    record: &EventRecord,
    publication: &Publication,
) -> Result<(), FunctionError> {
    let stream_record = crate::stream::record(record);
    let mut item = image(&stream_record, &stream_record.new_image)?.ok_or_else(|| {
        FunctionError::invalid(&record.event_id, "a published revision without NewImage")
    })?;
    let message = &publication.message;
    item["change"] = serde_json::json!({
        "kind": message.change.kind,
        "patch": message.change.patch,
    });
    ctx.history.write(message.tech, item, &ctx.offload).await?;
    Ok(())
}

/// Publishes a batch of Durable stream records to the change feed.
pub async fn handle(
    ctx: &'static Config,
    event: Event,
) -> Result<DynamoDbEventResponse, FunctionError> {
    let results: Vec<Option<DynamoDbBatchItemFailure>> = stream::iter(event.records)
        .map(|record| async move {
            forward_revision(ctx, &record)
                .await
                .err()
                .map(|e| crate::stream::failure(&record, &e))
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = results.into_iter().flatten().collect();
    Ok(response)
}

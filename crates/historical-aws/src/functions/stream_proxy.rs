//! The two stream proxies (the same code as `crate::proxy`, deployed twice):
//!
//! * [`CurrentProxy`]: Current tables' stream records → Differ queue messages (`PROXY_REGIONS`
//!   filtering, items too big for SQS sent as `item_too_big` pointers);
//! * [`DurableProxy`]: Durable tables' stream records → the change-feed topic, with the message
//!   attributes subscribers filter on (`tech`, `account`, `region`, `change`).
//!
//! A record that cannot be read or sent is reported as a batch item failure (its sequence
//! number): Lambda retries from there, and after the mapping's retries the record's position goes
//! to its on-failure destination queue. Skipped records (another region's, replication noise,
//! Durable removals) are logged.

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_sns::types::MessageAttributeValue;
use futures::{stream, StreamExt};
use historical::message::{Publication, SNS_MESSAGE_LIMIT};
use historical::Technology;
use platform::config::{self, ConfigError, Lookup};
use platform::failure::Classified;
use tracing::{debug, warn};

use super::entry::FromEnv;
use super::outbox::{self, send_all, Outgoing};
use super::FunctionError;
use crate::proxy::{current_record, durable_record, Forward, ProxyRegions, SQS_MESSAGE_LIMIT};

/// Publications sent at once.
pub const CONCURRENCY: usize = 8;

fn sequence_number(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

fn failure(sequence: String) -> DynamoDbBatchItemFailure {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence);
    failure
}

fn report(record: &EventRecord, e: &FunctionError) -> DynamoDbBatchItemFailure {
    warn!(
        event_id = %record.event_id,
        sequence_number = %sequence_number(record),
        error_type = e.error_type(),
        error = %e,
        "stream record not forwarded"
    );
    failure(sequence_number(record))
}

/// Current → Differ.
pub struct CurrentProxy {
    sqs: aws_sdk_sqs::Client,
    regions: ProxyRegions,
    differ_queue_url: String,
}

impl FromEnv for CurrentProxy {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            sqs: aws_sdk_sqs::Client::new(sdk),
            regions: ProxyRegions::parse(&config::required(env, "PROXY_REGIONS")?),
            differ_queue_url: config::required(env, "DIFFER_QUEUE_URL")?,
        })
    }
}

/// Forwards a batch of Current stream records to the Differ queue.
pub async fn current(
    ctx: &'static CurrentProxy,
    event: Event,
) -> Result<DynamoDbEventResponse, FunctionError> {
    let mut response = DynamoDbEventResponse::default();
    let mut messages = Vec::new();
    let mut sources = Vec::new();
    for record in &event.records {
        match current_record(&ctx.regions, record, SQS_MESSAGE_LIMIT) {
            Ok(Forward::Send(message)) => {
                messages.push(Outgoing::now(message.body()));
                sources.push(record);
            }
            Ok(Forward::Skip(why)) => {
                debug!(event_id = %record.event_id, skip = ?why, "record skipped")
            }
            Err(e) => response.batch_item_failures.push(report(record, &e.into())),
        }
    }
    let not_sent = send_all(&ctx.sqs, &ctx.differ_queue_url, &messages).await;
    if !not_sent.is_empty() {
        let error = FunctionError::Send {
            queue: ctx.differ_queue_url.clone(),
            failed: not_sent.len(),
            detail: outbox::describe(&not_sent),
        };
        for n in &not_sent {
            response
                .batch_item_failures
                .push(report(sources[n.index], &error));
        }
    }
    Ok(response)
}

/// Durable → change feed.
pub struct DurableProxy {
    sns: aws_sdk_sns::Client,
    regions: ProxyRegions,
    topic_arn: String,
}

impl FromEnv for DurableProxy {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            sns: aws_sdk_sns::Client::new(sdk),
            regions: ProxyRegions::parse(
                &config::optional(env, "PROXY_REGIONS").unwrap_or_else(|| "*".into()),
            ),
            topic_arn: config::required(env, "CHANGE_FEED_TOPIC_ARN")?,
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

async fn forward_revision(ctx: &DurableProxy, record: &EventRecord) -> Result<(), FunctionError> {
    let arn = match record.change.keys.get("arn") {
        Some(serde_dynamo::AttributeValue::S(arn)) => arn.clone(),
        _ => return Err(FunctionError::invalid(&record.event_id, "no Keys.arn")),
    };
    let tech = Technology::of_arn(&arn).ok_or_else(|| {
        FunctionError::invalid(
            &record.event_id,
            format!("{arn} is no recorded technology's ARN"),
        )
    })?;
    match durable_record(tech, &ctx.regions, record, SNS_MESSAGE_LIMIT)? {
        Forward::Send(publication) => publish(&ctx.sns, &ctx.topic_arn, &publication).await,
        Forward::Skip(why) => {
            debug!(event_id = %record.event_id, skip = ?why, "record skipped");
            Ok(())
        }
    }
}

/// Publishes a batch of Durable stream records to the change feed.
pub async fn durable(
    ctx: &'static DurableProxy,
    event: Event,
) -> Result<DynamoDbEventResponse, FunctionError> {
    let results: Vec<Option<DynamoDbBatchItemFailure>> = stream::iter(event.records)
        .map(|record| async move {
            forward_revision(ctx, &record)
                .await
                .err()
                .map(|e| report(&record, &e))
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = results.into_iter().flatten().collect();
    Ok(response)
}

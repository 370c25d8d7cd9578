//! The Current proxy: Current tables' stream records → Differ queue messages
//! (`historical::proxy::current_record`: `PROXY_REGIONS` filtering, items too big for SQS sent as
//! `item_too_big` pointers).
//!
//! A record that cannot be read or sent is reported as a batch item failure (its sequence number,
//! [`crate::stream::failure`]); skipped records (another region's, replication noise) are logged.

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use historical::proxy::{current_record, Forward, ProxyRegions, SQS_MESSAGE_LIMIT};
use platform::config::{self, ConfigError, Lookup};
use platform::serve::FromEnv;
use tracing::debug;

use crate::error::FunctionError;
use crate::stream;
use platform::outbox::{self, send_all, Outgoing};

/// The Current proxy's configuration and clients.
pub struct Config {
    sqs: aws_sdk_sqs::Client,
    regions: ProxyRegions,
    differ_queue_url: String,
}

impl Config {
    /// The variables [`FromEnv::from_env`] reads: exactly the function's template `Environment`.
    pub const VARIABLES: &'static [&'static str] = &["PROXY_REGIONS", "DIFFER_QUEUE_URL"];
}

impl FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            sqs: aws_sdk_sqs::Client::new(sdk),
            regions: ProxyRegions::parse(&config::required(env, "PROXY_REGIONS")?),
            differ_queue_url: config::required(env, "DIFFER_QUEUE_URL")?,
        })
    }
}

/// Forwards a batch of Current stream records to the Differ queue.
pub async fn handle(
    ctx: &'static Config,
    event: Event,
) -> Result<DynamoDbEventResponse, FunctionError> {
    let mut response = DynamoDbEventResponse::default();
    let mut messages = Vec::new();
    let mut sources = Vec::new();
    for record in &event.records {
        match current_record(&ctx.regions, &stream::record(record), SQS_MESSAGE_LIMIT) {
            Ok(Forward::Send(message)) => {
                messages.push(Outgoing::now(message.body()));
                sources.push(record);
            }
            Ok(Forward::Skip(why)) => {
                debug!(event_id = %record.event_id, skip = ?why, "record skipped")
            }
            Err(e) => response
                .batch_item_failures
                .push(stream::failure(record, &e.into())),
        }
    }
    let not_sent = send_all(&ctx.sqs, &ctx.differ_queue_url, &messages).await;
    if !not_sent.is_empty() {
        let error = FunctionError::from(outbox::unsent(&ctx.differ_queue_url, &not_sent));
        for n in &not_sent {
            response
                .batch_item_failures
                .push(stream::failure(sources[n.index], &error));
        }
    }
    Ok(response)
}

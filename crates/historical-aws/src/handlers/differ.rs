//! The Differ: each Current change becomes a Durable revision if, and only if, it is an effective
//! change from the latest revision at or before its time.
//!
//! The message is the Current proxy's `historical::proxy::DifferMessage`. Its state comes from
//! where `historical::differ::source` says: the message's item (resolved from S3 when offloaded),
//! Current re-read when the item was too big to send, or a TTL expiry's deletion marker at the
//! expiry's time; other REMOVEs follow a tombstone that was already recorded, and are skipped.
//! The state, as a Durable item (`historical::differ::incoming`), is judged with
//! `historical::differ::judge` against the latest revision at or before its `eventTime`, and
//! written with its change (`created`, `updated`, `deleted` and the JSON Patch) so the Durable
//! proxy can publish it.
//!
//! Messages of one ARN are handled in their order within a batch (`historical::differ::by_arn`),
//! different ARNs concurrently.

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::{stream, StreamExt};
use historical::differ::{by_arn, incoming, judge, source, technology, Source};
use historical::item::with_change;
use historical::proxy::DifferMessage;
use historical::ChangeKind;
use platform::config::{ConfigError, Lookup};
use platform::serve::FromEnv;
use tracing::info;

use crate::error::{failed_message, FunctionError};
use crate::settings::{CurrentTables, DurableTables};

/// ARNs of one batch handled at once.
pub const CONCURRENCY: usize = 8;

/// The differ's configuration and clients.
pub struct Config {
    current: CurrentTables,
    durable: DurableTables,
}

impl Config {
    /// The variables [`FromEnv::from_env`] reads: exactly the function's template `Environment`.
    pub const VARIABLES: &'static [&'static str] =
        &["CURRENT_TABLES", "DURABLE_TABLES", "OFFLOAD_BUCKET"];
}

impl FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            current: CurrentTables::current_from_env(env, sdk)?,
            durable: DurableTables::durable_from_env(env, sdk)?,
        })
    }
}

/// What the Differ did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// A revision was written with this change.
    Revision(ChangeKind),
    /// Nothing effectively changed.
    NoChange,
    /// A REMOVE after a tombstone (already recorded).
    RemovalAfterTombstone,
    /// The item was too big to send and Current no longer holds it: its deletion, which
    /// replaced it, has its own message.
    GoneFromCurrent,
}

/// Judges one message and writes its revision if it is an effective change.
pub async fn judge_message(
    ctx: &Config,
    id: &str,
    message: &DifferMessage,
) -> Result<Judged, FunctionError> {
    let invalid =
        |e: historical::differ::UnjudgeableMessage| FunctionError::invalid(id, e.to_string());
    let tech = technology(message).map_err(invalid)?;
    let current = ctx.current.get(tech)?;
    let durable = ctx.durable.get(tech)?;
    let state = match source(message).map_err(invalid)? {
        Source::RemovalAfterTombstone => return Ok(Judged::RemovalAfterTombstone),
        Source::TtlExpiry(marker) => marker,
        Source::Image(item) => current.resolve(item).await?,
        Source::ReadCurrent => match current.get(&message.arn).await? {
            Some(item) => item,
            None => return Ok(Judged::GoneFromCurrent),
        },
    };
    let incoming = incoming(state).map_err(invalid)?;
    let previous = durable
        .latest_at_or_before(&message.arn, incoming.event_time)
        .await?;
    let Some(change) = judge(tech, previous.as_slice(), &incoming) else {
        return Ok(Judged::NoChange);
    };
    durable
        .put_revision(&with_change(incoming.item, &change))
        .await?;
    Ok(Judged::Revision(change.kind))
}

fn parse(message: &SqsMessage) -> Result<(String, DifferMessage), (String, FunctionError)> {
    let id = message.message_id.clone().unwrap_or_default();
    match serde_json::from_str::<DifferMessage>(message.body.as_deref().unwrap_or("")) {
        Ok(m) => Ok((id, m)),
        Err(e) => Err((
            id.clone(),
            FunctionError::invalid(id, format!("not a Differ message: {e}")),
        )),
    }
}

/// Judges one ARN's messages in order; after a failure, the later ones are not judged but
/// reported too, so they are retried in order.
async fn judge_in_order(
    ctx: &Config,
    group: Vec<(String, DifferMessage)>,
) -> Vec<(String, FunctionError)> {
    let mut failed = Vec::new();
    for (id, message) in group {
        if !failed.is_empty() {
            let waiting = FunctionError::Waiting {
                message_id: id.clone(),
                arn: message.arn.clone(),
            };
            failed.push((id, waiting));
            continue;
        }
        match judge_message(ctx, &id, &message).await {
            Ok(judged) => {
                info!(arn = %message.arn, stream_event = ?message.event_name, judged = ?judged, "judged")
            }
            Err(e) => failed.push((id, e)),
        }
    }
    failed
}

/// Judges every message; failures are reported for retry. After a failure, the later messages of
/// the same ARN are reported too (not judged), so they are retried in order.
pub async fn handle(
    ctx: &'static Config,
    event: SqsEvent,
) -> Result<SqsBatchResponse, FunctionError> {
    let mut response = SqsBatchResponse::default();
    let mut parsed = Vec::new();
    for message in &event.records {
        match parse(message) {
            Ok(p) => parsed.push(p),
            Err((id, e)) => response.batch_item_failures.push(failed_message(id, &e)),
        }
    }
    let failed: Vec<Vec<(String, FunctionError)>> = stream::iter(by_arn(parsed))
        .map(|group| judge_in_order(ctx, group))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    response.batch_item_failures.extend(
        failed
            .into_iter()
            .flatten()
            .map(|(id, e)| failed_message(id, &e)),
    );
    Ok(response)
}

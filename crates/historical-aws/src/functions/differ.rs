//! The Differ: each Current change becomes a Durable revision if, and only if, it is an effective
//! change from the latest revision at or before its time.
//!
//! The message is the stream proxy's [`DifferMessage`]. Its item (re-read from Current when it
//! was too big to send, resolved from S3 when offloaded) loses the Current-only fields (`ttl`,
//! `eventSource`, `aws:rep:*`), is judged with `historical::differ::judge` against the latest
//! revision at or before its `eventTime`, and written with its change (`created`, `updated`,
//! `deleted` and the JSON Patch) so the Durable proxy can publish it. A REMOVE by DynamoDB's TTL
//! writes a deletion marker at the expiry's time; other REMOVEs follow a tombstone that was
//! already recorded, and are skipped.
//!
//! Messages of one ARN are handled in their order within a batch, different ARNs concurrently.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use futures::{stream, StreamExt};
use historical::differ::{judge, ttl_deletion_marker};
use historical::{ChangeKind, Revision, Technology};
use platform::config::{ConfigError, Lookup};
use serde_json::Value;
use tracing::info;

use super::entry::FromEnv;
use super::settings::{CurrentTables, DurableTables};
use super::{failed_message, FunctionError};
use crate::proxy::{DifferMessage, StreamEvent};
use crate::store::durable::with_change;

/// ARNs of one batch handled at once.
pub const CONCURRENCY: usize = 8;

/// The differ's configuration and clients.
pub struct Differ {
    current: CurrentTables,
    durable: DurableTables,
}

impl FromEnv for Differ {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            current: CurrentTables::current_from_env(env, sdk)?,
            durable: DurableTables::durable_from_env(env, sdk)?,
        })
    }
}

/// A Current item as a Durable revision's item: without `ttl`, `eventSource` and the global-table
/// `aws:rep:*` attributes (the original's Current → Durable rule).
pub fn durable_item(mut item: Value) -> Value {
    if let Value::Object(map) = &mut item {
        map.retain(|k, _| k != "ttl" && k != "eventSource" && !k.starts_with("aws:rep:"));
    }
    item
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

fn parse_time(id: &str, what: &str, value: &str) -> Result<DateTime<Utc>, FunctionError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| FunctionError::invalid(id, format!("{what} {value:?}: {e}")))
}

/// Judges one message and writes its revision if it is an effective change.
pub async fn judge_message(
    ctx: &Differ,
    id: &str,
    message: &DifferMessage,
) -> Result<Judged, FunctionError> {
    let tech = Technology::of_arn(&message.arn).ok_or_else(|| {
        FunctionError::invalid(
            id,
            format!("{} is no recorded technology's ARN", message.arn),
        )
    })?;
    let current = ctx.current.get(tech)?;
    let durable = ctx.durable.get(tech)?;
    let item = match (message.event_name, &message.item) {
        (StreamEvent::Remove, _) if !message.ttl_expiry => {
            return Ok(Judged::RemovalAfterTombstone)
        }
        (StreamEvent::Remove, Some(old)) => {
            let expired_at = parse_time(id, "stream_time", &message.stream_time)?;
            ttl_deletion_marker(old, expired_at)
        }
        (StreamEvent::Remove, None) => {
            return Err(FunctionError::invalid(
                id,
                "a TTL expiry without its old image",
            ))
        }
        (_, Some(item)) => current.resolve(item.clone()).await?,
        (_, None) => match current.get(&message.arn).await? {
            Some(item) => item,
            None => return Ok(Judged::GoneFromCurrent),
        },
    };
    let item = durable_item(item);
    let time = item
        .get("eventTime")
        .and_then(Value::as_str)
        .ok_or_else(|| FunctionError::invalid(id, "the item has no eventTime"))?
        .to_string();
    let incoming = Revision {
        event_time: parse_time(id, "eventTime", &time)?,
        item,
    };
    let previous = durable
        .latest_at_or_before(&message.arn, incoming.event_time)
        .await?;
    let Some(change) = judge(tech, previous.as_slice(), &incoming) else {
        return Ok(Judged::NoChange);
    };
    let kind = change.kind;
    durable
        .put_revision(&with_change(incoming.item, &change))
        .await?;
    Ok(Judged::Revision(kind))
}

/// Messages grouped by ARN, each group in arrival order, groups in order of first arrival.
pub fn by_arn(messages: Vec<(String, DifferMessage)>) -> Vec<Vec<(String, DifferMessage)>> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<(String, DifferMessage)>> = BTreeMap::new();
    for (id, message) in messages {
        if !groups.contains_key(&message.arn) {
            order.push(message.arn.clone());
        }
        groups
            .entry(message.arn.clone())
            .or_default()
            .push((id, message));
    }
    order
        .into_iter()
        .filter_map(|arn| groups.remove(&arn))
        .collect()
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

/// Judges every message; failures are reported for retry. After a failure, the later messages of
/// the same ARN are reported too (not judged), so they are retried in order.
pub async fn handle(
    ctx: &'static Differ,
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
        .map(|group| async move {
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
                    Ok(judged) => info!(arn = %message.arn, stream_event = ?message.event_name, judged = ?judged, "judged"),
                    Err(e) => failed.push((id, e)),
                }
            }
            failed
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(arn: &str, time: &str) -> DifferMessage {
        DifferMessage {
            arn: arn.into(),
            event_time: Some(time.into()),
            event_name: StreamEvent::Modify,
            stream_time: time.into(),
            ttl_expiry: false,
            item: Some(json!({"arn": arn})),
            item_too_big: false,
        }
    }

    #[test]
    fn current_only_fields_are_left_out_of_revisions() {
        let item = json!({
            "arn": "a", "eventTime": "t", "ttl": 1, "eventSource": "s3.amazonaws.com",
            "aws:rep:updatetime": 1, "configuration": {"x": 1}, "eventName": "PutBucketPolicy"
        });
        assert_eq!(
            durable_item(item),
            json!({"arn": "a", "eventTime": "t", "configuration": {"x": 1}, "eventName": "PutBucketPolicy"})
        );
    }

    #[test]
    fn messages_of_one_arn_stay_in_order() {
        let batch = vec![
            (
                "1".to_string(),
                message("arn:aws:s3:::a", "2026-01-01T00:00:02Z"),
            ),
            (
                "2".to_string(),
                message("arn:aws:s3:::b", "2026-01-01T00:00:01Z"),
            ),
            (
                "3".to_string(),
                message("arn:aws:s3:::a", "2026-01-01T00:00:01Z"),
            ),
        ];
        let groups = by_arn(batch);
        let ids: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.iter().map(|(id, _)| id.as_str()).collect())
            .collect();
        assert_eq!(ids, vec![vec!["1", "3"], vec!["2"]]);
    }
}

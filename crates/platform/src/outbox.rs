//! Sending many messages to SQS, the one rule of both tools: batches of at most ten entries and
//! 256 KB, every failed entry retried with backoff (Historical's original never read `Failed` and
//! lost those messages), and optional jittered delays so a poll of many accounts does not arrive
//! as one spike.

use std::time::Duration;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use tracing::warn;

/// SQS's maximum message size in bytes
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html>).
pub const SQS_MESSAGE_LIMIT: usize = 262_144;

/// Most entries SQS takes in one `SendMessageBatch`.
pub const BATCH_ENTRIES: usize = 10;
/// Longest delay SQS allows on a message (the original's `RANDOMIZE_POLLER` maximum).
pub const MAX_DELAY_SECONDS: u32 = 900;
/// Attempts per entry before it is reported as not sent.
pub const ATTEMPTS: u32 = 4;

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The body.
    pub body: String,
    /// Seconds before it becomes visible (at most [`MAX_DELAY_SECONDS`]).
    pub delay_seconds: u32,
}

impl Outgoing {
    /// A message visible at once.
    pub fn now(body: String) -> Self {
        Self {
            body,
            delay_seconds: 0,
        }
    }
}

/// A message SQS did not take after every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    /// Its index in the list given to [`send_all`].
    pub index: usize,
    /// SQS's code (or the SDK error for a failed call).
    pub code: String,
    /// SQS's message.
    pub message: String,
}

/// A uniformly random delay in `0..=max_seconds` (capped at [`MAX_DELAY_SECONDS`]).
pub fn jitter(max_seconds: u32) -> u32 {
    let max = max_seconds.min(MAX_DELAY_SECONDS);
    if max == 0 {
        return 0;
    }
    (uuid::Uuid::new_v4().as_u128() % (u128::from(max) + 1)) as u32
}

/// A uniformly random pause in `0..=max_millis` milliseconds (full jitter).
pub fn jitter_millis(max_millis: u64) -> u64 {
    if max_millis == 0 {
        return 0;
    }
    (uuid::Uuid::new_v4().as_u128() % (u128::from(max_millis) + 1)) as u64
}

/// Groups message indexes into batches of at most [`BATCH_ENTRIES`] and [`SQS_MESSAGE_LIMIT`]
/// bytes of bodies, keeping order.
pub fn batches(sizes: &[usize]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut bytes = 0;
    for (index, &size) in sizes.iter().enumerate() {
        let fits = out
            .last()
            .is_some_and(|b| b.len() < BATCH_ENTRIES && bytes + size <= SQS_MESSAGE_LIMIT);
        if !fits {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(last) = out.last_mut() {
            last.push(index);
        }
    }
    out
}

/// Sends every message to `queue_url`; returns those SQS did not take after [`ATTEMPTS`]
/// (empty when all were sent). Sender faults (a message SQS will never take) are not retried.
pub async fn send_all(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[Outgoing],
) -> Vec<NotSent> {
    let sizes: Vec<usize> = messages.iter().map(|m| m.body.len()).collect();
    let mut not_sent = Vec::new();
    for batch in batches(&sizes) {
        not_sent.extend(send_batch(sqs, queue_url, messages, batch).await);
    }
    not_sent
}

async fn send_batch(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[Outgoing],
    mut pending: Vec<usize>,
) -> Vec<NotSent> {
    let mut failed = Vec::new();
    for attempt in 1..=ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        if attempt > 1 {
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
        let entries: Vec<SendMessageBatchRequestEntry> = pending
            .iter()
            .filter_map(|&i| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&messages[i].body)
                    .delay_seconds(messages[i].delay_seconds.min(MAX_DELAY_SECONDS) as i32)
                    .build()
                    .ok()
            })
            .collect();
        let answer = sqs
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await;
        match answer {
            Err(e) => {
                let message = crate::sdk_error::summary("SendMessageBatch", &e);
                warn!(queue = queue_url, attempt, error = %message, "SendMessageBatch failed");
                failed = pending
                    .iter()
                    .map(|&index| NotSent {
                        index,
                        code: "SendMessageBatch".into(),
                        message: message.clone(),
                    })
                    .collect();
            }
            Ok(out) => {
                let mut retry = Vec::new();
                failed.clear();
                for f in out.failed() {
                    let Ok(index) = f.id().parse::<usize>() else {
                        continue;
                    };
                    let entry = NotSent {
                        index,
                        code: f.code().to_string(),
                        message: f.message().unwrap_or_default().to_string(),
                    };
                    warn!(queue = queue_url, attempt, code = %entry.code, "entry not sent");
                    if !f.sender_fault() {
                        retry.push(index);
                    }
                    failed.push(entry);
                }
                if retry.len() < failed.len() {
                    // Sender faults stay failed; only the others are tried again.
                    let senders: Vec<NotSent> = failed
                        .iter()
                        .filter(|n| !retry.contains(&n.index))
                        .cloned()
                        .collect();
                    if retry.is_empty() {
                        return senders;
                    }
                    let mut rest = Box::pin(send_batch(sqs, queue_url, messages, retry)).await;
                    rest.extend(senders);
                    return rest;
                }
                pending = retry;
                continue;
            }
        }
    }
    failed
}

/// One line naming the first failures, for an error message.
pub fn describe(not_sent: &[NotSent]) -> String {
    not_sent
        .iter()
        .take(3)
        .map(|n| format!("#{} {}: {}", n.index, n.code, n.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Messages SQS did not take even after retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SendMessageBatch to {queue}: {failed} message(s) not sent: {detail}")]
pub struct Unsent {
    /// The queue URL.
    pub queue: String,
    /// How many.
    pub failed: usize,
    /// The first failures' codes and messages.
    pub detail: String,
}

/// The error of messages to `queue_url` that SQS did not take.
pub fn unsent(queue_url: &str, not_sent: &[NotSent]) -> Unsent {
    Unsent {
        queue: queue_url.to_string(),
        failed: not_sent.len(),
        detail: describe(not_sent),
    }
}

/// Sends every message to `queue_url` ([`send_all`]), or fails naming those SQS did not take.
pub async fn send_every(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[Outgoing],
) -> Result<(), Unsent> {
    let not_sent = send_all(sqs, queue_url, messages).await;
    if not_sent.is_empty() {
        Ok(())
    } else {
        Err(unsent(queue_url, &not_sent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_ten_entries_and_256_kb_at_most() {
        let sizes = vec![1_000; 25];
        let b = batches(&sizes);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 5]);
        assert_eq!(b.concat(), (0..25).collect::<Vec<_>>());

        let big = vec![100_000, 100_000, 100_000, 200_000, 10];
        assert_eq!(batches(&big), vec![vec![0, 1], vec![2], vec![3, 4]]);
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn jitter_stays_within_bounds() {
        assert_eq!(jitter(0), 0);
        let seen: Vec<u32> = (0..2_000).map(|_| jitter(3)).collect();
        assert!(seen.iter().all(|&d| d <= 3));
        for d in 0..=3 {
            assert!(seen.contains(&d), "{d} never drawn");
        }
        assert!((0..200).all(|_| jitter(5_000) <= MAX_DELAY_SECONDS));
    }
}

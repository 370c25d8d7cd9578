//! Events out of time: an event's `detail.eventTime` checked against its *receive time*, the time
//! our queue received the message (SQS `SentTimestamp`, else the collector's clock).
//!
//! CloudTrail dates an event when the API call completed, on the clock of the AWS host that served
//! it (NTP-synchronised), and delivers it afterwards
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>,
//! `eventTime`). So an event cannot be dated after it was received, beyond the two clocks' drift:
//! [`CLOCK_TOLERANCE`]. And a message is kept by SQS at most 14 days
//! (`MessageRetentionPeriod` ≤ 1,209,600 s,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html>;
//! a standard queue's DLQ keeps the original enqueue time,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html>),
//! so an event dated more than [`MAX_EVENT_AGE`] before its receive time has not come straight
//! through our queues. A DLQ redrive enqueues the message anew (new message id and enqueue time,
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html>),
//! so a real event redriven more than 14 days after its call is refused too: by then the polls
//! (every 6 hours) have recorded a newer state, and applying it could only record today's
//! description at a weeks-old time.
//!
//! An event out of time is refused before any describe or write (it would otherwise become the
//! Current item's time: a 2099 event made every later change "older" and dropped it, a 1970 event
//! published a `created` revision of 1970). The collector reports it as a batch item failure, so
//! it rests in the queue's DLQ; the resource's real state is recorded by the next poll.

use chrono::{DateTime, TimeDelta, Utc};

/// How far an event may be dated after its receive time: the drift allowed between the clock of
/// the AWS host that served the call and SQS's.
pub const CLOCK_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// How far an event may be dated before its receive time: SQS's longest message retention.
pub const MAX_EVENT_AGE: TimeDelta = TimeDelta::days(14);

/// Which bound an event out of time crosses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Dated more than [`CLOCK_TOLERANCE`] after its receive time.
    AfterReceipt,
    /// Dated more than [`MAX_EVENT_AGE`] before its receive time.
    BeforeRetention,
}

/// An event whose `eventTime` cannot be true for a message received at `received`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(self))]
pub struct EventOutOfTime {
    /// `detail.eventTime`.
    pub event_time: DateTime<Utc>,
    /// When our queue received the message.
    pub received: DateTime<Utc>,
    /// The bound crossed.
    pub bound: Bound,
}

fn describe(e: &EventOutOfTime) -> String {
    let (event_time, received) = (rfc3339(e.event_time), rfc3339(e.received));
    match e.bound {
        Bound::AfterReceipt => format!(
            "detail.eventTime {event_time} is more than {} minutes after the event was received \
             ({received}): CloudTrail dates a call before it delivers it",
            CLOCK_TOLERANCE.num_minutes()
        ),
        Bound::BeforeRetention => format!(
            "detail.eventTime {event_time} is more than {} days before the event was received \
             ({received}): no SQS queue keeps a message that long",
            MAX_EVENT_AGE.num_days()
        ),
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Checks `event_time` against the receive time: at most [`CLOCK_TOLERANCE`] after it and at most
/// [`MAX_EVENT_AGE`] before it, both bounds included.
pub fn check_event_time(
    event_time: DateTime<Utc>,
    received: DateTime<Utc>,
) -> Result<(), EventOutOfTime> {
    let out_of_time = |bound| EventOutOfTime {
        event_time,
        received,
        bound,
    };
    // `signed_duration_since` cannot overflow for the years chrono represents.
    let ahead = event_time.signed_duration_since(received);
    if ahead > CLOCK_TOLERANCE {
        return Err(out_of_time(Bound::AfterReceipt));
    }
    if -ahead > MAX_EVENT_AGE {
        return Err(out_of_time(Bound::BeforeRetention));
    }
    Ok(())
}

/// The receive time an SQS `SentTimestamp` attribute gives (epoch milliseconds, as Lambda
/// delivers it in a record's `attributes`); `None` when it is not one.
pub fn sent_timestamp(value: &str) -> Option<DateTime<Utc>> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    const RECEIVED: &str = "2025-06-01T12:00:00Z";

    fn check(event_time: &str) -> Result<(), EventOutOfTime> {
        check_event_time(at(event_time), at(RECEIVED))
    }

    #[test]
    fn an_event_within_its_bounds_is_in_time() {
        for t in [
            RECEIVED,
            "2025-06-01T11:59:00Z",
            "2025-06-01T12:04:59Z",
            "2025-05-20T00:00:00Z",
        ] {
            assert_eq!(check(t), Ok(()), "{t}");
        }
    }

    #[test]
    fn five_minutes_after_receipt_is_the_last_second_in_time() {
        assert_eq!(check("2025-06-01T12:05:00Z"), Ok(()));
        let late = check("2025-06-01T12:05:01Z").unwrap_err();
        assert_eq!(late.bound, Bound::AfterReceipt);
        assert_eq!(
            check("2025-06-01T12:05:00.001Z").unwrap_err().bound,
            Bound::AfterReceipt
        );
    }

    #[test]
    fn fourteen_days_before_receipt_is_the_first_second_in_time() {
        assert_eq!(check("2025-05-18T12:00:00Z"), Ok(()));
        let early = check("2025-05-18T11:59:59Z").unwrap_err();
        assert_eq!(early.bound, Bound::BeforeRetention);
        assert_eq!(
            check("2025-05-18T11:59:59.999Z").unwrap_err().bound,
            Bound::BeforeRetention
        );
    }

    #[test]
    fn the_reason_states_both_times_and_the_bound() {
        let future = check("2099-01-01T00:00:00Z").unwrap_err().to_string();
        assert_eq!(
            future,
            "detail.eventTime 2099-01-01T00:00:00Z is more than 5 minutes after the event was \
             received (2025-06-01T12:00:00Z): CloudTrail dates a call before it delivers it"
        );
        let past = check("1970-01-01T00:00:00Z").unwrap_err().to_string();
        assert_eq!(
            past,
            "detail.eventTime 1970-01-01T00:00:00Z is more than 14 days before the event was \
             received (2025-06-01T12:00:00Z): no SQS queue keeps a message that long"
        );
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        assert_eq!(
            check_event_time(DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC)
                .unwrap_err()
                .bound,
            Bound::AfterReceipt
        );
        assert_eq!(
            check_event_time(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)
                .unwrap_err()
                .bound,
            Bound::BeforeRetention
        );
    }

    #[test]
    fn sent_timestamps_are_epoch_milliseconds() {
        assert_eq!(
            sent_timestamp("1545082649183"),
            Some(at("2018-12-17T21:37:29.183Z"))
        );
        assert_eq!(sent_timestamp("0"), Some(at("1970-01-01T00:00:00Z")));
        for bad in ["", "soon", "1.5", "99999999999999999999999"] {
            assert_eq!(sent_timestamp(bad), None, "{bad:?}");
        }
    }
}

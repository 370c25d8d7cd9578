//! Producing on one thread while consuming on another.
//!
//! Consolidation has two halves of similar cost: decompressing and parsing
//! the data file, and measuring and encoding Parquet. Running them on two
//! threads overlaps them on a two-core machine (a Lambda function with
//! 1,769 MB or more); the bounded channel between them keeps memory to a few
//! items, so the total stays bounded whatever the file size.

use std::sync::mpsc::sync_channel;
use std::sync::Mutex;
use std::thread;

/// Items produced but not yet consumed, at most: enough to keep both threads
/// busy, few enough to bound memory. With four threads on two cores (inflate,
/// parse, and the two encoders) a queue of 2 left cores idle whenever one stage
/// stalled: 4 took the benchmark from 1.15 to 0.99 s on two cores.
pub(crate) const READ_AHEAD: usize = 4;

/// Feeds every item of `producer` (iterated on a helper thread named
/// `thread_name`) to `consume` (called on this thread), in order, until the
/// end or `consume`'s first error; then the producer stops at its next item.
///
/// If no thread can be started, everything runs on this thread. A panic in
/// the producer is resumed here.
pub(crate) fn consume_on_this_thread<I, E>(
    thread_name: &str,
    producer: I,
    mut consume: impl FnMut(I::Item) -> Result<(), E>,
) -> Result<(), E>
where
    I: Iterator + Send,
    I::Item: Send,
{
    // The thread takes the producer if it starts; if it does not, it is still here.
    let unstarted = &Mutex::new(Some(producer));
    thread::scope(|scope| {
        let (sender, receiver) = sync_channel(READ_AHEAD);
        let spawned = thread::Builder::new()
            .name(thread_name.to_owned())
            .spawn_scoped(scope, move || {
                let producer = unstarted.lock().ok().and_then(|mut p| p.take());
                for item in producer.into_iter().flatten() {
                    // A closed channel means the consumer failed: stop producing.
                    if sender.send(item).is_err() {
                        break;
                    }
                }
            });
        match spawned {
            Ok(producer) => {
                let consumed = receiver.into_iter().try_for_each(&mut consume);
                if let Err(panic) = producer.join() {
                    std::panic::resume_unwind(panic);
                }
                consumed
            }
            Err(_) => {
                let producer = unstarted.lock().ok().and_then(|mut p| p.take());
                producer.into_iter().flatten().try_for_each(consume)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumes_everything_in_order() {
        let mut seen = Vec::new();
        let result: Result<(), ()> = consume_on_this_thread("t", 0..1000, |i| {
            seen.push(i);
            Ok(())
        });
        assert_eq!(result, Ok(()));
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn stops_the_producer_at_the_first_error() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let produced = AtomicUsize::new(0);
        let producer = (0..1_000_000).inspect(|_| {
            produced.fetch_add(1, Ordering::Relaxed);
        });
        let result =
            consume_on_this_thread("t", producer, |i| if i == 10 { Err(i) } else { Ok(()) });
        assert_eq!(result, Err(10));
        // The producer ran at most a few items ahead.
        assert!(produced.load(Ordering::Relaxed) <= 10 + READ_AHEAD + 3);
    }
}

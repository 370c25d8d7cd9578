//! Gzip decompression on a helper thread, a few buffers ahead of the parser.
//!
//! Inflating is about a third of the cost of reading a CSV report; on a
//! machine with a second core (a Lambda function with 1,769 MB or more) it
//! overlaps with parsing instead of adding to it. Memory stays bounded: at
//! most [`BUFFERS`] buffers of [`BUFFER_BYTES`] exist at any time, recycled
//! between the two threads.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use flate2::read::MultiGzDecoder;

/// Bytes of decompressed data per buffer.
const BUFFER_BYTES: usize = 256 * 1024;
/// Buffers in flight (filled, queued or being parsed).
const BUFFERS: usize = 4;

/// What the decompressing thread sends: a filled buffer, the end, or an error.
enum Chunk {
    /// A buffer and how many of its bytes are data (the rest is stale: never
    /// zeroed again, to save a memset per buffer).
    Data(Vec<u8>, usize),
    End,
    Failed(io::Error),
}

/// A gzip decoder over `source`, run on its own thread when one can be
/// started, inline otherwise.
pub(super) fn gunzip(source: Box<dyn Read + Send>) -> Box<dyn Read + Send> {
    let (full_tx, full_rx) = sync_channel(BUFFERS);
    let (free_tx, free_rx) = sync_channel(BUFFERS);
    for _ in 0..BUFFERS {
        // Cannot fail: the channel has room for every buffer.
        let _ = free_tx.try_send(Vec::with_capacity(BUFFER_BYTES));
    }
    // The thread takes the source if it starts; if it does not, it is still here.
    let slot = Arc::new(Mutex::new(Some(source)));
    let taken = Arc::clone(&slot);
    let spawned = thread::Builder::new()
        .name("gunzip".to_owned())
        .spawn(move || {
            let source = taken.lock().ok().and_then(|mut s| s.take());
            if let Some(source) = source {
                inflate(MultiGzDecoder::new(source), &full_tx, &free_rx);
            }
        });
    match spawned {
        Ok(_) => Box::new(ReadAhead {
            full: full_rx,
            free: free_tx,
            current: Vec::new(),
            len: 0,
            at: 0,
            done: false,
        }),
        Err(_) => match slot.lock().ok().and_then(|mut s| s.take()) {
            Some(source) => Box::new(MultiGzDecoder::new(source)),
            None => Box::new(Failed),
        },
    }
}

/// Decompresses into recycled buffers until the end, an error, or the reader
/// going away.
fn inflate(mut decoder: impl Read, full: &SyncSender<Chunk>, free: &Receiver<Vec<u8>>) {
    loop {
        // No free buffer means the reader was dropped.
        let Ok(mut buffer) = free.recv() else { return };
        if buffer.len() != BUFFER_BYTES {
            buffer.resize(BUFFER_BYTES, 0);
        }
        let mut filled = 0;
        let outcome = loop {
            match decoder.read(&mut buffer[filled..]) {
                Ok(0) => break Some(Chunk::End),
                Ok(n) => {
                    filled += n;
                    if filled == buffer.len() {
                        break None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(Chunk::Failed(e)),
            }
        };
        if filled > 0 && full.send(Chunk::Data(buffer, filled)).is_err() {
            return;
        }
        if let Some(last) = outcome {
            let _ = full.send(last);
            return;
        }
    }
}

/// The parser's side: reads the buffers in order, returning each when done.
struct ReadAhead {
    full: Receiver<Chunk>,
    free: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    /// Data bytes in `current`.
    len: usize,
    at: usize,
    done: bool,
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.len {
            if self.done {
                return Ok(0);
            }
            match self.full.recv() {
                Ok(Chunk::Data(next, len)) => {
                    let used = std::mem::replace(&mut self.current, next);
                    self.len = len;
                    self.at = 0;
                    // The thread may have finished: then nobody needs it back.
                    let _ = self.free.try_send(used);
                }
                Ok(Chunk::End) => self.done = true,
                Ok(Chunk::Failed(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other(
                        "the gzip decompression thread stopped unexpectedly",
                    ));
                }
            }
        }
        let n = out.len().min(self.len - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A reader that always fails (no thread and no source left).
struct Failed;

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("could not start gzip decompression"))
    }
}

//! Gzip decompression on a helper thread, a few buffers ahead of the parser.
//!
//! Inflating is about a third of the cost of reading a CSV report; on a
//! machine with a second core (a Lambda function with 1,769 MB or more) it
//! overlaps with parsing instead of adding to it. Memory stays bounded: at
//! most [`BUFFERS`] buffers of [`BUFFER_BYTES`] exist at any time, recycled
//! between the two threads.
//!
//! The parser parses each buffer where it was inflated, nothing is copied:
//! the inflating thread leaves [`HEAD_BYTES`] free at the front of every
//! buffer, and the parser moves the unfinished record at the end of one
//! buffer into the head room of the next, just before its data. A record
//! longer than the head room is gathered in a buffer of its own instead.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use flate2::read::MultiGzDecoder;

use super::csv_records::{ReadRefill, Refill};

/// Bytes of decompressed data per buffer.
const BUFFER_BYTES: usize = 256 * 1024;
/// Free bytes before the data of every buffer, for the previous buffer's
/// unfinished record: S3's records are a few hundred bytes, 1 KiB keys included.
const HEAD_BYTES: usize = 16 * 1024;
/// Buffers in flight (filled, queued or being parsed): 4 MiB, so inflating
/// runs on while the parser waits for the encoder, and the other way round.
const BUFFERS: usize = 16;

/// The buffers' shape (other than the defaults in tests only).
#[derive(Clone, Copy)]
struct Sizes {
    data: usize,
    head: usize,
    /// At least 2: the parser holds one while the thread fills another.
    buffers: usize,
}

const SIZES: Sizes = Sizes {
    data: BUFFER_BYTES,
    head: HEAD_BYTES,
    buffers: BUFFERS,
};

/// What the decompressing thread sends: a filled buffer, the end, or an error.
enum Chunk {
    /// A buffer and how many bytes of data follow its head room (the rest is
    /// stale: never zeroed again, to save a memset per buffer).
    Data(Vec<u8>, usize),
    End,
    Failed(io::Error),
}

/// A gzip decoder over `source`, run on its own thread when one can be
/// started, inline otherwise.
pub(super) fn gunzip(source: Box<dyn Read + Send>) -> Box<dyn Refill> {
    gunzip_with(source, SIZES)
}

fn gunzip_with(source: Box<dyn Read + Send>, sizes: Sizes) -> Box<dyn Refill> {
    debug_assert!(sizes.buffers >= 2, "the parser keeps one buffer");
    let (full_tx, full_rx) = sync_channel(sizes.buffers);
    let (free_tx, free_rx) = sync_channel(sizes.buffers);
    for _ in 0..sizes.buffers {
        // Cannot fail: the channel has room for every buffer.
        let _ = free_tx.try_send(Vec::with_capacity(sizes.head + sizes.data));
    }
    // The thread takes the source if it starts; if it does not, it is still here.
    let slot = Arc::new(Mutex::new(Some(source)));
    let taken = Arc::clone(&slot);
    let spawned = thread::Builder::new()
        .name("gunzip".to_owned())
        .spawn(move || {
            let source = taken.lock().ok().and_then(|mut s| s.take());
            if let Some(source) = source {
                inflate(MultiGzDecoder::new(source), sizes, &full_tx, &free_rx);
            }
        });
    match spawned {
        Ok(_) => Box::new(ReadAhead {
            full: full_rx,
            free: free_tx,
            head: sizes.head,
            done: false,
        }),
        Err(_) => match slot.lock().ok().and_then(|mut s| s.take()) {
            Some(source) => Box::new(ReadRefill(MultiGzDecoder::new(source))),
            None => Box::new(ReadRefill(Failed)),
        },
    }
}

/// Decompresses into recycled buffers, after their head room, until the end,
/// an error, or the parser going away.
fn inflate(
    mut decoder: impl Read,
    sizes: Sizes,
    full: &SyncSender<Chunk>,
    free: &Receiver<Vec<u8>>,
) {
    loop {
        // No free buffer means the parser was dropped.
        let Ok(mut buffer) = free.recv() else { return };
        if buffer.len() != sizes.head + sizes.data {
            buffer.resize(sizes.head + sizes.data, 0);
        }
        let mut filled = 0;
        let outcome = loop {
            match decoder.read(&mut buffer[sizes.head + filled..]) {
                Ok(0) => break Some(Chunk::End),
                Ok(n) => {
                    filled += n;
                    if filled == sizes.data {
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

/// The parser's side: takes the buffers in order, returning each when done.
struct ReadAhead {
    full: Receiver<Chunk>,
    free: SyncSender<Vec<u8>>,
    head: usize,
    done: bool,
}

impl ReadAhead {
    /// The next buffer and its data length; `None` at the end.
    fn next_chunk(&mut self) -> io::Result<Option<(Vec<u8>, usize)>> {
        if self.done {
            return Ok(None);
        }
        let chunk = self.full.recv().unwrap_or_else(|_| {
            Chunk::Failed(io::Error::other(
                "the gzip decompression thread stopped unexpectedly",
            ))
        });
        match chunk {
            Chunk::Data(buffer, len) => Ok(Some((buffer, len))),
            Chunk::End => {
                self.done = true;
                Ok(None)
            }
            Chunk::Failed(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Gives a used buffer back to the inflating thread.
    fn recycle(&self, buffer: Vec<u8>) {
        // Full (the parser's first, empty buffer makes one too many) or the
        // thread finished: then nobody needs it.
        if buffer.capacity() > 0 {
            let _ = self.free.try_send(buffer);
        }
    }
}

impl Refill for ReadAhead {
    fn refill(&mut self, buf: &mut Vec<u8>, pos: &mut usize, end: &mut usize) -> io::Result<bool> {
        let Some((mut next, len)) = self.next_chunk()? else {
            return Ok(false);
        };
        let unparsed = *end - *pos;
        if unparsed <= self.head {
            let start = self.head - unparsed;
            next[start..self.head].copy_from_slice(&buf[*pos..*end]);
            self.recycle(std::mem::replace(buf, next));
            *pos = start;
            *end = self.head + len;
        } else {
            // A record longer than the head room: gathered where it is.
            buf.copy_within(*pos..*end, 0);
            buf.truncate(unparsed);
            buf.extend_from_slice(&next[self.head..self.head + len]);
            self.recycle(next);
            *pos = 0;
            *end = buf.len();
        }
        Ok(true)
    }
}

/// A reader that always fails (no thread and no source left).
struct Failed;

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("could not start gzip decompression"))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;

    use super::super::csv_records::CsvRecords;
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).expect("gzip");
        encoder.finish().expect("gzip")
    }

    fn records(data: &[u8], sizes: Sizes) -> Vec<Vec<Vec<u8>>> {
        let source = std::io::Cursor::new(gzip(data));
        let mut records = CsvRecords::new(gunzip_with(Box::new(source), sizes));
        let mut out = Vec::new();
        while records.read().expect("read") {
            out.push(
                (0..records.len())
                    .map(|i| records.field(i).to_vec())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn records_across_buffers_come_out_whole_in_head_room_or_gathered() {
        // Records of 1 to ~90 bytes: some fit the head room, some do not, and
        // buffer ends fall everywhere in them.
        let mut data = Vec::new();
        let mut expected = Vec::new();
        for i in 0..2_000usize {
            let key = "k".repeat(i % 80);
            data.extend_from_slice(format!("\"b{i}\",\"{key}\"\n").as_bytes());
            expected.push(vec![format!("b{i}").into_bytes(), key.into_bytes()]);
        }
        for (data_bytes, head) in [(7, 3), (64, 16), (97, 40), (4096, 128)] {
            for buffers in [2, 5] {
                let sizes = Sizes {
                    data: data_bytes,
                    head,
                    buffers,
                };
                assert_eq!(
                    records(&data, sizes),
                    expected,
                    "{data_bytes}/{head}/{buffers}"
                );
            }
        }
        assert_eq!(records(&data, SIZES), expected);
    }

    #[test]
    fn a_corrupt_stream_is_an_error_not_an_end() {
        let mut bad = gzip(b"\"a\",\"b\"\n");
        bad.truncate(bad.len() - 6);
        let mut records = CsvRecords::new(gunzip(Box::new(std::io::Cursor::new(bad))));
        let mut outcome = Ok(true);
        while let Ok(true) = outcome {
            outcome = records.read();
        }
        assert!(outcome.is_err());
    }
}

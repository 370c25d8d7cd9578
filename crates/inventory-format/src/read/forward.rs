//! A data file read once, front to back, from a forward-only stream (an S3 `GetObject` body), and
//! hashed on the way.
//!
//! CSV needs nothing else: its reader consumes the stream directly. ORC and Parquet need random
//! access: their footer is at the end and their readers jump between the column chunks of a row
//! group (stripe). A [`ForwardFile`] serves them without a local copy of the file:
//!
//! * the **tail** (footer and metadata) is read first, by a ranged request the caller makes;
//! * every other read is served from a **window** of the most recent bytes of the stream, pulled
//!   forward as far as a read needs and trimmed to the last [`ForwardFile::retaining`] bytes, so
//!   memory is one window, whatever the file size (a row group or stripe fits in it when the window
//!   is at least as large);
//! * a read behind the window (rare: a row group larger than the window) is fetched with a ranged
//!   request ([`RangeRead`]) and counted ([`ForwardStats`]).
//!
//! Every byte of the stream passes the MD5 once, in order; [`ForwardFile::finish`] reads what the
//! decoder did not need, checks the length and that the stream's last bytes equal the tail read
//! first, and returns the MD5 to compare with the manifest's. The caller makes the ranged reads
//! and the stream of one object version (S3: `If-Match` with the tail's `ETag`), so the checked MD5
//! vouches for every byte decoded.

use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use md5::{Digest, Md5};

/// Ranged reads of the same file, for reads behind the window.
pub trait RangeRead: Send + Sync {
    /// `length` bytes from `start`.
    fn read_range(&self, start: u64, length: u64) -> io::Result<Bytes>;
}

/// How a [`ForwardFile`] was read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForwardStats {
    /// Bytes read from the stream (the whole file, once finished).
    pub streamed: u64,
    /// Ranged reads made for data behind the window.
    pub ranged_reads: u64,
    /// Bytes those ranged reads returned.
    pub ranged_bytes: u64,
    /// Most bytes the window held at once.
    pub peak_window: u64,
}

/// A file of known length read from a forward-only stream; cheap to clone (all clones share the
/// stream, the window and the hash).
#[derive(Clone)]
pub struct ForwardFile {
    shared: Arc<Shared>,
}

struct Shared {
    len: u64,
    tail_start: u64,
    tail: Bytes,
    retain: u64,
    ranges: Option<Box<dyn RangeRead>>,
    window: Mutex<Window>,
}

/// The stream and the bytes `[low, high)` of the file still held.
struct Window {
    stream: Box<dyn Read + Send>,
    hasher: Md5,
    low: u64,
    high: u64,
    held: Vec<u8>,
    tail_differs: bool,
    stats: ForwardStats,
}

/// How much the window pulls from the stream at a time, at least.
const PULL: usize = 256 * 1024;

impl ForwardFile {
    /// `len` bytes arriving from `stream`; nothing kept behind the read position (enough for CSV).
    pub fn new(stream: impl Read + Send + 'static, len: u64) -> Self {
        Self::build(Box::new(stream), len, (len, Bytes::new()), 0, None)
    }

    /// The file's last `tail.len()` bytes, read first (ORC and Parquet read their footer there).
    pub fn with_tail(self, tail: Bytes) -> Self {
        self.rebuild(|parts| parts.tail = tail)
    }

    /// Keep the last `bytes` of the stream for reads that go back (a row group's column chunks).
    pub fn retaining(self, bytes: u64) -> Self {
        self.rebuild(|parts| parts.retain = bytes)
    }

    /// Fetch reads behind the window with `ranges`; without, such a read fails.
    pub fn with_ranges(self, ranges: impl RangeRead + 'static) -> Self {
        self.rebuild(|parts| parts.ranges = Some(Box::new(ranges)))
    }

    fn build(
        stream: Box<dyn Read + Send>,
        len: u64,
        (tail_start, tail): (u64, Bytes),
        retain: u64,
        ranges: Option<Box<dyn RangeRead>>,
    ) -> Self {
        let window = Window {
            stream,
            hasher: Md5::new(),
            low: 0,
            high: 0,
            held: Vec::new(),
            tail_differs: false,
            stats: ForwardStats::default(),
        };
        Self {
            shared: Arc::new(Shared {
                len,
                tail_start,
                tail,
                retain,
                ranges,
                window: Mutex::new(window),
            }),
        }
    }

    /// Rebuilds before first use (the builder methods); panics if the file was cloned or read.
    fn rebuild(self, change: impl FnOnce(&mut Parts)) -> Self {
        let shared = Arc::try_unwrap(self.shared)
            .unwrap_or_else(|_| panic!("a ForwardFile is configured before it is shared"));
        let window = shared
            .window
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let mut parts = Parts {
            tail: shared.tail,
            retain: shared.retain,
            ranges: shared.ranges,
        };
        change(&mut parts);
        let len = shared.len;
        let tail_start = len.saturating_sub(parts.tail.len() as u64);
        let tail = parts.tail.slice(..(len - tail_start) as usize);
        Self::build(
            window.stream,
            len,
            (tail_start, tail),
            parts.retain,
            parts.ranges,
        )
    }

    /// The file's length.
    pub fn len(&self) -> u64 {
        self.shared.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.shared.len == 0
    }

    /// A reader from `start` (CSV reads the whole file with one from 0).
    pub fn reader_from(&self, start: u64) -> ForwardReader {
        ForwardReader {
            file: self.clone(),
            position: start,
        }
    }

    /// `length` bytes from `start`.
    pub fn bytes(&self, start: u64, length: u64) -> io::Result<Bytes> {
        let end = start
            .checked_add(length)
            .filter(|end| *end <= self.shared.len)
            .ok_or_else(|| past_end(start, length, self.shared.len))?;
        if start >= self.shared.tail_start {
            let from = (start - self.shared.tail_start) as usize;
            return Ok(self.shared.tail.slice(from..from + length as usize));
        }
        let mut window = self.lock()?;
        if start < window.low {
            drop(window);
            return self.ranged(start, length);
        }
        self.pull(&mut window, start, end)?;
        let from = (start - window.low) as usize;
        Ok(Bytes::copy_from_slice(
            &window.held[from..from + length as usize],
        ))
    }

    /// Reads what the decoder did not need, then checks the length and the tail: the MD5 (hex) of
    /// the whole stream, and how it was read.
    pub fn finish(&self) -> io::Result<(String, ForwardStats)> {
        let mut window = self.lock()?;
        window.held.clear();
        window.low = window.high;
        let mut buffer = vec![0; PULL];
        loop {
            let n = read_some(&mut window.stream, &mut buffer)?;
            if n == 0 {
                break;
            }
            let start = window.high;
            self.take_in(&mut window, start, &buffer[..n]);
            window.low = window.high;
        }
        if window.high != self.shared.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the stream was {} bytes, the file {} bytes",
                    window.high, self.shared.len
                ),
            ));
        }
        if window.tail_differs {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the stream's last bytes differ from the tail read first (the object changed)",
            ));
        }
        let digest = std::mem::take(&mut window.hasher).finalize();
        Ok((hex::encode(digest), window.stats))
    }

    fn lock(&self) -> io::Result<MutexGuard<'_, Window>> {
        self.shared
            .window
            .lock()
            .map_err(|_| io::Error::other("a reader of this file panicked"))
    }

    fn ranged(&self, start: u64, length: u64) -> io::Result<Bytes> {
        let ranges = self.shared.ranges.as_ref().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "bytes {start}.. are behind the stream's window and no ranged reads were given"
                ),
            )
        })?;
        let bytes = ranges.read_range(start, length)?;
        if bytes.len() as u64 != length {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "ranged read at {start} gave {} of {length} bytes",
                    bytes.len()
                ),
            ));
        }
        let mut window = self.lock()?;
        window.stats.ranged_reads += 1;
        window.stats.ranged_bytes += length;
        Ok(bytes)
    }

    /// Pulls the stream forward until the window holds bytes up to `end`, keeping those from
    /// `start` on.
    fn pull(&self, window: &mut Window, start: u64, end: u64) -> io::Result<()> {
        while window.high < end {
            self.trim(window, start);
            let want = PULL.min((self.shared.len - window.high) as usize);
            let old = window.held.len();
            window.held.resize(old + want, 0);
            let n = read_some(&mut window.stream, &mut window.held[old..])?;
            window.held.truncate(old + n);
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the stream ended at byte {} of {}",
                        window.high, self.shared.len
                    ),
                ));
            }
            let at = window.high;
            let taken = std::mem::take(&mut window.held);
            self.take_in(window, at, &taken[old..]);
            window.held = taken;
            let held = window.held.len() as u64;
            window.stats.peak_window = window.stats.peak_window.max(held);
        }
        Ok(())
    }

    /// Hashes bytes that just arrived at `start` and compares those in the tail.
    fn take_in(&self, window: &mut Window, start: u64, bytes: &[u8]) {
        window.hasher.update(bytes);
        let end = start + bytes.len() as u64;
        window.high = end;
        window.stats.streamed = end;
        let tail_start = self.shared.tail_start;
        if end > tail_start && !self.shared.tail.is_empty() {
            let from = tail_start.max(start);
            let ours = &bytes[(from - start) as usize..];
            let theirs = &self.shared.tail[(from - tail_start) as usize..];
            if ours != &theirs[..ours.len()] {
                window.tail_differs = true;
            }
        }
    }

    /// Drops what is more than `retain` bytes behind the stream and before `floor` (in large
    /// steps: dropping moves what is kept).
    fn trim(&self, window: &mut Window, floor: u64) {
        let keep_from = window.high.saturating_sub(self.shared.retain).min(floor);
        let drop = keep_from.saturating_sub(window.low) as usize;
        if drop > 0 && (drop >= PULL || drop * 2 >= window.held.len()) {
            window.held.drain(..drop);
            window.low += drop as u64;
        }
    }
}

/// The settings a builder method changes.
struct Parts {
    tail: Bytes,
    retain: u64,
    ranges: Option<Box<dyn RangeRead>>,
}

fn past_end(start: u64, length: u64, len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("bytes {start}..+{length} are past the end of a {len}-byte file"),
    )
}

fn read_some(stream: &mut (dyn Read + Send), buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match stream.read(buffer) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A reader of a [`ForwardFile`] from a position.
pub struct ForwardReader {
    file: ForwardFile,
    position: u64,
}

impl Read for ForwardReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let len = self.file.shared.len;
        if out.is_empty() || self.position >= len {
            return Ok(0);
        }
        let n = (out.len() as u64).min(len - self.position);
        let direct = self.read_direct(&mut out[..n as usize])?;
        if let Some(read) = direct {
            self.position += read as u64;
            return Ok(read);
        }
        let bytes = self.file.bytes(self.position, n)?;
        out[..bytes.len()].copy_from_slice(&bytes);
        self.position += bytes.len() as u64;
        Ok(bytes.len())
    }
}

impl ForwardReader {
    /// A read at the head of a stream that keeps nothing (CSV) goes straight into `out`, without a
    /// copy through the window.
    fn read_direct(&mut self, out: &mut [u8]) -> io::Result<Option<usize>> {
        let shared = &self.file.shared;
        if shared.retain != 0 || self.position >= shared.tail_start {
            return Ok(None);
        }
        let mut window = self.file.lock()?;
        if window.high != self.position || !window.held.is_empty() {
            return Ok(None);
        }
        let n = read_some(&mut window.stream, out)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the stream ended at byte {} of {}",
                    self.position, shared.len
                ),
            ));
        }
        let start = window.high;
        self.file.take_in(&mut window, start, &out[..n]);
        window.low = window.high;
        Ok(Some(n))
    }
}

impl parquet::file::reader::Length for ForwardFile {
    fn len(&self) -> u64 {
        self.shared.len
    }
}

impl parquet::file::reader::ChunkReader for ForwardFile {
    type T = ForwardReader;

    fn get_read(&self, start: u64) -> parquet::errors::Result<ForwardReader> {
        Ok(self.reader_from(start))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.bytes(start, length as u64)
            .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))
    }
}

impl orc_rust::reader::ChunkReader for ForwardFile {
    type T = ForwardReader;

    fn len(&self) -> u64 {
        self.shared.len
    }

    fn get_read(&self, offset_from_start: u64) -> io::Result<ForwardReader> {
        Ok(self.reader_from(offset_from_start))
    }

    fn get_bytes(&self, offset_from_start: u64, length: u64) -> io::Result<Bytes> {
        self.bytes(offset_from_start, length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    struct Slices(Vec<u8>);

    impl RangeRead for Slices {
        fn read_range(&self, start: u64, length: u64) -> io::Result<Bytes> {
            Ok(Bytes::copy_from_slice(
                &self.0[start as usize..(start + length) as usize],
            ))
        }
    }

    fn md5_of(bytes: &[u8]) -> String {
        hex::encode(Md5::digest(bytes))
    }

    #[test]
    fn a_sequential_reader_sees_every_byte_and_the_hash_covers_them() {
        let bytes = data(1_000_003);
        let file = ForwardFile::new(Cursor::new(bytes.clone()), bytes.len() as u64);
        let mut read = Vec::new();
        file.reader_from(0).read_to_end(&mut read).unwrap();
        assert_eq!(read, bytes);
        let (md5, stats) = file.finish().unwrap();
        assert_eq!(md5, md5_of(&bytes));
        assert_eq!(stats.streamed, bytes.len() as u64);
        assert_eq!(stats.peak_window, 0, "CSV reads straight from the stream");
    }

    #[test]
    fn random_reads_within_the_window_and_the_tail_cost_no_ranged_read() {
        let bytes = data(3 << 20);
        let len = bytes.len() as u64;
        let tail = Bytes::copy_from_slice(&bytes[bytes.len() - 4096..]);
        let file = ForwardFile::new(Cursor::new(bytes.clone()), len)
            .with_tail(tail)
            .retaining(1 << 20)
            .with_ranges(Slices(bytes.clone()));
        // Footer first, then a row group's chunks out of order, then the next row group.
        assert_eq!(
            &file.bytes(len - 8, 8).unwrap()[..],
            &bytes[bytes.len() - 8..]
        );
        for (start, length) in [(1000, 5000), (100, 50), (600_000, 300_000), (200, 10)] {
            let got = file.bytes(start, length).unwrap();
            assert_eq!(&got[..], &bytes[start as usize..(start + length) as usize]);
        }
        let mut header = [0u8; 100];
        file.reader_from(2_000_000).read_exact(&mut header).unwrap();
        assert_eq!(&header[..], &bytes[2_000_000..2_000_100]);
        let (md5, stats) = file.finish().unwrap();
        assert_eq!(md5, md5_of(&bytes));
        assert_eq!(stats.ranged_reads, 0);
        assert!(
            stats.peak_window <= (1 << 20) + 2 * PULL as u64 + 100_000,
            "{stats:?}"
        );
    }

    #[test]
    fn a_read_behind_the_window_is_a_ranged_read() {
        let bytes = data(4 << 20);
        let len = bytes.len() as u64;
        let file = ForwardFile::new(Cursor::new(bytes.clone()), len)
            .retaining(PULL as u64)
            .with_ranges(Slices(bytes.clone()));
        file.bytes(3 << 20, 10).unwrap();
        let behind = file.bytes(10, 1000).unwrap();
        assert_eq!(&behind[..], &bytes[10..1010]);
        let (md5, stats) = file.finish().unwrap();
        assert_eq!(md5, md5_of(&bytes));
        assert_eq!((stats.ranged_reads, stats.ranged_bytes), (1, 1000));
        let without = ForwardFile::new(Cursor::new(bytes.clone()), len).retaining(PULL as u64);
        without.bytes(3 << 20, 10).unwrap();
        let err = without.bytes(10, 1000).unwrap_err();
        assert!(
            err.to_string().contains("behind the stream's window"),
            "{err}"
        );
    }

    #[test]
    fn a_short_stream_or_a_changed_tail_is_an_error() {
        let bytes = data(10_000);
        let short = ForwardFile::new(Cursor::new(bytes[..9_000].to_vec()), 10_000);
        let err = short.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the stream was 9000 bytes, the file 10000 bytes"
        );
        let mut changed = bytes.clone();
        changed[9_990] ^= 1;
        let file = ForwardFile::new(Cursor::new(changed), 10_000)
            .with_tail(Bytes::copy_from_slice(&bytes[9_000..]));
        let err = file.finish().unwrap_err();
        assert!(err.to_string().contains("differ from the tail"), "{err}");
        let past = ForwardFile::new(Cursor::new(bytes), 10_000);
        assert!(past.bytes(9_999, 2).is_err());
    }
}

//! Splitting a CSV stream into records: fast for S3's shape, csv-core for the rest.
//!
//! S3 writes every value double-quoted, with no quote or line break inside a
//! value (keys are URL-encoded), and `\n` line ends. Such a record is split
//! by its quotes and line ends, found 64 bytes at a time with SIMD compares
//! (SSE2 on x86-64, NEON on AArch64: both in the baseline of their CPUs),
//! several times faster than a general CSV state machine; its fields are borrowed from the input
//! buffer without copying. Anything else — an unquoted or empty-line record,
//! an escaped quote, a line break in a value, `\r`, a UTF-8 BOM, a last
//! record without a line end — is parsed by `csv-core` (the parser of the
//! `csv` crate, with its defaults), which decides. Both paths yield the same
//! fields for the records the fast path accepts.

use std::io::{self, Read};

use csv_core::ReadRecordResult;

/// Input buffer size of a [`ReadRefill`]: large reads keep the per-call
/// overhead of the source low.
const BUFFER_BYTES: usize = 256 * 1024;
/// A pending fast-path record longer than this goes to csv-core instead, so
/// an unterminated quote cannot make the input buffer hold the whole file.
const MAX_FAST_RECORD: usize = 1024 * 1024;

/// Where the current record's fields live.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parsed {
    /// In `buf`, at `ranges`.
    Fast,
    /// In `out`, ending at `ends` (csv-core's output).
    Slow,
}

/// The outcome of trying the fast path at the start of the buffered input.
enum Fast {
    /// A record ending (after its `\n`) at this buffer index.
    Record(usize),
    /// The record may be simple but is not all buffered yet.
    NeedMore,
    /// Not a simple record: csv-core must parse it.
    Decline,
}

/// Reads CSV records one at a time from a byte stream.
pub(super) struct CsvRecords {
    source: Box<dyn Refill>,
    buf: Vec<u8>,
    /// Unparsed input is `buf[pos..end]`.
    pos: usize,
    end: usize,
    eof: bool,
    core: csv_core::Reader,
    /// Whether csv-core has parsed a record yet: the first record always goes
    /// to it, so it strips a UTF-8 BOM at the start of the file only.
    core_started: bool,
    out: Vec<u8>,
    ends: Vec<usize>,
    ranges: Vec<(usize, usize)>,
    parsed: Parsed,
    /// Line (1-based) after the last record read.
    line: u64,
    /// Line where the current record started.
    record_line: u64,
}

impl CsvRecords {
    pub(super) fn new(source: Box<dyn Refill>) -> Self {
        CsvRecords {
            source,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
            core: csv_core::Reader::new(),
            core_started: false,
            out: vec![0; 4096],
            ends: vec![0; 64],
            ranges: Vec::with_capacity(64),
            parsed: Parsed::Fast,
            line: 1,
            record_line: 1,
        }
    }

    /// Reads the next record; `false` at the end of the input.
    pub(super) fn read(&mut self) -> io::Result<bool> {
        self.record_line = self.line;
        if self.core_started {
            loop {
                match self.fast() {
                    Fast::Record(record_end) => {
                        self.pos = record_end;
                        self.line += 1;
                        self.parsed = Parsed::Fast;
                        return Ok(true);
                    }
                    Fast::NeedMore if !self.eof && self.end - self.pos < MAX_FAST_RECORD => {
                        self.fill()?;
                    }
                    Fast::NeedMore | Fast::Decline => break,
                }
            }
        }
        self.slow()
    }

    /// Fields in the current record.
    pub(super) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Field `i` of the current record (unquoted, unescaped bytes).
    #[cfg(test)]
    pub(super) fn field(&self, i: usize) -> &[u8] {
        let (start, end) = self.ranges[i];
        match self.parsed {
            Parsed::Fast => &self.buf[start..end],
            Parsed::Slow => &self.out[start..end],
        }
    }

    /// The current record's fields as text: `None` for a field that is not
    /// valid UTF-8. The record is validated in one go rather than field by
    /// field (a call per field costs more than the validation itself).
    pub(super) fn text_fields(&self) -> impl Iterator<Item = Option<&str>> {
        let store: &[u8] = match self.parsed {
            Parsed::Fast => &self.buf,
            Parsed::Slow => &self.out,
        };
        let from = self.ranges.first().map_or(0, |r| r.0);
        let to = self.ranges.last().map_or(0, |r| r.1);
        // Fields are sub-ranges of `from..to`; slicing valid text at a field's
        // bounds only checks they are character boundaries.
        let whole = simdutf8::basic::from_utf8(&store[from..to]).ok();
        self.ranges.iter().map(move |&(start, end)| match whole {
            Some(text) => text.get(start - from..end - from),
            None => std::str::from_utf8(&store[start..end]).ok(),
        })
    }

    /// Line (1-based) where the current record starts.
    pub(super) fn record_line(&self) -> u64 {
        self.record_line
    }

    /// Line (1-based) of the next unread input.
    pub(super) fn line(&self) -> u64 {
        self.line
    }

    /// Splits `"a","b",..."z"\n` at `buf[pos..end]` into `ranges`.
    ///
    /// The record is walked by its quotes and line breaks, found 64 bytes at a
    /// time ([`quotes_and_line_ends`]): a field opens with a quote where one is
    /// due (the record's start, or just after `",`) and closes at the next
    /// quote, which a `,` or the record's `\n` must follow. Any other quote or
    /// line break declines the record to csv-core.
    fn fast(&mut self) -> Fast {
        self.ranges.clear();
        let buf = &self.buf[..self.end];
        match buf.get(self.pos) {
            None => return Fast::NeedMore,
            Some(b'"') => {}
            Some(_) => return Fast::Decline,
        }
        // The quote opening the next field is due here.
        let mut due = self.pos;
        // The open field's first byte.
        let mut open: Option<usize> = None;
        let mut block = self.pos;
        while block < buf.len() {
            let block_end = buf.len().min(block + 64);
            let mut marks = quotes_and_line_ends(&buf[block..block_end]);
            while marks != 0 {
                let at = block + marks.trailing_zeros() as usize;
                marks &= marks - 1;
                match (open, buf[at]) {
                    (None, b'"') if at == due => open = Some(at + 1),
                    (Some(start), b'"') => {
                        self.ranges.push((start, at));
                        open = None;
                        match buf.get(at + 1) {
                            None => return Fast::NeedMore,
                            Some(b',') => due = at + 2,
                            Some(b'\n') => return Fast::Record(at + 2),
                            // An escaped quote, `\r`, or text after the closing quote.
                            Some(_) => return Fast::Decline,
                        }
                    }
                    // Text before a field's quote, or a line break inside a
                    // value (csv-core counts lines) or after a `,`.
                    _ => return Fast::Decline,
                }
            }
            block = block_end;
        }
        Fast::NeedMore
    }

    /// Parses one record with csv-core.
    fn slow(&mut self) -> io::Result<bool> {
        if !self.core_started {
            // csv-core looks for a UTF-8 BOM in its first input only, and
            // takes an empty input for the end: give it the BOM and a byte.
            while self.end - self.pos < 4 && !self.eof {
                self.fill()?;
            }
            self.core_started = true;
        }
        self.core.set_line(self.line);
        self.ranges.clear();
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            if self.pos == self.end && !self.eof {
                self.fill()?;
            }
            // At the end of the input csv-core is given an empty slice, which
            // tells it to finish the last record.
            let at_end = self.pos == self.end;
            let (result, read, written, ended) = self.core.read_record(
                &self.buf[self.pos..self.end],
                &mut self.out[out_len..],
                &mut self.ends[ends_len..],
            );
            self.pos += read;
            out_len += written;
            ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty if at_end => {
                    // Not expected from csv-core; end rather than loop forever.
                    self.line = self.core.line();
                    return Ok(false);
                }
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.out.len();
                    self.out.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::Record => {
                    self.line = self.core.line();
                    let mut start = 0;
                    for &end in &self.ends[..ends_len] {
                        self.ranges.push((start, end));
                        start = end;
                    }
                    self.parsed = Parsed::Slow;
                    return Ok(true);
                }
                ReadRecordResult::End => {
                    self.line = self.core.line();
                    return Ok(false);
                }
            }
        }
    }

    /// More input after the unparsed part, which stays (possibly moved).
    fn fill(&mut self) -> io::Result<()> {
        if !self
            .source
            .refill(&mut self.buf, &mut self.pos, &mut self.end)?
        {
            self.eof = true;
        }
        Ok(())
    }
}

/// Where [`CsvRecords`] gets its input: a whole buffer at a time.
pub(super) trait Refill: Send {
    /// Makes `buf[*pos..*end]` the unparsed input followed by more, moving it
    /// (and `pos`, `end`) if need be, or replacing `buf` by a buffer that holds
    /// it. `false` at the end of the input, with `buf[*pos..*end]` unchanged
    /// in content.
    fn refill(&mut self, buf: &mut Vec<u8>, pos: &mut usize, end: &mut usize) -> io::Result<bool>;
}

/// Any byte stream as a [`Refill`]: reads into the buffer after the unparsed
/// input, moved to the front first (growing the buffer when one record fills it).
pub(super) struct ReadRefill<R>(pub(super) R);

impl<R: Read + Send> Refill for ReadRefill<R> {
    fn refill(&mut self, buf: &mut Vec<u8>, pos: &mut usize, end: &mut usize) -> io::Result<bool> {
        if *pos > 0 {
            buf.copy_within(*pos..*end, 0);
            *end -= *pos;
            *pos = 0;
        }
        if *end == buf.len() {
            let len = buf.len();
            buf.resize((len * 2).max(BUFFER_BYTES), 0);
        }
        loop {
            match self.0.read(&mut buf[*end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    *end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Bit `i` set where `bytes[i]` (at most 64 bytes) is a quote or a `\n`.
fn quotes_and_line_ends(bytes: &[u8]) -> u64 {
    match <&[u8; 64]>::try_from(bytes) {
        Ok(block) => quotes_and_line_ends_64(block),
        Err(_) => quotes_and_line_ends_scalar(bytes),
    }
}

fn quotes_and_line_ends_scalar(bytes: &[u8]) -> u64 {
    bytes.iter().enumerate().fold(0, |marks, (i, &b)| {
        marks | (u64::from(b == b'"' || b == b'\n') << i)
    })
}

/// SSE2, part of every x86-64 CPU: 16 bytes compared per instruction.
#[cfg(target_arch = "x86_64")]
fn quotes_and_line_ends_64(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut marks = 0;
    for (i, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is in the x86-64 baseline; the unaligned load reads the
        // 16 bytes of `lane`.
        let hits = unsafe {
            let v = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let line_end = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
            _mm_movemask_epi8(_mm_or_si128(quote, line_end)) as u16
        };
        marks |= u64::from(hits) << (16 * i);
    }
    marks
}

/// NEON, part of every AArch64 CPU: the comparisons' lanes weighted by their
/// bit and added pairwise down to one byte per 8 lanes.
#[cfg(target_arch = "aarch64")]
fn quotes_and_line_ends_64(block: &[u8; 64]) -> u64 {
    use std::arch::aarch64::{
        uint8x16_t, vandq_u8, vceqq_u8, vdupq_n_u8, vgetq_lane_u64, vld1q_u8, vorrq_u8, vpaddq_u8,
        vreinterpretq_u64_u8,
    };
    const WEIGHTS: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
    // SAFETY: NEON is in the AArch64 baseline; each load reads 16 bytes of
    // `block` (or of `WEIGHTS`).
    unsafe {
        let weights = vld1q_u8(WEIGHTS.as_ptr());
        let lane = |i: usize| -> uint8x16_t {
            let v = vld1q_u8(block.as_ptr().add(16 * i));
            let hits = vorrq_u8(
                vceqq_u8(v, vdupq_n_u8(b'"')),
                vceqq_u8(v, vdupq_n_u8(b'\n')),
            );
            vandq_u8(hits, weights)
        };
        let low = vpaddq_u8(lane(0), lane(1));
        let high = vpaddq_u8(lane(2), lane(3));
        let sums = vpaddq_u8(low, high);
        let sums = vpaddq_u8(sums, sums);
        vgetq_lane_u64(vreinterpretq_u64_u8(sums), 0)
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn quotes_and_line_ends_64(block: &[u8; 64]) -> u64 {
    quotes_and_line_ends_scalar(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out at most `step` bytes per read, to move buffer
    /// boundaries through every position of a record.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len().min(self.step).min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Each record's start line and fields.
    type Split = Vec<(u64, Vec<Vec<u8>>)>;

    fn ours(data: &[u8], step: usize) -> Split {
        let mut records = CsvRecords::new(Box::new(ReadRefill(Trickle {
            data: data.to_vec(),
            at: 0,
            step,
        })));
        let mut out = Vec::new();
        while records.read().expect("read") {
            let fields = (0..records.len())
                .map(|i| records.field(i).to_vec())
                .collect();
            out.push((records.record_line(), fields));
        }
        out
    }

    fn csv_crate(data: &[u8]) -> Split {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        let mut record = ::csv::ByteRecord::new();
        let mut out = Vec::new();
        loop {
            let line = reader.position().line();
            if !reader.read_byte_record(&mut record).expect("csv") {
                break;
            }
            out.push((line, record.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    fn check(data: &[u8]) {
        check_steps(data, &[1, 2, 3, 7, 64, usize::MAX]);
    }

    fn check_steps(data: &[u8], steps: &[usize]) {
        let expected = csv_crate(data);
        for &step in steps {
            assert_eq!(
                ours(data, step),
                expected,
                "step {step}, input {:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn agrees_with_the_csv_crate_on_awkward_input() {
        let long = format!("\"{}\",\"x\"\n", "k".repeat(600 * 1024));
        let longer = format!("\"{}\",\"x\"\n\"a\"\n", "k".repeat(1500 * 1024));
        for text in [
            "",
            "\n",
            "\"b\",\"k\",\"1\"\n\"b\",\"k2\",\"2\"\n",
            "\"b\",\"k\"",
            "\"b\",\"k\"\r\n\"b\",\"k2\"\r\n",
            "\"b\",\"k\"\r\"b\",\"k2\"\r",
            "\"b\",\"k\"\n\n\n\"b\",\"k2\"\n",
            "\"a\"\"b\",\"c\"\n\"d\"\n",
            "\"line\nbreak\",\"x\"\n\"y\",\"z\"\n",
            "plain,unquoted\n\"b\",\"k\"\n",
            "\"\",\"\",\"\"\n\"\"\n",
            "\"ab\"c,\"d\"\n\"e\"\n",
            "\"b\",\"unterminated\n\"b\",\"k2\"\n",
            "\u{feff}\"b\",\"k\"\n\"b\",\"k2\"\n",
            "\"b\",\"k\",\n\"b\",\"k\",\"\"\n",
            "\"tab\tand\rcr\",\"x\"\n",
            "\"é\",\"日本語\"\n",
        ] {
            check(text.as_bytes());
        }
        // Records longer than the buffer, and than the fast path's limit.
        check_steps(long.as_bytes(), &[4096, usize::MAX]);
        check_steps(longer.as_bytes(), &[4096, usize::MAX]);
        check(b"\"b\",\"\xff\xfe\"\n\"b\",\"k\"\n");
    }

    #[test]
    fn quotes_and_line_ends_are_found_in_any_block() {
        let mut state: u64 = 7;
        for round in 0..2000 {
            let block: [u8; 64] = std::array::from_fn(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                // Mostly the bytes that matter, and their neighbours.
                match (state >> 33) % 8 {
                    0 => b'"',
                    1 => b'\n',
                    2 => b'"' ^ 0x80,
                    3 => b'\n' + 1,
                    _ => (state >> 41) as u8,
                }
            });
            let expected = quotes_and_line_ends_scalar(&block);
            assert_eq!(quotes_and_line_ends_64(&block), expected, "round {round}");
            assert_eq!(
                quotes_and_line_ends(&block[..round % 64]),
                expected & ((1 << (round % 64)) - 1)
            );
        }
    }

    #[test]
    fn agrees_with_the_csv_crate_on_random_input() {
        let alphabet: &[&[u8]] = &[
            b"\"",
            b"\"",
            b",",
            b"\n",
            b"\r",
            b"a",
            b"bc",
            "é".as_bytes(),
        ];
        let mut state: u64 = 42;
        for _ in 0..1000 {
            let mut data = Vec::new();
            for _ in 0..(state % 40) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                data.extend_from_slice(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            check(&data);
            // Mostly-valid S3 shapes with damage.
            let mut s3 = b"\"b\",\"k\",\"1\"\n\"b\",\"k2\",\"2\"\n".to_vec();
            let at = (state >> 20) as usize % s3.len();
            s3[at] = alphabet[(state >> 40) as usize % alphabet.len()][0];
            check(&s3);
        }
    }
}

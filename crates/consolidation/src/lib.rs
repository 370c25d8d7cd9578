//! Consolidation of S3 Inventory reports.
//!
//! The inventory processor downloads each data file listed in a report's `manifest.json` (verifying
//! its MD5 on the way) and hands it to [`consolidate_file`], which streams it into **one normalised
//! Parquet file** and measures the bucket it describes ([`BucketFigures`]). Figures of a report's
//! data files [merge](BucketFigures::merge) (in any order) into the bucket's figures.
//!
//! ```no_run
//! use consolidation::{consolidate_file, BucketFigures};
//! use inventory_format::{FileFormat, InventoryManifest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manifest = InventoryManifest::parse(&std::fs::read("/tmp/manifest.json")?)?;
//! let fields = manifest.fields()?;
//! let mut bucket = BucketFigures::default();
//! for (i, file) in manifest.files.iter().enumerate() {
//!     let source = std::fs::File::open(format!("/tmp/data-{i}"))?; // downloaded, MD5 checked
//!     let sink = std::fs::File::create(format!("/tmp/consolidated-{i}.parquet"))?;
//!     let figures = consolidate_file(&file.key, manifest.file_format, &fields, source, sink)?;
//!     bucket.merge(&figures);
//! }
//! # Ok(()) }
//! ```
//!
//! # Output
//!
//! Every file has `inventory_format::normalised_schema()` whatever the report's format and fields:
//! all 21 columns in S3's order, snake_case names, all nullable (columns the report lacks are
//! null); strings `BYTE_ARRAY (String)`, booleans, `size` `INT64`, dates
//! `INT64 TIMESTAMP(MILLIS, isAdjustedToUTC)`; CSV keys URL-decoded. Parquet 1.0 data pages,
//! standard logical types and encodings that Athena (Trino), DuckDB, pyarrow and Spark 3.4 or
//! later read. Compression is Zstandard
//! level 1 ([`OutputCompression`]), chosen by measurement on the benchmark report: about 10% more
//! CPU than Snappy for a file a third smaller (72.3 MB against 106.1 MB), and S3 storage, uploads
//! and Athena's per-byte scans all pay for bytes. Row groups hold at most 128 Ki rows or
//! 32 MiB encoded ([`ConsolidateOptions`]). Columns of unique values (`key`, `version_id`,
//! `e_tag`) and the numbers (`size`, the dates) are not dictionary-encoded, the ids are written
//! `DELTA_LENGTH_BYTE_ARRAY` (their lengths apart from their bytes), and opaque columns
//! (`version_id`, `e_tag`, the ACL, the owner) carry no min/max statistics: each choice measured
//! in [`ConsolidateOptions`]'s source.
//!
//! # Streaming and memory
//!
//! Memory is bounded whatever the file size; nothing is proportional to the number of rows:
//!
//! * **reading** (`inventory_format::read_data_file`): CSV is inflated on a helper thread into
//!   sixteen recycled 256 KiB buffers and split into records where it was inflated, never copied
//!   (a SIMD fast path for S3's all-quoted shape, `csv-core` for anything else; a record
//!   across two buffers moves into a head room before the second's data), then built into Arrow
//!   batches of 8,192 rows; ORC and Parquet inputs are decoded a stripe / row group at a time
//!   from the local file;
//! * **between the stages**: a channel of four batches (see below);
//! * **writing**: the column writers hold only the current row group, encoded and compressed
//!   (at most 32 MiB, about 9 MB on the benchmark), plus a data page and a dictionary of at most
//!   1 MiB per column; each full row group is written to the sink and dropped;
//! * **figures**: a few counters and two maps keyed by storage class / encryption status.
//!
//! Four threads share the work: inflating; splitting and parsing; measuring and encoding the key,
//! the low-cardinality strings and the booleans (the caller's thread); encoding the ids, sizes and
//! dates (a helper that meets the caller's thread once per batch). A two-core Lambda function
//! (1,769 MB or more) runs them side by side; on one core they cost a few context switches. A
//! process that consolidates calls [`retain_freed_memory`] first, as the inventory processor does:
//! glibc would otherwise give its large freed buffers back to the kernel and fault them in again.
//! On error the sink holds a partial file, to be discarded; [`ConsolidationError`] says which file,
//! which format, and whether the input is bad ([`ConsolidationError::is_bad_input`]) or the output
//! failed.
//!
//! # Benchmark
//!
//! `scripts/bench-ingest` (not a test) generates a realistic 1,000,000-row CSV (gzip) report
//! (all versions, every optional field, 638 MB of CSV, 91.6 MB gzipped) with the
//! `ingest_bench` example, builds the release code path, and times it against pyarrow, polars
//! and DuckDB (pinned in `.bench/venv`; same columns, types, codec and row group size) at one
//! thread (pinned to one core) and two, next to the inflate floors (ISA-L and zlib-rs, one
//! core), alternating rounds, medians. Last run (2026-12-07, 2 vCPUs, the local AWS stopped,
//! `BENCH_ROUNDS=5`):
//!
//! ```text
//! | tool                                 | 1 thread s | 2 threads s | rows/s (2) | peak RSS MB |
//! | ------------------------------------ | ---------:| ----------:| ---------:| ----------:|
//! | ours (consolidate_file)              |       1.56 |        0.85 |  1,182,496 |          93 |
//! | pyarrow 26.0.1                       |       3.37 |        1.74 |    573,818 |         370 |
//! | polars 2.1.0                         |       3.22 |        1.83 |    546,849 |        1156 |
//! | DuckDB 2.0.1                         |       3.58 |        2.63 |    380,590 |         849 |
//! | inflate floor: ISA-L (isal 1.9.1)    |       0.37 |             |            |          14 |
//! | inflate floor: zlib-rs (ours)        |       0.49 |             |            |           7 |
//! ```
//!
//! One core: 2.06× the best single-thread peer (polars); two cores: 2.29× the ISA-L floor. The
//! run just before (3 rounds) gave 2.02× and 2.39×; earlier runs the same day, before the
//! statistics change below, 1.97× and 1.99×. The margin over 2× is of the order of the peers'
//! own spread from run to run (polars 2.74–3.22 s on one core across runs), so a run on a busier
//! machine can fall under it. Peak RSS 74–93 MB from run to run (how full the queues between
//! the threads get). Output: ours 65.0 MB, pyarrow 73.7, polars 71.6, DuckDB 70.0. pyarrow,
//! polars and DuckDB do less work: none URL-decodes keys or computes figures.
//!
//! The latest change: no min/max statistics for the columns nobody filters by (the bucket, the
//! Intelligent-Tiering access tier, the checksum algorithm, the multipart flag), besides the ids
//! and the ACL and owner: one core 1.54 → 1.50 s (medians of 6 alternating pairs, faster in each).
//!
//! The last changes, from 1.83 / 1.06 s (each step measured back to back with the one before,
//! alternating): the ids written `DELTA_LENGTH_BYTE_ARRAY` (Zstandard no longer sees their
//! lengths: 5.5% smaller, about 5% faster); [`retain_freed_memory`] (system time 0.2 → 0.08 s
//! on one core); the column encoding split over two threads (`encode`) and the queues between
//! the four threads deepened (4 batches, 4 MiB of inflated input: with 2 batches and 1 MiB, a
//! stalled stage left a core idle; two cores 1.15 → 0.99 s); the parser reading the inflated
//! buffers in place instead of copying 638 MB out of them; records split by SIMD compares 64
//! bytes at a time and validated as UTF-8 by `simdutf8` (together about 3% of a core's time, by
//! `perf`). Tried and left out: a splitter scanning eight bytes at a time (SWAR) and one finding
//! the line end first, both no faster than a `memchr2` per value; larger data pages and write
//! batches; the key written `DELTA_BYTE_ARRAY` (slower, and larger after Zstandard); the
//! access-control list and owner without a dictionary (`DELTA_BYTE_ARRAY`: slower and larger);
//! mimalloc (no faster than glibc kept from trimming, at twice the memory); statistics of the
//! few-valued columns measured by us instead of the writer (a tight loop costs what the
//! writer's comparisons cost: only dropping the statistics gains, about 3%, and DuckDB prunes
//! row groups by them). Left (perf, one core): zlib-rs inflate (~23%, the floor of our portable
//! build: ISA-L needs nasm and autotools to build, which the Lambda cross-build lacks),
//! Zstandard (~10%), the writer's interning of the low-cardinality strings (~6%) and its min/max
//! comparisons (~3%), splitting and converting records (~15%).
//!
//! Where the time went before the current design (profiled with `perf`): `csv` crate parsing and
//! `miniz_oxide` inflating, on the same thread as Parquet encoding. Now inflation uses `zlib-rs`
//! on its own thread, the record splitter is the SIMD fast path above, dates of S3's exact
//! shape are parsed by hand, keys are decoded into a reused buffer, and encoding runs on a
//! second thread.

#![deny(missing_docs)]
#![warn(missing_docs)]

pub mod convert;
mod encode;
pub mod error;
pub mod figures;
mod memory;
pub mod options;
mod pipeline;

pub use convert::{consolidate_file, consolidate_file_with};
pub use error::ConsolidationError;
pub use figures::{billed_bytes, BucketFigures, FiguresError, ObjectRef, UNKNOWN};
pub use memory::retain_freed_memory;
pub use options::{ConsolidateOptions, OutputCompression};

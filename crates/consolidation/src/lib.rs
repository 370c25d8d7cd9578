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
//! `INT64 TIMESTAMP(MILLIS, isAdjustedToUTC)`; CSV keys URL-decoded. Plain Parquet 1.0 data pages
//! and standard logical types, so Athena, DuckDB and pyarrow read it. Compression is Zstandard
//! level 1 ([`OutputCompression`]), chosen by measurement on the benchmark report: about 10% more
//! CPU than Snappy for a file a third smaller (72.3 MB against 106.1 MB), and S3 storage, uploads
//! and Athena's per-byte scans all pay for bytes. Row groups hold at most 128 Ki rows or
//! 32 MiB encoded ([`ConsolidateOptions`]). Columns of unique values (`key`, `version_id`,
//! `e_tag`) and the numbers (`size`, the dates) are not dictionary-encoded, and opaque ones
//! (`version_id`, `e_tag`, the ACL, the owner) carry no min/max statistics: both would cost time
//! and prune nothing.
//!
//! # Streaming and memory
//!
//! Memory is bounded whatever the file size; nothing is proportional to the number of rows:
//!
//! * **reading** (`inventory_format::read_data_file`): CSV is inflated on a helper thread into
//!   four recycled 256 KiB buffers and split into records in place (a `memchr` fast path for S3's
//!   all-quoted shape, `csv-core` for anything else), then built into Arrow batches of 8,192 rows;
//!   ORC and Parquet inputs are decoded a stripe / row group at a time from the local file;
//! * **between the stages**: a channel of two batches (see below);
//! * **writing**: the Parquet writer holds only the current row group, encoded and compressed
//!   (at most 32 MiB, about 9 MB on the benchmark), plus a data page and a dictionary of at most
//!   1 MiB per column; each full row group is written to the sink and dropped;
//! * **figures**: a few counters and two maps keyed by storage class / encryption status.
//!
//! Reading (inflate, split, parse) runs on one thread and measuring plus encoding on another, so
//! a two-core Lambda function (1,769 MB or more) overlaps them; with one core it costs nothing
//! extra. On error the sink holds a partial file, to be discarded; [`ConsolidationError`] says
//! which file, which format, and whether the input is bad ([`ConsolidationError::is_bad_input`])
//! or the output failed.
//!
//! # Benchmark
//!
//! `scripts/bench-ingest` (not a test) generates a realistic 1,000,000-row CSV (gzip) report
//! (all versions, every optional field, 638 MB of CSV, 91.6 MB gzipped) with the
//! `ingest_bench` example, builds the release code path, and times it against pyarrow, polars
//! and DuckDB (pinned in `.bench/venv`; same columns, types, codec and row group size) at one
//! thread (pinned to one core) and two, next to the inflate floors (ISA-L and zlib-rs, one
//! core), 3 alternating rounds, medians. Last run (2026-12-07, 2 vCPUs, load average 1.77
//! before):
//!
//! ```text
//! | tool                                 | 1 thread s | 2 threads s | rows/s (2) | peak RSS MB |
//! | ------------------------------------ | ---------:| ----------:| ---------:| ----------:|
//! | ours (consolidate_file)              |       1.83 |        1.06 |    941,645 |          69 |
//! | pyarrow 26.0.1                       |       3.37 |        1.81 |    552,462 |         372 |
//! | polars 2.1.0                         |       3.22 |        1.83 |    545,791 |        1112 |
//! | DuckDB 2.0.1                         |       3.67 |        2.68 |    373,379 |         756 |
//! | inflate floor: ISA-L (isal 1.9.1)    |       0.37 |             |            |          14 |
//! | inflate floor: zlib-rs (ours)        |       0.52 |             |            |           7 |
//! ```
//!
//! One core: 1.76× the best single-thread peer (polars); two cores: 2.84× the ISA-L floor.
//! Output: ours 68.8 MB, pyarrow 73.7, polars 71.6, DuckDB 70.0. pyarrow, polars and DuckDB
//! do less work: none URL-decodes keys or computes figures.
//!
//! What the last change did (perf, one core): the Parquet writer interned every `size` and
//! date value into a dictionary the row group's 131,072 values always fit, then Zstandard
//! compressed the indices; plain values compress as well (smaller, in fact), so those columns
//! have no dictionary now: on one core, back to back under the same load, 2.23 → 1.94 s
//! (about 12%); against the previous quiet measurement (2.62 s on one core, 1.68 s on two) the
//! table's 1.83 and 1.06 s, two cores gaining most as the encoder thread is their critical path.
//! Turning every dictionary off is worse (2.25 s, 71.3 MB): the low-cardinality strings compress
//! better as dictionary indices. Left: zlib-rs inflate (~20%
//! of one core; ISA-L is 30% faster), Zstandard (~12%), the interning of the low-cardinality
//! strings (~9%), copies into the Arrow builders and the writer's buffers (~10%).
//!
//! Where the time went before the current design (profiled with `perf`): `csv` crate parsing and
//! `miniz_oxide` inflating, on the same thread as Parquet encoding. Now inflation uses `zlib-rs`
//! on its own thread, the record splitter is the `memchr` fast path above, dates of S3's exact
//! shape are parsed by hand, keys are decoded into a reused buffer, and encoding runs on a
//! second thread.

#![deny(missing_docs)]
#![warn(missing_docs)]

pub mod convert;
pub mod error;
pub mod figures;
pub mod options;
mod pipeline;

pub use convert::{consolidate_file, consolidate_file_with};
pub use error::ConsolidationError;
pub use figures::{BucketFigures, FiguresError, ObjectRef, UNKNOWN};
pub use options::{ConsolidateOptions, OutputCompression};

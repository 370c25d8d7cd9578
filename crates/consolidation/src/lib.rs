//! Consolidation of S3 Inventory reports.
//!
//! The inventory processor hands each data file listed in a `manifest.json` to this crate, which
//! streams it (bounded memory, whatever the report's size) into one normalised Parquet file and
//! measures what it saw ([`BucketFigures`]). Figures of several files merge, so a bucket whose report
//! has many data files gets one set of figures.

pub mod figures;

pub use figures::{BucketFigures, ObjectRef};

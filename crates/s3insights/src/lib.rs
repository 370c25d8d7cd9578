//! S3Insights domain logic, free of AWS: the adapters live in the Lambda crates.
//!
//! * [`input`]: the Harvester input contract and its validation (every problem at once);
//! * [`status`]: what happened to each source bucket;
//! * [`names`]: names of everything a run creates, derived from the deployment and the run id;
//! * [`catalogue`]: the Athena table DDL, partition statements, and the built-in query catalogue;
//! * [`report`]: the report (HTML, plain text, JSON summary), every value escaped.

pub mod catalogue;
pub mod input;
pub mod names;
pub mod report;
pub mod state;
pub mod status;

pub use consolidation::{BucketFigures, ObjectRef};
pub use status::{BucketStatus, StatusGroup};

//! S3Insights domain logic, free of AWS: the adapters live in `s3insights-aws`, whose functions
//! fetch, ask this crate what to do, and write.
//!
//! * [`input`]: the Harvester input contract and its validation (every problem at once);
//! * [`status`]: what happened to each source bucket;
//! * [`state`]: the state table's records and a bucket's change;
//! * [`names`]: names of everything a run creates, derived from the deployment and the run id;
//! * [`run`]: the run ledger's decisions (first record, deadline, failure, who may clean, Cleanup's outcome);
//! * [`staging`]: the staging stacks' parameters, records and statuses;
//! * [`configuration`]: which buckets a run covers and what its inventory configuration asks for;
//! * [`probe`]: what one look at a source bucket means, before configuring and while waiting;
//! * [`arrival`]: what an inventory report's notification means (accepted, duplicate, ignored);
//! * [`smoke`]: a smoke test's fabricated reports;
//! * [`monitor`]: the run monitor's deadline and wait;
//! * [`catalogue`]: the Athena table DDL, partition statements, and the built-in query catalogue;
//! * [`analysis`]: a run's partitions and query plan, and how query outcomes read;
//! * [`report`]: the report (HTML, plain text, JSON summary), every value escaped.

#![deny(missing_docs)]

pub mod analysis;
pub mod arrival;
pub mod catalogue;
pub mod configuration;
pub mod cost;
pub mod data_file;
pub mod input;
pub mod monitor;
pub mod names;
pub mod probe;
pub mod report;
pub mod run;
pub mod smoke;
pub mod staging;
pub mod state;
pub mod status;

pub use consolidation::{BucketFigures, ObjectRef};
pub use status::{BucketStatus, StatusGroup};

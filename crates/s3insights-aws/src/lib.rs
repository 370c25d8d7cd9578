//! S3Insights over AWS: everything the Harvester and Cleanup state machines ask of AWS.
//!
//! * [`handlers`]: one module per Lambda function, each with its own configuration;
//! * [`store`]: the state table;
//! * [`s3`], [`member`], [`inventory_configuration`]: small adapters several functions share
//!   (S3 chores, source buckets through the member role, the run's inventory configuration);
//! * [`config`]: the configuration pieces the functions' configurations are made of;
//! * [`error`]: the errors the functions return, with their stable `errorType`s.
//!
//! The run's state lives in the state table; its files in the consolidated bucket
//! ([`s3insights::names::keys`]). Decisions (validation, names, which report is accepted, what a
//! look at a bucket means, SQL, report rendering, consolidation) live in the `s3insights` and
//! `consolidation` crates and are tested without AWS: a handler fetches, asks them, and writes.

#![deny(missing_docs)]

pub mod config;
pub mod earlier_reports;
pub mod error;
pub mod handlers;
pub mod inventory_configuration;
pub mod member;
pub mod s3;
pub mod store;

pub use error::FunctionError;

//! The S3Insights functions' library: everything the Harvester and Cleanup state machines ask of AWS.
//!
//! Each Lambda binary (`lambdas/<name>`) is one line: [`entry::serve`] with its module's handler, which
//! reads the [`context::HarvestContext`] from the environment once and hands every event to it:
//!
//! | binary | module | actions |
//! |---|---|---|
//! | `run-ledger` | [`ledger`] | `start`, `fail`, `finish`, `runs_to_clean`, `cleaned` |
//! | `regional-stacks` | [`stacks`] | `create_stack`, `create_status`, `delete_stack`, `delete_status` |
//! | `inventory-configurator` | [`configurator`] | `configure_account`, `remove_configurations`, `smoke_reports` |
//! | `inventory-processor` | [`processor`] | SQS batches of S3 event notifications |
//! | `run-monitor` | [`monitor`] | `check` |
//! | `analysis` | [`analysis`] | `prepare`, `summarise` |
//! | `report` | [`reporting`] | `send` |
//!
//! The run's state lives in the state table ([`store`]); its files in the consolidated bucket
//! ([`s3insights::names::keys`]). Pure decisions (validation, names, SQL, report rendering,
//! consolidation) live in the `s3insights` and `consolidation` crates and are tested without AWS.

pub mod analysis;
pub mod configurator;
pub mod context;
pub mod entry;
pub mod error;
pub mod ledger;
pub mod monitor;
pub mod processor;
pub mod reporting;
pub mod s3util;
pub mod stacks;
pub mod store;

pub use context::HarvestContext;
pub use error::HarvestError;

//! Historical's AWS side: what the poller tasker, poller, collector, stream proxies and differ
//! ask of AWS. The rules they apply are the `historical` crate's; this crate reads, calls and
//! writes.
//!
//! * [`handlers`]: the six Lambda functions (poller tasker, poller, collector, current proxy,
//!   differ, durable proxy), one module each, each with its own configuration;
//! * [`describe`]: list and describe each technology's resources in a member account and region,
//!   through the account's role;
//! * [`store`]: the Current table (conditional on `eventTime`, TTL per write, tombstones) and the
//!   Durable table (revisions), with configurations too large for a DynamoDB item kept in S3;
//! * [`stream`]: DynamoDB stream records read for the stream proxies;
//! * [`accounts`]: the accounts the poller tasker visits (a list, a SWAG file, Organizations);
//! * [`history`]: each Durable revision as a Parquet row of the history table in S3;
//! * [`revert`]: a revert plan's calls made with the SDK (`insights historical revert --apply`);
//! * [`settings`]: configuration several functions read (tables, the member role, the region);
//! * [`error`]: the functions' errors and their stable `errorType`s.

#![deny(missing_docs)]

pub mod accounts;
pub mod describe;
pub mod error;
pub mod handlers;
pub mod history;
pub mod revert;
pub mod settings;
pub mod store;
pub mod stream;

pub use error::{failed_message, FunctionError};

//! The Current and Durable tables, one of each per technology, and the S3 offload of
//! configurations too large for DynamoDB.
//!
//! * [`current`]: the latest state per ARN. Writes are conditional on `eventTime` (a late event
//!   never overwrites a newer state; an equal time overwrites, so retries are idempotent), the TTL
//!   is computed per write, and a deletion is a tombstone followed by a conditional delete.
//! * [`durable`]: every effective revision, keyed (`arn`, `eventTime` in whole seconds, the
//!   original's format that subscribers use as a key); the Differ's change is stored on the
//!   revision so the stream proxy can publish it without a read.
//! * [`offload`]: items over 350,000 bytes keep their `configuration` in S3 behind a
//!   `configuration_s3` pointer; the stores resolve it on every read.
//! * [`codec`]: JSON ↔ DynamoDB attribute values (`serde_dynamo`), and item sizes as DynamoDB
//!   counts them. Empty strings are stored as they are (DynamoDB accepts them outside keys), so
//!   the original's `"<empty>"` placeholder is not needed.
//! * [`error`]: typed errors, transient or not.

pub mod codec;
pub mod current;
pub mod durable;
pub mod error;
pub mod offload;

pub use current::{CurrentStore, Written};
pub use durable::DurableStore;
pub use error::StoreError;
pub use offload::{Offload, Pointer};

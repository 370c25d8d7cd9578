//! Historical's six Lambda functions, one module each, over the describers and stores of this
//! crate. Each binary's `main.rs` is one line: `historical_aws::functions::entry::serve(<module>::handle)`.
//!
//! ```text
//! schedule ─▶ poller_tasker ─▶ [poller task queue] ─▶ poller ─▶ [poll queue] ─┐
//! CloudTrail (EventBridge, off-region SNS) ─▶ [event queue] ──────────────────┴▶ collector
//! collector ─▶ Current tables ─(stream)▶ current_proxy ─▶ [differ queue] ─▶ differ
//! differ ─▶ Durable tables ─(stream)▶ durable_proxy ─▶ change-feed topic (SNS)
//! ```
//!
//! Every queue has a dead-letter queue; every SQS and stream handler reports partial batch
//! failures, so one bad message is retried (and in the end parked) without its batch.

pub mod accounts;
pub mod collector;
pub mod differ;
pub mod entry;
pub mod error;
pub mod outbox;
pub mod poller;
pub mod poller_tasker;
pub mod settings;
pub mod stream_proxy;

pub use error::{failed_message, FunctionError};

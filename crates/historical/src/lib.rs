//! Historical's pure domain: no AWS calls, only the rules every Historical function shares.
//!
//! - [`tech`]: the technologies (S3 buckets, security groups, VPCs, IAM roles) behind one trait,
//!   [`tech::TechnologyRules`]: ARNs, CloudTrail event names → update/delete/ignore, resource ids
//!   from an event, and the fields that never count as a change.
//! - [`event`]: the CloudTrail-over-EventBridge event as AWS documents it, and what the collector
//!   must do with one ([`event::collect`]).
//! - [`timeliness`]: events out of time, an `eventTime` checked against the time our queue
//!   received the event ([`timeliness::check_event_time`]).
//! - [`normalise`](mod@normalise) and [`differ`]: the Differ's "effective change" rule,
//!   order-insensitive, against the latest Durable revision at or before the event time.
//! - [`patch`]: RFC 6902 JSON Patch generation and application.
//! - [`message`]: the Durable change message published on SNS, with its message attributes and
//!   the 256 KB limit.
//! - [`resource`] and [`item`]: a resource as listed and described, and the Current and Durable
//!   items built from it (CloudTrail context, tombstones, revisions with their change).
//! - [`poll`]: the poll tasks of a schedule and the poll event of each listed resource.
//! - [`proxy`]: the stream proxies' routing, what a Current or Durable stream record becomes (a
//!   Differ message, a change-feed publication, or nothing, and why).
//! - [`point_in_time`]: the recorded resources as they were at a past time (the revision in force
//!   per ARN, deleted ones left out).
//! - [`history`]: a Durable revision as a row of the history table (SQL over Parquet in S3).
//! - [`revert`]: the plan that takes a resource back to a past revision: its JSON Patch, the AWS
//!   API calls that apply it, and what cannot be restored.
//!
//! Every function of the `historical-aws` crate reads (a queue, a stream, a table, AWS), decides
//! here, and writes.

#![deny(missing_docs)]

pub mod differ;
pub mod event;
pub mod history;
pub mod item;
pub mod message;
pub mod normalise;
pub mod patch;
pub mod point_in_time;
pub mod poll;
pub mod proxy;
pub mod resource;
pub mod revert;
pub mod tech;
pub mod timeliness;

pub use differ::{effective_change, judge, revision_to_compare, Change, ChangeKind, Revision};
pub use normalise::normalise;
pub use patch::{apply, diff, PatchOp};
pub use tech::{EventKind, Technology, TechnologyRules};

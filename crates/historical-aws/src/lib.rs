//! Historical's AWS side: what the poller, collector, stream proxy and differ functions ask of AWS.
//!
//! * [`describe`]: list and describe each technology's resources in a member account and region,
//!   through the account's role (the pure rules — ARNs, event names, what counts as a change — are in
//!   the `historical` crate);
//! * [`store`]: the Current table (conditional on `eventTime`, TTL per write, tombstones) and the
//!   Durable table (revisions), with configurations too large for a DynamoDB item kept in S3;
//! * [`proxy`]: stream records of either table turned into Differ messages or change-feed messages;
//! * [`functions`]: the six Lambda functions (poller tasker, poller, collector, current proxy,
//!   differ, durable proxy) over the above.

pub mod describe;
pub mod functions;
pub mod proxy;
pub mod store;

//! The `offline` CLI's library: a local AWS one command away, and what no emulator does.
//!
//! - [`emulator`]: install (pinned, project-local virtualenv), start and stop the local AWS — ministack
//!   with our documented patches (`crates/local/emulator/`).
//! - [`template`] and [`package`]: what `sam build && sam package` do, for the same `template.yaml`:
//!   build the Lambda binaries, zip each as `bootstrap`, upload them and the state machine definitions.
//! - [`deploy`]: create or update the CloudFormation stack (the SAM transform runs in the local AWS).
//! - [`execution`]: run a definition or a deployed state machine to the end, counting state transitions.
//! - [`inventory`]: deliver S3 Inventory reports exactly as S3 documents them.
//! - [`pump`], [`faults`]: wait until queues and streams are drained; break chosen invocations.
//! - [`estate`]: a deterministic S3 estate (accounts, regions, buckets, objects) to harvest, and what
//!   its report must say; [`demo`]: the README's first command, and [`demo_historical`], its
//!   Historical part.
//! - [`cloudtrail`] and [`change_feed`]: what drives Historical offline (the demo, the pipeline
//!   benchmark, the tests): CloudTrail fixtures retargeted and put on a bus, and a subscriber queue
//!   of the change feed.
//!
//! Never linked into a Lambda binary.

pub mod admin;
pub mod change_feed;
pub mod cloudtrail;
pub mod demo;
pub mod demo_historical;
pub mod deploy;
pub mod emulator;
pub mod estate;
pub mod execution;
pub mod faults;
pub mod inventory;
pub mod package;
pub mod paths;
pub mod pump;
pub mod sdk;
pub mod template;

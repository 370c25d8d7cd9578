//! Shared library of S3Insights and Historical.
//!
//! Everything a Lambda binary needs before it reaches its own domain logic lives here, so that each
//! `main.rs` stays a few lines long: read [`config`], build the clients once ([`aws`]), reach member
//! accounts through their role ([`roles`]), say what an AWS error means in one line
//! ([`sdk_error`]), log as JSON ([`logging`]) and fail with an error type Step Functions can match
//! on ([`failure`]), and serve every invocation through one loop (`serve`, with the `lambda`
//! feature). [`billing`] counts a run's billable units by one rule for the offline CLI and the
//! operator CLI. [`s3_keys`] decodes the URL-encoded keys every S3 listing asks for. `outbox` (with
//! the `sqs` feature) sends many messages to SQS by one rule.

#![deny(missing_docs)]
pub mod aws;
pub mod billing;
pub mod config;
pub mod failure;
pub mod logging;
#[cfg(feature = "sqs")]
pub mod outbox;
pub mod roles;
pub mod s3_keys;
pub mod sdk_error;
#[cfg(feature = "lambda")]
pub mod serve;

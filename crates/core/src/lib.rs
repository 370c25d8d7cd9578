//! Shared library of S3Insights and Historical.
//!
//! Everything a Lambda binary needs before it reaches its own domain logic lives here, so that each
//! `main.rs` stays a few lines long: read [`config`], build the clients once ([`aws`]), reach member
//! accounts through their role ([`roles`]), log as JSON ([`logging`]) and fail with an error type Step
//! Functions can match on ([`failure`]). [`billing`] counts a run's billable units by one rule for the
//! offline CLI and the operator CLI.

pub mod aws;
pub mod billing;
pub mod config;
pub mod failure;
pub mod logging;
pub mod roles;

//! Structured JSON logs.
//!
//! CloudWatch Logs Insights (and the offline log files) can filter on fields only when every line is one
//! JSON object, so every binary starts with [`init_json`]. `RUST_LOG` overrides the default `info` level.

use tracing_subscriber::EnvFilter;

/// Install a JSON `tracing` subscriber on stderr-free stdout, once per process.
///
/// Calling it twice is harmless (the second call is ignored), which keeps tests that share a process simple.
pub fn init_json() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .flatten_event(true)
        .with_target(true)
        .without_time()
        .try_init();
}

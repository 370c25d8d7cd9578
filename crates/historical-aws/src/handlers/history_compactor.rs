//! The History Compactor: on its daily schedule, merges the last week's one-row files of the
//! history table into one file per technology and day (`crate::history::HistoryWriter::compact_day`), so a year of
//! history is a few hundred files to scan, not one per revision. A manual invocation names its own
//! days and technologies (`historical::history::CompactionRequest`):
//! `{"days": ["2026-12-01"], "technologies": ["s3"]}`.

use aws_config::SdkConfig;
use historical::history::CompactionRequest;
use platform::config::{self, ConfigError, Lookup};
use platform::serve::FromEnv;
use tracing::info;

use crate::error::FunctionError;
use crate::history::{DayCompaction, HistoryWriter};

/// The compactor's configuration and clients.
pub struct Config {
    history: HistoryWriter,
}

impl Config {
    /// The variables [`FromEnv::from_env`] reads: exactly the function's template `Environment`.
    pub const VARIABLES: &'static [&'static str] = &["OFFLOAD_BUCKET"];
}

impl FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            history: HistoryWriter::new(
                aws_sdk_s3::Client::new(sdk),
                config::required(env, "OFFLOAD_BUCKET")?,
            ),
        })
    }
}

/// Compacts each requested technology's day; what each compaction did.
pub async fn handle(
    ctx: &'static Config,
    request: CompactionRequest,
) -> Result<Vec<DayCompaction>, FunctionError> {
    let now = chrono::Utc::now();
    let mut done = Vec::new();
    for day in request.days(now) {
        for tech in request.technologies() {
            let compaction = ctx
                .history
                .compact_day(tech, &day, now.timestamp_millis())
                .await?;
            info!(
                tech = %tech,
                day = %day,
                files = compaction.files,
                rows = compaction.rows,
                "history day compacted"
            );
            done.push(compaction);
        }
    }
    Ok(done)
}

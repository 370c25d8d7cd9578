//! Earlier runs' reports, read back to compare a run with the latest comparable one
//! (`s3insights::report::comparable`): the analysis chooses it (its comparison queries read that
//! run's table) and records the choice for the report.

use serde::{Deserialize, Serialize};

use crate::error::{sdk_error, FunctionError};
use crate::s3::get_json;
use s3insights::names::keys;
use s3insights::report::{comparable, Coverage, RunReport};

/// Most earlier reports read to find the run to compare with, newest first: a bound on what one
/// run costs however many runs the deployment keeps.
pub const MAX_EARLIER_REPORTS: usize = 20;

/// The analysis's choice, stored at `runs/<run>/previous-run.json` for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousRunChoice {
    /// The run compared with, if any.
    pub run_id: Option<String>,
    /// How many earlier reports were read to find it.
    pub read: usize,
}

/// The latest earlier report `current` may be compared with ([`comparable`]), and how many earlier
/// reports were read to find it: `summary.json` files under `reports/`, newest first, at most
/// [`MAX_EARLIER_REPORTS`]. One that cannot be read is logged and passed over.
pub async fn previous_run(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    current: &Coverage,
) -> Result<(Option<RunReport>, usize), FunctionError> {
    let own = keys::summary_json(&current.run_id);
    let pages: Vec<_> = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(keys::REPORTS_PREFIX)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| sdk_error(format!("list s3://{bucket}/{}", keys::REPORTS_PREFIX), e))?;
    let mut summaries: Vec<(i64, String)> = pages
        .into_iter()
        .flat_map(|page| page.contents.unwrap_or_default())
        .filter_map(|o| Some((o.last_modified()?.secs(), o.key?)))
        .filter(|(_, key)| key.ends_with("/summary.json") && *key != own)
        .collect();
    summaries.sort_by(|a, b| b.cmp(a));
    let mut read = 0;
    for (_, key) in summaries.into_iter().take(MAX_EARLIER_REPORTS) {
        read += 1;
        match get_json::<RunReport>(s3, bucket, &key).await {
            Ok(earlier) if comparable(current, &earlier) => return Ok((Some(earlier), read)),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%key, %error, "an earlier report could not be read: not compared");
            }
        }
    }
    Ok((None, read))
}

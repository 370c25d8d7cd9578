//! The report's data: one run, its buckets and its queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::comparison::Comparison;
use crate::cost::CostReport;
use crate::{BucketFigures, BucketStatus};

/// Everything one run found, as stored in `summary.json` and rendered into the email.
///
/// It exists as plain data so the report Lambda can build it from the run's stored state, store it,
/// and render it, and so a stored report can be rendered again later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The run's id (the Harvester input's `run_id`).
    pub run_id: String,
    /// The deployment (stack) that ran it, to tell several deployments' emails apart.
    pub deployment: String,
    /// Whether the run as a whole succeeded.
    pub outcome: RunOutcome,
    /// Why the run failed (the error and cause that ended it), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When the report was made (the run's end).
    pub finished_at: DateTime<Utc>,
    /// A smoke test runs on a small sample: its figures are not the estate's.
    pub is_smoke_test: bool,
    /// Ids of the accounts scanned.
    pub accounts: Vec<String>,
    /// Those of them that could not be reached: the run covered none of their regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreachable_accounts: Vec<String>,
    /// Regions scanned.
    pub regions: Vec<String>,
    /// Where the run's data can be queried.
    pub athena: AthenaReport,
    /// Every source bucket of the run and what happened to it.
    pub buckets: Vec<BucketReport>,
    /// Every query run (built-in ones first, then the user's), with its first rows.
    pub queries: Vec<QueryReport>,
    /// What changed since the previous run that covered some of the same accounts and regions;
    /// `null` with [`RunReport::comparison_reason`] when there is none.
    #[serde(default)]
    pub comparison: Option<Comparison>,
    /// Why there is no comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison_reason: Option<String>,
    /// What the buckets' storage costs a month, when any bucket has figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostReport>,
    /// Things the reader should know that fit nowhere else (e.g. unverified email identities).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The Harvester input, echoed so the reader can see what was asked for.
    #[serde(default)]
    pub input: serde_json::Value,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// The run went through; some buckets or queries may still have failed (see them).
    Succeeded,
    /// The run stopped on an error (see [`RunReport::cause`]); what it gathered is still reported.
    Failed,
}

impl RunOutcome {
    /// Displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
        }
    }
}

/// The run's Athena database and table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AthenaReport {
    /// Database name.
    pub database: String,
    /// Table name.
    pub table: String,
    /// The region the queries ran in, for console links.
    pub region: String,
}

/// One source bucket and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketReport {
    /// Owning account id.
    pub account: String,
    /// The bucket's region.
    pub region: String,
    /// Bucket name.
    pub bucket: String,
    /// Final status.
    pub status: BucketStatus,
    /// Why it failed or timed out, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its figures, when its report was consolidated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<BucketFigures>,
}

/// One query of the run and its first rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryReport {
    /// Stable name: a built-in query's catalogue name or the user's `name`.
    pub name: String,
    /// Human title (a user query's title is its name).
    pub title: String,
    /// What a row means and what to do about it (built-in queries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it comes from the built-in catalogue.
    pub builtin: bool,
    /// The SQL that was run (placeholders substituted).
    pub sql: String,
    /// Final state.
    pub state: QueryState,
    /// Athena's reason for a failure or cancellation, or why it did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Athena query execution id, when it was started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// Athena console link for `summary.json` readers. The HTML part does not trust it: it rebuilds
    /// the link from the execution id and the run's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_link: Option<String>,
    /// Bytes Athena scanned (what it bills).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_scanned_bytes: Option<u64>,
    /// Result column names.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The first result rows; `None` is SQL NULL.
    #[serde(default)]
    pub rows: Vec<Vec<Option<String>>>,
    /// Whether the result had more rows than `rows`.
    #[serde(default)]
    pub truncated: bool,
}

#[cfg(test)]
impl QueryReport {
    /// A built-in query named `name` that succeeded with `columns` and text `rows` (tests).
    pub(crate) fn succeeded(name: &str, columns: &[&str], rows: &[&[&str]]) -> Self {
        QueryReport {
            name: name.into(),
            title: name.into(),
            description: None,
            builtin: true,
            sql: String::new(),
            state: QueryState::Succeeded,
            reason: None,
            execution_id: None,
            console_link: None,
            data_scanned_bytes: None,
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| Some((*v).to_owned())).collect())
                .collect(),
            truncated: false,
        }
    }
}

/// How a query ended, in Athena's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueryState {
    /// It ran; its rows are in the report.
    Succeeded,
    /// Athena failed it; the reason says why.
    Failed,
    /// It was cancelled (e.g. it ran past its time limit).
    Cancelled,
    /// It was never started (the run failed before, or its template was invalid).
    NotRun,
}

impl QueryState {
    /// Displayed name, as Athena writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryState::Succeeded => "SUCCEEDED",
            QueryState::Failed => "FAILED",
            QueryState::Cancelled => "CANCELLED",
            QueryState::NotRun => "NOT_RUN",
        }
    }
}

//! The analysis (`s3insights-analysis`): Athena, around the state machine's `.sync` tasks.
//!
//! `prepare` writes what the Distributed Maps read — one partition statement per item (every `done`
//! bucket registered explicitly with its location) and the query plan (the built-in catalogue, then the
//! user's queries, placeholders substituted) — and returns the two DDL statements. The state machine
//! runs everything through `athena:startQueryExecution.sync`; `summarise` then reads each query's
//! status and first rows and stores them for the report. What is planned and how an outcome reads
//! are `s3insights::analysis`'s decisions.

use aws_config::SdkConfig;
use platform::config::{ConfigError, Lookup};
use serde::Deserialize;
use serde_json::Value;

use crate::config;
use crate::earlier_reports::{self, PreviousRunChoice};
use crate::error::{sdk_error, FunctionError};
use crate::s3::{get_json, put_json};
use crate::store::{Access, StateReader};
use s3insights::analysis::{self as decide, PlannedQuery, FIRST_ROWS};
use s3insights::catalogue::{console_link, Identifier, PreviousTable};
use s3insights::input::HarvesterInput;
use s3insights::names::keys;
use s3insights::report::Coverage;
use s3insights::report::QueryReport;

/// The analysis's configuration and clients.
pub struct Config {
    store: StateReader,
    consolidated_bucket: String,
    region: String,
    s3: aws_sdk_s3::Client,
    athena: aws_sdk_athena::Client,
}

impl Config {
    /// What it does with the state table (its template policy).
    pub const STATE_TABLE: Access = Access::Read;

    /// The variables it reads.
    pub const VARIABLES: &'static [&'static str] = &["STATE_TABLE", "CONSOLIDATED_BUCKET"];
}

impl platform::serve::FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            store: config::state_reader(env, sdk)?,
            consolidated_bucket: config::consolidated_bucket(env)?,
            region: config::own_region(sdk),
            s3: platform::aws::s3_client(sdk),
            athena: aws_sdk_athena::Client::new(sdk),
        })
    }
}

/// An analysis request.
#[derive(Debug, Deserialize)]
pub struct AnalysisRequest {
    /// `prepare` or `summarise`.
    pub action: String,
    /// Run id.
    pub run_id: String,
    /// `summarise`: the RunQueries Map's output.
    #[serde(default)]
    pub query_runs: Vec<Value>,
}

/// Handles one request.
pub async fn handle(config: &Config, request: Value) -> Result<Value, FunctionError> {
    let request: AnalysisRequest =
        serde_json::from_value(request).map_err(FunctionError::undecodable)?;
    match request.action.as_str() {
        "prepare" => prepare(config, &request.run_id).await,
        "summarise" => summarise(config, &request.run_id, &request.query_runs).await,
        other => Err(FunctionError::no_action("the analysis", other)),
    }
}

async fn prepare(config: &Config, run_id: &str) -> Result<Value, FunctionError> {
    let bucket = &config.consolidated_bucket;
    let input: HarvesterInput = get_json(&config.s3, bucket, &keys::input(run_id)).await?;
    let buckets = config.store.buckets(run_id).await?;
    let previous = previous_table(config, run_id, &input).await?;
    let prepared = decide::prepare(&input, run_id, bucket, buckets, previous.as_ref())
        .map_err(|e| FunctionError::corrupt("Athena statement", e))?;
    let statements = &prepared.partition_statements;
    put_json(
        &config.s3,
        bucket,
        &keys::partition_statements(run_id),
        statements,
    )
    .await?;
    put_json(
        &config.s3,
        bucket,
        &keys::query_plan(run_id),
        &prepared.plan,
    )
    .await?;
    Ok(prepared.answer)
}

/// The earlier run to compare this one with (the latest comparable one that finished before now),
/// recorded for the report; its table, for the comparison queries.
async fn previous_table(
    config: &Config,
    run_id: &str,
    input: &HarvesterInput,
) -> Result<Option<PreviousTable>, FunctionError> {
    let unreachable = config
        .store
        .accounts(run_id)
        .await?
        .into_iter()
        .filter(|a| a.status == "unreachable")
        .map(|a| a.account)
        .collect();
    let coverage = Coverage {
        run_id: run_id.to_owned(),
        since: chrono::Utc::now(),
        accounts: input
            .run_accounts()
            .unwrap_or_else(|_| input.accounts.clone())
            .into_iter()
            .map(|a| a.id)
            .collect(),
        unreachable_accounts: unreachable,
        regions: input.supported_regions.clone(),
    };
    let (s3, bucket) = (&config.s3, &config.consolidated_bucket);
    let (previous, read) = earlier_reports::previous_run(s3, bucket, &coverage).await?;
    let choice = PreviousRunChoice {
        run_id: previous.as_ref().map(|p| p.run_id.clone()),
        read,
    };
    put_json(s3, bucket, &keys::previous_run(run_id), &choice).await?;
    Ok(previous.and_then(|p| {
        Some(PreviousTable {
            database: Identifier::database(&p.athena.database).ok()?,
            table: Identifier::table(&p.athena.table).ok()?,
            run_id: p.run_id,
        })
    }))
}

async fn summarise(config: &Config, run_id: &str, runs: &[Value]) -> Result<Value, FunctionError> {
    let bucket = &config.consolidated_bucket;
    let plan: Vec<PlannedQuery> = get_json(&config.s3, bucket, &keys::query_plan(run_id)).await?;
    let mut reports = Vec::new();
    for planned in &plan {
        let mut report = decide::not_run(planned);
        if let Some(id) = decide::apply_run(&mut report, runs) {
            fill_from_athena(config, &mut report, &id).await?;
        }
        reports.push(report);
    }
    put_json(&config.s3, bucket, &keys::query_outcomes(run_id), &reports).await?;
    Ok(decide::summary(&reports))
}

async fn fill_from_athena(
    config: &Config,
    report: &mut QueryReport,
    id: &str,
) -> Result<(), FunctionError> {
    report.execution_id = Some(id.to_string());
    report.console_link = console_link(&config.region, id).ok();
    let execution = config
        .athena
        .get_query_execution()
        .query_execution_id(id)
        .send()
        .await
        .map_err(|e| sdk_error(format!("get query execution {id}"), e))?;
    let execution = execution.query_execution();
    let status = execution.and_then(|e| e.status());
    report.data_scanned_bytes = execution
        .and_then(|e| e.statistics())
        .and_then(|s| s.data_scanned_in_bytes())
        .map(|b| b.max(0) as u64);
    let state = status.and_then(|s| s.state()).map(|s| s.as_str());
    let reason = status.and_then(|s| s.state_change_reason());
    if !decide::apply_state(report, state, reason) {
        return Ok(());
    }
    // The first page holds the header row and up to FIRST_ROWS rows; one more tells us of truncation.
    let results = config
        .athena
        .get_query_results()
        .query_execution_id(id)
        .max_results((FIRST_ROWS + 2) as i32)
        .send()
        .await
        .map_err(|e| sdk_error(format!("get query results {id}"), e))?;
    let Some(set) = results.result_set() else {
        return Ok(());
    };
    let columns = set
        .result_set_metadata()
        .map(|m| {
            m.column_info()
                .iter()
                .map(|c| c.name().to_string())
                .collect()
        })
        .unwrap_or_default();
    let rows = set
        .rows()
        .iter()
        .map(|row| {
            row.data()
                .iter()
                .map(|d| d.var_char_value().map(str::to_string))
                .collect()
        })
        .collect();
    decide::apply_rows(report, columns, rows, results.next_token().is_some());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn reads_only_its_variables_and_uses_the_state_table_as_declared() {
        let config = crate::config::testing::reads_exactly::<Config>(Config::VARIABLES);
        assert_eq!(config.store.access(), Config::STATE_TABLE);
    }
}

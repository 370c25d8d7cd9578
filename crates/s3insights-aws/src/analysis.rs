//! Athena, around the state machine's `.sync` tasks.
//!
//! `prepare` writes what the Distributed Maps read — one partition statement per item (every `done`
//! bucket registered explicitly with its location) and the query plan (the built-in catalogue, then the
//! user's queries, placeholders substituted) — and returns the two DDL statements. The state machine
//! runs everything through `athena:startQueryExecution.sync`; `summarise` then reads each query's
//! status and first rows and stores them for the report.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{sdk_error, HarvestError};
use crate::s3util::{get_json, put_json};
use crate::store::StateStore;
use crate::HarvestContext;
use s3insights::catalogue::{
    builtin_queries, console_link, database_ddl, partition_statements, render, table_ddl,
    Identifier, Partition, ATHENA_MAX_QUERY_BYTES,
};
use s3insights::input::HarvesterInput;
use s3insights::names::keys;
use s3insights::report::{QueryReport, QueryState};
use s3insights::BucketStatus;

/// Rows of each query kept for the report.
pub const FIRST_ROWS: usize = 20;

/// Partition statements are kept well under Athena's limit so each runs quickly.
const PARTITION_STATEMENT_BYTES: usize = ATHENA_MAX_QUERY_BYTES / 4;

/// One query the Distributed Map runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedQuery {
    /// Catalogue name or the user's name.
    pub name: String,
    /// Rendered SQL.
    pub sql: String,
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
pub async fn handle(ctx: &HarvestContext, request: Value) -> Result<Value, HarvestError> {
    let request: AnalysisRequest =
        serde_json::from_value(request).map_err(|e| HarvestError::UnknownRequest(e.to_string()))?;
    match request.action.as_str() {
        "prepare" => prepare(ctx, &request.run_id).await,
        "summarise" => summarise(ctx, &request.run_id, &request.query_runs).await,
        other => Err(HarvestError::UnknownRequest(format!(
            "the analysis has no action {other:?}"
        ))),
    }
}

fn catalogue_error(e: impl std::fmt::Display) -> HarvestError {
    HarvestError::CorruptState {
        what: "Athena statement".into(),
        message: e.to_string(),
    }
}

/// The run's database and table identifiers.
fn identifiers(input: &HarvesterInput) -> Result<(Identifier, Identifier), HarvestError> {
    Ok((
        Identifier::database(&input.athena_database_name).map_err(catalogue_error)?,
        Identifier::table(&input.athena_table_name).map_err(catalogue_error)?,
    ))
}

/// The query plan: built-in queries, then the user's.
pub fn plan(input: &HarvesterInput) -> Result<Vec<PlannedQuery>, HarvestError> {
    let (database, table) = identifiers(input)?;
    let mut out = Vec::new();
    for query in builtin_queries() {
        out.push(PlannedQuery {
            name: query.name.to_string(),
            sql: render(query.sql, &database, &table).map_err(catalogue_error)?,
        });
    }
    for query in &input.athena_queries {
        out.push(PlannedQuery {
            name: query.name.clone(),
            sql: render(&query.query, &database, &table).map_err(catalogue_error)?,
        });
    }
    Ok(out)
}

async fn prepare(ctx: &HarvestContext, run_id: &str) -> Result<Value, HarvestError> {
    let input: HarvesterInput =
        get_json(&ctx.s3, &ctx.consolidated_bucket, &keys::input(run_id)).await?;
    let (database, table) = identifiers(&input)?;
    let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
    let bucket = &ctx.consolidated_bucket;
    let partitions: Vec<Partition> = store
        .buckets(run_id)
        .await?
        .into_iter()
        .filter(|b| b.status == BucketStatus::Done)
        .map(|b| Partition {
            location: format!(
                "s3://{bucket}/{}",
                keys::inventory_partition(run_id, &b.account, &b.region, &b.bucket)
            ),
            account: b.account,
            region: b.region,
            bucket: b.bucket,
        })
        .collect();
    let statements =
        partition_statements(&database, &table, &partitions, PARTITION_STATEMENT_BYTES)
            .map_err(catalogue_error)?;
    put_json(
        &ctx.s3,
        bucket,
        &keys::partition_statements(run_id),
        &statements,
    )
    .await?;
    let plan = plan(&input)?;
    put_json(&ctx.s3, bucket, &keys::query_plan(run_id), &plan).await?;
    Ok(json!({
        "database": input.athena_database_name,
        "table": input.athena_table_name,
        "create_database": database_ddl(&database),
        "create_table": table_ddl(&database, &table, &format!("s3://{bucket}/{}", keys::inventory_root(run_id)))
            .map_err(catalogue_error)?,
        "result_location": format!("s3://{bucket}/{}", keys::athena_results(run_id)),
        "partitions": partitions.len(),
        "partition_statements": statements.len(),
        "queries": plan.len(),
    }))
}

/// Athena's reason from a `.sync` failure cause (the GetQueryExecution JSON), or the cause itself.
fn failure_reason(cause: &str) -> (Option<String>, String) {
    match serde_json::from_str::<Value>(cause) {
        Ok(value) => {
            let execution = &value["QueryExecution"];
            (
                execution["QueryExecutionId"].as_str().map(str::to_string),
                execution["Status"]["StateChangeReason"]
                    .as_str()
                    .unwrap_or(cause)
                    .to_string(),
            )
        }
        Err(_) => (None, cause.to_string()),
    }
}

async fn summarise(
    ctx: &HarvestContext,
    run_id: &str,
    runs: &[Value],
) -> Result<Value, HarvestError> {
    let plan: Vec<PlannedQuery> =
        get_json(&ctx.s3, &ctx.consolidated_bucket, &keys::query_plan(run_id)).await?;
    let mut reports = Vec::new();
    for planned in plan {
        let builtin = builtin_queries().iter().find(|q| q.name == planned.name);
        let mut report = QueryReport {
            name: planned.name.clone(),
            title: builtin
                .map(|q| q.title.to_string())
                .unwrap_or_else(|| planned.name.clone()),
            description: builtin.map(|q| q.description.to_string()),
            builtin: builtin.is_some(),
            sql: planned.sql.clone(),
            state: QueryState::NotRun,
            reason: Some("the query was not run".into()),
            execution_id: None,
            console_link: None,
            data_scanned_bytes: None,
            columns: Vec::new(),
            rows: Vec::new(),
            truncated: false,
        };
        let run = runs
            .iter()
            .find(|r| r["name"].as_str() == Some(planned.name.as_str()));
        if let Some(run) = run {
            let mut execution_id = run["execution_id"].as_str().map(str::to_string);
            if run["state"] == "FAILED" && execution_id.is_none() {
                let (id, reason) = failure_reason(run["cause"].as_str().unwrap_or_default());
                execution_id = id;
                report.state = QueryState::Failed;
                report.reason = Some(reason);
            }
            if let Some(id) = execution_id {
                fill_from_athena(ctx, &mut report, &id).await?;
            }
        }
        reports.push(report);
    }
    put_json(
        &ctx.s3,
        &ctx.consolidated_bucket,
        &keys::query_outcomes(run_id),
        &reports,
    )
    .await?;
    let failed = reports
        .iter()
        .filter(|r| r.state != QueryState::Succeeded)
        .count();
    Ok(json!({"queries": reports.len(), "not_succeeded": failed}))
}

async fn fill_from_athena(
    ctx: &HarvestContext,
    report: &mut QueryReport,
    id: &str,
) -> Result<(), HarvestError> {
    report.execution_id = Some(id.to_string());
    report.console_link = console_link(&ctx.region, id).ok();
    let execution = ctx
        .athena
        .get_query_execution()
        .query_execution_id(id)
        .send()
        .await
        .map_err(|e| sdk_error(format!("get query execution {id}"), e))?;
    let execution = execution.query_execution();
    let status = execution.and_then(|e| e.status());
    let state = status
        .and_then(|s| s.state())
        .map(|s| s.as_str().to_string());
    report.data_scanned_bytes = execution
        .and_then(|e| e.statistics())
        .and_then(|s| s.data_scanned_in_bytes())
        .map(|b| b.max(0) as u64);
    match state.as_deref() {
        Some("SUCCEEDED") => {
            report.state = QueryState::Succeeded;
            report.reason = None;
        }
        Some("CANCELLED") => {
            report.state = QueryState::Cancelled;
            report.reason = status
                .and_then(|s| s.state_change_reason())
                .map(str::to_string);
            return Ok(());
        }
        _ => {
            report.state = QueryState::Failed;
            report.reason = status
                .and_then(|s| s.state_change_reason())
                .map(str::to_string)
                .or(report.reason.take());
            return Ok(());
        }
    }
    // The first page holds the header row and up to FIRST_ROWS rows; one more tells us of truncation.
    let results = ctx
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
    report.columns = set
        .result_set_metadata()
        .map(|m| {
            m.column_info()
                .iter()
                .map(|c| c.name().to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut rows: Vec<Vec<Option<String>>> = set
        .rows()
        .iter()
        .map(|row| {
            row.data()
                .iter()
                .map(|d| d.var_char_value().map(str::to_string))
                .collect()
        })
        .collect();
    // Athena repeats the column names as the first row of a SELECT's first page.
    if rows.first().is_some_and(|first| {
        first.len() == report.columns.len()
            && first
                .iter()
                .zip(&report.columns)
                .all(|(cell, name)| cell.as_deref() == Some(name.as_str()))
    }) {
        rows.remove(0);
    }
    report.truncated = rows.len() > FIRST_ROWS || results.next_token().is_some();
    rows.truncate(FIRST_ROWS);
    report.rows = rows;
    Ok(())
}

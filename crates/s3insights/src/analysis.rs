//! The analysis's decisions: which partitions and queries a run has, the statements that create its
//! table, and how each query's end (Athena's state and first rows, or a `.sync` failure) reads in
//! the report. The analysis function only reads and writes what these decide.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::catalogue::{
    builtin_queries, comparison_queries, database_ddl, partition_statements, render, table_ddl,
    Identifier, Partition, PreviousTable, ATHENA_MAX_QUERY_BYTES, COMPARISON_QUERIES,
};
use crate::input::HarvesterInput;
use crate::names::keys;
use crate::report::{QueryReport, QueryState};
use crate::state::BucketRecord;
use crate::BucketStatus;

/// Rows of each query kept for the report.
pub const FIRST_ROWS: usize = 20;

/// Partition statements are kept well under Athena's limit so each runs quickly.
pub const PARTITION_STATEMENT_BYTES: usize = ATHENA_MAX_QUERY_BYTES / 4;

/// A statement that cannot be built from the stored input (a bug or a manual edit: the input was
/// validated when the run started).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

fn plan_error(e: impl std::fmt::Display) -> PlanError {
    PlanError(e.to_string())
}

/// One query the Distributed Map runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedQuery {
    /// Catalogue name or the user's name.
    pub name: String,
    /// Rendered SQL.
    pub sql: String,
}

/// The run's database and table identifiers.
pub fn identifiers(input: &HarvesterInput) -> Result<(Identifier, Identifier), PlanError> {
    Ok((
        Identifier::database(&input.athena_database_name).map_err(plan_error)?,
        Identifier::table(&input.athena_table_name).map_err(plan_error)?,
    ))
}

/// The query plan: built-in queries, then the user's, placeholders substituted.
pub fn plan(input: &HarvesterInput) -> Result<Vec<PlannedQuery>, PlanError> {
    let (database, table) = identifiers(input)?;
    let builtin = builtin_queries().iter().map(|q| (q.name, q.sql));
    let user = input
        .athena_queries
        .iter()
        .map(|q| (q.name.as_str(), q.query.as_str()));
    builtin
        .chain(user)
        .map(|(name, sql)| {
            Ok(PlannedQuery {
                name: name.to_string(),
                sql: render(sql, &database, &table).map_err(plan_error)?,
            })
        })
        .collect()
}

/// The partitions of a run: every `done` bucket, at its folder in the consolidated bucket.
pub fn partitions(
    run_id: &str,
    consolidated_bucket: &str,
    buckets: Vec<BucketRecord>,
) -> Vec<Partition> {
    buckets
        .into_iter()
        .filter(|b| b.status == BucketStatus::Done)
        .map(|b| Partition {
            location: format!(
                "s3://{consolidated_bucket}/{}",
                keys::inventory_partition(run_id, &b.account, &b.region, &b.bucket)
            ),
            account: b.account,
            region: b.region,
            bucket: b.bucket,
        })
        .collect()
}

/// Everything `prepare` writes and answers: the partition statements and the query plan (which the
/// Distributed Maps read from the consolidated bucket), and the state machine's answer (the two DDL
/// statements, the result location and the counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Preparation {
    /// One statement per item of the partitions Map.
    pub partition_statements: Vec<String>,
    /// One query per item of the queries Map.
    pub plan: Vec<PlannedQuery>,
    /// The function's answer.
    pub answer: Value,
}

/// What `prepare` writes and answers for `run_id`, whose buckets are `buckets`.
pub fn prepare(
    input: &HarvesterInput,
    run_id: &str,
    consolidated_bucket: &str,
    buckets: Vec<BucketRecord>,
    previous: Option<&PreviousTable>,
) -> Result<Preparation, PlanError> {
    let (database, table) = identifiers(input)?;
    let bucket = consolidated_bucket;
    let partitions = partitions(run_id, bucket, buckets);
    let statements =
        partition_statements(&database, &table, &partitions, PARTITION_STATEMENT_BYTES)
            .map_err(plan_error)?;
    let mut plan = plan(input)?;
    if let Some(previous) = previous {
        let queries = comparison_queries(&database, &table, previous).map_err(plan_error)?;
        plan.extend(queries.into_iter().map(|(name, sql)| PlannedQuery {
            name: name.to_owned(),
            sql,
        }));
    }
    let location = format!("s3://{bucket}/{}", keys::inventory_root(run_id));
    let answer = json!({
        "database": input.athena_database_name,
        "table": input.athena_table_name,
        "create_database": database_ddl(&database),
        "create_table": table_ddl(&database, &table, &location).map_err(plan_error)?,
        "result_location": format!("s3://{bucket}/{}", keys::athena_results(run_id)),
        "partitions": partitions.len(),
        "partition_statements": statements.len(),
        "queries": plan.len(),
    });
    Ok(Preparation {
        partition_statements: statements,
        plan,
        answer,
    })
}

/// A planned query's report before anything is known of its run: not run.
pub fn not_run(planned: &PlannedQuery) -> QueryReport {
    let builtin = builtin_queries()
        .iter()
        .map(|q| (q.name, q.title, q.description))
        .chain(COMPARISON_QUERIES)
        .find(|(name, _, _)| *name == planned.name);
    QueryReport {
        name: planned.name.clone(),
        title: builtin
            .map(|(_, title, _)| title.to_string())
            .unwrap_or_else(|| planned.name.clone()),
        description: builtin.map(|(_, _, description)| description.to_string()),
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
    }
}

/// Athena's reason from a `.sync` failure cause (the GetQueryExecution JSON), or the cause itself.
pub fn failure_reason(cause: &str) -> (Option<String>, String) {
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

/// Applies the queries Map's item for this query (`{name, execution_id?, state?, cause?}`, if it
/// ran) to `report`; returns the Athena execution to read, if there is one.
pub fn apply_run(report: &mut QueryReport, runs: &[Value]) -> Option<String> {
    let run = runs
        .iter()
        .find(|r| r["name"].as_str() == Some(report.name.as_str()))?;
    let mut execution_id = run["execution_id"].as_str().map(str::to_string);
    if run["state"] == "FAILED" && execution_id.is_none() {
        let (id, reason) = failure_reason(run["cause"].as_str().unwrap_or_default());
        execution_id = id;
        report.state = QueryState::Failed;
        report.reason = Some(reason);
    }
    execution_id
}

/// Applies Athena's state of the execution (`SUCCEEDED`, `CANCELLED`, or anything else: failed)
/// and its reason to `report`; true when the query succeeded and its rows should be read.
pub fn apply_state(report: &mut QueryReport, state: Option<&str>, reason: Option<&str>) -> bool {
    match state {
        Some("SUCCEEDED") => {
            report.state = QueryState::Succeeded;
            report.reason = None;
            true
        }
        Some("CANCELLED") => {
            report.state = QueryState::Cancelled;
            report.reason = reason.map(str::to_string);
            false
        }
        _ => {
            report.state = QueryState::Failed;
            report.reason = reason.map(str::to_string).or(report.reason.take());
            false
        }
    }
}

/// Applies the first page of results to `report`: the header row Athena repeats at the top of a
/// SELECT's first page dropped, at most [`FIRST_ROWS`] rows kept, truncated when more were there
/// (`more_pages`: Athena gave a next token).
pub fn apply_rows(
    report: &mut QueryReport,
    columns: Vec<String>,
    mut rows: Vec<Vec<Option<String>>>,
    more_pages: bool,
) {
    let header = rows.first().is_some_and(|first| {
        first.len() == columns.len()
            && first
                .iter()
                .zip(&columns)
                .all(|(cell, name)| cell.as_deref() == Some(name.as_str()))
    });
    if header {
        rows.remove(0);
    }
    report.truncated = rows.len() > FIRST_ROWS || more_pages;
    rows.truncate(FIRST_ROWS);
    report.columns = columns;
    report.rows = rows;
}

/// What `summarise` answers: how many queries, how many did not succeed.
pub fn summary(reports: &[QueryReport]) -> Value {
    let failed = reports
        .iter()
        .filter(|r| r.state != QueryState::Succeeded)
        .count();
    json!({"queries": reports.len(), "not_succeeded": failed})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::NEW_SINCE_PREVIOUS_RUN;

    fn input() -> HarvesterInput {
        let raw = json!({
            "run_id": "r1",
            "accounts": [{"id": "000000000000"}],
            "sender_email_address": "a@example.com",
            "recipient_email_addresses": ["b@example.com"],
            "supported_regions": ["us-east-1"],
            "athena_queries": [{"name": "mine", "query": "SELECT count(*) AS n FROM {database}.{table}"}],
        });
        crate::input::validate(
            &raw,
            &crate::catalogue::input_rules(crate::input::partition_of("us-east-1")),
        )
        .expect("valid input")
    }

    fn bucket(name: &str, status: BucketStatus) -> BucketRecord {
        let mut record =
            crate::configuration::first_record("r1", "111111111111", "us-east-1", name, "t");
        record.status = status;
        record
    }

    #[test]
    fn with_a_previous_run_the_comparison_queries_come_last_as_built_in_ones() {
        let previous = PreviousTable {
            run_id: "r0".into(),
            database: Identifier::database("s3insights").unwrap(),
            table: Identifier::table("r0inventorytable").unwrap(),
        };
        let prepared = prepare(&input(), "r1", "consolidated", vec![], Some(&previous)).unwrap();
        let names: Vec<&str> = prepared.plan.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(prepared.plan.len(), builtin_queries().len() + 1 + 1);
        assert_eq!(names.last(), Some(&NEW_SINCE_PREVIOUS_RUN));
        let report = not_run(prepared.plan.last().unwrap());
        assert!(report.builtin);
        assert_eq!(report.title, "New since the previous run");
        assert!(prepared
            .plan
            .last()
            .unwrap()
            .sql
            .contains("\"r0inventorytable\""));
    }

    #[test]
    fn the_plan_is_the_catalogue_then_the_users_queries() {
        let plan = plan(&input()).unwrap();
        assert_eq!(plan.len(), builtin_queries().len() + 1);
        assert_eq!(plan[0].name, builtin_queries()[0].name);
        let mine = plan.last().unwrap();
        assert_eq!(mine.name, "mine");
        assert!(!mine.sql.contains("{table}"), "{}", mine.sql);
    }

    #[test]
    fn only_done_buckets_are_partitions() {
        let buckets = vec![
            bucket("a", BucketStatus::Done),
            bucket("b", BucketStatus::TimedOut),
        ];
        let prepared = prepare(&input(), "r1", "consolidated", buckets, None).unwrap();
        assert_eq!(prepared.answer["partitions"], 1);
        assert_eq!(prepared.partition_statements.len(), 1);
        assert!(prepared.partition_statements[0].contains(
            "s3://consolidated/inventory/run=r1/account=111111111111/region=us-east-1/bucket=a/"
        ));
        assert_eq!(prepared.answer["queries"], prepared.plan.len());
        assert_eq!(
            prepared.answer["result_location"],
            "s3://consolidated/athena/r1/"
        );
        let none = prepare(&input(), "r1", "consolidated", vec![], None).unwrap();
        assert!(none.partition_statements.is_empty());
    }

    #[test]
    fn a_query_is_not_run_until_its_run_says_otherwise() {
        let planned = PlannedQuery {
            name: "mine".into(),
            sql: "SELECT 1".into(),
        };
        let mut report = not_run(&planned);
        assert!(!report.builtin);
        assert_eq!(report.title, "mine");
        assert_eq!(report.state, QueryState::NotRun);
        assert_eq!(apply_run(&mut report, &[json!({"name": "other"})]), None);
        assert_eq!(report.state, QueryState::NotRun);
        let started = json!({"name": "mine", "execution_id": "q1"});
        assert_eq!(apply_run(&mut report, &[started]).as_deref(), Some("q1"));
        let cause = json!({"QueryExecution": {"QueryExecutionId": "q2",
            "Status": {"StateChangeReason": "SYNTAX_ERROR"}}});
        let failed = json!({"name": "mine", "state": "FAILED", "cause": cause.to_string()});
        assert_eq!(apply_run(&mut report, &[failed]).as_deref(), Some("q2"));
        assert_eq!(report.state, QueryState::Failed);
        assert_eq!(report.reason.as_deref(), Some("SYNTAX_ERROR"));
        assert_eq!(failure_reason("timeout"), (None, "timeout".to_string()));
    }

    #[test]
    fn athena_states_read_as_the_report_says_them() {
        let mut report = not_run(&PlannedQuery {
            name: builtin_queries()[0].name.into(),
            sql: "SELECT 1".into(),
        });
        assert!(report.builtin);
        assert!(apply_state(&mut report, Some("SUCCEEDED"), Some("ignored")));
        assert_eq!(
            (report.state, report.reason.clone()),
            (QueryState::Succeeded, None)
        );
        assert!(!apply_state(
            &mut report,
            Some("CANCELLED"),
            Some("too long")
        ));
        assert_eq!(report.state, QueryState::Cancelled);
        assert_eq!(report.reason.as_deref(), Some("too long"));
        // A failure without Athena's reason keeps the one known before.
        assert!(!apply_state(&mut report, Some("FAILED"), None));
        assert_eq!(report.state, QueryState::Failed);
        assert_eq!(report.reason.as_deref(), Some("too long"));
    }

    #[test]
    fn the_header_row_is_dropped_and_long_results_truncated() {
        let mut report = not_run(&PlannedQuery {
            name: "mine".into(),
            sql: "SELECT 1".into(),
        });
        let columns = vec!["n".to_string()];
        let row = |v: &str| vec![Some(v.to_string())];
        let mut rows = vec![row("n")];
        rows.extend((0..FIRST_ROWS + 1).map(|i| row(&i.to_string())));
        apply_rows(&mut report, columns.clone(), rows, false);
        assert_eq!(report.rows.len(), FIRST_ROWS);
        assert_eq!(report.rows[0], row("0"));
        assert!(report.truncated);
        apply_rows(
            &mut report,
            columns.clone(),
            vec![row("n"), row("7")],
            false,
        );
        assert_eq!(
            (report.rows.clone(), report.truncated),
            (vec![row("7")], false)
        );
        apply_rows(&mut report, columns, vec![row("7")], true);
        assert_eq!((report.rows.len(), report.truncated), (1, true));
        assert_eq!(summary(&[report])["not_succeeded"], 1);
    }
}

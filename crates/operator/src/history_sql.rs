//! `insights historical sql`: SQL over the history table (every Durable revision as a row; Athena
//! over Parquet in S3), a query of your own or one of the examples, printed as a table or JSON.

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use serde_json::{Map, Value};

use crate::context::{sdk_message, Context};

/// An example query: its name, what it answers, its SQL (`revisions` is the history table; a
/// `:name` placeholder takes `--param name=value`).
pub struct Example {
    /// How `--example` names it.
    pub name: &'static str,
    /// The question it answers.
    pub question: &'static str,
    /// Its SQL.
    pub sql: &'static str,
}

/// The examples `--example` runs (also in `docs/operations.md`).
pub const EXAMPLES: [Example; 4] = [
    Example {
        name: "opened-to-the-world",
        question: "security groups opened to 0.0.0.0/0 or ::/0 in the last 90 days, and by whom",
        sql: "SELECT event_time, account_id, region, arn, event_name, principal, source_ip \
              FROM revisions WHERE tech = 'securitygroup' AND change_kind <> 'deleted' \
              AND (patch LIKE '%\"0.0.0.0/0\"%' OR patch LIKE '%\"::/0\"%') \
              AND event_time >= current_timestamp - INTERVAL '90' DAY ORDER BY event_time DESC",
    },
    Example {
        name: "changes-by-principal",
        question: "every change one principal made (--param principal=ARN)",
        sql:
            "SELECT event_time, tech, account_id, region, arn, change_kind, event_name, source_ip \
              FROM revisions WHERE principal = :principal ORDER BY event_time",
    },
    Example {
        name: "bucket-policies-this-week",
        question: "buckets whose policy changed in the last 7 days",
        sql: "SELECT event_time, account_id, arn, event_name, principal FROM revisions \
              WHERE tech = 's3' AND event_name IN ('PutBucketPolicy', 'DeleteBucketPolicy') \
              AND event_time >= current_timestamp - INTERVAL '7' DAY ORDER BY event_time DESC",
    },
    Example {
        name: "deleted",
        question: "when each deleted resource was deleted, and by whom",
        sql: "SELECT event_time, tech, account_id, region, arn, principal FROM revisions \
              WHERE change_kind = 'deleted' ORDER BY event_time DESC",
    },
];

/// The SQL to run: `query`, or the example named, its `:name` placeholders filled from `params`
/// (`name=value`) as SQL string literals.
pub fn statement(
    query: Option<&str>,
    example: Option<&str>,
    params: &[String],
) -> anyhow::Result<String> {
    let sql = match (query, example) {
        (Some(query), None) => query.to_owned(),
        (None, Some(name)) => EXAMPLES
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.sql.to_owned())
            .ok_or_else(|| {
                let names: Vec<&str> = EXAMPLES.iter().map(|e| e.name).collect();
                anyhow!("no example `{name}`: the examples are {}", names.join(", "))
            })?,
        (Some(_), Some(_)) => bail!("give a query or --example, not both"),
        (None, None) => bail!("give a query, or --example NAME (--list-examples lists them)"),
    };
    let mut sql = sql;
    for param in params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| anyhow!("--param `{param}`: expected name=value"))?;
        let placeholder = format!(":{name}");
        if !sql.contains(&placeholder) {
            bail!("--param {name}: the query has no :{name}");
        }
        sql = sql.replace(&placeholder, &format!("'{}'", value.replace('\'', "''")));
    }
    if let Some(name) = unfilled_placeholder(&sql) {
        bail!("the query needs --param {name}=VALUE");
    }
    Ok(sql)
}

/// The first `:name` outside string literals (and not `::`), if any.
fn unfilled_placeholder(sql: &str) -> Option<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut in_string = false;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\'' => in_string = !in_string,
            ':' if !in_string
                && (i == 0 || chars[i - 1] != ':')
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()) =>
            {
                return Some(
                    chars[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                        .collect(),
                );
            }
            _ => {}
        }
    }
    None
}

/// Runs `sql` on the history table; prints the rows as a table, or as JSON objects.
pub async fn sql(ctx: &Context, sql: &str, json: bool) -> anyhow::Result<()> {
    let (columns, rows) = run(ctx, sql).await?;
    if json {
        let objects: Vec<Value> = rows
            .iter()
            .map(|row| {
                let mut object = Map::new();
                for (column, value) in columns.iter().zip(row) {
                    object.insert(
                        column.clone(),
                        value.clone().map_or(Value::Null, Value::String),
                    );
                }
                Value::Object(object)
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&objects)?);
        return Ok(());
    }
    let header: Vec<&str> = columns.iter().map(String::as_str).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| v.clone().unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect();
    print!("{}", crate::table::render(&header, &cells));
    eprintln!("insights: {} rows", rows.len());
    Ok(())
}

/// Column names, and rows (`None` for NULL), of `sql` run in the history database.
async fn run(ctx: &Context, sql: &str) -> anyhow::Result<(Vec<String>, Vec<Vec<Option<String>>>)> {
    let athena = aws_sdk_athena::Client::new(&ctx.config);
    let database = ctx.output("HistoryDatabaseName").await?;
    let bucket = ctx.output("ConsolidatedBucketName").await?;
    let started = athena
        .start_query_execution()
        .query_string(sql)
        .query_execution_context(QueryExecutionContext::builder().database(&database).build())
        .result_configuration(
            ResultConfiguration::builder()
                .output_location(format!("s3://{bucket}/athena/history/"))
                .build(),
        )
        .send()
        .await
        .map_err(|e| anyhow!("athena:StartQueryExecution: {}", sdk_message(&e)))?;
    let id = started
        .query_execution_id()
        .ok_or_else(|| anyhow!("Athena gave no query execution id"))?
        .to_owned();
    wait(&athena, &id).await?;
    results(&athena, &id).await
}

/// Until the query ends; its failure reason when it fails.
async fn wait(athena: &aws_sdk_athena::Client, id: &str) -> anyhow::Result<()> {
    loop {
        let execution = athena
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|e| anyhow!("athena:GetQueryExecution: {}", sdk_message(&e)))?;
        let status = execution.query_execution().and_then(|q| q.status());
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => return Ok(()),
            Some(QueryExecutionState::Failed | QueryExecutionState::Cancelled) => bail!(
                "the query failed: {}",
                status
                    .and_then(|s| s.state_change_reason())
                    .unwrap_or("no reason given")
            ),
            _ => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    }
}

/// Every page of the results; the first row of the first page is the header (Athena's DML results).
async fn results(
    athena: &aws_sdk_athena::Client,
    id: &str,
) -> anyhow::Result<(Vec<String>, Vec<Vec<Option<String>>>)> {
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = athena
            .get_query_results()
            .query_execution_id(id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| anyhow!("athena:GetQueryResults: {}", sdk_message(&e)))
            .context("reading the query's results")?;
        let Some(set) = page.result_set() else { break };
        if columns.is_empty() {
            columns = set
                .result_set_metadata()
                .map(|m| {
                    m.column_info()
                        .iter()
                        .map(|c| c.name().to_owned())
                        .collect()
                })
                .unwrap_or_default();
        }
        for row in set.rows() {
            let values: Vec<Option<String>> = row
                .data()
                .iter()
                .map(|d| d.var_char_value().map(str::to_owned))
                .collect();
            let is_header = rows.is_empty()
                && values
                    .iter()
                    .map(|v| v.as_deref())
                    .eq(columns.iter().map(|c| Some(c.as_str())));
            if !is_header {
                rows.push(values);
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    Ok((columns, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_example_takes_its_parameters_as_quoted_literals() {
        let sql = statement(
            None,
            Some("changes-by-principal"),
            &["principal=arn:aws:iam::1:user/o'brien".into()],
        )
        .unwrap();
        assert!(
            sql.contains("WHERE principal = 'arn:aws:iam::1:user/o''brien' ORDER BY"),
            "{sql}"
        );
        let missing = statement(None, Some("changes-by-principal"), &[]).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the query needs --param principal=VALUE"
        );
        let unknown = statement(None, Some("nope"), &[]).unwrap_err();
        assert!(unknown.to_string().starts_with("no example `nope`"));
        let stray = statement(Some("SELECT 1"), None, &["x=1".into()]).unwrap_err();
        assert_eq!(stray.to_string(), "--param x: the query has no :x");
    }

    #[test]
    fn a_query_of_ones_own_runs_as_given() {
        let sql = "SELECT count(*) FROM revisions WHERE arn LIKE 'arn:aws:s3:::%'";
        assert_eq!(statement(Some(sql), None, &[]).unwrap(), sql);
    }
}

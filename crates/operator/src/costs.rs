//! `insights s3insights costs`: the billable units one run used, read where AWS records them.
//!
//! - **State transitions**: the Harvester execution's history and that of every child execution it
//!   started (Cleanup), counted by `platform::billing::state_transitions`.
//! - **Lambda GB-seconds**: the `REPORT` line Lambda writes to `/aws/lambda/<function>` at the end
//!   of every invocation, for each S3Insights function of the stack, between the execution's start
//!   and a minute after its end. A run overlapping another run's window shares its invocations.
//! - **Athena**: each query's `data_scanned_bytes` from the run's `summary.json`, billed rounded up
//!   to the megabyte with a 10 MB minimum; and the run's Parquet, the most any query can read.
//!
//! Offline the same calls reach the local AWS, whose figures are its own (see the notes printed).

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context as _};
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use platform::billing::{self, FunctionUsage};
use serde::Serialize;
use serde_json::Value;

use crate::context::{sdk_message, Context};
use crate::records;
use crate::table;

/// The S3Insights functions of `template.yaml` (logical ids): the ones a run invokes. Historical's
/// functions run on their own schedule and events, not per run.
pub const RUN_FUNCTIONS: [&str; 7] = [
    "RunLedgerFunction",
    "StagingStacksFunction",
    "InventoryConfiguratorFunction",
    "InventoryProcessorFunction",
    "RunMonitorFunction",
    "AnalysisFunction",
    "ReportFunction",
];

/// Seconds after the execution's end still counted: the last invocations' log lines.
const LOG_GRACE_MS: i64 = 60_000;

/// One execution's share.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExecutionCount {
    /// The execution ARN.
    pub execution: String,
    /// Its status.
    pub status: String,
    /// State transitions.
    pub transitions: u64,
    /// History events.
    pub history_events: u64,
}

/// One function's invocations in the run's window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunctionCount {
    /// Logical id in the template.
    pub function: String,
    /// Invocations.
    pub invocations: u64,
    /// Σ billed milliseconds.
    pub billed_ms: u64,
    /// Configured memory, MB (of the last invocation seen).
    pub memory_mb: u64,
    /// Largest memory used, MB (0 when not reported: the local AWS reports 0).
    pub peak_memory_mb: u64,
    /// GB-seconds.
    pub gb_seconds: f64,
}

/// One Athena query of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueryCount {
    /// The query's name.
    pub name: String,
    /// Its final state.
    pub state: String,
    /// Bytes Athena reported scanned.
    pub scanned_bytes: u64,
    /// Bytes billed for it.
    pub billed_bytes: u64,
}

/// What `costs` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunCosts {
    /// The run.
    pub run_id: String,
    /// The Harvester execution, then each child execution.
    pub executions: Vec<ExecutionCount>,
    /// Σ transitions.
    pub transitions: u64,
    /// Per function.
    pub functions: Vec<FunctionCount>,
    /// Σ GB-seconds.
    pub gb_seconds: f64,
    /// Per query (empty when the run has no summary).
    pub queries: Vec<QueryCount>,
    /// Σ billed bytes of the queries.
    pub athena_billed_bytes: u64,
    /// The run's consolidated Parquet: objects and bytes.
    pub parquet_objects: u64,
    /// Bytes.
    pub parquet_bytes: u64,
    /// Caveats.
    pub notes: Vec<String>,
}

impl RunCosts {
    /// Adds the function rows and their total.
    pub fn with_functions(mut self, usage: BTreeMap<String, FunctionUsage>) -> Self {
        self.functions = RUN_FUNCTIONS
            .iter()
            .filter_map(|f| usage.get(*f).map(|u| (f, u)))
            .map(|(f, u)| FunctionCount {
                function: f.to_string(),
                invocations: u.invocations,
                billed_ms: u.billed_ms,
                memory_mb: u.memory_mb,
                peak_memory_mb: u.peak_memory_mb,
                gb_seconds: u.gb_seconds,
            })
            .collect();
        self.gb_seconds = self.functions.iter().map(|f| f.gb_seconds).sum();
        self
    }

    /// The queries of a run's `summary.json`: each one's state and scanned bytes.
    pub fn with_summary(mut self, summary: &Value) -> Self {
        self.queries = summary["queries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|q| q["execution_id"].is_string())
            .map(|q| {
                let scanned = q["data_scanned_bytes"].as_u64().unwrap_or(0);
                QueryCount {
                    name: q["name"].as_str().unwrap_or("-").to_string(),
                    state: q["state"].as_str().unwrap_or("-").to_string(),
                    scanned_bytes: scanned,
                    billed_bytes: billing::athena_billed_bytes(scanned),
                }
            })
            .collect();
        self.athena_billed_bytes = self.queries.iter().map(|q| q.billed_bytes).sum();
        self
    }

    /// Plain text: the three tables and the notes.
    pub fn render(&self) -> String {
        let mut out = format!("run {}\n\n", self.run_id);
        let mut rows: Vec<Vec<String>> = self
            .executions
            .iter()
            .map(|e| {
                vec![
                    e.execution
                        .rsplit(':')
                        .next()
                        .unwrap_or(&e.execution)
                        .to_string(),
                    e.status.clone(),
                    e.transitions.to_string(),
                    e.history_events.to_string(),
                ]
            })
            .collect();
        rows.push(vec![
            "total".into(),
            String::new(),
            self.transitions.to_string(),
            String::new(),
        ]);
        out += &table::render(
            &["execution", "status", "transitions", "history events"],
            &rows,
        );
        let mut rows: Vec<Vec<String>> = self
            .functions
            .iter()
            .map(|f| {
                vec![
                    f.function.clone(),
                    f.invocations.to_string(),
                    f.billed_ms.to_string(),
                    f.memory_mb.to_string(),
                    match f.peak_memory_mb {
                        0 => "-".to_string(),
                        peak => peak.to_string(),
                    },
                    format!("{:.3}", f.gb_seconds),
                ]
            })
            .collect();
        let invocations: u64 = self.functions.iter().map(|f| f.invocations).sum();
        rows.push(vec![
            "total".into(),
            invocations.to_string(),
            String::new(),
            String::new(),
            String::new(),
            format!("{:.3}", self.gb_seconds),
        ]);
        out += "\n";
        out += &table::render(
            &[
                "function",
                "invocations",
                "billed ms",
                "memory MB",
                "peak MB",
                "GB-s",
            ],
            &rows,
        );
        let mut rows: Vec<Vec<String>> = self
            .queries
            .iter()
            .map(|q| {
                vec![
                    q.name.clone(),
                    q.state.clone(),
                    q.scanned_bytes.to_string(),
                    q.billed_bytes.to_string(),
                ]
            })
            .collect();
        rows.push(vec![
            "total".into(),
            format!("{} queries", self.queries.len()),
            self.queries
                .iter()
                .map(|q| q.scanned_bytes)
                .sum::<u64>()
                .to_string(),
            self.athena_billed_bytes.to_string(),
        ]);
        out += "\n";
        out += &table::render(
            &["athena query", "state", "scanned bytes", "billed bytes"],
            &rows,
        );
        out += &format!(
            "\nconsolidated Parquet of the run: {} objects, {} bytes (the most one query can scan)\n",
            self.parquet_objects, self.parquet_bytes
        );
        for note in &self.notes {
            out += &format!("note: {note}\n");
        }
        out
    }
}

/// Reads and prints the billable units of `run_id` (as JSON with `json`).
pub async fn costs(ctx: &Context, run_id: &str, json: bool) -> anyhow::Result<()> {
    let (run, _) = records::read_known_run(ctx, run_id).await?;
    let sfn = ctx.sfn();
    let described = sfn
        .describe_execution()
        .execution_arn(&run.execution_id)
        .send()
        .await
        .map_err(|e| anyhow!(sdk_message(&e)))
        .with_context(|| format!("describe the run's execution {}", run.execution_id))?;
    let start_ms = described.start_date().to_millis()?;
    let mut notes = Vec::new();
    let end_ms = match described.stop_date() {
        Some(stop) => stop.to_millis()? + LOG_GRACE_MS,
        None => {
            notes.push("the execution is still running: figures so far".to_string());
            i64::MAX
        }
    };

    let mut executions = Vec::new();
    let mut pending = vec![(
        run.execution_id.clone(),
        described.status().as_str().to_string(),
    )];
    while let Some((arn, status)) = pending.pop() {
        let (types, children) = history(&sfn, &arn).await?;
        executions.push(ExecutionCount {
            transitions: billing::state_transitions(types.iter().map(String::as_str)),
            history_events: types.len() as u64,
            execution: arn,
            status,
        });
        pending.extend(children);
    }
    let transitions = executions.iter().map(|e| e.transitions).sum();

    let mut usage = BTreeMap::new();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&ctx.config);
    for (logical, physical) in run_functions(ctx).await? {
        usage.insert(
            logical,
            invocations(&logs, &physical, start_ms, end_ms).await?,
        );
    }

    let bucket = ctx.output("ConsolidatedBucketName").await?;
    let s3 = ctx.s3();
    let summary = read_summary(&s3, &bucket, run_id).await?;
    if summary.is_none() {
        notes.push(format!(
            "no s3://{bucket}/{}: the run wrote no report, so no Athena figures",
            s3insights::names::keys::summary_json(run_id)
        ));
    }
    let (parquet_objects, parquet_bytes) = prefix_size(
        &s3,
        &bucket,
        &s3insights::names::keys::inventory_root(run_id),
    )
    .await?;
    if ctx.config.endpoint_url().is_some() {
        notes.push(
            "offline (AWS_ENDPOINT_URL): durations are the local AWS's, running these binaries \
             on this machine, not Lambda's; the counts are this run's, with the offline \
             deployment's one-second waits (more monitor checks and stack polls than AWS's \
             defaults give)"
                .to_string(),
        );
        notes.push(
            "offline, Athena's DataScannedInBytes is the size of the result rows, not the bytes \
             read; a query reads at most the run's Parquet"
                .to_string(),
        );
    }
    let costs = RunCosts {
        run_id: run_id.to_string(),
        executions,
        transitions,
        functions: Vec::new(),
        gb_seconds: 0.0,
        queries: Vec::new(),
        athena_billed_bytes: 0,
        parquet_objects,
        parquet_bytes,
        notes,
    }
    .with_functions(usage);
    let costs = match &summary {
        Some(summary) => costs.with_summary(summary),
        None => costs,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&costs)?);
    } else {
        print!("{}", costs.render());
    }
    Ok(())
}

/// Every event type of the execution's history, and the child executions it started (ARN,
/// status) with `states:startExecution.sync`.
async fn history(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
) -> anyhow::Result<(Vec<String>, Vec<(String, String)>)> {
    let mut types = Vec::new();
    let mut children = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = sfn
            .get_execution_history()
            .execution_arn(arn)
            .max_results(1000)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| anyhow!(sdk_message(&e)))
            .with_context(|| format!("read the history of {arn}"))?;
        for event in page.events() {
            types.push(event.r#type().as_str().to_string());
            if let Some(done) = event.task_succeeded_event_details() {
                // AWS: resource type `states`, resource `startExecution.sync:2`; the local AWS
                // gives the whole `arn:aws:states:::states:startExecution.sync:2`.
                if done.resource().contains("startExecution.sync") {
                    let output: Value = done
                        .output()
                        .and_then(|o| serde_json::from_str(o).ok())
                        .unwrap_or(Value::Null);
                    if let Some(child) = output["ExecutionArn"].as_str() {
                        let status = output["Status"].as_str().unwrap_or("-").to_string();
                        children.push((child.to_string(), status));
                    }
                }
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok((types, children)),
        }
    }
}

/// (logical id, function name) of the stack's S3Insights functions.
async fn run_functions(ctx: &Context) -> anyhow::Result<Vec<(String, String)>> {
    let cloudformation = aws_sdk_cloudformation::Client::new(&ctx.config);
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = cloudformation
            .list_stack_resources()
            .stack_name(&ctx.stack)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| anyhow!(sdk_message(&e)))
            .with_context(|| format!("list the resources of stack `{}`", ctx.stack))?;
        for resource in page.stack_resource_summaries() {
            let logical = resource.logical_resource_id().unwrap_or_default();
            if resource.resource_type() == Some("AWS::Lambda::Function")
                && RUN_FUNCTIONS.contains(&logical)
            {
                if let Some(name) = resource.physical_resource_id() {
                    found.push((logical.to_string(), name.to_string()));
                }
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => break,
        }
    }
    if found.is_empty() {
        bail!(
            "stack `{}` has none of the S3Insights functions: is it a deployment of template.yaml?",
            ctx.stack
        );
    }
    Ok(found)
}

/// The `REPORT` lines of `function` between the two times (epoch ms), summed.
async fn invocations(
    logs: &aws_sdk_cloudwatchlogs::Client,
    function: &str,
    start_ms: i64,
    end_ms: i64,
) -> anyhow::Result<FunctionUsage> {
    let group = format!("/aws/lambda/{function}");
    let mut usage = FunctionUsage::default();
    let mut token: Option<String> = None;
    loop {
        let mut request = logs
            .filter_log_events()
            .log_group_name(&group)
            .filter_pattern("REPORT")
            .start_time(start_ms)
            .set_next_token(token.take());
        if end_ms != i64::MAX {
            request = request.end_time(end_ms);
        }
        let page = match request.send().await {
            Ok(page) => page,
            // A function never invoked has no log group yet.
            Err(err) if err.code() == Some("ResourceNotFoundException") => return Ok(usage),
            Err(err) => {
                return Err(anyhow!(sdk_message(&err)))
                    .with_context(|| format!("read the log group {group}"))
            }
        };
        for event in page.events() {
            if let Some(report) = event.message().and_then(billing::InvocationReport::parse) {
                usage.add(&report);
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok(usage),
        }
    }
}

/// The run's `summary.json`, when the run wrote one.
async fn read_summary(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    run_id: &str,
) -> anyhow::Result<Option<Value>> {
    let key = s3insights::names::keys::summary_json(run_id);
    let object = match s3.get_object().bucket(bucket).key(&key).send().await {
        Ok(object) => object,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
        Err(err) => {
            return Err(anyhow!(sdk_message(&err)))
                .with_context(|| format!("read s3://{bucket}/{key}"))
        }
    };
    let bytes = object
        .body
        .collect()
        .await
        .with_context(|| format!("read s3://{bucket}/{key}"))?
        .into_bytes();
    Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
        format!("s3://{bucket}/{key} is not JSON")
    })?))
}

/// (objects, bytes) under `prefix`.
async fn prefix_size(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> anyhow::Result<(u64, u64)> {
    let (mut objects, mut bytes) = (0u64, 0u64);
    // URL-encoded keys (platform::s3_keys): XML cannot carry every key S3 allows; only sizes are read.
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(|e| anyhow!(sdk_message(&e)))
            .with_context(|| format!("list s3://{bucket}/{prefix}"))?;
        for object in page.contents() {
            objects += 1;
            bytes += object.size().unwrap_or(0).max(0) as u64;
        }
    }
    Ok((objects, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn empty() -> RunCosts {
        RunCosts {
            run_id: "r1".into(),
            executions: vec![ExecutionCount {
                execution: "arn:aws:states:us-east-1:1:execution:H:r1".into(),
                status: "SUCCEEDED".into(),
                transitions: 40,
                history_events: 120,
            }],
            transitions: 40,
            functions: Vec::new(),
            gb_seconds: 0.0,
            queries: Vec::new(),
            athena_billed_bytes: 0,
            parquet_objects: 3,
            parquet_bytes: 4096,
            notes: vec!["offline".into()],
        }
    }

    #[test]
    fn functions_are_listed_in_the_run_order_with_their_total() {
        let mut usage = BTreeMap::new();
        usage.insert(
            "ReportFunction".to_string(),
            FunctionUsage::of_lines([
                "REPORT RequestId: a\tDuration: 2000 ms\tBilled Duration: 2000 ms\tMemory Size: 256 MB\tMax Memory Used: 30 MB",
            ]),
        );
        usage.insert(
            "RunLedgerFunction".to_string(),
            FunctionUsage::of_lines([
                "REPORT RequestId: b\tDuration: 1000 ms\tBilled Duration: 1000 ms\tMemory Size: 1024 MB\tMax Memory Used: 20 MB",
            ]),
        );
        let costs = empty().with_functions(usage);
        let names: Vec<_> = costs
            .functions
            .iter()
            .map(|f| f.function.as_str())
            .collect();
        assert_eq!(names, ["RunLedgerFunction", "ReportFunction"]);
        assert!((costs.gb_seconds - 1.5).abs() < 1e-9);
        let text = costs.render();
        assert!(text.contains("RunLedgerFunction  1"), "{text}");
        assert!(text.contains("1.500"), "{text}");
        assert!(text.contains("note: offline"), "{text}");
    }

    /// RUN_FUNCTIONS are exactly the template's functions whose binary is not Historical's.
    #[test]
    fn run_functions_are_the_templates_s3insights_functions() {
        let template = include_str!("../../../template.yaml");
        let lines: Vec<&str> = template.lines().collect();
        let mut found = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.trim() != "Type: AWS::Serverless::Function" {
                continue;
            }
            let logical = lines[i - 1].trim().trim_end_matches(':');
            let binary = lines[i..]
                .iter()
                .find_map(|l| l.trim().strip_prefix("Binary: "))
                .expect("every function names its binary");
            if !binary.starts_with("historical-") {
                found.push(logical);
            }
        }
        assert_eq!(found, RUN_FUNCTIONS);
    }

    #[test]
    fn only_queries_that_ran_are_billed() {
        let summary = json!({"queries": [
            {"name": "a", "state": "SUCCEEDED", "execution_id": "q1", "data_scanned_bytes": 7107},
            {"name": "b", "state": "FAILED", "execution_id": "q2", "data_scanned_bytes": 0},
            {"name": "c", "state": "SKIPPED", "execution_id": null, "data_scanned_bytes": null},
        ]});
        let costs = empty().with_summary(&summary);
        assert_eq!(costs.queries.len(), 2);
        assert_eq!(costs.athena_billed_bytes, 2 * billing::ATHENA_MINIMUM_BYTES);
        assert!(costs.render().contains("2 queries"));
    }
}

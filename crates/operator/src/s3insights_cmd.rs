//! `insights s3insights`: start (and watch) a Harvester, a run's status, Cleanup.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use crate::context::Context;
use crate::execution::{self, Execution};
use crate::progress::Progress;
use s3insights::state::RunRecord;

use crate::records;
use crate::table;
use crate::watch;

/// Starts the Harvester with the input file; with `watch`, follows it to its end.
pub async fn start(ctx: &Context, input: &Path, watch: bool, interval: u64) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(input)
        .with_context(|| format!("cannot read the input file {}", input.display()))?;
    let input_json: Value = serde_json::from_str(&text)
        .with_context(|| format!("the input file {} is not JSON", input.display()))?;
    let run_id = input_json["run_id"].as_str().map(str::to_string);
    let machine = ctx.output("HarvesterStateMachineArn").await?;
    let arn = execution::start(&ctx.sfn(), &machine, &input_json).await?;
    println!("started Harvester execution {arn}");
    if !watch {
        if let Some(run) = &run_id {
            println!("follow it with: insights s3insights status --run-id {run}");
        }
        return Ok(());
    }
    let interval = Duration::from_secs(interval.max(1));
    let ended = watch::follow(ctx, &arn, run_id.as_deref(), interval).await?;
    println!("execution {}: {}", ended.arn, ended.status);
    if !ended.succeeded() {
        bail!(ended.failure());
    }
    print_report_location(ctx, &ended, run_id.as_deref()).await;
    Ok(())
}

async fn print_report_location(ctx: &Context, ended: &Execution, run_id: Option<&str>) {
    let output = ended.output.clone().unwrap_or(Value::Null);
    let report = &output["report"];
    match report["report"].as_str() {
        Some(location) => println!("report: {location}"),
        None => {
            if let (Some(run), Ok(bucket)) = (run_id, ctx.output("ConsolidatedBucketName").await) {
                println!(
                    "report: s3://{bucket}/{}",
                    s3insights::names::keys::report_html(run)
                );
            }
        }
    }
    if let Some(summary) = report["summary"].as_str() {
        println!("summary: {summary}");
    }
    if output["cleanup"]["complete"] == json!(false) {
        println!(
            "cleanup incomplete: {} (run `insights s3insights cleanup` once fixed)",
            output["cleanup"]["not_removed"]
        );
    }
}

fn run_rows(run: &RunRecord) -> Vec<Vec<String>> {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut rows = vec![
        ("run", run.run_id.clone()),
        ("status", run.status.as_str().to_string()),
        ("execution", run.execution_id.clone()),
        ("created", run.created_at.clone()),
        ("deadline", run.deadline.clone()),
        ("finished", or_dash(&run.finished_at)),
        ("regions", run.regions.join(", ")),
        ("accounts", run.account_count.to_string()),
        (
            "smoke test",
            if run.is_smoke_test { "yes" } else { "no" }.into(),
        ),
        ("athena table", format!("{}.{}", run.database, run.table)),
        (
            "cleanup",
            if run.cleanup_pending.is_some() {
                "pending"
            } else {
                "done"
            }
            .into(),
        ),
    ];
    if run.error.is_some() || run.cause.is_some() {
        rows.push(("error", or_dash(&run.error)));
        rows.push(("cause", or_dash(&run.cause)));
    }
    for note in &run.notes {
        rows.push(("note", note.clone()));
    }
    rows.into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect()
}

/// Prints the run record and its buckets per status.
pub async fn status(ctx: &Context, run_id: &str) -> anyhow::Result<()> {
    let (run, items) = records::read_known_run(ctx, run_id).await?;
    print!("{}", table::render(&["field", "value"], &run_rows(&run)));
    let progress = Progress::of(&items);
    let unreachable: Vec<Vec<String>> = items
        .accounts
        .iter()
        .filter(|a| a.status != "configured")
        .map(|a| {
            vec![
                a.account.clone(),
                a.status.clone(),
                a.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    println!(
        "\naccounts recorded: {}/{}",
        progress.accounts_done, progress.accounts_total
    );
    if !unreachable.is_empty() {
        print!(
            "{}",
            table::render(&["account", "status", "reason"], &unreachable)
        );
    }
    let mut rows: Vec<Vec<String>> = progress
        .by_status
        .iter()
        .map(|(status, n)| vec![status.to_string(), n.to_string()])
        .collect();
    rows.push(vec!["total".into(), progress.buckets_recorded.to_string()]);
    println!();
    print!("{}", table::render(&["bucket status", "buckets"], &rows));
    Ok(())
}

/// Starts Cleanup for `run_id` (or every pending run); with `watch`, waits and prints its output.
pub async fn cleanup(ctx: &Context, run_id: Option<&str>, watch: bool) -> anyhow::Result<()> {
    let input = match run_id {
        Some(run) => json!({"run_id": run}),
        None => json!({}),
    };
    let machine = ctx.output("CleanupStateMachineArn").await?;
    let sfn = ctx.sfn();
    let arn = execution::start(&sfn, &machine, &input).await?;
    println!("started Cleanup execution {arn}");
    if !watch {
        return Ok(());
    }
    let ended = execution::wait(&sfn, &arn, Duration::from_secs(2)).await?;
    println!("execution {}: {}", ended.arn, ended.status);
    if !ended.succeeded() {
        bail!(ended.failure());
    }
    let output = ended.output.unwrap_or(Value::Null);
    println!(
        "{}",
        serde_json::to_string_pretty(&output).unwrap_or_else(|_| output.to_string())
    );
    Ok(())
}

//! Following a Harvester run: three progress bars (buckets configured, reports arrived, queries)
//! refreshed from the state table, the consolidated bucket and the execution until it ends.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use s3insights::names::keys;
use serde_json::Value;

use crate::context::Context;
use crate::execution::{self, Execution};
use crate::progress::{Progress, QueryProgress};
use crate::records;

struct Bars {
    configured: ProgressBar,
    reports: ProgressBar,
    queries: ProgressBar,
    /// Bars are drawn only on a terminal; elsewhere one line per change is logged on stderr.
    drawn: bool,
    last_line: String,
}

impl Bars {
    fn new() -> Self {
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{prefix:>20} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = |prefix: &'static str| {
            let bar = multi.add(ProgressBar::new(0));
            bar.set_style(style.clone());
            bar.set_prefix(prefix);
            bar
        };
        Self {
            configured: bar("buckets configured"),
            reports: bar("reports arrived"),
            queries: bar("queries done"),
            drawn: std::io::stderr().is_terminal(),
            last_line: String::new(),
        }
    }

    fn show(&mut self, p: &Progress, q: &QueryProgress, state: Option<&str>) {
        self.configured.set_length(p.buckets_total());
        self.configured.set_position(p.buckets_configured);
        self.configured
            .set_message(format!("accounts {}/{}", p.accounts_done, p.accounts_total));
        self.reports.set_length(p.reports_expected);
        self.reports.set_position(p.reports_arrived);
        self.queries.set_length(q.planned.unwrap_or(0));
        self.queries.set_position(q.done.unwrap_or(0));
        self.queries
            .set_message(format!("state: {}", state.unwrap_or("-")));
        let line = p.line(q, state);
        if !self.drawn && line != self.last_line {
            eprintln!("{line}");
        }
        self.last_line = line;
    }

    fn finish(&self) {
        for bar in [&self.configured, &self.reports, &self.queries] {
            bar.abandon();
        }
    }
}

async fn json_object(ctx: &Context, bucket: &str, key: &str) -> Option<Value> {
    let object = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    let bytes = object.body.collect().await.ok()?.into_bytes();
    serde_json::from_slice(&bytes).ok()
}

/// The queries' progress: the plan's length, and the summary's once it is written. Per-query
/// progress is not recorded anywhere the operator can read cheaply; the execution's state says
/// where the run is meanwhile.
async fn queries(ctx: &Context, bucket: &str, run_id: &str, known: &mut QueryProgress) {
    if known.planned.is_none() {
        known.planned = json_object(ctx, bucket, &keys::query_plan(run_id))
            .await
            .and_then(|v| v.as_array().map(|a| a.len() as u64));
    }
    if known.planned.is_some() && known.done.is_none() {
        known.done = json_object(ctx, bucket, &keys::query_outcomes(run_id))
            .await
            .and_then(|v| v.as_array().map(|a| a.len() as u64));
    }
}

/// Follows `execution_arn` (the Harvester of `run_id`) until it ends, every `interval`.
pub async fn follow(
    ctx: &Context,
    execution_arn: &str,
    run_id: Option<&str>,
    interval: Duration,
) -> anyhow::Result<Execution> {
    let sfn = ctx.sfn();
    let dynamodb = ctx.dynamodb();
    let table = ctx.output("StateTableName").await?;
    let bucket = ctx.output("ConsolidatedBucketName").await?;
    let mut bars = Bars::new();
    let mut query_progress = QueryProgress::default();
    loop {
        let execution = execution::describe(&sfn, execution_arn).await?;
        let state = execution::current_state(&sfn, execution_arn).await;
        if let Some(run_id) = run_id {
            let items = records::read_run(&dynamodb, &table, run_id).await?;
            queries(ctx, &bucket, run_id, &mut query_progress).await;
            bars.show(&Progress::of(&items), &query_progress, state.as_deref());
        }
        if !execution.running() {
            bars.finish();
            return Ok(execution);
        }
        tokio::time::sleep(interval).await;
    }
}

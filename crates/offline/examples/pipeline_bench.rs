//! Historical pipeline benchmark (not a test), driven by `scripts/bench-pipeline`: how many
//! CloudTrail events per second go through collector → Current → current proxy → Differ → Durable →
//! durable proxy → change feed, offline, with the deployed template and the real Lambda binaries.
//!
//! 1. Starts (or reuses) the local AWS of the state directory `.offline/bench`, deploys
//!    `template.yaml` as stack `platform` with the offline parameters and `cross-account-role.yaml`
//!    into the member account 111111111111.
//! 2. Creates N buckets in the member account (us-east-1) and subscribes a queue to the change feed
//!    (raw delivery).
//! 3. Phase `create`: puts N `CreateBucket` events (the fixture `s3-create-bucket.json` retargeted)
//!    on the host account's default bus with PutEvents, 10 entries a call, and pumps until idle.
//!    Then tags every bucket (not timed) and, phase `update`, puts N `PutBucketTagging` events (the
//!    fixture `s3-put-bucket-policy.json` renamed and retargeted) and pumps until idle. The two
//!    phases are apart because the collector describes the bucket as it is when the event arrives:
//!    a bucket tagged before its creation event is processed would make the update no change.
//! 4. Checks that N `created` and N `updated` Durable revisions were written and that the feed
//!    queue received one message per revision, and prints a markdown table (exits 1 on a mismatch,
//!    after the table).
//!
//! Seconds of a phase: from its first PutEvents to `local_aws::pump::until_idle` returning (pump's
//! three consecutive idle checks, 100 ms apart, are included).
//!
//! Usage: pipeline_bench [--events N] [--release] [--pump-timeout SECONDS]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SubsecRound, Utc};
use fixtures::change_feed::{FeedMessage, Subscriber};
use fixtures::cloudtrail::{self, FIXTURE_ACCOUNT, PUT_EVENTS_BATCH};
use futures::{stream, StreamExt, TryStreamExt};
use local_aws::deploy::{self, DeployRequest};
use local_aws::package::BuildOptions;
use local_aws::paths::Workspace;
use local_aws::sdk::{Target, DEFAULT_REGION, HOST_ACCOUNT};
use serde_json::{json, Value};

/// The member account whose buckets change.
const MEMBER: &str = "111111111111";
/// The region and bucket the S3 fixtures name.
const FIXTURE_REGION: &str = "eu-west-1";
const FIXTURE_BUCKET: &str = "amzn-s3-demo-bucket";
/// Concurrent S3 calls while creating and tagging the buckets (not timed).
const S3_CONCURRENCY: usize = 8;

struct Args {
    events: usize,
    release: bool,
    pump_timeout: Duration,
}

fn args() -> Result<Args> {
    let mut events = match std::env::var("BENCH_EVENTS") {
        Ok(v) => v.parse().context("BENCH_EVENTS")?,
        Err(_) => 200,
    };
    let mut release = false;
    let mut pump_timeout = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--events" => events = it.next().context("--events N")?.parse()?,
            "--release" => release = true,
            "--pump-timeout" => {
                pump_timeout = Some(Duration::from_secs(
                    it.next().context("--pump-timeout SECONDS")?.parse()?,
                ))
            }
            other => bail!(
                "unknown argument {other}; usage: pipeline_bench [--events N] [--release] [--pump-timeout SECONDS]"
            ),
        }
    }
    if events == 0 {
        bail!("--events must be at least 1");
    }
    Ok(Args {
        events,
        release,
        // generous: debug binaries on two cores
        pump_timeout: pump_timeout
            .unwrap_or_else(|| Duration::from_secs(300.max(3 * events as u64))),
    })
}

fn step(text: &str) {
    eprintln!("== {text}");
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args()?;
    let workspace = Workspace::locate();
    let load_before = load_average();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let setup = setup(&workspace, &args).await?;
    let host = &setup.host;

    let n = args.events;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let prefix = format!("bench-{run}-");
    let buckets: Vec<String> = (0..n).map(|i| format!("{prefix}{i:05}")).collect();
    let arn_prefix = format!("arn:aws:s3:::{prefix}");
    step(&format!("creating {n} buckets {prefix}* in {MEMBER}"));
    let s3 = setup.member.s3();
    create_buckets(&s3, &buckets).await?;
    let feed = Subscriber::subscribe(
        host,
        &setup.topic,
        &format!("bench-feed-{run}"),
        &json!({"account": [MEMBER]}),
    )
    .await
    .context("subscribe to the change feed")?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&host.sdk_config());
    let revisions = || durable_kinds(&dynamodb, &setup.durable_table, &arn_prefix);
    let feed_of = |messages: &[FeedMessage]| {
        messages
            .iter()
            .filter(|m| {
                m.body["arn"]
                    .as_str()
                    .is_some_and(|a| a.starts_with(&arn_prefix))
            })
            .count()
    };
    let create_fixture = cloudtrail::read_fixture(&workspace.root, "s3-create-bucket.json")?;
    let update_fixture = cloudtrail::read_fixture(&workspace.root, "s3-put-bucket-policy.json")?;
    // Events are dated one second apart from `base`; every one of them must be in the past (the
    // collector refuses events dated after their receipt, `historical::timeliness`).
    let base = Utc::now().trunc_subsecs(0)
        - chrono::Duration::hours(1)
        - chrono::Duration::seconds(3 * n as i64);

    let sampler = RssSampler::start(setup.running.pid);
    let creates = create_events(&create_fixture, &buckets, base)?;
    step(&format!("phase create: {n} CreateBucket events"));
    let create = phase(host, &creates, args.pump_timeout).await?;
    let after_create = revisions().await?;
    let feed_create = feed_of(&feed.drain().await?);

    step(&format!("tagging {n} buckets (not timed)"));
    tag_buckets(&s3, &buckets, &run).await?;
    let updates = update_events(&update_fixture, &buckets, base, &run)?;
    step(&format!("phase update: {n} PutBucketTagging events"));
    let update = phase(host, &updates, args.pump_timeout).await?;
    let after_update = revisions().await?;
    let feed_update = feed_of(&feed.drain().await?);
    let (emulator_peak_kb, group_peak_kb) = sampler.stop().await;

    let rows = rows(
        n,
        [&after_create, &after_update],
        [feed_create, feed_update],
        [create, update],
    );
    let profile = if args.release { "release" } else { "debug" };
    println!(
        "\nHistorical pipeline offline: collector → Current → current proxy → Differ → Durable → \
         durable proxy → change feed; {n} buckets in {MEMBER}, 2 x {n} CloudTrail events on \
         EventBridge (PutEvents, {PUT_EVENTS_BATCH} a call); Lambda binaries: {profile} profile; {cpus} CPUs, \
         load average {load_before} before, {} after\n",
        load_average()
    );
    print_table(&rows);
    if group_peak_kb > 0 {
        println!(
            "emulator peak RSS (sampled every 250 ms during the phases): {:.0} MB the emulator \
             process, {:.0} MB with its Lambda workers (its process group)",
            emulator_peak_kb as f64 / 1024.0,
            group_peak_kb as f64 / 1024.0
        );
    }
    check(n, &after_update, rows[2].feed)
}

/// The first figure of `/proc/loadavg` (the last minute's load average), or `n/a`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "n/a".into())
}

/// The local AWS of the benchmark and what is deployed in it.
struct Setup {
    running: local_aws::emulator::Running,
    host: Target,
    member: Target,
    durable_table: String,
    topic: String,
}

/// Starts (or reuses) the local AWS of `.offline/bench`, deploys `template.yaml` into the host
/// account and `cross-account-role.yaml` into the member account.
async fn setup(workspace: &Workspace, args: &Args) -> Result<Setup> {
    let state_dir = workspace.root.join(".offline/bench");
    step(&format!(
        "local AWS of {} (started or reused)",
        state_dir.display()
    ));
    let running = local_aws::emulator::start(&state_dir, &workspace.venv_dir(), None)
        .await
        .context("start the local AWS")?;
    let host = Target {
        endpoint: running.endpoint(),
        account: HOST_ACCOUNT.into(),
        region: DEFAULT_REGION.into(),
    };
    let member = host.as_account(MEMBER);
    let build = BuildOptions {
        release: args.release,
    };
    let profile = if args.release { "release" } else { "debug" };
    step(&format!(
        "deploying template.yaml as stack {} ({profile} Lambda binaries)",
        deploy::DEFAULT_STACK
    ));
    let request = DeployRequest::offline("template.yaml", deploy::DEFAULT_STACK, build);
    let outputs = deploy::deploy(workspace, &host, &request)
        .await
        .context("deploy template.yaml")?;
    step(&format!("deploying cross-account-role.yaml into {MEMBER}"));
    let role = DeployRequest {
        template: "cross-account-role.yaml".into(),
        stack: deploy::default_stack_name("cross-account-role.yaml"),
        parameters: BTreeMap::new(),
        build,
    };
    deploy::deploy(workspace, &member, &role)
        .await
        .context("deploy cross-account-role.yaml")?;
    let output = |key: &str| -> Result<String> {
        outputs
            .get(key)
            .cloned()
            .with_context(|| format!("stack output {key} missing"))
    };
    Ok(Setup {
        durable_table: output("S3DurableTableName")?,
        topic: output("ChangeFeedTopicArn")?,
        running,
        host,
        member,
    })
}

/// Creates the `buckets` (not timed).
async fn create_buckets(s3: &aws_sdk_s3::Client, buckets: &[String]) -> Result<()> {
    stream::iter(buckets.iter().map(|name| {
        let s3 = s3.clone();
        async move {
            s3.create_bucket()
                .bucket(name)
                .send()
                .await
                .with_context(|| format!("create bucket {name}"))
        }
    }))
    .buffer_unordered(S3_CONCURRENCY)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(())
}

/// Tags every bucket with the run and its index (not timed): the change the update events record.
async fn tag_buckets(s3: &aws_sdk_s3::Client, buckets: &[String], run: &str) -> Result<()> {
    stream::iter(buckets.iter().enumerate().map(|(i, name)| {
        let s3 = s3.clone();
        async move {
            let tagging = aws_sdk_s3::types::Tagging::builder()
                .tag_set(tag("bench-run", run)?)
                .tag_set(tag("bench-index", &i.to_string())?)
                .build()?;
            s3.put_bucket_tagging()
                .bucket(name)
                .tagging(tagging)
                .send()
                .await
                .with_context(|| format!("tag bucket {name}"))
        }
    }))
    .buffer_unordered(S3_CONCURRENCY)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(())
}

/// One CreateBucket event per bucket, the i-th dated `base` + i seconds.
fn create_events(fixture: &str, buckets: &[String], base: DateTime<Utc>) -> Result<Vec<Value>> {
    buckets
        .iter()
        .enumerate()
        .map(|(i, name)| retarget(fixture, name, base + chrono::Duration::seconds(i as i64)))
        .collect()
}

/// One PutBucketTagging event per bucket (the put-bucket-policy fixture renamed, with the tags
/// [`tag_buckets`] put), the i-th dated `base` + N + i seconds: after every creation.
fn update_events(
    fixture: &str,
    buckets: &[String],
    base: DateTime<Utc>,
    run: &str,
) -> Result<Vec<Value>> {
    let n = buckets.len();
    buckets
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let time = base + chrono::Duration::seconds((n + i) as i64);
            let mut event = retarget(fixture, name, time)?;
            let detail = &mut event["detail"];
            detail["eventName"] = json!("PutBucketTagging");
            detail["requestParameters"] = json!({
                "bucketName": name,
                "Host": format!("{name}.s3.{DEFAULT_REGION}.amazonaws.com"),
                "tagging": [""],
                "Tagging": {
                    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                    "TagSet": {"Tag": [
                        {"Key": "bench-run", "Value": run},
                        {"Key": "bench-index", "Value": i.to_string()}
                    ]}
                }
            });
            Ok(event)
        })
        .collect()
}

fn total_revisions(kinds: &BTreeMap<String, usize>) -> usize {
    kinds.values().sum()
}

/// The table's rows: each phase (revisions counted after it, less those before), then the total.
fn rows(
    n: usize,
    [after_create, after_update]: [&BTreeMap<String, usize>; 2],
    [feed_create, feed_update]: [usize; 2],
    [create, update]: [Timing; 2],
) -> [Row; 3] {
    [
        Row {
            phase: "create (CreateBucket)",
            events: n,
            revisions: total_revisions(after_create),
            feed: feed_create,
            timing: create,
        },
        Row {
            phase: "update (PutBucketTagging)",
            events: n,
            revisions: total_revisions(after_update) - total_revisions(after_create),
            feed: feed_update,
            timing: update,
        },
        Row {
            phase: "total",
            events: 2 * n,
            revisions: total_revisions(after_update),
            feed: feed_create + feed_update,
            timing: Timing {
                put: create.put + update.put,
                total: create.total + update.total,
            },
        },
    ]
}

/// The markdown table of the phases.
fn print_table(rows: &[Row]) {
    println!(
        "| phase                     | events | revisions | feed messages | PutEvents s | seconds | events/s |"
    );
    println!(
        "|---------------------------|-------:|----------:|--------------:|------------:|--------:|---------:|"
    );
    for row in rows {
        let seconds = row.timing.total.as_secs_f64();
        println!(
            "| {:<25} | {:>6} | {:>9} | {:>13} | {:>11.2} | {:>7.2} | {:>8.1} |",
            row.phase,
            row.events,
            row.revisions,
            row.feed,
            row.timing.put.as_secs_f64(),
            seconds,
            row.events as f64 / seconds
        );
    }
    println!(
        "\nseconds: first PutEvents of a phase .. pump until idle returned (tagging between the \
         phases not timed)"
    );
}

/// N created and N updated Durable revisions (2N in all) and 2N change-feed messages, else an
/// error naming each difference.
fn check(n: usize, after_update: &BTreeMap<String, usize>, feed: usize) -> Result<()> {
    let count = |kind: &str| after_update.get(kind).copied().unwrap_or(0);
    let mut problems = Vec::new();
    if count("created") != n {
        problems.push(format!(
            "{} created revisions, expected {n}",
            count("created")
        ));
    }
    if count("updated") != n {
        problems.push(format!(
            "{} updated revisions, expected {n}",
            count("updated")
        ));
    }
    if total_revisions(after_update) != 2 * n {
        problems.push(format!(
            "{} Durable revisions in all ({after_update:?}), expected {}",
            total_revisions(after_update),
            2 * n
        ));
    }
    if feed != 2 * n {
        problems.push(format!("{feed} change-feed messages, expected {}", 2 * n));
    }
    if !problems.is_empty() {
        bail!("check failed: {}", problems.join("; "));
    }
    eprintln!(
        "== check: {} revisions, {} feed messages, as expected",
        2 * n,
        2 * n
    );
    Ok(())
}

fn tag(key: &str, value: &str) -> Result<aws_sdk_s3::types::Tag> {
    Ok(aws_sdk_s3::types::Tag::builder()
        .key(key)
        .value(value)
        .build()?)
}

struct Row {
    phase: &'static str,
    events: usize,
    revisions: usize,
    feed: usize,
    timing: Timing,
}

#[derive(Clone, Copy)]
struct Timing {
    /// Putting the events (every PutEvents call).
    put: Duration,
    /// First PutEvents .. idle.
    total: Duration,
}

/// Puts `events` ([`cloudtrail::put_events`], [`PUT_EVENTS_BATCH`] a call) and pumps until idle;
/// times both.
async fn phase(host: &Target, events: &[Value], timeout: Duration) -> Result<Timing> {
    let begun = Instant::now();
    cloudtrail::put_events(host, events).await?;
    let put = begun.elapsed();
    local_aws::pump::until_idle(&host.endpoint, timeout)
        .await
        .context("pump until idle")?;
    let total = begun.elapsed();
    eprintln!(
        "   {} events: put in {:.2} s, idle after {:.2} s",
        events.len(),
        put.as_secs_f64(),
        total.as_secs_f64()
    );
    Ok(Timing { put, total })
}

/// The fixture with its bucket, account and region replaced, and `time` as its event time.
fn retarget(text: &str, bucket: &str, time: DateTime<Utc>) -> Result<Value> {
    let mut event = cloudtrail::retarget(
        text,
        &[
            (FIXTURE_BUCKET, bucket),
            (FIXTURE_ACCOUNT, MEMBER),
            (FIXTURE_REGION, DEFAULT_REGION),
        ],
        time,
    )?;
    // us-east-1 takes no location constraint
    if let Some(params) = event["detail"]["requestParameters"].as_object_mut() {
        params.remove("CreateBucketConfiguration");
    }
    Ok(event)
}

/// The Durable revisions of the arns starting with `prefix`, counted by `change.kind`.
async fn durable_kinds(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    prefix: &str,
) -> Result<BTreeMap<String, usize>> {
    let mut kinds = BTreeMap::new();
    let mut start = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .filter_expression("begins_with(arn, :p)")
            .expression_attribute_values(":p", AttributeValue::S(prefix.into()))
            .projection_expression("arn, #c")
            .expression_attribute_names("#c", "change")
            .set_exclusive_start_key(start)
            .send()
            .await
            .with_context(|| format!("scan {table}"))?;
        for item in page.items() {
            let kind = item
                .get("change")
                .and_then(|c| c.as_m().ok())
                .and_then(|c| c.get("kind"))
                .and_then(|k| k.as_s().ok())
                .cloned()
                .unwrap_or_else(|| "?".into());
            *kinds.entry(kind).or_insert(0) += 1;
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(kinds),
        }
    }
}

/// Samples the resident set of the emulator process and of its process group (its Lambda workers)
/// every 250 ms; keeps the peaks (kB).
struct RssSampler {
    stop: Arc<AtomicBool>,
    emulator: Arc<AtomicU64>,
    group: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let emulator = Arc::new(AtomicU64::new(0));
        let group = Arc::new(AtomicU64::new(0));
        let task = {
            let (stop, emulator, group) = (stop.clone(), emulator.clone(), group.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (own, all) = tokio::task::spawn_blocking(move || sample(pid))
                        .await
                        .unwrap_or((0, 0));
                    emulator.fetch_max(own, Ordering::Relaxed);
                    group.fetch_max(all, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        };
        RssSampler {
            stop,
            emulator,
            group,
            task,
        }
    }

    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        (
            self.emulator.load(Ordering::Relaxed),
            self.group.load(Ordering::Relaxed),
        )
    }
}

/// VmRSS (kB) of `pid`, and the sum over the processes of its process group.
fn sample(pid: u32) -> (u64, u64) {
    let rss = |p: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/{p}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    };
    let own = rss(&pid.to_string());
    let mut all = 0;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{name}/stat")) else {
                continue;
            };
            // after "(comm)": state ppid pgrp ...
            let pgrp = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2))
                .and_then(|g| g.parse::<u32>().ok());
            if pgrp == Some(pid) {
                all += rss(name);
            }
        }
    }
    (own, all)
}

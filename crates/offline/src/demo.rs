//! `offline demo`: S3Insights and Historical end to end on the local AWS — the README's first command.
//! [`run`] is the list of steps, each a function of its own:
//!
//! 1. [`deploy_host`], [`deploy_members`]: deploy `template.yaml` into the host account and
//!    `cross-account-role.yaml` into each member account (the same templates SAM and StackSets
//!    deploy).
//! 2. [`seed_estate`]: seed a realistic estate ([`fixtures::estate`]): three accounts × three
//!    regions, dozens of buckets (some empty, some versioned), thousands of objects with realistic,
//!    secret-like and hostile keys.
//! 3. [`harvest`]: run the Harvester with a fresh run id, two user queries and one excluded bucket,
//!    delivering S3 Inventory reports while it waits, as S3 would.
//! 4. [`show_report`], [`check_report`]: download the report (`report.html`, `report.txt`,
//!    `summary.json`), print the text report, and check that its figures are exactly the seeded
//!    estate's.
//! 5. [`print_costs`], [`clean_up`]: print what the run cost (the operator CLI's
//!    `insights s3insights costs`: transitions, Lambda invocations and GB-seconds, Athena bytes), run
//!    Cleanup for the run and show that nothing transient is left (staging buckets, staging stacks,
//!    inventory configurations); run it again to show it is idempotent.
//! 6. [`crate::demo_comparison::second_run`]: change the estate (objects added to one bucket, another emptied and deleted),
//!    run the Harvester again and check the second report's comparison with the first.
//! 7. Historical ([`crate::demo_historical`]): real changes in a member account and their CloudTrail
//!    events through the deployed pipeline, each resource's history and a subscriber's messages.
//!
//! Progress goes to stderr; the text report goes to stdout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use aws_sdk_cloudformation::types::StackStatus;
use s3insights::names::{keys, Deployment};
use s3insights::report::{group_thousands, human_bytes, RunReport};
use serde_json::{json, Value};

use fixtures::estate::{self, BucketKind, EstateSpec, SeededEstate};
use local_aws::deploy::{self, DeployRequest};
use local_aws::execution::{self, Outcome, WaitOptions};
use local_aws::package::BuildOptions;
use local_aws::paths::Workspace;
use local_aws::sdk::{Target, HOST_ACCOUNT};

/// The member accounts of the demo (the host account is scanned too).
const MEMBERS: [&str; 2] = ["111111111111", "222222222222"];
/// The template every member account deploys.
const MEMBER_TEMPLATE: &str = "cross-account-role.yaml";
/// How long the Harvester may take before the demo gives up (it takes well under a minute).
const HARVEST_TIMEOUT: Duration = Duration::from_secs(900);

pub(crate) fn step(title: &str) {
    eprintln!("\n== {title}");
}

/// Run the demo against `target` (a running local AWS): each step below in turn.
pub async fn run(workspace: &Workspace, target: &Target, build: BuildOptions) -> Result<()> {
    let begun = Instant::now();
    let host = target.as_account(HOST_ACCOUNT);
    let deployed = deploy_host(workspace, &host, build).await?;
    deploy_members(workspace, &host, build).await?;
    let (spec, estate) = seed_estate(target).await?;
    let harvest = harvest(workspace, &host, &spec, &estate).await?;
    show_report(&host, &deployed, &harvest).await?;
    check_report(&harvest, &estate)?;
    step(&format!(
        "What the run cost: insights s3insights costs --run-id {}",
        harvest.run_id
    ));
    print_costs(target, &harvest.run_id)?;
    let cleanups = clean_up(&host, &deployed, &harvest.run_id, &spec, &estate).await?;
    let second =
        crate::demo_comparison::second_run(workspace, &host, &deployed, &spec, &estate, &harvest)
            .await?;
    cleanup(&host, &second.run_id, "Cleanup of the second run").await?;
    crate::demo_historical::run(&host, &deployed.outputs).await?;

    step("Done");
    eprintln!(
        "  Demo finished in {:.0} s (seeding {:.1} s, Harvester {:.1} s, Cleanup {:.1} s + {:.1} s).",
        begun.elapsed().as_secs_f64(),
        estate.seconds,
        harvest.outcome.seconds,
        cleanups[0].seconds,
        cleanups[1].seconds
    );
    eprintln!(
        "  Reports: {} and, compared with it, {} (each with its picture, report.png, beside it)",
        harvest.report_dir.join("report.html").display(),
        second.report_dir.join("report.html").display()
    );
    eprintln!(
        "  The local AWS keeps running at {}; explore it with the exports of `offline emulator status`, stop it with `offline emulator stop`.",
        target.endpoint
    );
    Ok(())
}

/// The host stack as deployed: its outputs, and the names the demo reads from them.
pub(crate) struct Deployed {
    outputs: BTreeMap<String, String>,
    deployment: Deployment,
    pub(crate) consolidated: String,
}

/// Step 1: `template.yaml` deployed into the host account, its main outputs listed.
async fn deploy_host(
    workspace: &Workspace,
    host: &Target,
    build: BuildOptions,
) -> Result<Deployed> {
    step("Deploying template.yaml (the same template SAM deploys) into the host account 000000000000");
    let request = DeployRequest::offline("template.yaml", deploy::DEFAULT_STACK, build);
    let outputs = deploy::deploy(workspace, host, &request).await?;
    let output = |key: &str| -> Result<String> {
        outputs
            .get(key)
            .cloned()
            .with_context(|| format!("stack output {key} missing"))
    };
    for key in [
        "DeploymentName",
        "ConsolidatedBucketName",
        "HarvesterStateMachineArn",
        "CleanupStateMachineArn",
        "StateTableName",
    ] {
        eprintln!("  {key} = {}", output(key)?);
    }
    let deployment = Deployment::new(output("DeploymentName")?, HOST_ACCOUNT);
    let consolidated = output("ConsolidatedBucketName")?;
    Ok(Deployed {
        outputs,
        deployment,
        consolidated,
    })
}

/// Step 1, continued: `cross-account-role.yaml` deployed into each member account.
async fn deploy_members(workspace: &Workspace, host: &Target, build: BuildOptions) -> Result<()> {
    step("Deploying cross-account-role.yaml into the member accounts");
    for member in MEMBERS {
        let request = DeployRequest {
            template: MEMBER_TEMPLATE.into(),
            stack: deploy::default_stack_name(MEMBER_TEMPLATE),
            parameters: BTreeMap::new(),
            build,
        };
        let member_outputs = deploy::deploy(workspace, &host.as_account(member), &request).await?;
        eprintln!(
            "  {member}: stack {} -> {} (trusts {HOST_ACCOUNT} with the deployment's ExternalId)",
            request.stack,
            member_outputs
                .get("RoleArn")
                .map(String::as_str)
                .unwrap_or("?")
        );
    }
    Ok(())
}

/// Step 2: the demo's estate seeded in the host and member accounts, and shown.
async fn seed_estate(target: &Target) -> Result<(EstateSpec, SeededEstate)> {
    let mut accounts = vec![HOST_ACCOUNT];
    accounts.extend(MEMBERS);
    let spec = EstateSpec::demo(&accounts);
    step(&format!(
        "Seeding the estate: {} accounts x {} regions x {} buckets, {} to {} keys per non-empty bucket",
        spec.accounts.len(),
        spec.regions.len(),
        spec.buckets_per_account_region,
        spec.objects_per_bucket.start(),
        spec.objects_per_bucket.end()
    ));
    let estate = estate::seed_reporting(target, &spec, |line| eprintln!("  {line}")).await?;
    print_estate(&estate);
    Ok((spec, estate))
}

/// A Harvester run of the demo: its id, the bucket its input excludes, where its files go, and how
/// its execution ended.
pub(crate) struct Harvest {
    pub(crate) run_id: String,
    pub(crate) excluded: String,
    pub(crate) report_dir: PathBuf,
    outcome: Outcome,
}

/// Step 3: the Harvester run with a fresh run id, two user queries and one excluded bucket (and the
/// deployment's artefact buckets), delivering S3 Inventory reports while it waits.
pub(crate) async fn harvest(
    workspace: &Workspace,
    host: &Target,
    spec: &EstateSpec,
    estate: &SeededEstate,
) -> Result<Harvest> {
    let run_id = fresh_run_id();
    let excluded = estate
        .buckets
        .iter()
        .find(|b| b.account == MEMBERS[0] && b.kind == BucketKind::Plain && b.region != "us-east-1")
        .map(|b| b.name.clone())
        .context("the estate has no plain bucket to exclude")?;
    let report_dir = workspace.state_dir().join("demo-report").join(&run_id);
    std::fs::create_dir_all(&report_dir)
        .with_context(|| format!("creating {}", report_dir.display()))?;
    let exclusions = exclusions(host, spec, &excluded).await?;
    let input = harvester_input(&run_id, spec, &exclusions);
    let input_file = report_dir.join("input.json");
    std::fs::write(&input_file, serde_json::to_string_pretty(&input)?)
        .with_context(|| format!("writing {}", input_file.display()))?;
    step(&format!(
        "Running the Harvester: run {run_id}, {} accounts, {} regions, 2 user queries, {excluded} excluded",
        spec.accounts.len(),
        spec.regions.len()
    ));
    let artefacts: Vec<&str> = exclusions
        .values()
        .flatten()
        .filter(|n| **n != excluded)
        .map(String::as_str)
        .collect();
    if !artefacts.is_empty() {
        eprintln!(
            "  also excluded: the deployment's artefact buckets {} (Lambda zips, not part of the estate)",
            artefacts.join(", ")
        );
    }
    eprintln!("  input: {}", input_file.display());
    eprintln!("  (the same path as `offline start-execution --state-machine HarvesterStateMachine --input {} --progress`)", input_file.display());
    let outcome = start(host, "HarvesterStateMachine", &input, HARVEST_TIMEOUT).await?;
    describe(&outcome, "Harvester");
    Ok(Harvest {
        run_id,
        excluded,
        report_dir,
        outcome,
    })
}

/// The buckets each account's input excludes: `excluded` (in the first member account) and the
/// deployment's artefact buckets (Lambda zips, hundreds of MiB), so that the report's figures are
/// the estate's.
async fn exclusions(
    host: &Target,
    spec: &EstateSpec,
    excluded: &str,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut exclusions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for account in &spec.accounts {
        let listed = host
            .as_account(account)
            .s3()
            .list_buckets()
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "ListBuckets as {account}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            })?;
        let mut names: Vec<String> = listed
            .buckets()
            .iter()
            .filter_map(|b| b.name())
            .filter(|n| n.starts_with("offline-artifacts-"))
            .map(str::to_string)
            .collect();
        if account == MEMBERS[0] {
            names.insert(0, excluded.to_string());
        }
        exclusions.insert(account.clone(), names);
    }
    Ok(exclusions)
}

/// Step 4: the report's files downloaded, the text report printed on stdout; fails when the
/// Harvester did.
async fn show_report(host: &Target, deployed: &Deployed, harvest: &Harvest) -> Result<()> {
    step("The report");
    let (run_id, consolidated) = (&harvest.run_id, &deployed.consolidated);
    let files = download_report(host, consolidated, run_id, &harvest.report_dir).await;
    for (name, result) in &files {
        match result {
            Ok(path) => eprintln!(
                "  s3://{consolidated}/{}{name}  ->  {}",
                keys::report_dir(run_id),
                path.display()
            ),
            Err(e) => eprintln!(
                "  s3://{consolidated}/{}{name}: {e:#}",
                keys::report_dir(run_id)
            ),
        }
    }
    picture_report(&harvest.report_dir)?;
    let harvested = &harvest.outcome;
    if !harvested.succeeded() {
        bail!(
            "the Harvester ended {}: {} {}",
            harvested.status,
            harvested.error.as_deref().unwrap_or_default(),
            harvested.cause.as_deref().unwrap_or_default()
        );
    }
    let text = std::fs::read_to_string(harvest.report_dir.join("report.txt"))
        .context("reading the downloaded report.txt")?;
    eprintln!(
        "  The text part of the email follows on stdout; open report.html for the HTML part.\n"
    );
    println!("{text}");
    Ok(())
}

/// Step 4, continued: the report's `summary.json` checked against the seeded estate, bucket by
/// bucket; fails on any difference.
fn check_report(harvest: &Harvest, estate: &SeededEstate) -> Result<()> {
    step("Checking the report against the seeded estate");
    let (run_id, excluded) = (&harvest.run_id, &harvest.excluded);
    let summary: RunReport = serde_json::from_slice(
        &std::fs::read(harvest.report_dir.join("summary.json")).context("reading summary.json")?,
    )
    .context("summary.json is not a RunReport")?;
    let others = summary
        .buckets
        .iter()
        .filter(|b| estate.bucket(&b.bucket).is_none())
        .count();
    let check = estate.check_report(&summary, std::slice::from_ref(excluded));
    if !check.matches() {
        for problem in &check.problems {
            eprintln!("  MISMATCH {problem}");
        }
        bail!(
            "the report of run {run_id} does not match the seeded estate: {} difference(s) (above; report in {})",
            check.problems.len(),
            harvest.report_dir.display()
        );
    }
    let m = check.matched;
    eprintln!(
        "  report matches the seeded estate: {} buckets ({} empty), {} objects, {} noncurrent versions, {} delete markers, {} bytes ({})",
        m.buckets,
        m.empty,
        group_thousands(m.objects),
        group_thousands(m.noncurrent_versions),
        group_thousands(m.delete_markers),
        group_thousands(m.bytes),
        human_bytes(m.bytes)
    );
    eprintln!(
        "  per bucket: status done (bucket_is_empty for empty ones), objects, versions, delete markers, bytes and bytes per storage class equal"
    );
    let reported = summary
        .buckets
        .iter()
        .filter_map(|b| b.figures.as_ref())
        .fold((0u64, 0u64), |(objects, bytes), f| {
            (objects + f.objects, bytes + f.bytes)
        });
    eprintln!(
        "  {excluded}: excluded by the input, absent from the report; {others} other bucket(s) reported (not the estate's, not compared)"
    );
    eprintln!(
        "  the report's totals over all {} buckets: {} objects, {} bytes{}",
        summary.buckets.len(),
        group_thousands(reported.0),
        group_thousands(reported.1),
        if reported == (m.objects, m.bytes) {
            " = the seeded estate's (without the excluded bucket)".to_string()
        } else {
            format!(
                " (the seeded estate's plus {} objects, {} bytes in the other buckets)",
                group_thousands(reported.0.saturating_sub(m.objects)),
                group_thousands(reported.1.saturating_sub(m.bytes))
            )
        }
    );
    Ok(())
}

/// Step 5: Cleanup run for the run, nothing transient left; run again, idempotent, still nothing
/// left. Returns both Cleanup executions.
async fn clean_up(
    host: &Target,
    deployed: &Deployed,
    run_id: &str,
    spec: &EstateSpec,
    estate: &SeededEstate,
) -> Result<[Outcome; 2]> {
    let deployment = &deployed.deployment;
    step(&format!("Running Cleanup for run {run_id}"));
    eprintln!("  (the Harvester's Teardown already ran Cleanup as a child execution; this runs the Cleanup machine on its own, as an operator would)");
    let cleaned = cleanup(host, run_id, "Cleanup").await?;

    step("Checking that nothing transient is left");
    let left = transient_left(host, deployment, run_id, &spec.regions, estate, true).await?;
    if left > 0 {
        bail!("{left} transient resource(s) of run {run_id} remain after Cleanup (above)");
    }

    step("Running Cleanup again: it is idempotent");
    let again = cleanup(host, run_id, "the second Cleanup").await?;
    eprintln!("  (its counts are of what it confirmed gone, removed now or already absent; the same checks, run again, show nothing was left to remove)");
    let left = transient_left(host, deployment, run_id, &spec.regions, estate, false).await?;
    if left > 0 {
        bail!("{left} transient resource(s) of run {run_id} appeared after the second Cleanup");
    }
    eprintln!("  still nothing left");
    Ok([cleaned, again])
}

/// One Cleanup execution for `run_id`, described and summed up; fails (naming it `what`) unless it
/// succeeded.
async fn cleanup(host: &Target, run_id: &str, what: &str) -> Result<Outcome> {
    let input = json!({"run_id": run_id});
    let cleaned = start(host, "CleanupStateMachine", &input, HARVEST_TIMEOUT).await?;
    describe(&cleaned, "Cleanup");
    if !cleaned.succeeded() {
        bail!(
            "{what} ended {}: {} {}",
            cleaned.status,
            cleaned.error.as_deref().unwrap_or_default(),
            cleaned.cause.as_deref().unwrap_or_default()
        );
    }
    eprintln!("  {}", cleanup_summary(cleaned.output.as_ref()));
    Ok(cleaned)
}

/// Runs the operator CLI's `costs` for the run (the `insights` binary built beside this one), its
/// tables on stderr: state transitions, Lambda invocations and GB-seconds, Athena queries.
fn print_costs(target: &Target, run_id: &str) -> Result<()> {
    for line in run_insights(target, &["s3insights", "costs", "--run-id", run_id])?.lines() {
        eprintln!("  {line}");
    }
    Ok(())
}

/// Runs the operator CLI (`insights`, built beside this program) against `target`'s stack; returns
/// what it printed on stdout, or fails with what it printed on stderr.
pub(crate) fn run_insights(target: &Target, args: &[&str]) -> Result<String> {
    let insights = std::env::current_exe()
        .context("the path of this program")?
        .with_file_name("insights");
    let out = std::process::Command::new(&insights)
        .args(args)
        .env("AWS_ENDPOINT_URL", &target.endpoint)
        .env("AWS_ACCESS_KEY_ID", &target.account)
        .env("AWS_SECRET_ACCESS_KEY", "offline")
        .env("AWS_REGION", &target.region)
        .env("INSIGHTS_STACK", deploy::DEFAULT_STACK)
        .env_remove("AWS_PROFILE")
        .output()
        .with_context(|| {
            format!(
                "cannot run {} (cargo build -p operator builds it)",
                insights.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "insights {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A run id no earlier demo used: `demo` and the time in base 36 (1–12 lower-case letters and
/// digits, as the Harvester requires), so the demo can run again against the same local AWS.
fn fresh_run_id() -> String {
    let mut seconds = chrono::Utc::now().timestamp().max(0) as u64;
    let mut digits = Vec::new();
    while seconds > 0 {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(seconds % 36) as usize]);
        seconds /= 36;
    }
    digits.reverse();
    format!("demo{}", String::from_utf8_lossy(&digits))
}

fn harvester_input(
    run_id: &str,
    spec: &EstateSpec,
    exclusions: &BTreeMap<String, Vec<String>>,
) -> Value {
    let accounts: Vec<Value> = spec
        .accounts
        .iter()
        .map(|a| match exclusions.get(a).filter(|e| !e.is_empty()) {
            Some(exclude) => json!({"id": a, "exclude": exclude}),
            None => json!({"id": a}),
        })
        .collect();
    json!({
        "run_id": run_id,
        "accounts": accounts,
        "sender_email_address": "s3insights@example.com",
        "recipient_email_addresses": ["ops@example.com"],
        "supported_regions": spec.regions,
        "athena_queries": [
            {
                "name": "largest buckets",
                "query": "SELECT account, region, bucket, count(*) AS versions, sum(coalesce(size, 0)) AS bytes FROM {database}.{table} GROUP BY account, region, bucket ORDER BY bytes DESC, bucket LIMIT 5"
            },
            {
                "name": "keys that need escaping",
                "query": "SELECT bucket, key FROM {database}.{table} WHERE coalesce(is_latest, true) AND NOT coalesce(is_delete_marker, false) AND (key LIKE '%<%' OR key LIKE '%\"%' OR key LIKE '%''%') ORDER BY bucket, key LIMIT 10"
            }
        ]
    })
}

/// Start a state machine of the stack by logical id and wait for its end, printing progress and
/// delivering inventory reports (what `offline start-execution --progress` does).
async fn start(
    target: &Target,
    logical_id: &str,
    input: &Value,
    timeout: Duration,
) -> Result<Outcome> {
    let arn = deploy::physical_id(target, deploy::DEFAULT_STACK, logical_id).await?;
    // As `offline start-execution` does: a run is served its own inventory reports only.
    let options = WaitOptions {
        timeout,
        progress: true,
        deliver_inventory: true,
        configuration_id_suffix: crate::own_configurations(input),
    };
    Ok(execution::start(target, &arn, input, &options).await?)
}

fn describe(outcome: &Outcome, what: &str) {
    eprintln!(
        "  {what} execution {} in {:.1} s: {} state transitions, {} history events",
        outcome.status, outcome.seconds, outcome.transitions, outcome.history_events
    );
}

fn print_estate(estate: &SeededEstate) {
    eprintln!(
        "  {:<14} {:<16} {:>7} {:>5} {:>9} {:>8} {:>10} {:>7} {:>10}",
        "account",
        "region",
        "buckets",
        "empty",
        "versioned",
        "objects",
        "noncurrent",
        "markers",
        "bytes"
    );
    let row = |account: &str, region: &str, t: &estate::EstateTotals| {
        eprintln!(
            "  {:<14} {:<16} {:>7} {:>5} {:>9} {:>8} {:>10} {:>7} {:>10}",
            account,
            region,
            t.buckets,
            t.empty,
            t.versioned,
            group_thousands(t.objects),
            group_thousands(t.noncurrent_versions),
            group_thousands(t.delete_markers),
            human_bytes(t.bytes)
        );
    };
    for ((account, region), totals) in estate.totals_by_account_region() {
        row(&account, &region, &totals);
    }
    row("total", "", &estate.totals());
    eprintln!(
        "  seeded with {} PutObject and {} DeleteObject calls in {:.1} s ({:.0} calls/s)",
        group_thousands(estate.puts as u64),
        group_thousands(estate.deletes as u64),
        estate.seconds,
        (estate.puts + estate.deletes) as f64 / estate.seconds.max(0.001)
    );
    let secrets = estate
        .buckets
        .first()
        .map(|b| b.name.as_str())
        .unwrap_or_default();
    eprintln!(
        "  keys include .env, id_rsa, terraform.tfstate, credentials.json, <script>alert(1)</script>.html, a\"quote'.txt, spaces, non-Latin scripts, emoji and a right-to-left override (all of them in {secrets})"
    );
}

/// `report.png` next to `report.html` in `dir`: what a 1,024 x 768 window shows of it, taken by
/// headless Chromium. Without Chromium (`scripts/demo` installs it) the picture is left out, said so.
pub(crate) fn picture_report(dir: &Path) -> Result<()> {
    let browser = match fixtures::browser::Browser::find() {
        Ok(browser) => browser,
        Err(e) => {
            eprintln!("  report.png not taken: {e}");
            return Ok(());
        }
    };
    let png = dir.join("report.png");
    browser
        .screenshot(&dir.join("report.html"), &png, fixtures::browser::WINDOW)
        .with_context(|| format!("picturing {}", dir.join("report.html").display()))?;
    eprintln!(
        "  {}: report.html as a 1,024 x 768 window shows it",
        png.display()
    );
    Ok(())
}

/// Download the report files into `dir`, each with its outcome.
pub(crate) async fn download_report(
    host: &Target,
    bucket: &str,
    run_id: &str,
    dir: &Path,
) -> Vec<(&'static str, Result<PathBuf>)> {
    let s3 = host.s3();
    let mut out = Vec::new();
    for (name, key) in [
        ("report.html", keys::report_html(run_id)),
        ("report.txt", keys::report_text(run_id)),
        ("summary.json", keys::summary_json(run_id)),
    ] {
        let result = async {
            let object = s3
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
            let body = object.body.collect().await?.into_bytes();
            let path = dir.join(name);
            std::fs::write(&path, &body).with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        }
        .await;
        out.push((name, result));
    }
    out
}

/// One line from the Cleanup machine's output (`{run_id, complete, configurations_removed,
/// stacks_removed, not_removed}`).
fn cleanup_summary(output: Option<&Value>) -> String {
    let Some(output) = output else {
        return "Cleanup gave no output".into();
    };
    // The output is the outcome itself, or wraps it.
    let outcome = [
        output,
        &output["cleaned"],
        &output["outcome"],
        &output["result"],
    ]
    .into_iter()
    .find(|v| v.get("complete").is_some());
    match outcome {
        Some(o) => format!(
            "Cleanup says: complete = {}, inventory configurations gone = {}, staging stacks deleted = {}, not removed = {}",
            o["complete"],
            o["configurations_removed"],
            o["stacks_removed"],
            o["not_removed"].as_array().map(Vec::len).unwrap_or(0)
        ),
        None => format!("Cleanup output: {output}"),
    }
}

/// One line of the table of what is left: what was checked, where, what was found, and whether
/// that is as it should be (gone).
type Checked = (String, String, String, bool);

/// Look for everything transient the run created, as each owner sees it, and print a table (always
/// when `show`, else only when something is left); returns how many remain.
async fn transient_left(
    host: &Target,
    deployment: &Deployment,
    run_id: &str,
    regions: &[String],
    estate: &SeededEstate,
    show: bool,
) -> Result<usize> {
    let mut rows: Vec<Checked> = Vec::new();
    for region in regions {
        rows.extend(staging_left(&host.in_region(region), deployment, run_id, region).await?);
    }
    rows.extend(configurations_left(host, deployment, run_id, estate).await?);
    let left = rows.iter().filter(|r| !r.3).count();
    if show || left > 0 {
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let place = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
        eprintln!("  {:<width$}  {:<place$}  found", "checked", "where");
        for (what, place_name, state, ok) in &rows {
            eprintln!(
                "  {what:<width$}  {place_name:<place$}  {state}{}",
                if *ok { "" } else { "   <- left behind" }
            );
        }
    }
    Ok(left)
}

/// The run's staging bucket and staging stack in `region` (`at` acts there as the host).
async fn staging_left(
    at: &Target,
    deployment: &Deployment,
    run_id: &str,
    region: &str,
) -> Result<[Checked; 2]> {
    let bucket = deployment.staging_bucket(run_id, region);
    let state = match at.s3().head_bucket().bucket(&bucket).send().await {
        Ok(_) => "EXISTS".to_string(),
        Err(e) => match e.into_service_error() {
            err if err.is_not_found() => "absent".to_string(),
            err => bail!("HeadBucket {bucket}: {err}"),
        },
    };
    let ok = state == "absent";
    let staging_bucket = (
        format!("staging bucket {bucket}"),
        region.to_string(),
        state,
        ok,
    );
    let stack = deployment.staging_stack(run_id);
    let state = match at
        .cloudformation()
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await
    {
        Ok(answer) => answer
            .stacks()
            .first()
            .and_then(|s| s.stack_status().map(|s| s.as_str().to_string()))
            .unwrap_or_else(|| "absent".into()),
        Err(e) => {
            let message = aws_sdk_cloudformation::error::DisplayErrorContext(&e).to_string();
            if message.contains("does not exist") {
                "absent".into()
            } else {
                bail!("DescribeStacks {stack} in {region}: {message}");
            }
        }
    };
    let ok = state == "absent" || state == StackStatus::DeleteComplete.as_str();
    let staging_stack = (
        format!("staging stack {stack}"),
        region.to_string(),
        state,
        ok,
    );
    Ok([staging_bucket, staging_stack])
}

/// The run's inventory configuration on the estate's buckets, one line per account and region.
async fn configurations_left(
    host: &Target,
    deployment: &Deployment,
    run_id: &str,
    estate: &SeededEstate,
) -> Result<Vec<Checked>> {
    let id = deployment.configuration_id(run_id);
    let mut by_place: BTreeMap<(String, String), (usize, Vec<String>)> = BTreeMap::new();
    for bucket in &estate.buckets {
        let entry = by_place
            .entry((bucket.account.clone(), bucket.region.clone()))
            .or_default();
        entry.0 += 1;
        let s3 = host
            .as_account(&bucket.account)
            .in_region(&bucket.region)
            .s3();
        if has_configuration(&s3, &bucket.name, &id).await? {
            entry.1.push(bucket.name.clone());
        }
    }
    Ok(by_place
        .into_iter()
        .map(|((account, region), (count, found))| {
            let ok = found.is_empty();
            let state = if ok {
                format!("none on its {count} buckets")
            } else {
                format!("STILL ON {}", found.join(", "))
            };
            (
                format!("inventory configuration {id}"),
                format!("{account} {region}"),
                state,
                ok,
            )
        })
        .collect())
}

/// Whether `bucket` has the inventory configuration `id` (every page of the listing read).
async fn has_configuration(s3: &aws_sdk_s3::Client, bucket: &str, id: &str) -> Result<bool> {
    let mut token = None;
    loop {
        let page = s3
            .list_bucket_inventory_configurations()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "ListBucketInventoryConfigurations {bucket}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                )
            })?;
        if page
            .inventory_configuration_list()
            .iter()
            .any(|c| c.id() == id)
        {
            return Ok(true);
        }
        if page.is_truncated() != Some(true) {
            return Ok(false);
        }
        token = page.next_continuation_token().map(str::to_string);
    }
}

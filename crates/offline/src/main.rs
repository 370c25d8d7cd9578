//! `offline`: the local AWS one command away, and what no emulator does (the library `local_aws`),
//! and the demo of both tools on it ([`demo`], [`demo_historical`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use local_aws::deploy::{self, DeployRequest};
use local_aws::execution::{self, Outcome, WaitOptions};
use local_aws::faults::{self, FaultKind, FaultRule};
use local_aws::package::BuildOptions;
use local_aws::paths::Workspace;
use local_aws::sdk::Target;
use local_aws::{emulator, inventory, pump};
use serde_json::Value;

mod demo;
mod demo_comparison;
mod demo_historical;
mod demo_historical_views;

#[derive(Parser)]
#[command(
    name = "offline",
    version,
    about = "Run S3Insights and Historical on a local AWS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job, offline: start the local AWS, deploy, run it end to end and show the results.
    Demo {
        /// Build the Lambda binaries with the release profile.
        #[arg(long)]
        release: bool,
    },
    /// Start or stop the local AWS.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// Build the Lambda binaries, package them and deploy a template (default: template.yaml).
    Deploy(DeployArgs),
    /// Print a deployed stack's Outputs as JSON.
    Outputs(StackArgs),
    /// Run one state machine definition to its end; print its output, or {"error","cause"} and fail.
    Execute(ExecuteArgs),
    /// Run a deployed state machine to its end; print its output, or {"error","cause"} and fail.
    StartExecution(StartExecutionArgs),
    /// Wait until queues and streams feeding functions are drained and no function is running.
    Pump(PumpArgs),
    /// Deliver an S3 Inventory report for every enabled inventory configuration, as S3 would.
    DeliverInventory {
        /// Only the configurations of this source bucket (repeatable; default: every bucket).
        #[arg(long = "bucket")]
        buckets: Vec<String>,
    },
    /// Make chosen invocations of a function fail, time out or be throttled.
    #[command(subcommand)]
    Fault(FaultCommand),
    /// Expire every DynamoDB item whose TTL has passed, now (the local AWS also does so every few seconds).
    ExpireTtl,
    /// Per principal: every action and resource IAM allowed or denied on the local AWS, and every
    /// granted action no request used (the least-privilege candidates).
    AccessReport {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Fail (exit 1) when any request was denied.
        #[arg(long)]
        fail_on_denial: bool,
    },
}

#[derive(Subcommand)]
enum EmulatorCommand {
    /// Start the local AWS (or find the running one) and print the shell exports that target it.
    Start {
        /// Port on 127.0.0.1 (default: a free one).
        #[arg(long)]
        port: Option<u16>,
    },
    /// Stop the local AWS and its Lambda workers.
    Stop,
    /// Print the exports of the running local AWS, or fail if none is running.
    Status,
}

#[derive(Args)]
struct StackArgs {
    /// Stack name (default: `platform`, the stack of template.yaml).
    #[arg(long, default_value = deploy::DEFAULT_STACK)]
    stack: String,
    /// Account to act as (default: the host account).
    #[arg(long)]
    account: Option<String>,
}

#[derive(Args)]
struct DeployArgs {
    /// Template file, relative to the workspace.
    #[arg(long, default_value = "template.yaml")]
    template: String,
    /// Stack name (default: `platform` for template.yaml, else the template's file stem).
    #[arg(long)]
    stack: Option<String>,
    /// Account to deploy into (default: the host account).
    #[arg(long)]
    account: Option<String>,
    /// Region to deploy into.
    #[arg(long)]
    region: Option<String>,
    /// Template parameter override, KEY=VALUE (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// Build the Lambda binaries with the release profile.
    #[arg(long)]
    release: bool,
}

#[derive(Args)]
struct ExecuteArgs {
    /// State machine definition (ASL JSON file).
    #[arg(long)]
    definition: PathBuf,
    /// Execution input: JSON text, or @FILE.
    #[arg(long, default_value = "{}")]
    input: String,
    #[command(flatten)]
    wait: WaitArgs,
}

#[derive(Args)]
struct StartExecutionArgs {
    /// Logical id of the state machine in the stack (e.g. HarvesterStateMachine).
    #[arg(long)]
    state_machine: String,
    /// Execution input file (JSON).
    #[arg(long)]
    input: PathBuf,
    #[command(flatten)]
    stack: StackArgs,
    #[command(flatten)]
    wait: WaitArgs,
}

#[derive(Args)]
struct WaitArgs {
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
    /// Do not deliver S3 Inventory reports while the execution runs.
    #[arg(long)]
    no_inventory: bool,
    /// Print each state entered on stderr.
    #[arg(long)]
    progress: bool,
    /// Print a JSON summary (status, output, error, cause, transitions, history events) instead.
    #[arg(long)]
    summary: bool,
}

#[derive(Args)]
struct PumpArgs {
    /// Return when idle (the only mode).
    #[arg(long, required = true)]
    until_idle: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

#[derive(Subcommand)]
enum FaultCommand {
    /// Add a rule.
    Add {
        /// Function: its physical name, or its logical id in the stack.
        #[arg(long)]
        function: String,
        /// What to inject.
        #[arg(long, value_enum, default_value = "error")]
        kind: FaultKind,
        /// How many invocations to break.
        #[arg(long, default_value_t = 1)]
        times: u32,
        /// How many invocations to let through first.
        #[arg(long, default_value_t = 0)]
        skip: u32,
        /// errorType of an injected error.
        #[arg(long)]
        error_type: Option<String>,
        /// errorMessage of an injected error.
        #[arg(long)]
        message: Option<String>,
        /// Only invocations whose JSON payload contains this text (compact JSON, e.g. `"run_id":"r7"`).
        #[arg(long)]
        matching: Option<String>,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// List the rules and how often each fired.
    List,
    /// Remove every rule.
    Clear,
}

fn target(workspace: &Workspace, account: Option<&str>) -> Result<Target> {
    let target = Target::from_env(&workspace.state_dir())?;
    Ok(match account {
        Some(a) => target.as_account(a),
        None => target,
    })
}

/// How to wait on an execution of `input` (see [`own_configurations`]).
fn wait_options(args: &WaitArgs, input: &serde_json::Value) -> WaitOptions {
    WaitOptions {
        timeout: Duration::from_secs(args.timeout),
        progress: args.progress,
        deliver_inventory: !args.no_inventory,
        configuration_id_suffix: own_configurations(input),
    }
}

/// Which inventory configurations an execution of `input` is served while it runs: an input with a
/// `run_id` (an S3Insights run, whose configuration ids end with `-<run_id>`:
/// `s3insights::names::Deployment::configuration_id`) is served its own reports only, so
/// executions waiting at once never deliver each other's; any other input, every configuration.
fn own_configurations(input: &serde_json::Value) -> Option<String> {
    input["run_id"].as_str().map(|run| format!("-{run}"))
}

fn report(outcome: &Outcome, args: &WaitArgs) -> ExitCode {
    let shown = if args.summary {
        outcome.summary_json()
    } else {
        outcome.result_json()
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&shown).unwrap_or_default()
    );
    eprintln!(
        "execution {} in {:.1} s: {} state transitions, {} history events",
        outcome.status, outcome.seconds, outcome.transitions, outcome.history_events
    );
    if outcome.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn read_json(text_or_file: &str) -> Result<Value> {
    let text = match text_or_file.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        None => text_or_file.to_string(),
    };
    serde_json::from_str(&text).with_context(|| format!("input is not JSON: {text}"))
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let workspace = Workspace::locate();
    match cli.command {
        Command::Demo { release } => run_demo(&workspace, release).await?,
        Command::Emulator(command) => run_emulator(&workspace, command).await?,
        Command::Deploy(args) => run_deploy(&workspace, args).await?,
        Command::Outputs(args) => {
            let target = target(&workspace, args.account.as_deref())?;
            let outputs = deploy::outputs(&target, &args.stack).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&deploy::outputs_json(&outputs))?
            );
        }
        Command::Execute(args) => {
            let target = target(&workspace, None)?;
            let definition = read_json(&format!("@{}", args.definition.display()))?;
            let input = read_json(&args.input)?;
            let outcome = execution::execute(
                &target,
                &definition,
                &input,
                &wait_options(&args.wait, &input),
            )
            .await?;
            return Ok(report(&outcome, &args.wait));
        }
        Command::StartExecution(args) => {
            let target = target(&workspace, args.stack.account.as_deref())?;
            let input = read_json(&format!("@{}", args.input.display()))?;
            let arn = deploy::physical_id(&target, &args.stack.stack, &args.state_machine).await?;
            let outcome =
                execution::start(&target, &arn, &input, &wait_options(&args.wait, &input)).await?;
            return Ok(report(&outcome, &args.wait));
        }
        Command::Pump(args) => {
            let target = target(&workspace, None)?;
            let took =
                pump::until_idle(&target.endpoint, Duration::from_secs(args.timeout)).await?;
            eprintln!("offline: idle after {:.1} s", took.as_secs_f64());
        }
        Command::DeliverInventory { buckets } => {
            return deliver_inventory(&target(&workspace, None)?, &buckets).await;
        }
        Command::Fault(command) => run_fault(&workspace, command).await?,
        Command::AccessReport {
            json,
            fail_on_denial,
        } => {
            let target = target(&workspace, None)?;
            let report = local_aws::access::fetch(&target.endpoint).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            if fail_on_denial && report.denials().next().is_some() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::ExpireTtl => {
            let target = target(&workspace, None)?;
            let answer: Value = local_aws::admin::Admin::new(&target.endpoint)
                .post("/_offline/dynamodb/expire-ttl", Value::Null)
                .await?;
            println!("{answer}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `offline demo`: the local AWS of the state directory started (or found), then [`demo::run`].
async fn run_demo(workspace: &Workspace, release: bool) -> Result<()> {
    let running = emulator::start(&workspace.state_dir(), &workspace.venv_dir(), None).await?;
    eprintln!("offline: local AWS running at {}", running.endpoint());
    let target = Target {
        endpoint: running.endpoint(),
        account: local_aws::sdk::HOST_ACCOUNT.into(),
        region: local_aws::sdk::DEFAULT_REGION.into(),
    };
    demo::run(workspace, &target, BuildOptions { release }).await
}

/// `offline emulator start|stop|status`.
async fn run_emulator(workspace: &Workspace, command: EmulatorCommand) -> Result<()> {
    let state_dir = workspace.state_dir();
    match command {
        EmulatorCommand::Start { port } => {
            let running = emulator::start(&state_dir, &workspace.venv_dir(), port).await?;
            print!("{}", running.exports());
        }
        EmulatorCommand::Stop => {
            let stopped = emulator::stop(&state_dir)?;
            eprintln!("offline: stopped the local AWS on port {}", stopped.port);
        }
        EmulatorCommand::Status => {
            print!("{}", emulator::Running::read(&state_dir)?.exports());
        }
    }
    Ok(())
}

/// `offline deploy`: the stack's outputs as JSON on stdout.
async fn run_deploy(workspace: &Workspace, args: DeployArgs) -> Result<()> {
    let mut target = target(workspace, args.account.as_deref())?;
    if let Some(region) = &args.region {
        target = target.in_region(region);
    }
    let request = DeployRequest {
        stack: args
            .stack
            .unwrap_or_else(|| deploy::default_stack_name(&args.template)),
        template: args.template,
        parameters: deploy::parse_parameters(&args.parameters).map_err(anyhow::Error::msg)?,
        build: BuildOptions {
            release: args.release,
        },
    };
    let outputs = deploy::deploy(workspace, &target, &request).await?;
    eprintln!(
        "offline: stack {} deployed in account {} ({})",
        request.stack, target.account, target.region
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&deploy::outputs_json(&outputs))?
    );
    Ok(())
}

/// `offline deliver-inventory`: the delivery as JSON on stdout, each failed one said on stderr;
/// fails when one did.
async fn deliver_inventory(target: &Target, buckets: &[String]) -> Result<ExitCode> {
    let delivery = inventory::deliver_all(target, buckets).await?;
    println!("{}", serde_json::to_string_pretty(&delivery)?);
    for f in &delivery.failed {
        eprintln!(
            "offline: inventory delivery of configuration {} of bucket {} (account {}) \
             failed: {}",
            f.configuration_id, f.source_bucket, f.source_account, f.reason
        );
    }
    Ok(if delivery.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `offline fault add|list|clear`.
async fn run_fault(workspace: &Workspace, command: FaultCommand) -> Result<()> {
    match command {
        FaultCommand::Add {
            function,
            kind,
            times,
            skip,
            error_type,
            message,
            matching,
            stack,
        } => {
            let target = target(workspace, stack.account.as_deref())?;
            let function = match deploy::physical_id(&target, &stack.stack, &function).await {
                Ok(name) => name,
                Err(_) => function,
            };
            let rule = FaultRule {
                function,
                kind,
                times,
                skip,
                error_type,
                message,
                matching,
            };
            println!("{}", faults::add(&target.endpoint, &rule).await?);
        }
        FaultCommand::List => {
            let target = target(workspace, None)?;
            println!("{}", faults::list(&target.endpoint).await?);
        }
        FaultCommand::Clear => {
            let target = target(workspace, None)?;
            faults::clear(&target.endpoint).await?;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("offline: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3insights_run_is_served_its_own_configurations_only() {
        let run = serde_json::json!({"run_id": "r7", "accounts": []});
        assert_eq!(own_configurations(&run).as_deref(), Some("-r7"));
        assert_eq!(own_configurations(&serde_json::json!({"other": 1})), None);
        assert_eq!(own_configurations(&serde_json::json!({"run_id": 7})), None);
    }
}

//! The command line: global flags and the subcommands of each tool.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The stack name used when neither `--stack` nor `INSIGHTS_STACK` is given: the stack
/// `offline deploy` creates from `template.yaml`.
pub const DEFAULT_STACK: &str = "platform";

/// Operator CLI of S3Insights and Historical. Works against AWS (standard credentials and region,
/// `--profile`/`--region`) and offline (the endpoint in `AWS_ENDPOINT_URL`).
#[derive(Debug, Parser)]
#[command(name = "insights", version)]
pub struct Cli {
    /// The host stack: in AWS the stack name given to `sam deploy`; offline `platform`.
    #[arg(long, global = true, env = "INSIGHTS_STACK", default_value = DEFAULT_STACK)]
    pub stack: String,
    /// AWS region of the host stack (default: the standard configuration, e.g. `AWS_REGION`).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Named profile of the AWS configuration files (default: `AWS_PROFILE`, else `default`).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The two tools.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// S3Insights: Harvester runs and Cleanup.
    #[command(subcommand)]
    S3insights(S3InsightsCommand),
    /// Historical: resource histories.
    #[command(subcommand)]
    Historical(HistoricalCommand),
}

/// S3Insights subcommands.
#[derive(Debug, Subcommand)]
pub enum S3InsightsCommand {
    /// Start a Harvester with an input file (see docs/operations.md, "The input").
    Start {
        /// The Harvester input (JSON).
        #[arg(long)]
        input: PathBuf,
        /// Follow the run with progress bars until the execution ends.
        #[arg(long)]
        watch: bool,
        /// Seconds between two looks at the run while watching.
        #[arg(long, default_value_t = 3)]
        interval: u64,
    },
    /// A run's record and its buckets counted per status.
    Status {
        /// The run id.
        #[arg(long)]
        run_id: String,
    },
    /// The billable units a run used: state transitions, Lambda invocations and GB-seconds, Athena
    /// bytes scanned (docs/operations.md, "What a run costs").
    Costs {
        /// The run id.
        #[arg(long)]
        run_id: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Start Cleanup for one run, or for every run whose cleanup is pending.
    Cleanup {
        /// The run to clean (default: every run whose cleanup is pending).
        #[arg(long)]
        run_id: Option<String>,
        /// Wait for the execution and print its output.
        #[arg(long)]
        watch: bool,
    },
}

/// Historical subcommands.
#[derive(Debug, Subcommand)]
pub enum HistoricalCommand {
    /// Every recorded revision of a resource, oldest first, with its JSON Patch.
    History {
        /// The resource's ARN (`arn:aws:s3:::bucket`, `arn:aws:ec2:<region>:<account>:vpc/<id>`, ...).
        arn: String,
        /// Print the revisions as JSON (configurations included) instead of the coloured view.
        #[arg(long)]
        json: bool,
    },
    /// Every recorded resource as it was at a past time: its revision in force then (deleted ones
    /// left out), from the Durable tables.
    At {
        /// The time, RFC 3339 (`2026-12-01T09:30:00Z`, `2026-12-01T10:30:00+01:00`).
        #[arg(long, value_parser = parse_time)]
        time: chrono::DateTime<chrono::Utc>,
        /// Only this account's resources.
        #[arg(long)]
        account: Option<String>,
        /// Only this region's resources (an S3 bucket's region is where it lives).
        #[arg(long)]
        region: Option<String>,
        /// Only this technology (`s3`, `securitygroup`, `vpc`, `iamrole`); all four by default.
        #[arg(long)]
        tech: Option<historical::Technology>,
        /// Print the revisions as JSON (configurations included) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// SQL over the history table (`revisions`: every Durable revision as a row, in Athena): a
    /// query of your own, or one of the examples.
    Sql {
        /// The query (`FROM revisions`; the history database is the default).
        query: Option<String>,
        /// Run an example instead (`--list-examples` names them).
        #[arg(long, conflicts_with = "query")]
        example: Option<String>,
        /// A value for the query's `:name` placeholder, as `name=value` (repeatable).
        #[arg(long = "param")]
        params: Vec<String>,
        /// List the examples and what each answers.
        #[arg(long)]
        list_examples: bool,
        /// Print the rows as JSON objects.
        #[arg(long)]
        json: bool,
    },
    /// The change that takes a resource back to the revision in force at a past time: its JSON
    /// Patch, the AWS calls that apply it and what cannot be restored. A dry run unless --apply.
    Revert {
        /// The resource's ARN.
        arn: String,
        /// The time to go back to, RFC 3339 (`2026-12-01T09:30:00Z`).
        #[arg(long, value_parser = parse_time)]
        to: chrono::DateTime<chrono::Utc>,
        /// Make the calls (after a confirmation), in the resource's account: a member account's
        /// role needs `AllowRevert=true` (cross-account-role.yaml).
        #[arg(long)]
        apply: bool,
        /// With --apply, do not ask for confirmation (for scripts).
        #[arg(long, requires = "apply")]
        yes: bool,
        /// The deployment's ExternalId, to act through a member account's role.
        #[arg(long, env = "INSIGHTS_EXTERNAL_ID", hide_env_values = true)]
        external_id: Option<String>,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// An RFC 3339 time, in UTC.
fn parse_time(value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("`{value}` is not an RFC 3339 time such as 2026-12-01T09:30:00Z: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = Cli::try_parse_from([
            "insights",
            "s3insights",
            "status",
            "--run-id",
            "r1",
            "--stack",
            "prod",
            "--region",
            "eu-west-1",
        ])
        .unwrap();
        assert_eq!(cli.stack, "prod");
        assert_eq!(cli.region.as_deref(), Some("eu-west-1"));
        assert!(matches!(
            cli.command,
            Command::S3insights(S3InsightsCommand::Status { .. })
        ));
    }
}

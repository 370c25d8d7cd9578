//! `insights`: the operator CLI of S3Insights and Historical, in AWS and offline.
//!
//! Parses the arguments, connects to AWS (standard configuration; offline, `AWS_ENDPOINT_URL`) and
//! the host stack, and hands the subcommand to its module.

mod cli;
mod context;
mod costs;
mod execution;
mod history;
mod history_sql;
mod progress;
mod records;
mod render;
mod revert;
mod s3insights_cmd;
mod table;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, HistoricalCommand, S3InsightsCommand};
use context::Context;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("insights: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context::connect(&cli.stack, cli.region.as_deref(), cli.profile.as_deref()).await?;
    match cli.command {
        Command::S3insights(S3InsightsCommand::Start {
            input,
            watch,
            interval,
        }) => s3insights_cmd::start(&ctx, &input, watch, interval).await,
        Command::S3insights(S3InsightsCommand::Status { run_id }) => {
            s3insights_cmd::status(&ctx, &run_id).await
        }
        Command::S3insights(S3InsightsCommand::Costs { run_id, json }) => {
            costs::costs(&ctx, &run_id, json).await
        }
        Command::S3insights(S3InsightsCommand::Cleanup { run_id, watch }) => {
            s3insights_cmd::cleanup(&ctx, run_id.as_deref(), watch).await
        }
        Command::Historical(HistoricalCommand::History { arn, json }) => {
            history::history(&ctx, &arn, json).await
        }
        Command::Historical(HistoricalCommand::At {
            time,
            account,
            region,
            tech,
            json,
        }) => {
            let scope = historical::point_in_time::Scope { account, region };
            history::at(&ctx, time, &scope, tech, json).await
        }
        Command::Historical(HistoricalCommand::Sql {
            list_examples: true,
            ..
        }) => {
            for example in history_sql::EXAMPLES {
                println!(
                    "{}\n    {}\n    {}\n",
                    example.name, example.question, example.sql
                );
            }
            Ok(())
        }
        Command::Historical(HistoricalCommand::Sql {
            query,
            example,
            params,
            json,
            ..
        }) => {
            let sql = history_sql::statement(query.as_deref(), example.as_deref(), &params)?;
            history_sql::sql(&ctx, &sql, json).await
        }
        Command::Historical(HistoricalCommand::Revert {
            arn,
            to,
            apply,
            yes,
            external_id,
            json,
        }) => {
            let options = revert::Options {
                json,
                apply,
                yes,
                external_id,
            };
            revert::revert(&ctx, &arn, to, &options).await
        }
    }
}

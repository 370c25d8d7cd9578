//! Entry point of the analysis Lambda: prepares a run's Athena statements and summarises the query results.
//! Configuration from the environment, clients once, then the `harvest` library's handler.

use anyhow::Context;
use lambda_runtime::{run, service_fn, LambdaEvent};
use platform::failure::Failure;
use serde_json::Value;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::logging::init_json();
    let ctx = harvest::HarvestContext::from_env(&platform::config::ProcessEnv)
        .await
        .context("configuration")?;
    let ctx = &ctx;
    let athena = aws_sdk_athena::Client::new(&ctx.sdk);
    let athena = &athena;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        harvest::analysis::handle(ctx, athena, event.payload)
            .await
            .map_err(Failure::from)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("lambda runtime")
}

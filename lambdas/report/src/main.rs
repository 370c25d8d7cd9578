//! Entry point of the report Lambda: builds, stores and emails a run's report.
//! Configuration from the environment, clients once, then the `harvest` library's handler.

#![recursion_limit = "256"]

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
    let ses = aws_sdk_sesv2::Client::new(&ctx.sdk);
    let ses = &ses;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        harvest::reporting::handle(ctx, ses, event.payload)
            .await
            .map_err(Failure::from)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("lambda runtime")
}

//! Entry point of the regional-stacks Lambda: creates, checks and deletes a run's regional transient stacks.
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
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        harvest::stacks::handle(ctx, event.payload)
            .await
            .map_err(Failure::from)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("lambda runtime")
}

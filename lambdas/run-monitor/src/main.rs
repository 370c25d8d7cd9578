//! Entry point of the run-monitor Lambda: checks a run's waiting buckets and says whether every report is in.
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
        harvest::monitor::handle(ctx, event.payload)
            .await
            .map_err(Failure::from)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("lambda runtime")
}

//! Entry point of the run-ledger Lambda: validates Harvester input and keeps each run's record.
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
    let clients = harvest::ledger::LedgerClients::new(ctx);
    let clients = &clients;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        harvest::ledger::handle(ctx, clients, event.payload)
            .await
            .map_err(Failure::from)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("lambda runtime")
}

//! Entry point of the run-ledger Lambda: validates Harvester input and keeps each run's record.
//! Everything else — configuration, clients, the runtime loop — is `harvest::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    harvest::entry::serve(harvest::ledger::handle).await
}

//! The s3insights-run-ledger Lambda: validates Harvester input and keeps each run's record.
//! Everything else — configuration, clients, the runtime loop — is `platform::serve::run`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(s3insights_aws::handlers::run_ledger::handle).await
}

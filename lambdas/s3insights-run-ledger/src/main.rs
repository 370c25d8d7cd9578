//! Entry point of the run-ledger Lambda: validates Harvester input and keeps each run's record.
//! Everything else — configuration, clients, the runtime loop — is `s3insights_aws::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    s3insights_aws::entry::serve(s3insights_aws::ledger::handle).await
}

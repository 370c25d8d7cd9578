//! Entry point of the run-monitor Lambda: checks a run's waiting buckets and says whether every report is in.
//! Everything else — configuration, clients, the runtime loop — is `harvest::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    harvest::entry::serve(harvest::monitor::handle).await
}

//! Entry point of the analysis Lambda: prepares a run's Athena statements and summarises the query results.
//! Everything else — configuration, clients, the runtime loop — is `harvest::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    harvest::entry::serve(harvest::analysis::handle).await
}

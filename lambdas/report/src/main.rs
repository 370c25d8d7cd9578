//! Entry point of the report Lambda: builds, stores and emails a run's report.
//! Everything else — configuration, clients, the runtime loop — is `harvest::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    harvest::entry::serve(harvest::reporting::handle).await
}

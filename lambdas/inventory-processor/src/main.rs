//! Entry point of the inventory-processor Lambda: consolidates each delivered inventory report.
//! Everything else — configuration, clients, the runtime loop — is `harvest::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    harvest::entry::serve(harvest::processor::handle).await
}

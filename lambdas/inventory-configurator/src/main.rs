//! Entry point of the inventory-configurator Lambda: discovers an account's buckets and puts or removes the run's inventory configurations.
//! Everything else — configuration, clients, the runtime loop — is `harvest::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    harvest::entry::serve(harvest::configurator::handle).await
}

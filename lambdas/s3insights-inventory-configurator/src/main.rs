//! The s3insights-inventory-configurator Lambda: discovers an account's buckets and puts or removes the run's inventory configurations.
//! Everything else — configuration, clients, the runtime loop — is `platform::serve::run`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(s3insights_aws::handlers::inventory_configurator::handle).await
}

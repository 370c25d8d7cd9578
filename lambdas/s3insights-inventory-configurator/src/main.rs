//! Entry point of the inventory-configurator Lambda: discovers an account's buckets and puts or removes the run's inventory configurations.
//! Everything else — configuration, clients, the runtime loop — is `s3insights_aws::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    s3insights_aws::entry::serve(s3insights_aws::configurator::handle).await
}

//! Entry point of the inventory-processor Lambda: consolidates each delivered inventory report.
//! Everything else — configuration, clients, the runtime loop — is `s3insights_aws::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    s3insights_aws::entry::serve(s3insights_aws::processor::handle).await
}

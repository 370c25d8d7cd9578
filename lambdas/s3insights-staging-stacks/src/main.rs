//! Entry point of the regional-stacks Lambda: creates, checks and deletes a run's regional transient stacks.
//! Everything else — configuration, clients, the runtime loop — is `s3insights_aws::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    s3insights_aws::entry::serve(s3insights_aws::stacks::handle).await
}

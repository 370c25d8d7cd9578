//! The s3insights-staging-stacks Lambda: creates, checks and deletes a run's staging stacks.
//! Everything else — configuration, clients, the runtime loop — is `platform::serve::run`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(s3insights_aws::handlers::staging_stacks::handle).await
}

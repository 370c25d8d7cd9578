//! The s3insights-analysis Lambda: prepares a run's Athena statements and summarises the query results.
//! Everything else — configuration, clients, the runtime loop — is `platform::serve::run`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(s3insights_aws::handlers::analysis::handle).await
}

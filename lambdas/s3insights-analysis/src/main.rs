//! Entry point of the analysis Lambda: prepares a run's Athena statements and summarises the query results.
//! Everything else — configuration, clients, the runtime loop — is `s3insights_aws::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    s3insights_aws::entry::serve(s3insights_aws::analysis::handle).await
}

//! Entry point of the report Lambda: builds, stores and emails a run's report.
//! Everything else — configuration, clients, the runtime loop — is `s3insights_aws::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    s3insights_aws::entry::serve(s3insights_aws::reporting::handle).await
}

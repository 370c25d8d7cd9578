//! The s3insights-report Lambda: builds, stores and emails a run's report.
//! Everything else — configuration, clients, the runtime loop — is `platform::serve::run`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(s3insights_aws::handlers::report::handle).await
}

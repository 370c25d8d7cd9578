//! The s3insights-run-monitor Lambda: checks a run's waiting buckets and says whether every report is in.
//! Everything else — configuration, clients, the runtime loop — is `platform::serve::run`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(s3insights_aws::handlers::run_monitor::handle).await
}

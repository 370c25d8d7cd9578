//! Entry point of the run-monitor Lambda: checks a run's waiting buckets and says whether every report is in.
//! Everything else — configuration, clients, the runtime loop — is `s3insights_aws::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    s3insights_aws::entry::serve(s3insights_aws::monitor::handle).await
}

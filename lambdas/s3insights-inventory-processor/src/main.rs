//! The s3insights-inventory-processor Lambda: consolidates each delivered inventory report.
//! Everything else — configuration, clients, the runtime loop — is `platform::serve::run`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Consolidation frees and reallocates large buffers all the time: keep them.
    consolidation::retain_freed_memory();
    platform::serve::run(s3insights_aws::handlers::inventory_processor::handle).await
}

//! Entry point of the regional-stacks Lambda: creates, checks and deletes a run's regional transient stacks.
//! Everything else — configuration, clients, the runtime loop — is `harvest::entry::serve`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    harvest::entry::serve(harvest::stacks::handle).await
}

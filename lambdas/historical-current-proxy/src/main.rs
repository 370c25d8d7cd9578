//! Entry point of the historical-current-proxy Lambda: forwards Current table stream records to the Differ queue.
//! The handler and its configuration are `historical_aws::handlers::current_proxy`; the runtime loop is
//! `platform::serve::run`.

use historical_aws::handlers::current_proxy;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(current_proxy::handle).await
}

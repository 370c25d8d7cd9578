//! Entry point of the historical-durable-proxy Lambda: publishes Durable table stream records to the change-feed topic.
//! The handler and its configuration are `historical_aws::handlers::durable_proxy`; the runtime loop is
//! `platform::serve::run`.

use historical_aws::handlers::durable_proxy;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(durable_proxy::handle).await
}

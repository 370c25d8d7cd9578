//! Entry point of the historical-durable-proxy Lambda: publishes Durable table stream records to the change-feed topic.
//! Everything else — configuration, clients, the runtime loop — is `historical_aws::functions::entry::serve`.

use historical_aws::functions::{entry, stream_proxy};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    entry::serve(stream_proxy::durable).await
}

//! Entry point of the historical-current-proxy Lambda: forwards Current table stream records to the Differ queue.
//! Everything else — configuration, clients, the runtime loop — is `historical_aws::functions::entry::serve`.

use historical_aws::functions::{entry, stream_proxy};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    entry::serve(stream_proxy::current).await
}

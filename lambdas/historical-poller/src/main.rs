//! Entry point of the historical-poller Lambda: lists one technology in one account and region and queues a poll event per resource.
//! Everything else — configuration, clients, the runtime loop — is `historical_aws::functions::entry::serve`.

use historical_aws::functions::{entry, poller};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    entry::serve(poller::handle).await
}

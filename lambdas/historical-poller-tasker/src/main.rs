//! Entry point of the historical-poller-tasker Lambda: queues one poll task per technology, account and region (schedule).
//! Everything else — configuration, clients, the runtime loop — is `historical_aws::functions::entry::serve`.

use historical_aws::functions::{entry, poller_tasker};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    entry::serve(poller_tasker::handle).await
}

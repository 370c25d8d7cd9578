//! Entry point of the historical-poller-tasker Lambda: queues one poll task per technology, account and region (schedule).
//! The handler and its configuration are `historical_aws::handlers::poller_tasker`; the runtime loop is
//! `platform::serve::run`.

use historical_aws::handlers::poller_tasker;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(poller_tasker::handle).await
}

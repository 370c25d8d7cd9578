//! Entry point of the historical-poller Lambda: lists one technology in one account and region and queues a poll event per resource.
//! The handler and its configuration are `historical_aws::handlers::poller`; the runtime loop is
//! `platform::serve::run`.

use historical_aws::handlers::poller;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(poller::handle).await
}

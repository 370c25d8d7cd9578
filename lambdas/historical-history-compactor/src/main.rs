//! Entry point of the historical-history-compactor Lambda: merges a day's files of the history table into one (schedule).
//! The handler and its configuration are `historical_aws::handlers::history_compactor`; the runtime
//! loop is `platform::serve::run`.

use historical_aws::handlers::history_compactor;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(history_compactor::handle).await
}

//! Entry point of the historical-collector Lambda: describes resources on CloudTrail and poll events and writes the Current tables.
//! The handler and its configuration are `historical_aws::handlers::collector`; the runtime loop is
//! `platform::serve::run`.

use historical_aws::handlers::collector;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(collector::handle).await
}

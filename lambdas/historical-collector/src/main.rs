//! Entry point of the historical-collector Lambda: describes resources on CloudTrail and poll events and writes the Current tables.
//! Everything else — configuration, clients, the runtime loop — is `historical_aws::functions::entry::serve`.

use historical_aws::functions::{collector, entry};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    entry::serve(collector::handle).await
}

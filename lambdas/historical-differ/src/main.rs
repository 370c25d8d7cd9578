//! Entry point of the historical-differ Lambda: writes effective changes to the Durable tables.
//! Everything else — configuration, clients, the runtime loop — is `historical_aws::functions::entry::serve`.

use historical_aws::functions::{differ, entry};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    entry::serve(differ::handle).await
}

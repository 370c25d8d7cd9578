//! Entry point of the historical-differ Lambda: writes effective changes to the Durable tables.
//! The handler and its configuration are `historical_aws::handlers::differ`; the runtime loop is
//! `platform::serve::run`.

use historical_aws::handlers::differ;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    platform::serve::run(differ::handle).await
}

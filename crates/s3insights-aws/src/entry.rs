//! The entry point every S3Insights function shares: JSON logs, the context from the environment,
//! built once, then the platform's serve loop handing each event to the function's handler.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{HarvestContext, HarvestError};

/// Runs `handler` for every event until the runtime stops. The context lives as long as the process
/// (a Lambda execution environment), so handlers borrow it for `'static`.
pub async fn serve<E, R, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send,
    F: Fn(&'static HarvestContext, E) -> Fut,
    Fut: Future<Output = Result<R, HarvestError>> + Send,
{
    platform::logging::init_json();
    let ctx = HarvestContext::from_env(&platform::config::ProcessEnv).await?;
    platform::serve::serve(ctx, handler).await
}

//! The entry point every S3Insights function shares: JSON logs, the context from the environment,
//! built once, then the Lambda runtime handing each event to the function's handler.

use std::future::Future;

use lambda_runtime::{service_fn, LambdaEvent};
use platform::failure::Failure;
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
    let ctx: &'static HarvestContext = Box::leak(Box::new(ctx));
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| async move {
        // Boxed: handlers' futures are deep, and nesting them in the runtime's would overflow the
        // compiler's layout recursion limit.
        Box::pin(handler(ctx, event.payload))
            .await
            .map_err(Failure::from)
    }))
    .await
}

//! The entry point every Historical function shares: the platform's (`platform::serve::run`), with
//! the function's configuration read once per cold start ([`FromEnv`]).

use std::future::Future;

pub use platform::serve::FromEnv;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::FunctionError;

/// Runs `handler` for every event until the runtime stops. The component lives as long as the
/// process (a Lambda execution environment), so handlers borrow it for `'static`.
pub async fn serve<C, E, R, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    C: FromEnv,
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send,
    F: Fn(&'static C, E) -> Fut,
    Fut: Future<Output = Result<R, FunctionError>> + Send,
{
    platform::serve::run(handler).await
}

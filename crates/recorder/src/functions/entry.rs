//! The entry point every Historical function shares: JSON logs, the function's configuration and
//! clients built once from the environment, then the platform's serve loop handing each event over.

use std::future::Future;

use aws_config::SdkConfig;
use platform::config::{ConfigError, Lookup, ProcessEnv};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::FunctionError;

/// A function's configuration and clients, read once per cold start.
pub trait FromEnv: Sized + Send + Sync + 'static {
    /// Reads what the template sets, building clients from `sdk` (the function's own account and
    /// region); a missing or invalid variable is an error naming it.
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError>;
}

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
    platform::logging::init_json();
    let sdk = platform::aws::load().await;
    let component = C::from_env(&ProcessEnv, &sdk)?;
    platform::serve::serve(component, handler).await
}

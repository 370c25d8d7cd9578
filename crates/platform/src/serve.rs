//! The Lambda serve loop every function of both tools runs.
//!
//! The runtime hands each invocation's payload over as raw JSON; this loop decodes it into the
//! handler's event type itself, so that a payload that does not decode (the wrong shape, or JSON
//! nested deeper than the decoder's 128 levels) fails with the tool's own stable `errorType`, never
//! with the runtime's default, a Rust type name such as
//! `&lambda_runtime::deserializer::DeserializeError` that no state machine can match.

use std::future::Future;

use lambda_runtime::{service_fn, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::config::{ConfigError, Lookup, ProcessEnv};
use crate::failure::{Classified, Failure};

/// How deep JSON may nest before the decoder refuses it (serde_json's recursion limit).
pub const MAX_NESTING: usize = 128;

/// A payload that does not decode into the function's event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UndecodableEvent {
    /// The JSON nests deeper than [`MAX_NESTING`] levels.
    #[error("the event nests deeper than {MAX_NESTING} levels of JSON arrays and objects")]
    TooDeep {
        /// The payload's top-level `action`, when it names one: which request of a function that
        /// takes several it was, so the function can say whose input was too deep.
        action: Option<String>,
    },
    /// The JSON is not the shape the function reads.
    #[error("the event is not what this function reads: {0}")]
    Shape(String),
}

/// Decodes a raw payload into the handler's event type.
pub fn decode<E: DeserializeOwned>(payload: &RawValue) -> Result<E, UndecodableEvent> {
    serde_json::from_str(payload.get()).map_err(|err| {
        // serde_json reports its recursion limit as a syntax error with this message and no other
        // classification; the limit is the only reason a syntactically valid payload fails so.
        if err.to_string().starts_with("recursion limit exceeded") {
            UndecodableEvent::TooDeep {
                action: action_of(payload),
            }
        } else {
            UndecodableEvent::Shape(err.to_string())
        }
    })
}

/// A function's configuration and clients, read once per cold start from the variables its
/// template entry sets.
pub trait FromEnv: Sized + Send + Sync + 'static {
    /// Reads the function's own variables (a missing or invalid one is an error naming it) and
    /// builds its clients from `sdk` (the function's account and region).
    fn from_env(env: &impl Lookup, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError>;
}

/// A Lambda binary's whole `main`: JSON logs, the SDK configuration, the function's configuration
/// `C` from the environment (a wrong environment stops the cold start, naming the variable), then
/// [`serve`] with `handler`.
pub async fn run<C, E, R, Err, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    C: FromEnv,
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send,
    Err: Classified + From<UndecodableEvent>,
    F: Fn(&'static C, E) -> Fut,
    Fut: Future<Output = Result<R, Err>> + Send,
{
    crate::logging::init_json();
    let sdk = crate::aws::load().await;
    let context = C::from_env(&ProcessEnv, &sdk)?;
    serve(context, handler).await
}

/// The top-level `action` string of a payload of any depth: skipping a value is not recursive in
/// serde_json, so only `action` itself must be shallow.
fn action_of(payload: &RawValue) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Peek {
        action: Option<String>,
    }
    serde_json::from_str::<Peek>(payload.get())
        .ok()
        .and_then(|peek| peek.action)
}

/// Runs `handler` for every invocation until the runtime stops. `context` (configuration and
/// clients, built once per cold start) lives as long as the process, so handlers borrow it for
/// `'static`. A payload that does not decode becomes the handler's error type through
/// `From<UndecodableEvent>`, so it too fails with a stable `errorType`.
pub async fn serve<C, E, R, Err, F, Fut>(
    context: C,
    handler: F,
) -> Result<(), lambda_runtime::Error>
where
    C: Send + Sync + 'static,
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send,
    Err: Classified + From<UndecodableEvent>,
    F: Fn(&'static C, E) -> Fut,
    Fut: Future<Output = Result<R, Err>> + Send,
{
    let context: &'static C = Box::leak(Box::new(context));
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |invocation: LambdaEvent<Box<RawValue>>| async move {
            let event = decode::<E>(&invocation.payload)
                .map_err(|err| Failure::from_classified(&Err::from(err)))?;
            // Boxed: handlers' futures are deep, and nesting them in the runtime's would overflow
            // the compiler's layout recursion limit.
            Box::pin(handler(context, event))
                .await
                .map_err(|err| Failure::from_classified(&err))
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).expect("valid JSON")
    }

    #[test]
    fn deep_json_is_too_deep_not_a_shape_error() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        // RawValue keeps any valid JSON, however deep; only decoding it into a value refuses it.
        let payload: Box<RawValue> = serde_json::from_str(&deep).expect("raw JSON of any depth");
        assert_eq!(
            decode::<serde_json::Value>(&payload),
            Err(UndecodableEvent::TooDeep { action: None })
        );
        let shallow = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(decode::<serde_json::Value>(&raw(&shallow)).is_ok());
    }

    #[test]
    fn the_runtime_decoder_keeps_a_deep_payload_raw() {
        // lambda_runtime decodes `LambdaEvent<T>` payloads with serde_path_to_error over
        // serde_json; the raw payload must pass through it whatever its depth.
        let deep = format!(
            "{{\"a\":{}{},\"action\":\"start\"}}",
            "[".repeat(300),
            "]".repeat(300)
        );
        let jd = &mut serde_json::Deserializer::from_slice(deep.as_bytes());
        let payload: Box<RawValue> = serde_path_to_error::deserialize(jd).expect("kept raw");
        assert_eq!(payload.get(), deep);
        assert_eq!(
            decode::<serde_json::Value>(&payload),
            Err(UndecodableEvent::TooDeep {
                action: Some("start".into())
            })
        );
    }

    #[test]
    fn wrong_shape_names_what_is_wrong() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Request {
            run_id: String,
        }
        match decode::<Request>(&raw(r#"{"run_id": 5}"#)) {
            Err(UndecodableEvent::Shape(message)) => assert!(message.contains("expected a string")),
            other => panic!("expected a shape error, got {other:?}"),
        }
    }
}

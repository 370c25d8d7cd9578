//! The launcher's own routes under `/_offline/` (see `crates/local-aws/emulator/launcher.py`).

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A call to an admin route failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No answer (emulator not running?).
    #[error("local AWS at {endpoint} does not answer {route}: {message}")]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// The route.
        route: String,
        /// The transport error.
        message: String,
    },
    /// An answer that is not a success.
    #[error("local AWS refused {route}: HTTP {status}: {body}")]
    Refused {
        /// The route.
        route: String,
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
}

/// A client for the admin routes of the emulator at `endpoint`.
#[derive(Debug, Clone)]
pub struct Admin {
    endpoint: String,
    http: reqwest::Client,
}

impl Admin {
    /// A client for `endpoint`.
    pub fn new(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// GET `route`.
    pub async fn get<T: DeserializeOwned>(&self, route: &str) -> Result<T, AdminError> {
        self.send(reqwest::Method::GET, route, None).await
    }

    /// POST `body` to `route`.
    pub async fn post<T: DeserializeOwned>(
        &self,
        route: &str,
        body: Value,
    ) -> Result<T, AdminError> {
        self.send(reqwest::Method::POST, route, Some(body)).await
    }

    /// DELETE `route`.
    pub async fn delete<T: DeserializeOwned>(&self, route: &str) -> Result<T, AdminError> {
        self.send(reqwest::Method::DELETE, route, None).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        route: &str,
        body: Option<Value>,
    ) -> Result<T, AdminError> {
        let url = format!("{}{}", self.endpoint, route);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |e: reqwest::Error| AdminError::Unreachable {
            endpoint: self.endpoint.clone(),
            route: route.to_string(),
            message: e.to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(AdminError::Refused {
                route: route.to_string(),
                status: status.as_u16(),
                body: text,
            });
        }
        serde_json::from_str(&text).map_err(|e| AdminError::Refused {
            route: route.to_string(),
            status: status.as_u16(),
            body: format!("unreadable answer ({e}): {text}"),
        })
    }
}

//! AWS SDK configuration and clients, built once per process.
//!
//! The SDK reads `AWS_ENDPOINT_URL` itself; that is how every binary reaches the local AWS offline and
//! the real endpoints in AWS, with no code path of our own choosing between them. The one thing the
//! standard variable does not carry is S3's addressing style: the local AWS serves buckets on a loopback
//! address where virtual-hosted names do not resolve, so S3 clients use path-style requests whenever an
//! endpoint override is set.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::{proxy::ProxyConfig, Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Where Linux distributions keep their one-file CA bundle: Amazon Linux (every Lambda runtime),
/// then Debian and Ubuntu, then Alpine and openSUSE.
const CA_BUNDLES: [&str; 4] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
];

/// Load the shared SDK configuration from the environment (region, credentials, endpoint override).
///
/// Its HTTPS client is the SDK's default (rustls with aws-lc, the proxy variables honoured) trusting
/// the system's CA bundle file alone: the default also reads every file of `/etc/ssl/certs`, a few
/// milliseconds of each Lambda cold start for the same roots (scripts/bench-lambda-init measures it).
/// `SSL_CERT_FILE` or `SSL_CERT_DIR`, when set, are honoured as the SDK honours them.
pub async fn load() -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    match ca_bundle_context() {
        Some(context) => loader.http_client(https_client(context)).load().await,
        None => loader.load().await,
    }
}

/// A TLS context trusting the system's CA bundle, unless the environment names its own
/// certificates or no bundle is found (then the SDK's own search applies).
fn ca_bundle_context() -> Option<TlsContext> {
    if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some() {
        return None;
    }
    let pem = CA_BUNDLES
        .iter()
        .find_map(|path| std::fs::read(path).ok().filter(|pem| !pem.is_empty()))?;
    TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(pem))
        .build()
        .ok()
}

/// The SDK's default HTTPS client (aws-smithy-runtime's `default_https_client`) with `context`.
fn https_client(context: TlsContext) -> SharedHttpClient {
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// True when requests go to an endpoint other than AWS's own (the local AWS, or a VPC endpoint URL).
pub fn has_endpoint_override(config: &SdkConfig) -> bool {
    config.endpoint_url().is_some()
}

/// An S3 client for `config`, path-style when an endpoint override is set.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(has_endpoint_override(config))
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::Region;

    /// The candidates cover the machine the tests run on (Debian's bundle; Amazon Linux's in
    /// Lambda), so its clients trust the bundle alone rather than falling back to the SDK's search.
    #[test]
    fn the_system_ca_bundle_is_found_and_read() {
        if std::env::var_os("SSL_CERT_FILE").is_some() || std::env::var_os("SSL_CERT_DIR").is_some()
        {
            assert!(
                ca_bundle_context().is_none(),
                "the environment's choice is the SDK's"
            );
        } else {
            assert!(
                ca_bundle_context().is_some(),
                "no CA bundle among {CA_BUNDLES:?}"
            );
        }
    }

    #[test]
    fn path_style_only_with_an_endpoint_override() {
        let plain = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .build();
        assert!(!has_endpoint_override(&plain));
        let local = plain
            .to_builder()
            .endpoint_url("http://127.0.0.1:4566")
            .build();
        assert!(has_endpoint_override(&local));
        // Path-style addressing itself is proved by every integration test: a virtual-hosted request
        // to `bucket.127.0.0.1` cannot even be resolved.
    }
}

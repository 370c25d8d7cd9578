//! AWS SDK configuration and clients, built once per process.
//!
//! The SDK reads `AWS_ENDPOINT_URL` itself; that is how every binary reaches the local AWS offline and
//! the real endpoints in AWS, with no code path of our own choosing between them. The one thing the
//! standard variable does not carry is S3's addressing style: the local AWS serves buckets on a loopback
//! address where virtual-hosted names do not resolve, so S3 clients use path-style requests whenever an
//! endpoint override is set.

use aws_config::{BehaviorVersion, SdkConfig};

/// Load the shared SDK configuration from the environment (region, credentials, endpoint override).
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
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

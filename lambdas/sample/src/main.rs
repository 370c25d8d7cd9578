//! Entry point of the sample Lambda: configuration, clients, then the library's handler.

use anyhow::Context;
use lambda_runtime::{run, service_fn, LambdaEvent};
use platform::failure::Failure;
use sample::{Evidence, SampleError};
use serde_json::Value;

struct BucketEvidence {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl Evidence for BucketEvidence {
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), SampleError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| SampleError::Evidence {
                key: key.to_string(),
                message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::logging::init_json();
    let env = platform::config::ProcessEnv;
    let bucket = platform::config::required(&env, "EVIDENCE_BUCKET")?;
    let function_name = platform::config::required(&env, "AWS_LAMBDA_FUNCTION_NAME")?;
    let sdk = platform::aws::load().await;
    let evidence = BucketEvidence {
        s3: platform::aws::s3_client(&sdk),
        bucket,
    };
    let (evidence, function_name) = (&evidence, function_name.as_str());
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        sample::handle(event.payload, function_name, evidence)
            .await
            .map_err(Failure::from)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("lambda runtime")
}

//! The AWS side every subcommand shares: SDK configuration, credentials checked up front, and the
//! host stack's outputs, each failure named in the operator's terms.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context as _};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use tokio::sync::OnceCell;

/// What to tell an operator whose credentials cannot be found.
pub const NO_CREDENTIALS: &str = "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID and \
AWS_SECRET_ACCESS_KEY, or log in (aws sso login) (offline: eval \"$(target/debug/offline emulator start)\")";

/// A connection to one deployment: its SDK configuration and its stack.
pub struct Context {
    /// The SDK configuration (credentials resolved at least once).
    pub config: SdkConfig,
    /// The host stack's name.
    pub stack: String,
    /// The region of the stack.
    pub region: String,
    outputs: OnceCell<BTreeMap<String, String>>,
}

impl Context {
    /// Loads the standard AWS configuration (with `region` and `profile` when given; the endpoint
    /// from `AWS_ENDPOINT_URL`) and checks that it has a region and credentials.
    pub async fn connect(
        stack: &str,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> anyhow::Result<Self> {
        let config = if region.is_none() && profile.is_none() {
            platform::aws::load().await
        } else {
            let mut loader = aws_config::defaults(BehaviorVersion::latest());
            if let Some(profile) = profile {
                loader = loader.profile_name(profile);
            }
            if let Some(region) = region {
                loader = loader.region(Region::new(region.to_string()));
            }
            loader.load().await
        };
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            anyhow!("no AWS region: pass --region, or set AWS_REGION or the profile's region")
        })?;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| anyhow!(NO_CREDENTIALS))?;
        if let Err(err) = provider.provide_credentials().await {
            bail!("{NO_CREDENTIALS}\n  (the SDK said: {})", sdk_message(&err));
        }
        Ok(Self {
            config,
            stack: stack.to_string(),
            region,
            outputs: OnceCell::new(),
        })
    }

    /// The stack's outputs, read once.
    pub async fn outputs(&self) -> anyhow::Result<&BTreeMap<String, String>> {
        self.outputs.get_or_try_init(|| self.read_outputs()).await
    }

    /// One output of the stack, which must exist.
    pub async fn output(&self, key: &str) -> anyhow::Result<String> {
        self.outputs().await?.get(key).cloned().ok_or_else(|| {
            anyhow!(
                "stack `{}` in region `{}` has no output `{key}`: is it a deployment of template.yaml?",
                self.stack,
                self.region
            )
        })
    }

    async fn read_outputs(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let client = aws_sdk_cloudformation::Client::new(&self.config);
        let answer = match client
            .describe_stacks()
            .stack_name(&self.stack)
            .send()
            .await
        {
            Ok(answer) => answer,
            Err(err) if is_missing_stack(err.code(), err.message()) => return Err(self.no_stack()),
            Err(err) => {
                return Err(anyhow!(sdk_message(&err))).with_context(|| {
                    format!("describe stack `{}` in `{}`", self.stack, self.region)
                })
            }
        };
        let stack = answer.stacks().first().ok_or_else(|| self.no_stack())?;
        Ok(stack
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
            .collect())
    }

    fn no_stack(&self) -> anyhow::Error {
        anyhow!(
            "no stack `{}` in region `{}`: deploy template.yaml there or pass --stack/--region",
            self.stack,
            self.region
        )
    }

    /// Step Functions.
    pub fn sfn(&self) -> aws_sdk_sfn::Client {
        aws_sdk_sfn::Client::new(&self.config)
    }

    /// DynamoDB.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.config)
    }

    /// S3 (path-style when an endpoint is set, as every client of this workspace).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        platform::aws::s3_client(&self.config)
    }
}

/// True when CloudFormation's answer means the stack does not exist (`ValidationError` "Stack
/// with id X does not exist").
fn is_missing_stack(code: Option<&str>, message: Option<&str>) -> bool {
    code == Some("ValidationError") && message.is_some_and(|m| m.contains("does not exist"))
}

/// An error and its sources, `: `-separated (each once), for messages.
pub fn sdk_message(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_stack_is_recognised() {
        assert!(is_missing_stack(
            Some("ValidationError"),
            Some("Stack with id nosuch does not exist")
        ));
        assert!(!is_missing_stack(Some("ValidationError"), Some("bad name")));
        assert!(!is_missing_stack(Some("AccessDenied"), None));
    }
}

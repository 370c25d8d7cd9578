//! CloudFormation in one region, as the staging stacks use it.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::{Parameter, Tag};

use super::STAGING_STACK_TEMPLATE;
use crate::error::{error_code, sdk_error, FunctionError};

/// CloudFormation in one region, for its staging stack.
pub(super) struct CloudFormation {
    cfn: aws_sdk_cloudformation::Client,
    region: String,
}

impl CloudFormation {
    /// CloudFormation in `region` (`config` is the function's configuration there).
    pub(super) fn new(config: &SdkConfig, region: &str) -> Self {
        Self {
            cfn: aws_sdk_cloudformation::Client::new(config),
            region: region.to_string(),
        }
    }

    /// Creates `stack` for `run_id` with `parameters`, as `role_arn`; a stack that exists already
    /// is left as it is.
    pub(super) async fn create(
        &self,
        stack: &str,
        run_id: &str,
        role_arn: &str,
        parameters: Vec<(String, String)>,
    ) -> Result<(), FunctionError> {
        let parameters = parameters
            .into_iter()
            .map(|(key, value)| {
                Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build()
            })
            .collect();
        let answer = self
            .cfn
            .create_stack()
            .stack_name(stack)
            .template_body(STAGING_STACK_TEMPLATE)
            .role_arn(role_arn)
            .set_parameters(Some(parameters))
            .tags(Tag::builder().key("s3insights:run").value(run_id).build())
            .send()
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(err) if error_code(&err) == Some("AlreadyExistsException") => Ok(()),
            Err(err) => Err(sdk_error(
                format!("create stack {stack} in {}", self.region),
                err,
            )),
        }
    }

    /// Asks CloudFormation to delete `stack`, as `role_arn`.
    pub(super) async fn delete(&self, stack: &str, role_arn: &str) -> Result<(), FunctionError> {
        self.cfn
            .delete_stack()
            .stack_name(stack)
            .role_arn(role_arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| sdk_error(format!("delete stack {stack} in {}", self.region), err))
    }

    /// The stack's status and status reason, `None` when it does not exist.
    pub(super) async fn status(
        &self,
        stack: &str,
    ) -> Result<Option<(String, String)>, FunctionError> {
        match self.cfn.describe_stacks().stack_name(stack).send().await {
            Ok(answer) => Ok(answer.stacks().first().and_then(|s| {
                s.stack_status().map(|status| {
                    (
                        status.as_str().to_string(),
                        s.stack_status_reason().unwrap_or_default().to_string(),
                    )
                })
            })),
            Err(err)
                if error_code(&err) == Some("ValidationError")
                    && platform::sdk_error::short(&err).contains("does not exist") =>
            {
                Ok(None)
            }
            Err(err) => Err(sdk_error(
                format!("describe stack {stack} in {}", self.region),
                err,
            )),
        }
    }

    /// The first failed resource's reason (events come newest first), for a stack that did not
    /// create or delete.
    pub(super) async fn failure_reason(&self, stack: &str) -> Option<String> {
        let events = self
            .cfn
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .ok()?;
        events
            .stack_events()
            .iter()
            .rev()
            .find(|e| {
                e.resource_status()
                    .is_some_and(|s| s.as_str().ends_with("_FAILED"))
            })
            .map(|e| {
                format!(
                    "{} {}: {}",
                    e.logical_resource_id().unwrap_or_default(),
                    e.resource_status().map(|s| s.as_str()).unwrap_or_default(),
                    e.resource_status_reason().unwrap_or_default()
                )
            })
    }
}

//! Deploy a template into the local AWS as `sam deploy` deploys it into AWS: package, then create or
//! update the CloudFormation stack (the SAM transform runs in the local AWS) and wait for it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
use serde_json::Value;

use crate::package::{self, BuildOptions, PackageError};
use crate::paths::Workspace;
use crate::sdk::Target;
use crate::template::{self, TemplateError};

/// The stack `offline deploy` creates from `template.yaml` unless told otherwise.
pub const DEFAULT_STACK: &str = "platform";

/// The template parameters of every offline deployment: the same template as AWS, with seconds
/// where AWS uses minutes (function timeouts, queue visibility, retry intervals).
pub const OFFLINE_PARAMETERS: &[(&str, &str)] = &[
    ("FunctionTimeoutSeconds", "5"),
    ("QueueVisibilityTimeoutSeconds", "1"),
    ("TaskRetryIntervalSeconds", "1"),
    ("ExternalId", OFFLINE_EXTERNAL_ID),
    ("HarvesterFunctionTimeoutSeconds", "60"),
    ("InventoryQueueVisibilityTimeoutSeconds", "10"),
    ("InventoryQueueMaxReceiveCount", "2"),
    ("MonitorIntervalSeconds", "1"),
    ("StackPollSeconds", "1"),
    // Historical: polls are not spread over a quarter of an hour, and the poller visits the host
    // and the two member accounts the tests and the demo use.
    ("PollJitterSeconds", "0"),
    ("HistoricalQueueVisibilityTimeoutSeconds", "3"),
    ("HistoricalQueueMaxReceiveCount", "2"),
    (
        "HistoricalAccounts",
        "000000000000,111111111111,222222222222",
    ),
    // The primary region handles these regions' resources, as with off-region forwarders.
    (
        "HistoricalPollRegions",
        "us-east-1,us-east-2,eu-west-1,eu-west-2",
    ),
    (
        "HistoricalProxyRegions",
        "us-east-1,us-east-2,eu-west-1,eu-west-2",
    ),
];

/// The ExternalId of offline deployments: `template.yaml` and every member account's
/// `cross-account-role.yaml` are deployed with it.
pub const OFFLINE_EXTERNAL_ID: &str = "offline-external-id";

/// Deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The template could not be read.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Building or uploading failed.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// A CloudFormation or S3 call failed.
    #[error("{action}: {message}")]
    Api {
        /// What was being done.
        action: String,
        /// What the service answered.
        message: String,
    },
    /// The stack ended in a failed state.
    #[error("stack {stack} ended {status}: {reasons}")]
    Failed {
        /// Stack name.
        stack: String,
        /// Final status.
        status: String,
        /// The failed resources and why.
        reasons: String,
    },
    /// The stack has no such logical resource.
    #[error("stack {stack} has no resource {logical_id}")]
    NoSuchResource {
        /// Stack.
        stack: String,
        /// Logical id.
        logical_id: String,
    },
}

fn api<E: std::error::Error + 'static>(action: impl Into<String>) -> impl FnOnce(E) -> DeployError {
    let action = action.into();
    move |e| DeployError::Api {
        action,
        message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
    }
}

/// What to deploy where.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    /// Template file, relative to the workspace.
    pub template: String,
    /// Stack name.
    pub stack: String,
    /// Template parameter overrides.
    pub parameters: BTreeMap<String, String>,
    /// Build options for the Lambda binaries.
    pub build: BuildOptions,
}

impl DeployRequest {
    /// `template` as stack `stack` with [`OFFLINE_PARAMETERS`], as the demo and the tests deploy it.
    pub fn offline(template: &str, stack: &str, build: BuildOptions) -> Self {
        Self {
            template: template.into(),
            stack: stack.into(),
            parameters: OFFLINE_PARAMETERS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            build,
        }
    }
}

/// The artefact bucket of `account` in `region` (what `sam deploy --resolve-s3` creates in AWS: one
/// per region, since Lambda takes code only from a bucket in its own region).
pub fn artifact_bucket(account: &str, region: &str) -> String {
    format!("offline-artifacts-{account}-{region}")
}

async fn ensure_bucket(target: &Target, bucket: &str) -> Result<(), DeployError> {
    let s3 = target.s3();
    if s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    // us-east-1 takes no location constraint; every other region requires its own.
    let location = (target.region != "us-east-1").then(|| {
        aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                target.region.as_str(),
            ))
            .build()
    });
    s3.create_bucket()
        .bucket(bucket)
        .set_create_bucket_configuration(location)
        .send()
        .await
        .map_err(api(format!("create artefact bucket {bucket}")))?;
    Ok(())
}

/// The largest template CloudFormation accepts inline (`TemplateBody`), in bytes.
const TEMPLATE_BODY_MAX_BYTES: usize = 51_200;

/// How a stack is handed its template.
enum Template {
    /// Inline.
    Body(String),
    /// An S3 URL.
    Url(String),
}

impl Template {
    fn body(&self) -> Option<String> {
        match self {
            Template::Body(body) => Some(body.clone()),
            Template::Url(_) => None,
        }
    }

    fn url(&self) -> Option<String> {
        match self {
            Template::Url(url) => Some(url.clone()),
            Template::Body(_) => None,
        }
    }
}

/// Package and deploy; idempotent (an unchanged template and unchanged binaries change nothing).
/// Returns the stack's outputs.
pub async fn deploy(
    workspace: &Workspace,
    target: &Target,
    request: &DeployRequest,
) -> Result<BTreeMap<String, String>, DeployError> {
    let path = workspace.resolve(&request.template);
    let source = template::load(&path)?;
    let bucket = artifact_bucket(&target.account, &target.region);
    ensure_bucket(target, &bucket).await?;
    // The template's own paths (CodeUri, DefinitionUri) are relative to its directory, as in SAM.
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let packaged = package::package(&source, base_dir, target, &bucket, request.build).await?;
    // As `sam deploy` does, a packaged template larger than an inline body may be (51,200 bytes,
    // CloudFormation quotas) goes to the artefact bucket and the stack reads it from there
    // (TemplateURL, up to 1,000,000 bytes); a smaller one is sent inline.
    let body = serde_json::to_vec(&packaged).unwrap_or_default();
    let template = if body.len() > TEMPLATE_BODY_MAX_BYTES {
        let key =
            package::upload(target, &bucket, "templates", &request.stack, "json", body).await?;
        Template::Url(format!(
            "https://s3.{}.amazonaws.com/{bucket}/{key}",
            target.region
        ))
    } else {
        Template::Body(String::from_utf8(body).unwrap_or_default())
    };
    let cfn = target.cloudformation();
    let parameters: Vec<Parameter> = effective_parameters(&source, target, &request.parameters)
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    let capabilities = [
        Capability::CapabilityIam,
        Capability::CapabilityNamedIam,
        Capability::CapabilityAutoExpand,
    ];
    let status = stack_status(target, &request.stack).await?;
    let exists = status.as_ref().is_some_and(|s| {
        !matches!(
            s,
            StackStatus::RollbackComplete | StackStatus::DeleteComplete
        )
    });
    if !exists {
        // A stack whose creation rolled back can only be deleted, as in AWS.
        if status == Some(StackStatus::RollbackComplete) {
            cfn.delete_stack()
                .stack_name(&request.stack)
                .send()
                .await
                .map_err(api(format!("delete rolled-back stack {}", request.stack)))?;
            wait(target, &request.stack).await?;
        }
        cfn.create_stack()
            .stack_name(&request.stack)
            .set_template_body(template.body())
            .set_template_url(template.url())
            .set_parameters(Some(parameters))
            .set_capabilities(Some(capabilities.to_vec()))
            .send()
            .await
            .map_err(api(format!("create stack {}", request.stack)))?;
    } else {
        let update = cfn
            .update_stack()
            .stack_name(&request.stack)
            .set_template_body(template.body())
            .set_template_url(template.url())
            .set_parameters(Some(parameters))
            .set_capabilities(Some(capabilities.to_vec()))
            .send()
            .await;
        if let Err(e) = update {
            let message = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
            if !message.contains("No updates are to be performed") {
                return Err(DeployError::Api {
                    action: format!("update stack {}", request.stack),
                    message,
                });
            }
        }
    }
    wait(target, &request.stack).await?;
    outputs(target, &request.stack).await
}

async fn stack_status(target: &Target, stack: &str) -> Result<Option<StackStatus>, DeployError> {
    match target
        .cloudformation()
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
    {
        Ok(answer) => Ok(answer
            .stacks()
            .first()
            .and_then(|s| s.stack_status().cloned())),
        Err(e) => {
            let message = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
            if message.contains("does not exist") {
                Ok(None)
            } else {
                Err(DeployError::Api {
                    action: format!("describe stack {stack}"),
                    message,
                })
            }
        }
    }
}

/// Wait until `stack` leaves every `*_IN_PROGRESS` state; a failed or rolled-back end is an error
/// listing each failed resource and its reason.
pub async fn wait(target: &Target, stack: &str) -> Result<(), DeployError> {
    loop {
        let Some(status) = stack_status(target, stack).await? else {
            return Ok(()); // deleted
        };
        let name = status.as_str().to_string();
        if name.ends_with("_IN_PROGRESS") {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        if name.ends_with("_COMPLETE") && !name.contains("ROLLBACK") {
            return Ok(());
        }
        return Err(DeployError::Failed {
            stack: stack.to_string(),
            status: name,
            reasons: failure_reasons(target, stack).await,
        });
    }
}

async fn failure_reasons(target: &Target, stack: &str) -> String {
    let Ok(events) = target
        .cloudformation()
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
    else {
        return "no stack events".into();
    };
    let reasons: Vec<String> = events
        .stack_events()
        .iter()
        .filter(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .map(|e| {
            format!(
                "{} ({}): {}",
                e.logical_resource_id().unwrap_or("?"),
                e.resource_type().unwrap_or("?"),
                e.resource_status_reason().unwrap_or("no reason given")
            )
        })
        .collect();
    if reasons.is_empty() {
        "no failed resource reported".into()
    } else {
        reasons.join("; ")
    }
}

/// The stack's Outputs, by key.
pub async fn outputs(
    target: &Target,
    stack: &str,
) -> Result<BTreeMap<String, String>, DeployError> {
    let answer = target
        .cloudformation()
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(api(format!("describe stack {stack}")))?;
    Ok(answer
        .stacks()
        .first()
        .map(|s| {
            s.outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
                .collect()
        })
        .unwrap_or_default())
}

/// The physical id of `logical_id` in `stack` (a state machine ARN, a function name, a queue URL).
pub async fn physical_id(
    target: &Target,
    stack: &str,
    logical_id: &str,
) -> Result<String, DeployError> {
    let answer = target
        .cloudformation()
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(api(format!("describe resources of stack {stack}")))?;
    answer
        .stack_resources()
        .iter()
        .find(|r| r.logical_resource_id() == Some(logical_id))
        .and_then(|r| r.physical_resource_id().map(str::to_string))
        .ok_or_else(|| DeployError::NoSuchResource {
            stack: stack.into(),
            logical_id: logical_id.into(),
        })
}

/// Parse `KEY=VALUE` template parameter overrides.
pub fn parse_parameters(pairs: &[String]) -> Result<BTreeMap<String, String>, String> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("parameter override {p:?} is not KEY=VALUE"))
        })
        .collect()
}

/// The parameters a deployment passes: the offline values ([`OFFLINE_PARAMETERS`], and the host
/// account for a `HostAccountId` parameter) for every parameter the template declares, overridden by
/// the request's. Parameters the template does not declare are passed only when asked for, so
/// CloudFormation names the mistake.
pub fn effective_parameters(
    template: &serde_json::Value,
    target: &Target,
    requested: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let declared = template["Parameters"].as_object();
    let declares = |name: &str| declared.is_some_and(|d| d.contains_key(name));
    let mut out: BTreeMap<String, String> = OFFLINE_PARAMETERS
        .iter()
        .filter(|(k, _)| declares(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if declares("HostAccountId") && target.account != crate::sdk::HOST_ACCOUNT {
        out.insert("HostAccountId".into(), crate::sdk::HOST_ACCOUNT.into());
    }
    out.extend(requested.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// The default stack name for a template file: `platform` for `template.yaml`, else the file stem.
pub fn default_stack_name(template: &str) -> String {
    let stem = Path::new(template)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(DEFAULT_STACK);
    if stem == "template" {
        DEFAULT_STACK.into()
    } else {
        stem.into()
    }
}

/// JSON for `offline outputs`.
pub fn outputs_json(outputs: &BTreeMap<String, String>) -> Value {
    serde_json::to_value(outputs).unwrap_or(Value::Null)
}

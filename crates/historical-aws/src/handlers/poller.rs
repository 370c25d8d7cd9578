//! The Poller: each poll task lists one technology in one account and region (every page) and
//! queues one poll event per resource for the collector (`historical::poll::poll_event`). Events
//! are sent in batches with failed-entry retries and a random delay of up to
//! `POLL_JITTER_SECONDS`.

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::Utc;
use historical::poll::{poll_event, PollTask};
use platform::config::{self, ConfigError, Lookup};
use platform::roles::RoleAssumer;
use platform::serve::FromEnv;
use tracing::info;

use crate::describe::{AccountClients, AwsDescriber, Describe};
use crate::error::{failed_message, FunctionError};
use crate::settings::member_roles;
use platform::outbox::{self, jitter, send_every, Outgoing};

/// The poller's configuration and clients.
pub struct Config {
    roles: RoleAssumer,
    sqs: aws_sdk_sqs::Client,
    poll_queue_url: String,
    jitter_seconds: u32,
}

impl Config {
    /// The variables [`FromEnv::from_env`] reads: exactly the function's template `Environment`.
    pub const VARIABLES: &'static [&'static str] = &[
        "DEPLOYMENT_NAME",
        "EXTERNAL_ID",
        "HOST_ACCOUNT_ID",
        "POLL_QUEUE_URL",
        "POLL_JITTER_SECONDS",
    ];
}

impl FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            roles: member_roles(env, sdk, "poller")?,
            sqs: aws_sdk_sqs::Client::new(sdk),
            poll_queue_url: config::required(env, "POLL_QUEUE_URL")?,
            jitter_seconds: config::parsed_or(
                env,
                "POLL_JITTER_SECONDS",
                outbox::MAX_DELAY_SECONDS,
            )?,
        })
    }
}

async fn poll(ctx: &Config, task: &PollTask) -> Result<usize, FunctionError> {
    let config = ctx
        .roles
        .config_for_region(&task.account, &task.region)
        .await?;
    let clients = AccountClients::new(&task.account, &config);
    let listed = AwsDescriber::new(task.tech)
        .list(&clients, &task.region)
        .await?;
    let now = Utc::now();
    let messages: Vec<Outgoing> = listed
        .iter()
        .map(|l| {
            let id = uuid::Uuid::new_v4().to_string();
            Outgoing {
                body: poll_event(task.tech, &task.account, l, now, &id).to_string(),
                delay_seconds: jitter(ctx.jitter_seconds),
            }
        })
        .collect();
    send_every(&ctx.sqs, &ctx.poll_queue_url, &messages).await?;
    Ok(listed.len())
}

/// Lists each task's resources and queues their poll events; a failed task is reported as a
/// batch item failure (retried, then parked in the DLQ), the others are not affected.
pub async fn handle(
    ctx: &'static Config,
    event: SqsEvent,
) -> Result<SqsBatchResponse, FunctionError> {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let outcome = match serde_json::from_str::<PollTask>(record.body.as_deref().unwrap_or("")) {
            Err(e) => Err(FunctionError::invalid(&id, format!("not a poll task: {e}"))),
            Ok(task) => poll(ctx, &task).await.map(|n| (task, n)),
        };
        match outcome {
            Ok((task, n)) => {
                info!(tech = %task.tech, account = %task.account, region = %task.region, resources = n, "polled")
            }
            Err(e) => response.batch_item_failures.push(failed_message(id, &e)),
        }
    }
    Ok(response)
}

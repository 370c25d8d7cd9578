//! The Poller Tasker: on its schedule, one poll task per technology, account and region
//! (`historical::poll::plan`), sent to the poller task queue with a random delay of up to
//! `POLL_JITTER_SECONDS` (at most 900), so a large estate is polled over a quarter of an hour
//! instead of all at once. A manual invocation may narrow the run
//! (`historical::poll::TaskerRequest`): `{"technologies": ["vpc"], "accounts": ["111122223333"]}`.

use aws_config::SdkConfig;
use historical::poll::{plan, TaskerRequest};
use historical::Technology;
use platform::config::{self, ConfigError, Lookup};
use platform::serve::FromEnv;
use serde::Serialize;
use tracing::info;

use crate::accounts::{accounts, AccountSource};
use crate::error::FunctionError;
use crate::settings::{list, own_region, TableNames};
use platform::outbox::{self, jitter, send_every, Outgoing};

/// What the tasker queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskerSummary {
    /// Accounts visited.
    pub accounts: usize,
    /// Tasks queued.
    pub tasks: usize,
}

/// The tasker's configuration and clients.
pub struct Config {
    sdk: SdkConfig,
    sqs: aws_sdk_sqs::Client,
    source: AccountSource,
    technologies: Vec<Technology>,
    regions: Vec<String>,
    own_region: String,
    queue_url: String,
    jitter_seconds: u32,
}

impl Config {
    /// The variables [`FromEnv::from_env`] reads: exactly the function's template `Environment`
    /// (every account source's, whichever `ACCOUNT_SOURCE` chooses).
    pub const VARIABLES: &'static [&'static str] = &[
        "CURRENT_TABLES",
        "POLL_REGIONS",
        "POLLER_TASK_QUEUE_URL",
        "POLL_JITTER_SECONDS",
        "ACCOUNT_SOURCE",
        "ENABLED_ACCOUNTS",
        "SWAG_BUCKET",
        "SWAG_DATA_FILE",
        "SWAG_REGION",
        "SWAG_OWNER",
        "TEST_ACCOUNTS_ONLY",
    ];
}

impl FromEnv for Config {
    fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let own_region = own_region(sdk);
        let mut regions = list(env, "POLL_REGIONS");
        if regions.is_empty() {
            regions.push(own_region.clone());
        }
        Ok(Self {
            sdk: sdk.clone(),
            sqs: aws_sdk_sqs::Client::new(sdk),
            source: AccountSource::from_env(env)?,
            technologies: TableNames::from_env(env, "CURRENT_TABLES")?
                .technologies()
                .collect(),
            regions,
            own_region,
            queue_url: config::required(env, "POLLER_TASK_QUEUE_URL")?,
            jitter_seconds: config::parsed_or(
                env,
                "POLL_JITTER_SECONDS",
                outbox::MAX_DELAY_SECONDS,
            )?,
        })
    }
}

/// Queues this poll's tasks.
pub async fn handle(
    ctx: &'static Config,
    request: TaskerRequest,
) -> Result<TaskerSummary, FunctionError> {
    let technologies = request.technologies(&ctx.technologies);
    let accounts = match request.accounts {
        Some(accounts) => accounts,
        None => accounts(&ctx.source, &ctx.sdk).await?,
    };
    let tasks = plan(&technologies, &accounts, &ctx.regions, &ctx.own_region);
    let messages: Vec<Outgoing> = tasks
        .iter()
        .map(|task| Outgoing {
            body: serde_json::to_string(task).unwrap_or_default(),
            delay_seconds: jitter(ctx.jitter_seconds),
        })
        .collect();
    send_every(&ctx.sqs, &ctx.queue_url, &messages).await?;
    info!(
        source = ctx.source.name(),
        accounts = accounts.len(),
        tasks = tasks.len(),
        "poll tasks queued"
    );
    Ok(TaskerSummary {
        accounts: accounts.len(),
        tasks: tasks.len(),
    })
}

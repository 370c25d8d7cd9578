//! The Poller Tasker: on its schedule, one poll task per technology, account and region.
//!
//! Account-wide technologies (S3 buckets, IAM roles) get one task per account; regional ones
//! (security groups, VPCs) one per account and `POLL_REGIONS` region. Tasks go to the poller task
//! queue with a random delay of up to `POLL_JITTER_SECONDS` (at most 900), so a large estate is
//! polled over a quarter of an hour instead of all at once. A manual invocation may narrow the
//! run: `{"technologies": ["vpc"], "accounts": ["111122223333"]}`.

use aws_config::SdkConfig;
use historical::Technology;
use platform::config::{self, ConfigError, Lookup};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::accounts::{accounts, AccountSource};
use super::entry::FromEnv;
use super::outbox::{self, jitter, send_all, Outgoing};
use super::settings::{list, own_region, TableNames};
use super::FunctionError;
use crate::describe::GLOBAL_REGION;

/// One listing for the poller: one technology in one account and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollTask {
    /// The technology to list.
    pub tech: Technology,
    /// The member account.
    pub account: String,
    /// The region listed (for account-wide technologies, the region the listing is made from).
    pub region: String,
}

/// What a manual invocation may narrow; a scheduled event carries neither field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TaskerRequest {
    /// Only these technologies.
    #[serde(default)]
    pub technologies: Option<Vec<Technology>>,
    /// Only these accounts (instead of the account source).
    #[serde(default)]
    pub accounts: Option<Vec<String>>,
}

/// What the tasker queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskerSummary {
    /// Accounts visited.
    pub accounts: usize,
    /// Tasks queued.
    pub tasks: usize,
}

/// Whether a technology is listed once per region (else once per account).
pub fn is_regional(tech: Technology) -> bool {
    matches!(tech, Technology::SecurityGroup | Technology::Vpc)
}

/// The tasks of one poll.
pub fn plan(
    technologies: &[Technology],
    accounts: &[String],
    regions: &[String],
    own_region: &str,
) -> Vec<PollTask> {
    let mut tasks = Vec::new();
    for account in accounts {
        for &tech in technologies {
            let task_regions: Vec<String> = match tech {
                t if is_regional(t) => regions.to_vec(),
                Technology::IamRole => vec![GLOBAL_REGION.to_string()],
                _ => vec![own_region.to_string()],
            };
            tasks.extend(task_regions.into_iter().map(|region| PollTask {
                tech,
                account: account.clone(),
                region,
            }));
        }
    }
    tasks
}

/// The tasker's configuration and clients.
pub struct PollerTasker {
    sdk: SdkConfig,
    sqs: aws_sdk_sqs::Client,
    source: AccountSource,
    technologies: Vec<Technology>,
    regions: Vec<String>,
    own_region: String,
    queue_url: String,
    jitter_seconds: u32,
}

impl FromEnv for PollerTasker {
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
    ctx: &'static PollerTasker,
    request: TaskerRequest,
) -> Result<TaskerSummary, FunctionError> {
    let accounts = match request.accounts {
        Some(accounts) => accounts,
        None => accounts(&ctx.source, &ctx.sdk).await?,
    };
    let technologies: Vec<Technology> = match request.technologies {
        Some(only) => ctx
            .technologies
            .iter()
            .copied()
            .filter(|t| only.contains(t))
            .collect(),
        None => ctx.technologies.clone(),
    };
    let tasks = plan(&technologies, &accounts, &ctx.regions, &ctx.own_region);
    let messages: Vec<Outgoing> = tasks
        .iter()
        .map(|task| Outgoing {
            body: serde_json::to_string(task).unwrap_or_default(),
            delay_seconds: jitter(ctx.jitter_seconds),
        })
        .collect();
    let not_sent = send_all(&ctx.sqs, &ctx.queue_url, &messages).await;
    if !not_sent.is_empty() {
        return Err(FunctionError::Send {
            queue: ctx.queue_url.clone(),
            failed: not_sent.len(),
            detail: outbox::describe(&not_sent),
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_technologies_get_a_task_per_region() {
        let accounts = vec!["111111111111".to_string(), "222222222222".to_string()];
        let regions = vec!["eu-west-1".to_string(), "us-west-2".to_string()];
        let tasks = plan(&Technology::ALL, &accounts, &regions, "eu-west-1");
        // per account: s3 once, sg twice, vpc twice, iam once
        assert_eq!(tasks.len(), 12);
        let first: Vec<_> = tasks[..6]
            .iter()
            .map(|t| (t.tech.id(), t.region.as_str()))
            .collect();
        assert_eq!(
            first,
            vec![
                ("s3", "eu-west-1"),
                ("securitygroup", "eu-west-1"),
                ("securitygroup", "us-west-2"),
                ("vpc", "eu-west-1"),
                ("vpc", "us-west-2"),
                ("iamrole", "us-east-1"),
            ]
        );
        assert!(tasks[6..].iter().all(|t| t.account == "222222222222"));
    }

    #[test]
    fn scheduled_events_and_narrowed_runs_both_read() {
        let scheduled: TaskerRequest = serde_json::from_str(
            r#"{"version":"0","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#,
        )
        .unwrap();
        assert_eq!(scheduled, TaskerRequest::default());
        let narrowed: TaskerRequest =
            serde_json::from_str(r#"{"technologies":["vpc"],"accounts":["111111111111"]}"#)
                .unwrap();
        assert_eq!(narrowed.technologies, Some(vec![Technology::Vpc]));
        assert!(serde_json::from_str::<TaskerRequest>(r#"{"technologies":["ec2"]}"#).is_err());
    }
}

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

/// What a manual invocation may narrow; the schedule's event narrows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskerRequest {
    /// Only these technologies.
    pub technologies: Option<Vec<Technology>>,
    /// Only these accounts (instead of the account source): 12-digit account ids.
    pub accounts: Option<Vec<String>>,
}

/// The fields of a manual invocation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualRequest {
    #[serde(default)]
    technologies: Option<Vec<Technology>>,
    #[serde(default)]
    accounts: Option<Vec<String>>,
}

/// The tasker reads the schedule's EventBridge event (`source` `aws.events`, `detail-type`
/// `Scheduled Event`), or a manual invocation: `{}` or `{"technologies": [...], "accounts":
/// [...]}`. Anything else is refused with the field named (`UndecodableEvent`), never read as "poll
/// every account".
impl<'de> Deserialize<'de> for TaskerRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let object = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        if object.contains_key("source") || object.contains_key("detail-type") {
            let scheduled = object.get("source").and_then(|v| v.as_str()) == Some("aws.events")
                && object.get("detail-type").and_then(|v| v.as_str()) == Some("Scheduled Event");
            return if scheduled {
                Ok(Self::default())
            } else {
                Err(D::Error::custom(
                    "an EventBridge event must be a scheduled one (source \"aws.events\", \
                     detail-type \"Scheduled Event\")",
                ))
            };
        }
        let manual: ManualRequest =
            serde_json::from_value(serde_json::Value::Object(object)).map_err(D::Error::custom)?;
        for account in manual.accounts.iter().flatten() {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(D::Error::custom(format!(
                    "accounts: {account:?} is not a 12-digit AWS account id"
                )));
            }
        }
        Ok(Self {
            technologies: manual.technologies,
            accounts: manual.accounts,
        })
    }
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

    fn request(text: &str) -> Result<TaskerRequest, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_schedule_and_a_narrowed_poll_are_read_and_anything_else_refused() {
        let scheduled = r#"{"version": "0", "id": "x", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123456789012:rule/r"],
            "detail": {}}"#;
        assert_eq!(request(scheduled), Ok(TaskerRequest::default()));
        assert_eq!(request("{}"), Ok(TaskerRequest::default()));
        let narrowed = request(r#"{"technologies": ["vpc"], "accounts": ["111122223333"]}"#);
        assert_eq!(
            narrowed,
            Ok(TaskerRequest {
                technologies: Some(vec![Technology::Vpc]),
                accounts: Some(vec!["111122223333".into()]),
            })
        );
        for (bad, says) in [
            (r#"{"version": "x"}"#, "unknown field `version`"),
            (
                r#"{"source": "aws.s3", "detail-type": "Scheduled Event"}"#,
                "scheduled one",
            ),
            (
                r#"{"accounts": ["x"]}"#,
                "\"x\" is not a 12-digit AWS account id",
            ),
            (r#"{"technologies": ["nope"]}"#, "unknown variant"),
            ("[]", "expected a map"),
        ] {
            let err = request(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

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
}

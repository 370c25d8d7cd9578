//! The Poller: each poll task lists one technology in one account and region (every page) and
//! queues one synthetic poll event per resource for the collector, in the CloudTrail event's shape
//! (`detail-type: Poller`, `eventName: PollS3`, ...). When the listing already described the
//! resource (security groups), the description rides along as `detail.collected`, so the collector
//! does not call AWS again. Events are sent in batches with failed-entry retries and a random delay
//! of up to `POLL_JITTER_SECONDS`.

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use historical::differ::format_event_time;
use historical::Technology;
use platform::config::{self, ConfigError, Lookup};
use platform::roles::RoleAssumer;
use serde_json::{json, Value};
use tracing::info;

use super::entry::FromEnv;
use super::outbox::{self, jitter, send_all, Outgoing};
use super::poller_tasker::PollTask;
use super::settings::member_roles;
use super::{failed_message, FunctionError};
use crate::describe::{AccountClients, AwsDescriber, Describe, Listed};

/// Poll events larger than this leave their description out (the collector describes instead).
pub const COLLECTED_LIMIT: usize = 200_000;

/// The poller's configuration and clients.
pub struct Poller {
    roles: RoleAssumer,
    sqs: aws_sdk_sqs::Client,
    poll_queue_url: String,
    jitter_seconds: u32,
}

impl FromEnv for Poller {
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

/// The `requestParameters` key naming a resource of `tech`, as its CloudTrail events do.
pub fn id_parameter(tech: Technology) -> &'static str {
    match tech {
        Technology::S3 => "bucketName",
        Technology::SecurityGroup => "groupId",
        Technology::Vpc => "vpcId",
        Technology::IamRole => "roleName",
    }
}

/// The synthetic poll event of one listed resource, polled at `now`.
pub fn poll_event(tech: Technology, account: &str, listed: &Listed, now: DateTime<Utc>) -> Value {
    let rules = tech.rules();
    let time = format_event_time(now);
    let mut parameters = json!({ id_parameter(tech): listed.id });
    if let Some(created) = &listed.created {
        parameters["creationDate"] = json!(created);
    }
    let mut event = json!({
        "version": "1",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Poller",
        "source": "historical",
        "account": account,
        "time": time,
        "region": listed.region,
        "resources": [],
        "detail": {
            "eventTime": time,
            "eventSource": rules.poll_event_source(),
            "eventName": rules.poll_event_name(),
            "awsRegion": listed.region,
            "recipientAccountId": account,
            "requestParameters": parameters,
        }
    });
    if let Some(described) = &listed.described {
        event["detail"]["collected"] = json!(described);
        if event.to_string().len() > COLLECTED_LIMIT {
            if let Some(detail) = event["detail"].as_object_mut() {
                detail.remove("collected");
            }
        }
    }
    event
}

async fn poll(ctx: &Poller, task: &PollTask) -> Result<usize, FunctionError> {
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
        .map(|l| Outgoing {
            body: poll_event(task.tech, &task.account, l, now).to_string(),
            delay_seconds: jitter(ctx.jitter_seconds),
        })
        .collect();
    let not_sent = send_all(&ctx.sqs, &ctx.poll_queue_url, &messages).await;
    if !not_sent.is_empty() {
        return Err(FunctionError::Send {
            queue: ctx.poll_queue_url.clone(),
            failed: not_sent.len(),
            detail: outbox::describe(&not_sent),
        });
    }
    Ok(listed.len())
}

/// Lists each task's resources and queues their poll events; a failed task is reported as a
/// batch item failure (retried, then parked in the DLQ), the others are not affected.
pub async fn handle(
    ctx: &'static Poller,
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

#[cfg(test)]
mod tests {
    use super::*;
    use historical::event::{collect, CloudTrailEvent, Outcome};
    use historical::EventKind;

    #[test]
    fn poll_events_are_updates_the_collector_understands() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for tech in Technology::ALL {
            let listed = Listed {
                id: match tech {
                    Technology::S3 => "my-bucket".into(),
                    Technology::SecurityGroup => "sg-0123456789abcdef0".into(),
                    Technology::Vpc => "vpc-0123456789abcdef0".into(),
                    Technology::IamRole => "auditor".into(),
                },
                region: "eu-west-2".into(),
                created: Some("2024-01-01T00:00:00Z".into()),
                described: None,
            };
            let event = poll_event(tech, "111122223333", &listed, now);
            let event = CloudTrailEvent::from_json(&event.to_string()).unwrap();
            let Outcome::Apply(c) = collect(tech, &event, "us-east-1").unwrap() else {
                panic!("{tech}: ignored");
            };
            assert_eq!(c.kind, EventKind::Update, "{tech}");
            assert_eq!(c.account, "111122223333");
            assert_eq!(c.region, "eu-west-2");
            assert_eq!(c.resources.len(), 1);
            assert_eq!(c.resources[0].id, listed.id);
            assert_eq!(format_event_time(c.event_time), "2026-11-26T10:00:00Z");
            // other technologies ignore it
            for other in Technology::ALL.into_iter().filter(|o| *o != tech) {
                assert!(matches!(
                    collect(other, &event, "us-east-1").unwrap(),
                    Outcome::Ignore(_)
                ));
            }
        }
    }
}

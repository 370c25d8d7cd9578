//! Polling: what the poller tasker plans and what the poller sends.
//!
//! **Tasks** ([`plan`]): one [`PollTask`] per technology, account and region. Account-wide
//! technologies (S3 buckets, IAM roles) get one task per account; regional ones (security groups,
//! VPCs) one per account and poll region. The schedule's event polls every recorded technology of
//! every account; a manual invocation may narrow the run ([`TaskerRequest`]):
//! `{"technologies": ["vpc"], "accounts": ["111122223333"]}`.
//!
//! **Poll events** ([`poll_event`]): one synthetic event per listed resource, in the CloudTrail
//! event's shape (`detail-type: Poller`, `eventName: PollS3`, ...), which
//! [`crate::event::collect`] reads as an update. When the listing already described the resource
//! (security groups), the description rides along as `detail.collected`, so the collector does
//! not call AWS again, unless it would make the event larger than [`COLLECTED_LIMIT`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::differ::format_event_time;
use crate::resource::Listed;
use crate::tech::{Technology, GLOBAL_REGION};

/// Poll events larger than this leave their description out (the collector describes instead).
pub const COLLECTED_LIMIT: usize = 200_000;

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
/// [...]}`. Anything else is refused with the field named, never read as "poll every account".
impl<'de> Deserialize<'de> for TaskerRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let object = serde_json::Map::<String, Value>::deserialize(d)?;
        let Some(manual) =
            crate::event::scheduled_or_manual::<ManualRequest>(object).map_err(D::Error::custom)?
        else {
            return Ok(Self::default());
        };
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

impl TaskerRequest {
    /// The technologies this run polls: the `recorded` ones, narrowed to those the request names.
    pub fn technologies(&self, recorded: &[Technology]) -> Vec<Technology> {
        match &self.technologies {
            Some(only) => recorded
                .iter()
                .copied()
                .filter(|t| only.contains(t))
                .collect(),
            None => recorded.to_vec(),
        }
    }
}

/// Whether a technology is listed once per region (else once per account).
pub fn is_regional(tech: Technology) -> bool {
    matches!(tech, Technology::SecurityGroup | Technology::Vpc)
}

/// The tasks of one poll: per account, per technology, per region it is listed in (the poll
/// `regions` for regional technologies, [`GLOBAL_REGION`] for IAM roles, the tasker's own region
/// for S3, whose listing is account-wide).
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

/// The `requestParameters` key naming a resource of `tech`, as its CloudTrail events do.
pub fn id_parameter(tech: Technology) -> &'static str {
    match tech {
        Technology::S3 => "bucketName",
        Technology::SecurityGroup => "groupId",
        Technology::Vpc => "vpcId",
        Technology::IamRole => "roleName",
    }
}

/// The synthetic poll event `id` of one listed resource, polled at `now`.
pub fn poll_event(
    tech: Technology,
    account: &str,
    listed: &Listed,
    now: DateTime<Utc>,
    id: &str,
) -> Value {
    let rules = tech.rules();
    let time = format_event_time(now);
    let mut parameters = json!({ id_parameter(tech): listed.id });
    if let Some(created) = &listed.created {
        parameters["creationDate"] = json!(created);
    }
    let mut event = json!({
        "version": "1",
        "id": id,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{collect, CloudTrailEvent, Outcome};
    use crate::resource::Described;
    use crate::EventKind;

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
    fn a_request_narrows_the_recorded_technologies() {
        let recorded = [Technology::S3, Technology::Vpc];
        assert_eq!(TaskerRequest::default().technologies(&recorded), recorded);
        let only = TaskerRequest {
            technologies: Some(vec![Technology::Vpc, Technology::IamRole]),
            accounts: None,
        };
        // a technology this deployment does not record is not polled
        assert_eq!(only.technologies(&recorded), vec![Technology::Vpc]);
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

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn poll_events_are_updates_the_collector_understands() {
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
            let event = poll_event(tech, "111122223333", &listed, now(), "poll-1");
            assert_eq!(event["id"], "poll-1");
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

    #[test]
    fn a_description_rides_along_unless_it_is_too_big() {
        let described = |configuration: Value| Described {
            arn: "arn:aws:ec2:eu-west-2:111122223333:security-group/sg-1".into(),
            account_id: "111122223333".into(),
            region: "eu-west-2".into(),
            configuration,
            tags: Default::default(),
            version: 1,
            attributes: Default::default(),
        };
        let mut listed = Listed {
            id: "sg-1".into(),
            region: "eu-west-2".into(),
            created: None,
            described: Some(described(json!({"GroupId": "sg-1"}))),
        };
        let tech = Technology::SecurityGroup;
        let event = poll_event(tech, "111122223333", &listed, now(), "p");
        assert_eq!(
            event["detail"]["collected"]["configuration"]["GroupId"],
            "sg-1"
        );
        assert!(event["detail"]["requestParameters"]
            .get("creationDate")
            .is_none());
        listed.described = Some(described(json!({"Rules": "x".repeat(COLLECTED_LIMIT)})));
        let event = poll_event(tech, "111122223333", &listed, now(), "p");
        assert!(event["detail"].get("collected").is_none());
        assert_eq!(event["detail"]["requestParameters"]["groupId"], "sg-1");
    }
}

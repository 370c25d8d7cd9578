//! The Historical part of `offline demo`: real changes in a member account, the matching CloudTrail
//! events on EventBridge, the deployed pipeline (collector, Current tables, stream proxies, Differ,
//! Durable tables, change-feed topic) run until idle, each resource's history read back from its
//! Durable table, and a subscriber's queue receiving exactly one message per revision.
//!
//! The local AWS has no CloudTrail: the events are the documented shapes of
//! `crates/historical/fixtures`, retargeted at this run's resources and put on the host account's
//! default bus as a member account's forwarding rule would (the offline PutEvents keeps
//! `detail.recipientAccountId` as the event's account). The collector describes each resource as it
//! is when the event is processed, so each round of changes is pumped through before the next.
//! Every run uses fresh names, so the demo can run again against the same local AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, SubsecRound, Utc};
use historical::Technology;
use historical_aws::store::{DurableStore, Offload};
use serde_json::{json, Value};

use fixtures::change_feed::{FeedMessage, Subscriber};
use fixtures::cloudtrail::{self, FIXTURE_ACCOUNT};
use local_aws::sdk::Target;

/// The member account whose resources change (its member role is deployed by the demo).
const MEMBER: &str = "111111111111";
/// Regions of the resources (the fixtures' own, the VPC's moved to the security group's).
const S3_REGION: &str = "eu-west-1";
const EC2_REGION: &str = "eu-west-2";
const IAM_REGION: &str = "us-east-1";
/// How long one round may take to go through the pipeline.
const PUMP_TIMEOUT: Duration = Duration::from_secs(180);
/// Longest patch line printed.
const LINE_WIDTH: usize = 100;
/// Most patch operations printed per revision.
const MAX_OPS: usize = 12;

const CREATE_BUCKET: &str = include_str!("../../historical/fixtures/s3-create-bucket.json");
const PUT_BUCKET_POLICY: &str = include_str!("../../historical/fixtures/s3-put-bucket-policy.json");
const DELETE_BUCKET: &str = include_str!("../../historical/fixtures/s3-delete-bucket.json");
const CREATE_VPC: &str = include_str!("../../historical/fixtures/vpc-create-vpc.json");
const CREATE_SECURITY_GROUP: &str =
    include_str!("../../historical/fixtures/sg-create-security-group.json");
const AUTHORIZE_INGRESS: &str = include_str!("../../historical/fixtures/sg-authorize-ingress.json");
const CREATE_ROLE: &str = include_str!("../../historical/fixtures/iam-create-role.json");
const UPDATE_TRUST: &str =
    include_str!("../../historical/fixtures/iam-update-assume-role-policy.json");

pub(crate) fn step(title: &str) {
    eprintln!("\n== {title}");
}

/// An SDK error with its whole context, naming the operation.
fn sdk<E: std::error::Error + 'static>(what: &str) -> impl FnOnce(E) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("{what}: {}", aws_sdk_s3::error::DisplayErrorContext(&e))
}

/// One resource of the demo and the revisions it must end with (kind, event name).
pub(crate) struct Subject {
    pub(crate) tech: Technology,
    pub(crate) arn: String,
    expected: Vec<(&'static str, &'static str)>,
}

/// `tech`'s Durable store of the deployed stack.
fn durable_store(
    host: &Target,
    output: &impl Fn(&str) -> Result<String>,
    tech: Technology,
) -> Result<DurableStore> {
    Ok(DurableStore::new(
        aws_sdk_dynamodb::Client::new(&host.sdk_config()),
        output(durable_output(tech))?,
        Offload::new(
            host.s3(),
            output("HistoricalOffloadBucketName")?,
            format!("historical/{tech}/durable/"),
        ),
    ))
}

/// The event clock: whole seconds, one apart, starting a few minutes ago.
struct Clock(DateTime<Utc>);

impl Clock {
    fn next(&mut self) -> DateTime<Utc> {
        self.0 += chrono::Duration::seconds(1);
        self.0
    }
}

/// A fixture retargeted ([`cloudtrail::retarget`]): the member account in place of the fixture's,
/// then every `replace` pair, a fresh `detail.eventID` and `detail.eventTime` = `time`.
fn event(fixture: &str, replace: &[(&str, &str)], time: DateTime<Utc>) -> Result<Value> {
    let mut pairs = vec![(FIXTURE_ACCOUNT, MEMBER)];
    pairs.extend_from_slice(replace);
    let mut event = cloudtrail::retarget(fixture, &pairs, time)?;
    event["detail"]["eventID"] = json!(uuid::Uuid::new_v4().to_string());
    Ok(event)
}

/// Puts CloudTrail `events` on the host account's default bus and lists them.
async fn put_events(host: &Target, events: &[Value]) -> Result<()> {
    cloudtrail::put_events(host, events).await?;
    for event in events {
        eprintln!(
            "  PutEvents {:<9} {:<30} {}",
            event["source"].as_str().unwrap_or_default(),
            event["detail"]["eventName"].as_str().unwrap_or_default(),
            event["detail"]["eventTime"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}

async fn pump(host: &Target) -> Result<()> {
    let took = local_aws::pump::until_idle(&host.endpoint, PUMP_TIMEOUT)
        .await
        .context("waiting for the Historical pipeline")?;
    eprintln!("  pipeline idle after {:.1} s", took.as_secs_f64());
    Ok(())
}

fn policy(bucket: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AuditorsRead",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]
        }]
    })
}

fn trust(service: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) -> Result<()> {
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(S3_REGION))
                .build(),
        )
        .send()
        .await
        .map_err(sdk("CreateBucket"))?;
    Ok(())
}

fn durable_output(tech: Technology) -> &'static str {
    match tech {
        Technology::S3 => "S3DurableTableName",
        Technology::SecurityGroup => "SecurityGroupDurableTableName",
        Technology::Vpc => "VpcDurableTableName",
        Technology::IamRole => "IamRoleDurableTableName",
    }
}

fn truncated(line: String) -> String {
    if line.chars().count() <= LINE_WIDTH {
        line
    } else {
        let cut: String = line.chars().take(LINE_WIDTH - 3).collect();
        format!("{cut}...")
    }
}

/// Prints one revision: its time, kind, event, principal and patch.
fn print_revision(item: &Value) {
    eprintln!(
        "    {}  {:<8} {:<30} by {}",
        item["eventTime"].as_str().unwrap_or("?"),
        item["change"]["kind"].as_str().unwrap_or("?"),
        item["eventName"].as_str().unwrap_or("?"),
        item["principalId"].as_str().unwrap_or("?")
    );
    let ops = item["change"]["patch"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for op in ops.iter().take(MAX_OPS) {
        // The root ("") is the whole resource: created replaces null with it, deleted with null.
        let path = match op["path"].as_str() {
            Some("") => "(whole resource)",
            Some(path) => path,
            None => "?",
        };
        let mut line = format!("      {} {path}", op["op"].as_str().unwrap_or("?"));
        if let Some(from) = op.get("from").and_then(Value::as_str) {
            line.push_str(&format!(" (from {from})"));
        }
        if let Some(value) = op.get("value") {
            line.push_str(&format!(": {value}"));
        }
        eprintln!("{}", truncated(line));
    }
    if ops.len() > MAX_OPS {
        eprintln!("      ... {} more operations", ops.len() - MAX_OPS);
    }
}

/// Runs the Historical part of the demo against the deployed `outputs` of the host stack: each step
/// below in turn.
pub async fn run(host: &Target, outputs: &BTreeMap<String, String>) -> Result<()> {
    let begun = Instant::now();
    let output = |key: &str| -> Result<String> {
        outputs
            .get(key)
            .cloned()
            .with_context(|| format!("stack output {key} missing"))
    };
    let now = Utc::now().trunc_subsecs(0);
    let scene = Scene::new(host, &format!("{:x}", now.timestamp()));
    // Events start ten minutes ago, one second apart: each newer than the last for its resource.
    let mut clock = Clock(now - chrono::Duration::minutes(10));
    let filter = json!({"account": [MEMBER]});
    let feed = subscribe(&scene, &output("ChangeFeedTopicArn")?, &filter).await?;
    let made = round_one(&scene, &mut clock).await?;
    // An instant after round one's events and before round two's: the demo looks back at it.
    let between = clock.next();
    round_two(&scene, &made, &mut clock).await?;
    round_three(&scene, &mut clock).await?;
    let subjects = subjects(&scene, &made);
    let written = histories(host, &output, &subjects).await?;
    let delivered = check_feed(&feed, &filter, &subjects, &written).await?;
    crate::demo_historical_views::history_as_sql(host, &subjects, written.len())?;
    let stores = |tech| durable_store(host, &output, tech);
    crate::demo_historical_views::state_at(&stores, &subjects, MEMBER, between).await?;
    crate::demo_historical_views::revert_plans(&stores, &subjects, between).await?;
    let kinds: BTreeMap<&str, usize> = written.iter().fold(BTreeMap::new(), |mut counts, r| {
        *counts
            .entry(r["change"]["kind"].as_str().unwrap_or("?"))
            .or_default() += 1;
        counts
    });
    for kind in ["created", "updated", "deleted"] {
        if !kinds.contains_key(kind) {
            bail!("no {kind} change was recorded");
        }
    }
    eprintln!(
        "  Historical: {} changes recorded ({}), {delivered} messages delivered to the subscriber, in {:.0} s",
        written.len(),
        kinds
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        begun.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where the demo's changes happen: the host (whose bus and feed it uses), the member account's
/// clients, and this run's fresh resource names.
struct Scene {
    host: Target,
    s3: aws_sdk_s3::Client,
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
    tag: String,
    bucket: String,
    doomed: String,
    role: String,
    group_name: String,
}

impl Scene {
    fn new(host: &Target, tag: &str) -> Self {
        let member = host.as_account(MEMBER);
        Self {
            host: host.clone(),
            s3: member.in_region(S3_REGION).s3(),
            ec2: aws_sdk_ec2::Client::new(&member.in_region(EC2_REGION).sdk_config()),
            iam: aws_sdk_iam::Client::new(&member.in_region(IAM_REGION).sdk_config()),
            tag: tag.to_string(),
            bucket: format!("historical-demo-{tag}"),
            doomed: format!("historical-demo-{tag}-tmp"),
            role: format!("historical-demo-{tag}"),
            group_name: format!("web-tier-{tag}"),
        }
    }

    /// Retargets the fixtures' bucket at the kept bucket.
    fn on_bucket(&self) -> [(&str, &str); 1] {
        [("amzn-s3-demo-bucket", self.bucket.as_str())]
    }

    /// Retargets the fixtures' bucket at the bucket that is deleted.
    fn on_doomed(&self) -> [(&str, &str); 1] {
        [("amzn-s3-demo-bucket", self.doomed.as_str())]
    }

    /// Retargets the fixtures' role.
    fn on_role(&self) -> [(&str, &str); 1] {
        [("payments-worker", self.role.as_str())]
    }
}

/// The EC2 resources round 1 created (their ids are the service's).
struct Made {
    vpc: String,
    group: String,
}

impl Made {
    /// Retargets the VPC fixture.
    fn on_vpc(&self) -> [(&str, &str); 2] {
        [
            ("vpc-0a1b2c3d4e5f60718", self.vpc.as_str()),
            ("us-east-2", EC2_REGION),
        ]
    }

    /// Retargets the security group fixtures.
    fn on_group<'a>(&'a self, scene: &'a Scene) -> [(&'a str, &'a str); 3] {
        [
            ("sg-0123456789abcdef0", self.group.as_str()),
            ("vpc-0a1b2c3d4e5f60718", self.vpc.as_str()),
            ("web-tier", scene.group_name.as_str()),
        ]
    }
}

/// A queue of the host subscribed to the change feed `topic` with `filter`.
async fn subscribe(scene: &Scene, topic: &str, filter: &Value) -> Result<Subscriber> {
    let host = &scene.host;
    step(&format!(
        "Historical: subscribing a queue of {} to the change feed",
        host.account
    ));
    let feed = Subscriber::subscribe(
        host,
        topic,
        &format!("historical-demo-feed-{}", scene.tag),
        filter,
    )
    .await?;
    eprintln!("  queue {}", feed.queue_arn);
    eprintln!(
        "  subscribed to {topic} ({}), RawMessageDelivery=true, FilterPolicy={filter}",
        feed.subscription_arn.as_deref().unwrap_or("?")
    );
    Ok(feed)
}

/// Round 1: two buckets, a VPC and a security group, a role created, their events put and pumped.
async fn round_one(scene: &Scene, clock: &mut Clock) -> Result<Made> {
    let Scene {
        s3,
        ec2,
        iam,
        bucket,
        doomed,
        role,
        group_name,
        ..
    } = scene;
    step(&format!(
        "Historical: round 1 in {MEMBER}: creating buckets {bucket} and {doomed} ({S3_REGION}), a VPC and security group {group_name} ({EC2_REGION}), role {role}"
    ));
    create_bucket(s3, bucket).await?;
    create_bucket(s3, doomed).await?;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .map_err(sdk("CreateVpc"))?
        .vpc
        .and_then(|v| v.vpc_id)
        .context("CreateVpc gave no id")?;
    let group = ec2
        .create_security_group()
        .group_name(group_name)
        .description("web tier")
        .vpc_id(&vpc)
        .send()
        .await
        .map_err(sdk("CreateSecurityGroup"))?
        .group_id
        .context("CreateSecurityGroup gave no id")?;
    iam.create_role()
        .role_name(role)
        .path("/service-role/")
        .description("Payments worker")
        .assume_role_policy_document(trust("lambda.amazonaws.com"))
        .send()
        .await
        .map_err(sdk("CreateRole"))?;
    eprintln!("  created {vpc} and {group}");
    let made = Made { vpc, group };
    let events = [
        event(CREATE_BUCKET, &scene.on_bucket(), clock.next())?,
        event(CREATE_BUCKET, &scene.on_doomed(), clock.next())?,
        event(CREATE_VPC, &made.on_vpc(), clock.next())?,
        event(CREATE_SECURITY_GROUP, &made.on_group(scene), clock.next())?,
        event(CREATE_ROLE, &scene.on_role(), clock.next())?,
    ];
    put_events(&scene.host, &events).await?;
    pump(&scene.host).await?;
    Ok(made)
}

/// Round 2: a bucket policy, an ingress rule, a new trust policy, a bucket deleted; their events put
/// and pumped.
async fn round_two(scene: &Scene, made: &Made, clock: &mut Clock) -> Result<()> {
    let Scene {
        s3,
        ec2,
        iam,
        bucket,
        doomed,
        role,
        ..
    } = scene;
    step("Historical: round 2: a bucket policy, an ingress rule, a new trust policy, a bucket deleted");
    let bucket_policy = policy(bucket);
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(bucket_policy.to_string())
        .send()
        .await
        .map_err(sdk("PutBucketPolicy"))?;
    ec2.authorize_security_group_ingress()
        .group_id(&made.group)
        .ip_permissions(cloudtrail::authorized_ingress())
        .send()
        .await
        .map_err(sdk("AuthorizeSecurityGroupIngress"))?;
    iam.update_assume_role_policy()
        .role_name(role)
        .policy_document(trust("states.amazonaws.com"))
        .send()
        .await
        .map_err(sdk("UpdateAssumeRolePolicy"))?;
    s3.delete_bucket()
        .bucket(doomed)
        .send()
        .await
        .map_err(sdk("DeleteBucket"))?;
    let mut put_policy = event(PUT_BUCKET_POLICY, &scene.on_bucket(), clock.next())?;
    put_policy["detail"]["requestParameters"]["bucketPolicy"] = bucket_policy;
    let events = [
        put_policy,
        event(AUTHORIZE_INGRESS, &made.on_group(scene), clock.next())?,
        event(UPDATE_TRUST, &scene.on_role(), clock.next())?,
        event(DELETE_BUCKET, &scene.on_doomed(), clock.next())?,
    ];
    put_events(&scene.host, &events).await?;
    pump(&scene.host).await
}

/// Round 3: tags on the kept bucket; the event put and pumped.
async fn round_three(scene: &Scene, clock: &mut Clock) -> Result<()> {
    let bucket = &scene.bucket;
    step("Historical: round 3: bucket tags");
    let tags = [("team", "payments"), ("cost-centre", "cc-1234")];
    let mut tagging = aws_sdk_s3::types::Tagging::builder();
    for (key, value) in tags {
        tagging = tagging.tag_set(
            aws_sdk_s3::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .context("tag")?,
        );
    }
    scene
        .s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging.build().context("tagging")?)
        .send()
        .await
        .map_err(sdk("PutBucketTagging"))?;
    // The put-bucket-policy fixture adapted: PutBucketTagging's request as CloudTrail records it.
    let mut put_tags = event(PUT_BUCKET_POLICY, &scene.on_bucket(), clock.next())?;
    put_tags["detail"]["eventName"] = json!("PutBucketTagging");
    put_tags["detail"]["requestParameters"] = json!({
        "bucketName": bucket,
        "Host": format!("{bucket}.s3.{S3_REGION}.amazonaws.com"),
        "tagging": "",
        "Tagging": {
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
            "TagSet": {"Tag": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()}
        }
    });
    put_events(&scene.host, &[put_tags]).await?;
    pump(&scene.host).await
}

/// Every resource of the demo and the revisions it must end with.
fn subjects(scene: &Scene, made: &Made) -> [Subject; 5] {
    let Made { vpc, group } = made;
    [
        Subject {
            tech: Technology::S3,
            arn: format!("arn:aws:s3:::{}", scene.bucket),
            expected: vec![
                ("created", "CreateBucket"),
                ("updated", "PutBucketPolicy"),
                ("updated", "PutBucketTagging"),
            ],
        },
        Subject {
            tech: Technology::S3,
            arn: format!("arn:aws:s3:::{}", scene.doomed),
            expected: vec![("created", "CreateBucket"), ("deleted", "DeleteBucket")],
        },
        Subject {
            tech: Technology::Vpc,
            arn: format!("arn:aws:ec2:{EC2_REGION}:{MEMBER}:vpc/{vpc}"),
            expected: vec![("created", "CreateVpc")],
        },
        Subject {
            tech: Technology::SecurityGroup,
            arn: format!("arn:aws:ec2:{EC2_REGION}:{MEMBER}:security-group/{group}"),
            expected: vec![
                ("created", "CreateSecurityGroup"),
                ("updated", "AuthorizeSecurityGroupIngress"),
            ],
        },
        Subject {
            tech: Technology::IamRole,
            arn: format!("arn:aws:iam::{MEMBER}:role/{}", scene.role),
            expected: vec![
                ("created", "CreateRole"),
                ("updated", "UpdateAssumeRolePolicy"),
            ],
        },
    ]
}

/// Each subject's Durable revisions, oldest first, printed and compared with what it must have;
/// returns them all (fails, naming every difference, if one is not as expected).
async fn histories(
    host: &Target,
    output: &impl Fn(&str) -> Result<String>,
    subjects: &[Subject],
) -> Result<Vec<Value>> {
    step("Historical: each resource's history (Durable revisions, oldest first)");
    let mut written: Vec<Value> = Vec::new();
    let mut problems = Vec::new();
    for subject in subjects {
        let store = durable_store(host, output, subject.tech)?;
        let revisions: Vec<Value> = store
            .revisions(&subject.arn)
            .await
            .with_context(|| format!("reading the revisions of {}", subject.arn))?
            .into_iter()
            .map(|r| r.item)
            .collect();
        eprintln!("  {} ({})", subject.arn, subject.tech);
        for item in &revisions {
            print_revision(item);
        }
        let got: Vec<(String, String)> = revisions
            .iter()
            .map(|r| {
                (
                    r["change"]["kind"].as_str().unwrap_or("?").to_string(),
                    r["eventName"].as_str().unwrap_or("?").to_string(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = subject
            .expected
            .iter()
            .map(|(k, e)| (k.to_string(), e.to_string()))
            .collect();
        if got != want {
            problems.push(format!(
                "{}: revisions {got:?}, expected {want:?}",
                subject.arn
            ));
        }
        written.extend(revisions);
    }
    if !problems.is_empty() {
        bail!(
            "Historical recorded unexpected histories:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(written)
}

/// The subscriber's messages, printed and checked: exactly one per revision `written` of the
/// subjects, none its `filter` excludes. Returns how many were about the subjects.
async fn check_feed(
    feed: &Subscriber,
    filter: &Value,
    subjects: &[Subject],
    written: &[Value],
) -> Result<usize> {
    step(&format!(
        "Historical: the subscriber's messages (FilterPolicy {filter})"
    ));
    let messages = feed
        .drain_expecting(written.len(), Duration::from_secs(15))
        .await?;
    let ours: BTreeSet<&str> = subjects.iter().map(|s| s.arn.as_str()).collect();
    let mut received = BTreeSet::new();
    let mut other = 0;
    for m in &messages {
        print_message(m);
        let arn = m.body["arn"].as_str().unwrap_or_default();
        if ours.contains(arn) {
            received.insert(feed_key(
                &m.body["arn"],
                &m.body["event_time"],
                &m.body["change"]["kind"],
            ));
        } else {
            other += 1;
        }
        if m.attributes.get("account").map(String::as_str) != Some(MEMBER) {
            bail!(
                "the subscriber received a message its FilterPolicy {filter} excludes: {} {:?}",
                m.body["arn"],
                m.attributes
            );
        }
    }
    let delivered = messages.len() - other;
    let revisions: BTreeSet<_> = written
        .iter()
        .map(|r| feed_key(&r["arn"], &r["eventTime"], &r["change"]["kind"]))
        .collect();
    if delivered != written.len() || received != revisions {
        let missing: Vec<_> = revisions.difference(&received).collect();
        let extra: Vec<_> = received.difference(&revisions).collect();
        bail!(
            "the subscriber received {delivered} message(s) for this run's resources, but {} revision(s) were written (missing {missing:?}, unexpected {extra:?})",
            written.len()
        );
    }
    if other > 0 {
        eprintln!("  ({other} message(s) about other resources of {MEMBER}, e.g. from a scheduled poll, not counted)");
    }
    Ok(delivered)
}

/// Prints one change-feed message: its change, resource, time and attributes.
fn print_message(m: &FeedMessage) {
    let attributes: Vec<String> = m
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    eprintln!(
        "  {} {} {} at {} [{}]",
        m.body["change"]["kind"].as_str().unwrap_or("?"),
        m.body["tech"].as_str().unwrap_or("?"),
        m.body["arn"].as_str().unwrap_or("?"),
        m.body["event_time"].as_str().unwrap_or("?"),
        attributes.join(", ")
    );
}

fn feed_key(arn: &Value, time: &Value, kind: &Value) -> (String, String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (text(arn), text(time), text(kind))
}

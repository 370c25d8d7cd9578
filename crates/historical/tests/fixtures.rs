//! Real CloudTrail event shapes (EventBridge envelope, `detail` as CloudTrail records it) drive
//! the collector's decision: kind, account, region, time and resource ids and ARNs.

use historical::event::{collect, CloudTrailEvent, Collected, IgnoreReason, Outcome};
use historical::{EventKind, Technology};

fn load(name: &str) -> CloudTrailEvent {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    CloudTrailEvent::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn applied(tech: Technology, name: &str) -> Collected {
    match collect(tech, &load(name), "us-west-2").unwrap() {
        Outcome::Apply(c) => c,
        other => panic!("{name}: expected Apply, got {other:?}"),
    }
}

fn arns(c: &Collected) -> Vec<&str> {
    c.resources.iter().map(|r| r.arn.as_str()).collect()
}

#[test]
fn s3_create_update_delete() {
    let c = applied(Technology::S3, "s3-create-bucket.json");
    assert_eq!(c.kind, EventKind::Update);
    assert_eq!(c.account, "111122223333");
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(c.event_time.to_rfc3339(), "2024-03-14T09:12:44+00:00");
    assert_eq!(arns(&c), ["arn:aws:s3:::amzn-s3-demo-bucket"]);

    let c = applied(Technology::S3, "s3-put-bucket-policy.json");
    assert_eq!(
        (c.kind, c.event_name.as_str()),
        (EventKind::Update, "PutBucketPolicy")
    );
    assert_eq!(c.resources[0].id, "amzn-s3-demo-bucket");

    let c = applied(Technology::S3, "s3-delete-bucket.json");
    assert_eq!(c.kind, EventKind::Delete);
    assert_eq!(arns(&c), ["arn:aws:s3:::amzn-s3-demo-bucket"]);

    let e = load("s3-delete-bucket.json");
    assert_eq!(e.detail.principal_id(), "joe@example.com");
    assert_eq!(e.detail.source_ip_address.as_deref(), Some("192.0.2.10"));
}

#[test]
fn failed_calls_are_ignored() {
    let e = load("s3-put-bucket-acl-denied.json");
    assert_eq!(e.detail.error_code.as_deref(), Some("AccessDenied"));
    assert_eq!(
        collect(Technology::S3, &e, "us-west-2").unwrap(),
        Outcome::Ignore(IgnoreReason::FailedCall)
    );
}

#[test]
fn security_group_create_update_delete() {
    let sg = "arn:aws:ec2:eu-west-2:111122223333:security-group/sg-0123456789abcdef0";
    for (file, kind) in [
        ("sg-create-security-group.json", EventKind::Update),
        ("sg-authorize-ingress.json", EventKind::Update),
        (
            "sg-update-rule-descriptions-ingress.json",
            EventKind::Update,
        ),
        ("sg-modify-security-group-rules.json", EventKind::Update),
        ("sg-delete-security-group.json", EventKind::Delete),
        ("poll-security-groups.json", EventKind::Update),
    ] {
        let c = applied(Technology::SecurityGroup, file);
        assert_eq!(c.kind, kind, "{file}");
        assert_eq!(arns(&c), [sg], "{file}");
    }
    // a security group event is not a VPC event, even if it names a VPC
    assert_eq!(
        collect(Technology::Vpc, &load("sg-create-security-group.json"), "x").unwrap(),
        Outcome::Ignore(IgnoreReason::NotAChange)
    );
}

#[test]
fn create_tags_names_several_resources() {
    let c = applied(Technology::SecurityGroup, "ec2-create-tags.json");
    assert_eq!(
        arns(&c),
        [
            "arn:aws:ec2:eu-west-2:111122223333:security-group/sg-0123456789abcdef0",
            "arn:aws:ec2:eu-west-2:111122223333:security-group/sg-0aaaaaaaaaaaaaaa1",
        ]
    );
    let c = applied(Technology::Vpc, "ec2-create-tags.json");
    assert_eq!(
        arns(&c),
        ["arn:aws:ec2:eu-west-2:111122223333:vpc/vpc-0a1b2c3d4e5f60718"]
    );
}

#[test]
fn vpc_create_update_delete() {
    let vpc = "arn:aws:ec2:us-east-2:111122223333:vpc/vpc-0a1b2c3d4e5f60718";
    for (file, kind) in [
        ("vpc-create-vpc.json", EventKind::Update),
        ("vpc-modify-vpc-attribute.json", EventKind::Update),
        ("vpc-delete-vpc.json", EventKind::Delete),
    ] {
        let c = applied(Technology::Vpc, file);
        assert_eq!(c.kind, kind, "{file}");
        assert_eq!(c.region, "us-east-2", "{file}");
        assert_eq!(arns(&c), [vpc], "{file}");
    }
}

#[test]
fn iam_role_create_update_delete() {
    let role = "arn:aws:iam::111122223333:role/payments-worker";
    for (file, kind) in [
        ("iam-create-role.json", EventKind::Update),
        ("iam-update-assume-role-policy.json", EventKind::Update),
        ("iam-attach-role-policy.json", EventKind::Update),
        ("iam-put-role-policy.json", EventKind::Update),
        ("iam-delete-role.json", EventKind::Delete),
    ] {
        let c = applied(Technology::IamRole, file);
        assert_eq!(c.kind, kind, "{file}");
        assert_eq!(arns(&c), [role], "{file}");
    }
    assert_eq!(
        collect(Technology::IamRole, &load("iam-get-role.json"), "x").unwrap(),
        Outcome::Ignore(IgnoreReason::NotAChange)
    );
}

#[test]
fn poll_events_without_region_use_the_collectors() {
    let c = applied(Technology::S3, "poll-s3.json");
    assert_eq!(
        (c.kind, c.region.as_str()),
        (EventKind::Update, "us-west-2")
    );
    assert_eq!(c.resources[0].id, "amzn-s3-demo-bucket");
}

#[test]
fn every_fixture_parses_and_round_trips() {
    let dir = format!("{}/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let event = CloudTrailEvent::from_json(&text).unwrap();
        let back: CloudTrailEvent =
            serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
        assert_eq!(back, event, "{}", path.display());
        count += 1;
    }
    assert!(count >= 20);
}

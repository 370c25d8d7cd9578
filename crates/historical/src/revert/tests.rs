use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::*;
use crate::patch::apply;

fn revision(hour: u32, attributes: Value, configuration: Value, tags: Value) -> Revision {
    let event_time = Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).unwrap();
    let mut item = attributes;
    item["eventTime"] = json!(event_time.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    item["configuration"] = configuration;
    item["Tags"] = tags;
    Revision { event_time, item }
}

fn operations(plan: &RevertPlan) -> Vec<&str> {
    plan.calls.iter().map(|c| c.operation).collect()
}

fn call<'a>(plan: &'a RevertPlan, operation: &str) -> &'a Value {
    &plan
        .calls
        .iter()
        .find(|c| c.operation == operation)
        .unwrap_or_else(|| panic!("no {operation} in {:#?}", plan.calls))
        .parameters
}

/// The patch takes the current state to the target state.
fn assert_patch_reverts(
    tech: Technology,
    plan: &RevertPlan,
    current: &Revision,
    target: &Revision,
) {
    let reverted = apply(&plan.patch, &state(tech, &current.item)).expect("the patch applies");
    assert_eq!(reverted, state(tech, &target.item));
}

const BUCKET: &str = "arn:aws:s3:::b";

fn bucket(hour: u32, configuration: Value, tags: Value) -> Revision {
    revision(
        hour,
        json!({"arn": BUCKET, "BucketName": "b"}),
        configuration,
        tags,
    )
}

#[test]
fn a_bucket_gets_its_policy_versioning_encryption_and_tags_back() {
    let then = bucket(
        1,
        json!({"Policy": null, "Versioning": {}, "LifecycleRules": [],
               "Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
               "Website": null, "PolicyStatus": {}}),
        json!({"env": "dev"}),
    );
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
    let now = bucket(
        5,
        json!({"Policy": policy, "Versioning": {"Status": "Enabled"},
               "LifecycleRules": [{"ID": "expire", "Status": "Enabled", "Expiration": {"Days": 1}}],
               "Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
               "Website": {"IndexDocument": {"Suffix": "index.html"}}, "PolicyStatus": {"IsPublic": true}}),
        json!({"env": "prod", "added": "x"}),
    );
    let plan = plan(Technology::S3, BUCKET, &now, Some(&then));
    assert_eq!(
        operations(&plan),
        [
            "PutBucketEncryption",
            "DeleteBucketLifecycle",
            "DeleteBucketPolicy",
            "PutBucketVersioning",
            "PutBucketTagging"
        ]
    );
    assert_eq!(
        call(&plan, "PutBucketEncryption")["ServerSideEncryptionConfiguration"]["Rules"][0]
            ["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    assert_eq!(
        call(&plan, "PutBucketVersioning")["VersioningConfiguration"]["Status"],
        "Suspended"
    );
    assert_eq!(
        call(&plan, "PutBucketTagging")["Tagging"]["TagSet"],
        json!([{"Key": "env", "Value": "dev"}])
    );
    let paths: Vec<&str> = plan
        .cannot_restore
        .iter()
        .map(|u| u.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["/configuration/Versioning/Status", "/configuration/Website"]
    );
    assert_eq!(plan.current_revision, "2026-12-01T05:00:00Z");
    assert_eq!(
        plan.target_revision.as_deref(),
        Some("2026-12-01T01:00:00Z")
    );
    assert_patch_reverts(Technology::S3, &plan, &now, &then);
}

#[test]
fn a_bucket_policy_removed_since_is_put_back_as_a_json_string() {
    let policy = json!({"Version": "2012-10-17", "Statement": []});
    let then = bucket(1, json!({"Policy": policy}), json!({}));
    let now = bucket(2, json!({"Policy": null}), json!({"k": "v"}));
    let plan = plan(Technology::S3, BUCKET, &now, Some(&then));
    assert_eq!(
        operations(&plan),
        ["PutBucketPolicy", "DeleteBucketTagging"]
    );
    let text = call(&plan, "PutBucketPolicy")["Policy"]
        .as_str()
        .expect("a string");
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), policy);
}

const GROUP: &str = "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-1";

fn group(hour: u32, ingress: Value, egress: Value, tags: Value) -> Revision {
    revision(
        hour,
        json!({"arn": GROUP, "GroupId": "sg-1"}),
        json!({"Description": "web", "IpPermissions": ingress, "IpPermissionsEgress": egress}),
        tags,
    )
}

fn cidr_rule(port: i64, cidr: &str, description: Option<&str>) -> Value {
    json!({"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
           "IpRanges": [{"CidrIp": cidr, "Description": description}],
           "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []})
}

#[test]
fn a_group_closes_what_was_opened_since_and_reopens_what_was_closed() {
    let all = json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                       "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]);
    let pair = json!({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [],
        "Ipv6Ranges": [], "PrefixListIds": [],
        "UserIdGroupPairs": [{"GroupId": "sg-app", "UserId": "111111111111", "GroupName": "app",
                              "Description": "app tier"}]});
    let then = group(
        1,
        json!([cidr_rule(443, "10.0.0.0/8", Some("old")), pair]),
        all.clone(),
        json!({"team": "web"}),
    );
    // Since: SSH opened to the world, the app tier's access removed, a description changed,
    // egress emptied, a tag changed and one added.
    let now = group(
        5,
        json!([
            cidr_rule(443, "10.0.0.0/8", Some("new")),
            cidr_rule(22, "0.0.0.0/0", Some("ssh, for now"))
        ]),
        json!([]),
        json!({"team": "ops", "temp": "1"}),
    );
    let plan = plan(Technology::SecurityGroup, GROUP, &now, Some(&then));
    assert_eq!(
        operations(&plan),
        [
            "RevokeSecurityGroupIngress",
            "AuthorizeSecurityGroupIngress",
            "UpdateSecurityGroupRuleDescriptionsIngress",
            "AuthorizeSecurityGroupEgress",
            "DeleteTags",
            "CreateTags"
        ]
    );
    assert_eq!(
        call(&plan, "RevokeSecurityGroupIngress")["IpPermissions"],
        json!([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    );
    assert_eq!(
        call(&plan, "AuthorizeSecurityGroupIngress")["IpPermissions"],
        json!([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": "sg-app", "UserId": "111111111111", "Description": "app tier"}]}])
    );
    assert_eq!(
        call(&plan, "UpdateSecurityGroupRuleDescriptionsIngress")["IpPermissions"][0]["IpRanges"],
        json!([{"CidrIp": "10.0.0.0/8", "Description": "old"}])
    );
    assert_eq!(
        call(&plan, "AuthorizeSecurityGroupEgress")["IpPermissions"],
        json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    );
    assert_eq!(call(&plan, "DeleteTags")["Tags"], json!([{"Key": "temp"}]));
    assert_eq!(
        call(&plan, "CreateTags")["Tags"],
        json!([{"Key": "team", "Value": "web"}])
    );
    assert!(plan.cannot_restore.is_empty(), "{:#?}", plan.cannot_restore);
    assert_patch_reverts(Technology::SecurityGroup, &plan, &now, &then);
}

#[test]
fn a_group_description_cannot_be_restored() {
    let then = group(1, json!([]), json!([]), json!({}));
    let mut now = group(2, json!([]), json!([]), json!({}));
    now.item["configuration"]["Description"] = json!("changed by recreation");
    let plan = plan(Technology::SecurityGroup, GROUP, &now, Some(&then));
    assert!(plan.calls.is_empty());
    assert_eq!(plan.cannot_restore[0].path, "/configuration/Description");
}

const ROLE: &str = "arn:aws:iam::111111111111:role/app";

fn role(hour: u32, configuration: Value, tags: Value) -> Revision {
    revision(
        hour,
        json!({"arn": ROLE, "RoleName": "app"}),
        configuration,
        tags,
    )
}

#[test]
fn a_role_gets_its_trust_policies_and_tags_back() {
    let trust = |service: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    };
    let read = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    let write = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]});
    let then = role(
        1,
        json!({"AssumeRolePolicyDocument": trust("lambda.amazonaws.com"),
               "InlinePolicies": [{"PolicyName": "read", "PolicyDocument": read}],
               "AttachedManagedPolicies": [{"PolicyName": "ro", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
               "MaxSessionDuration": 3600, "RoleLastUsed": {"Region": "eu-west-1"}}),
        json!({"owner": "data"}),
    );
    let now = role(
        5,
        json!({"AssumeRolePolicyDocument": trust("ec2.amazonaws.com"),
               "InlinePolicies": [{"PolicyName": "read", "PolicyDocument": write},
                                  {"PolicyName": "extra", "PolicyDocument": write}],
               "AttachedManagedPolicies": [{"PolicyName": "admin", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
               "MaxSessionDuration": 43200, "Description": "added since",
               "PermissionsBoundary": {"PermissionsBoundaryArn": "arn:aws:iam::111111111111:policy/b"}}),
        json!({}),
    );
    let plan = plan(Technology::IamRole, ROLE, &now, Some(&then));
    assert_eq!(
        operations(&plan),
        [
            "UpdateAssumeRolePolicy",
            "DetachRolePolicy",
            "AttachRolePolicy",
            "DeleteRolePolicy",
            "PutRolePolicy",
            "UpdateRole",
            "TagRole"
        ]
    );
    let document = call(&plan, "UpdateAssumeRolePolicy")["PolicyDocument"]
        .as_str()
        .expect("a string");
    assert_eq!(
        serde_json::from_str::<Value>(document).unwrap(),
        state(Technology::IamRole, &then.item)["configuration"]["AssumeRolePolicyDocument"]
    );
    assert_eq!(call(&plan, "DeleteRolePolicy")["PolicyName"], "extra");
    assert_eq!(call(&plan, "PutRolePolicy")["PolicyName"], "read");
    assert_eq!(
        call(&plan, "DetachRolePolicy")["PolicyArn"],
        "arn:aws:iam::aws:policy/AdministratorAccess"
    );
    assert_eq!(
        call(&plan, "UpdateRole"),
        &json!({"RoleName": "app", "Description": "", "MaxSessionDuration": 3600})
    );
    assert_eq!(
        plan.cannot_restore
            .iter()
            .map(|u| u.path.as_str())
            .collect::<Vec<_>>(),
        ["/configuration/PermissionsBoundary"],
        "RoleLastUsed never counts as a change"
    );
    assert_patch_reverts(Technology::IamRole, &plan, &now, &then);
}

#[test]
fn a_deletion_or_an_absence_is_named_not_planned() {
    let present = bucket(1, json!({"Policy": null}), json!({}));
    let deleted = bucket(3, json!({}), json!({}));
    let recreate = plan(Technology::S3, BUCKET, &deleted, Some(&present));
    assert!(recreate.calls.is_empty());
    assert!(recreate.cannot_restore[0]
        .reason
        .contains("was deleted at 2026-12-01T03:00:00Z"));
    let before = plan(Technology::S3, BUCKET, &present, None);
    assert!(before.cannot_restore[0]
        .reason
        .contains("did not exist then"));
    assert_eq!(before.target_revision, None);
    let gone_then_too = plan(Technology::S3, BUCKET, &deleted, None);
    assert!(gone_then_too.is_nothing_to_do());
}

#[test]
fn the_same_state_needs_nothing() {
    let then = bucket(
        1,
        json!({"Policy": null, "Versioning": {"Status": "Enabled"}}),
        json!({"a": "b"}),
    );
    let mut now = then.clone();
    now.item["eventTime"] = json!("2026-12-01T02:00:00Z");
    now.item["eventName"] = json!("PutBucketTagging");
    let plan = plan(Technology::S3, BUCKET, &now, Some(&then));
    assert!(plan.is_nothing_to_do(), "{plan:#?}");
}

#[test]
fn vpcs_are_listed_as_not_restorable() {
    let vpc = "arn:aws:ec2:eu-west-1:111111111111:vpc/vpc-1";
    let then = revision(
        1,
        json!({"arn": vpc}),
        json!({"CidrBlock": "10.0.0.0/16"}),
        json!({}),
    );
    let now = revision(
        2,
        json!({"arn": vpc}),
        json!({"CidrBlock": "10.1.0.0/16"}),
        json!({"k": "v"}),
    );
    let plan = plan(Technology::Vpc, vpc, &now, Some(&then));
    assert!(plan.calls.is_empty());
    assert_eq!(plan.cannot_restore.len(), 2, "{:#?}", plan.cannot_restore);
}

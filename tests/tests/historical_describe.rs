//! `historical_aws::describe` against the local AWS: each technology's resources are created in a fresh
//! member account (access key = account id selects it offline, so listings see only this test's
//! resources), then listed, described with the expected item fields, deleted and described as
//! gone. Names are unique, so the tests run in parallel against the shared emulator.

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, Tag as Ec2Tag, TagSpecification};
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CorsConfiguration, CorsRule, CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag as S3Tag, Tagging,
    VersioningConfiguration,
};
use historical::Technology;
use historical_aws::describe::{AccountClients, AwsDescriber, Describe};
use integration::env;
use local_aws::sdk::Target;
use serde_json::{json, Value};

/// A fresh 12-digit account id, so the test owns every resource a listing returns.
fn fresh_account() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 900_000_000_000 + 100_000_000_000;
    n.to_string()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

async fn member(region: &str) -> (Target, AccountClients) {
    let account = fresh_account();
    let target = env().await.account(&account).in_region(region);
    let clients = AccountClients::new(&account, &target.sdk_config());
    (target, clients)
}

#[tokio::test]
async fn s3_bucket_is_listed_described_and_gone() {
    // the clients act from us-east-1; the bucket lives in eu-west-1
    let (target, clients) = member("us-east-1").await;
    let account = clients.account().to_string();
    let regional = target.in_region("eu-west-1").s3();
    let bucket = unique("recdesc");
    regional
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket");
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Deny", "Effect": "Deny",
        "Principal": "*", "Action": "s3:DeleteBucket",
        "Resource": format!("arn:aws:s3:::{bucket}")}]});
    regional
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("policy");
    regional
        .put_bucket_tagging()
        .bucket(&bucket)
        .tagging(
            Tagging::builder()
                .tag_set(
                    S3Tag::builder()
                        .key("team")
                        .value("ops")
                        .build()
                        .expect("tag"),
                )
                .tag_set(
                    S3Tag::builder()
                        .key("empty")
                        .value("")
                        .build()
                        .expect("tag"),
                )
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tagging");
    regional
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    regional
        .put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("expire-logs")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("logs/").build())
                        .expiration(LifecycleExpiration::builder().days(30).build())
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("lifecycle");
    regional
        .put_bucket_cors()
        .bucket(&bucket)
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(
                    CorsRule::builder()
                        .allowed_methods("GET")
                        .allowed_origins("https://example.com")
                        .max_age_seconds(300)
                        .build()
                        .expect("cors rule"),
                )
                .build()
                .expect("cors"),
        )
        .send()
        .await
        .expect("cors");
    regional
        .put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .expect("sse"),
                        )
                        .build(),
                )
                .build()
                .expect("encryption"),
        )
        .send()
        .await
        .expect("encryption");

    let describer = AwsDescriber::new(Technology::S3);
    let listed = describer
        .list(&clients, "us-east-1")
        .await
        .expect("list buckets");
    let found = listed
        .iter()
        .find(|l| l.id == bucket)
        .unwrap_or_else(|| panic!("{bucket} not listed: {listed:?}"));
    assert_eq!(found.region, "eu-west-1");
    assert!(found.created.is_some(), "{found:?}");

    let d = describer
        .describe(&clients, "us-east-1", &bucket)
        .await
        .expect("describe")
        .expect("bucket exists");
    assert_eq!(d.arn, format!("arn:aws:s3:::{bucket}"));
    assert_eq!(d.account_id, account);
    assert_eq!(d.region, "eu-west-1");
    assert_eq!(d.version, 10);
    assert_eq!(d.attributes["BucketName"], json!(bucket));
    assert_eq!(d.tags.get("team").map(String::as_str), Some("ops"));
    assert_eq!(d.tags.get("empty").map(String::as_str), Some(""));
    let c = &d.configuration;
    assert_eq!(c["Policy"], policy, "{c:#}");
    assert_eq!(c["Versioning"]["Status"], "Enabled", "{c:#}");
    assert_eq!(
        c["LifecycleRules"],
        json!([{"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                "Expiration": {"Days": 30}, "Transitions": [],
                "NoncurrentVersionTransitions": []}]),
        "{c:#}"
    );
    assert_eq!(
        c["Cors"],
        json!([{"AllowedHeaders": [], "AllowedMethods": ["GET"],
                "AllowedOrigins": ["https://example.com"], "ExposeHeaders": [],
                "MaxAgeSeconds": 300}]),
        "{c:#}"
    );
    assert_eq!(
        c["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256",
        "{c:#}"
    );
    for absent in ["Website", "Replication", "Logging"] {
        assert_eq!(c[absent], Value::Null, "{absent} in {c:#}");
    }
    for empty in [
        "AnalyticsConfigurations",
        "MetricsConfigurations",
        "InventoryConfigurations",
    ] {
        assert_eq!(c[empty], json!([]), "{empty} in {c:#}");
    }
    assert!(c["Owner"]["ID"].is_string(), "{c:#}");
    assert!(
        c["Grants"].as_array().is_some_and(|g| !g.is_empty()),
        "{c:#}"
    );
    assert!(c["CreationDate"].is_string(), "{c:#}");
    let item = d.to_item();
    for key in [
        "arn",
        "accountId",
        "Region",
        "configuration",
        "Tags",
        "version",
        "BucketName",
    ] {
        assert!(item.contains_key(key), "{key} missing from {item:?}");
    }

    regional
        .delete_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete policy");
    regional
        .delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete bucket");
    let gone = describer
        .describe(&clients, "us-east-1", &bucket)
        .await
        .expect("describe deleted");
    assert!(gone.is_none(), "{gone:?}");
}

#[tokio::test]
async fn vpc_and_security_group_are_listed_described_and_gone() {
    // the clients are built for us-east-1 and the resources live in eu-west-2: the event's
    // region decides where they are described (the original used the Lambda's region)
    let region = "eu-west-2";
    let (target, clients) = member("us-east-1").await;
    let account = clients.account().to_string();
    let ec2 = aws_sdk_ec2::Client::new(&target.in_region(region).sdk_config());
    let name = unique("recdesc-vpc");
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Ec2Tag::builder().key("Name").value(&name).build())
                .build(),
        )
        .send()
        .await
        .expect("create vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let group = ec2
        .create_security_group()
        .group_name(unique("recdesc-sg"))
        .description("recorder describe test")
        .vpc_id(&vpc_id)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .tags(Ec2Tag::builder().key("team").value("web").build())
                .build(),
        )
        .send()
        .await
        .expect("create security group");
    let group_id = group.group_id().expect("group id").to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&group_id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("10.0.0.0/8")
                        .description("internal")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("authorize ingress");

    // the VPC
    let vpcs = AwsDescriber::new(Technology::Vpc);
    let listed = vpcs.list(&clients, region).await.expect("list vpcs");
    assert!(
        listed.iter().any(|l| l.id == vpc_id && l.region == region),
        "{listed:?}"
    );
    let d = vpcs
        .describe(&clients, region, &vpc_id)
        .await
        .expect("describe vpc")
        .expect("vpc exists");
    assert_eq!(
        d.arn,
        format!("arn:aws:ec2:{region}:{account}:vpc/{vpc_id}")
    );
    assert_eq!(d.region, region);
    assert_eq!(d.version, 2);
    assert_eq!(d.attributes["VpcId"], json!(vpc_id));
    assert_eq!(d.attributes["CidrBlock"], "10.42.0.0/16");
    assert_eq!(d.attributes["IsDefault"], false);
    assert_eq!(d.attributes["Name"], json!(name));
    assert!(d.attributes["State"].is_string(), "{d:?}");
    assert_eq!(d.tags.get("Name"), Some(&name));
    assert_eq!(d.configuration["VpcId"], json!(vpc_id));
    assert_eq!(d.configuration["CidrBlock"], "10.42.0.0/16");
    assert!(d.configuration.get("Tags").is_none());
    assert_eq!(
        d.configuration["EnableDnsSupport"], true,
        "{:#}",
        d.configuration
    );
    let elsewhere = vpcs
        .describe(&clients, "us-east-1", &vpc_id)
        .await
        .expect("describe in another region");
    assert!(elsewhere.is_none(), "a VPC is found only in its region");

    // the security group
    let groups = AwsDescriber::new(Technology::SecurityGroup);
    let listed = groups.list(&clients, region).await.expect("list groups");
    let found = listed
        .iter()
        .find(|l| l.id == group_id)
        .unwrap_or_else(|| panic!("{group_id} not listed: {listed:?}"));
    let d = groups
        .describe(&clients, region, &group_id)
        .await
        .expect("describe group")
        .expect("group exists");
    assert_eq!(
        found.described.as_ref(),
        Some(&d),
        "listing carries the description"
    );
    assert_eq!(
        d.arn,
        format!("arn:aws:ec2:{region}:{account}:security-group/{group_id}")
    );
    assert_eq!(d.version, 1);
    assert_eq!(d.attributes["GroupId"], json!(group_id));
    assert_eq!(d.attributes["VpcId"], json!(vpc_id));
    assert!(d.attributes["GroupName"]
        .as_str()
        .is_some_and(|n| n.starts_with("recdesc-sg")));
    assert_eq!(d.tags.get("team").map(String::as_str), Some("web"));
    let c = &d.configuration;
    assert_eq!(c["Description"], "recorder describe test");
    assert!(
        c.get("GroupId").is_none() && c.get("Tags").is_none(),
        "{c:#}"
    );
    let ingress = c["IpPermissions"].as_array().expect("IpPermissions");
    assert!(
        ingress.iter().any(|p| p["IpProtocol"] == "tcp"
            && p["FromPort"] == 443
            && p["ToPort"] == 443
            && p["IpRanges"] == json!([{"CidrIp": "10.0.0.0/8", "Description": "internal"}])),
        "{c:#}"
    );
    assert!(c["IpPermissionsEgress"].is_array(), "{c:#}");

    // gone
    ec2.delete_security_group()
        .group_id(&group_id)
        .send()
        .await
        .expect("delete group");
    assert!(groups
        .describe(&clients, region, &group_id)
        .await
        .expect("describe deleted group")
        .is_none());
    ec2.delete_vpc()
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("delete vpc");
    assert!(vpcs
        .describe(&clients, region, &vpc_id)
        .await
        .expect("describe deleted vpc")
        .is_none());
}

#[tokio::test]
async fn iam_role_is_listed_described_and_gone() {
    let (target, clients) = member("us-east-1").await;
    let account = clients.account().to_string();
    let iam = aws_sdk_iam::Client::new(&target.sdk_config());
    let role = unique("recdesc-role");
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    iam.create_role()
        .role_name(&role)
        .path("/ops/")
        .description("recorder describe test")
        .assume_role_policy_document(trust.to_string())
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("team")
                .value("ops")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create role");
    let inline = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:GetObject", "Resource": "*"}]});
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("read")
        .policy_document(inline.to_string())
        .send()
        .await
        .expect("inline policy");
    let managed = iam
        .create_policy()
        .policy_name(unique("recdesc-policy"))
        .policy_document(inline.to_string())
        .send()
        .await
        .expect("managed policy");
    let managed_arn = managed
        .policy()
        .and_then(|p| p.arn())
        .expect("policy arn")
        .to_string();
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&managed_arn)
        .send()
        .await
        .expect("attach");

    let describer = AwsDescriber::new(Technology::IamRole);
    let listed = describer
        .list(&clients, "eu-west-1")
        .await
        .expect("list roles");
    let found = listed
        .iter()
        .find(|l| l.id == role)
        .unwrap_or_else(|| panic!("{role} not listed: {listed:?}"));
    assert_eq!(found.region, "us-east-1");

    let d = describer
        .describe(&clients, "us-east-1", &role)
        .await
        .expect("describe role")
        .expect("role exists");
    // Keyed by name (events carry no path); the real ARN, path included, is in the configuration.
    assert_eq!(d.arn, format!("arn:aws:iam::{account}:role/{role}"));
    assert_eq!(
        d.configuration["Arn"],
        json!(format!("arn:aws:iam::{account}:role/ops/{role}"))
    );
    assert_eq!(d.region, "us-east-1");
    assert_eq!(d.version, 1);
    assert_eq!(d.attributes["RoleName"], json!(role));
    assert_eq!(d.attributes["Path"], "/ops/");
    assert!(d.attributes["RoleId"].is_string());
    assert_eq!(d.tags.get("team").map(String::as_str), Some("ops"));
    let c = &d.configuration;
    assert_eq!(c["AssumeRolePolicyDocument"], trust, "{c:#}");
    assert_eq!(c["Description"], "recorder describe test");
    assert_eq!(
        c["InlinePolicies"],
        json!([{"PolicyName": "read", "PolicyDocument": inline}]),
        "{c:#}"
    );
    let attached = c["AttachedManagedPolicies"].as_array().expect("attached");
    assert_eq!(attached.len(), 1, "{c:#}");
    assert_eq!(attached[0]["PolicyArn"], json!(managed_arn));
    assert!(c["MaxSessionDuration"].is_number(), "{c:#}");
    assert!(c.get("Tags").is_none());

    iam.detach_role_policy()
        .role_name(&role)
        .policy_arn(&managed_arn)
        .send()
        .await
        .expect("detach");
    iam.delete_role_policy()
        .role_name(&role)
        .policy_name("read")
        .send()
        .await
        .expect("delete inline");
    iam.delete_role()
        .role_name(&role)
        .send()
        .await
        .expect("delete role");
    assert!(describer
        .describe(&clients, "us-east-1", &role)
        .await
        .expect("describe deleted role")
        .is_none());
    let _ = iam.delete_policy().policy_arn(&managed_arn).send().await;
}

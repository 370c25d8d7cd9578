//! Differ benchmark (not a test): realistic configuration pairs (S3 buckets with policies,
//! lifecycle and replication; security groups with 50–500 rules; IAM roles with policies), 5–50 KB
//! of JSON each, with small changes or none (reordered arrays and new CloudTrail context only),
//! judged by our `normalise` + `effective_change` (which builds the patch), in a loop.
//!
//! `differ_bench [--pairs N] [--seed S] [--write FILE]` writes the pairs as JSON lines
//! (`{"tech", "a", "b"}`) for `scripts/bench-differ`'s DeepDiff run and prints one JSON line:
//! `{"tool", "pairs", "judged", "seconds", "per_second", "changed", "mean_bytes"}`.

use std::io::Write;
use std::time::Instant;

use historical::{effective_change, normalise, Technology};
use serde_json::{json, Value};

use splitmix::SplitMix64 as Rng;

const ACCOUNT: &str = "111122223333";

fn context(rng: &mut Rng, name: &str) -> Value {
    json!({
        "principalId": format!("joe{}@example.com", rng.below(50)),
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAIDPPEZS35WEXAMPLE:joe@example.com",
                         "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/Admin/joe"), "accountId": ACCOUNT},
        "userAgent": "aws-cli/2.15.30", "sourceIpAddress": format!("192.0.2.{}", rng.below(250)),
        "requestParameters": {"n": rng.below(1000)}, "eventName": name,
    })
}

fn with_context(rng: &mut Rng, mut item: Value, name: &str) -> Value {
    if let (Value::Object(map), Value::Object(ctx)) = (&mut item, context(rng, name)) {
        map.extend(ctx);
    }
    item
}

fn statement(rng: &mut Rng, n: u64) -> Value {
    let actions = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "s3:DeleteObject",
        "sqs:SendMessage",
        "kms:Decrypt",
        "logs:PutLogEvents",
        "dynamodb:Query",
        "ec2:DescribeInstances",
    ];
    let count = rng.range(1, 5);
    let acts: Vec<&str> = (0..count).map(|_| rng.pick(&actions)).collect();
    json!({"Sid": format!("Statement{n}"), "Effect": rng.pick(&["Allow", "Deny"]),
           "Principal": {"AWS": format!("arn:aws:iam::{}:root", 100_000_000_000 + rng.below(1000))},
           "Action": acts, "Resource": [format!("arn:aws:s3:::bucket-{}/*", rng.below(100))],
           "Condition": {"StringEquals": {"aws:PrincipalOrgID": format!("o-{:010x}", rng.next() % 0xffff_ffff)}}})
}

fn policy(rng: &mut Rng, statements: u64) -> String {
    let st: Vec<Value> = (0..statements).map(|n| statement(rng, n)).collect();
    json!({"Version": "2012-10-17", "Statement": st}).to_string()
}

fn s3_item(rng: &mut Rng, n: usize) -> Value {
    let name = format!("bucket-{n}-{:06x}", rng.next() % 0xff_ffff);
    let lifecycle: Vec<Value> = (0..rng.range(3, 40)).map(|i| json!({
        "ID": format!("rule-{i}"), "Status": rng.pick(&["Enabled", "Disabled"]),
        "Filter": {"Prefix": format!("logs/{i}/")},
        "Transitions": [{"Days": 30 + i, "StorageClass": "STANDARD_IA"}, {"Days": 90 + i, "StorageClass": "GLACIER"}],
        "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
        "Expiration": {"Days": 365 + i}})).collect();
    let replication: Vec<Value> = (0..rng.range(1, 15)).map(|i| json!({
        "ID": format!("repl-{i}"), "Priority": i, "Status": "Enabled", "Filter": {"Prefix": format!("data/{i}/")},
        "Destination": {"Bucket": format!("arn:aws:s3:::replica-{i}"), "StorageClass": "STANDARD_IA",
                        "Account": ACCOUNT}, "DeleteMarkerReplication": {"Status": "Disabled"}})).collect();
    let grants: Vec<Value> = (0..rng.range(1, 6))
        .map(|i| {
            json!({
        "Grantee": {"ID": format!("{:064x}", i + 7), "Type": "CanonicalUser"},
        "Permission": (["FULL_CONTROL", "READ", "WRITE"][i as usize % 3])})
        })
        .collect();
    let notifications: Vec<Value> = (0..rng.range(0, 10))
        .map(|i| {
            json!({
        "Id": format!("notify-{i}"), "QueueArn": format!("arn:aws:sqs:eu-west-1:{ACCOUNT}:q{i}"),
        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": format!("in/{i}/")}]}}})
        })
        .collect();
    let statements = rng.range(3, 30);
    json!({
        "arn": format!("arn:aws:s3:::{name}"), "eventTime": "2024-03-14T09:00:00Z", "accountId": ACCOUNT,
        "BucketName": name, "Region": "eu-west-1", "version": 9,
        "Tags": {"Owner": "payments", "CostCenter": format!("cc-{}", rng.below(90)), "Env": "prod"},
        "configuration": {
            "Grants": grants, "Owner": {"ID": format!("{:064x}", 7)},
            "LifecycleRules": lifecycle, "Logging": {"Enabled": true, "Prefix": "access/", "Grants": []},
            "Policy": policy(rng, statements), "Versioning": {"Status": "Enabled", "MFADelete": "Disabled"},
            "Website": null, "Cors": [{"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["https://example.com"], "MaxAgeSeconds": 3000}],
            "Notifications": {"QueueConfigurations": notifications},
            "Acceleration": "Suspended", "Replication": {"Role": format!("arn:aws:iam::{ACCOUNT}:role/replication"), "Rules": replication},
            "CreationDate": "2019-01-01T00:00:00Z", "AnalyticsConfigurations": [], "MetricsConfigurations": [{"Id": "all"}],
            "InventoryConfigurations": []
        }
    })
}

fn sg_rule(rng: &mut Rng, i: u64) -> Value {
    let ports = [22, 80, 443, 3306, 5432, 6379, 8080, 9200];
    let port = ports[rng.below(8) as usize] + i;
    let ranges: Vec<Value> = (0..rng.range(1, 6)).map(|k| json!({
        "CidrIp": format!("10.{}.{}.0/24", rng.below(255), k), "Description": format!("office {i}-{k}")})).collect();
    let pairs: Vec<Value> = (0..rng.below(2)).map(|_| json!({
        "GroupId": format!("sg-{:017x}", rng.next() % 0xf_ffff_ffff), "UserId": ACCOUNT, "Description": "peer"})).collect();
    json!({"IpProtocol": rng.pick(&["tcp", "udp"]), "FromPort": port, "ToPort": port,
           "IpRanges": ranges, "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": pairs})
}

fn sg_item(rng: &mut Rng, n: usize) -> Value {
    let id = format!("sg-{:017x}", n as u64 * 7919 + 1);
    // 50–500 rules as AWS counts them (one per CIDR or peer): about 3.5 per permission
    let rules = rng.range(50, 450);
    let permissions = rules * 2 / 7;
    let ingress: Vec<Value> = (0..permissions * 3 / 4).map(|i| sg_rule(rng, i)).collect();
    let egress: Vec<Value> = (0..permissions / 4).map(|i| sg_rule(rng, i)).collect();
    json!({
        "arn": format!("arn:aws:ec2:eu-west-2:{ACCOUNT}:security-group/{id}"), "eventTime": "2024-03-14T09:00:00Z",
        "accountId": ACCOUNT, "GroupId": id, "GroupName": format!("tier-{n}"), "VpcId": "vpc-0a1b2c3d4e5f60718",
        "Region": "eu-west-2", "version": 1, "Tags": {"Team": "payments", "Name": format!("tier-{n}")},
        "configuration": {"Description": format!("tier {n}"), "IpPermissions": ingress, "IpPermissionsEgress": egress}
    })
}

fn iam_item(rng: &mut Rng, n: usize) -> Value {
    let name = format!("role-{n}");
    let inline: Vec<Value> = (0..rng.range(3, 12))
        .map(|i| {
            let statements = rng.range(2, 12);
            json!({"PolicyName": format!("inline-{i}"), "PolicyDocument": policy(rng, statements)})
        })
        .collect();
    let managed: Vec<Value> = (0..rng.range(1, 10)).map(|i| json!({
        "PolicyName": format!("Managed{i}"), "PolicyArn": format!("arn:aws:iam::aws:policy/Managed{i}")})).collect();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}, "Action": "sts:AssumeRole"}]});
    json!({
        "arn": format!("arn:aws:iam::{ACCOUNT}:role/service-role/{name}"), "eventTime": "2024-03-14T09:00:00Z",
        "accountId": ACCOUNT, "RoleName": name, "Region": "us-east-1", "version": 1,
        "Tags": {"Team": "payments"},
        "configuration": {"Path": "/service-role/", "RoleName": name, "RoleId": format!("AROA{:016X}", rng.next()),
            "Arn": format!("arn:aws:iam::{ACCOUNT}:role/service-role/{name}"), "CreateDate": "2020-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": trust.to_string(), "Description": "worker", "MaxSessionDuration": 3600,
            "RoleLastUsed": {"LastUsedDate": "2024-03-01T00:00:00Z", "Region": "eu-west-1"},
            "InlinePolicies": inline, "AttachedManagedPolicies": managed}
    })
}

/// Reverse or shuffle every array under `v`: no effective change.
fn reorder(rng: &mut Rng, v: &mut Value) {
    match v {
        Value::Array(items) => {
            rng.shuffle(items);
            items.iter_mut().for_each(|i| reorder(rng, i));
        }
        Value::Object(map) => map.values_mut().for_each(|i| reorder(rng, i)),
        _ => {}
    }
}

/// One small effective change, per technology, or none (70% / 30%).
fn change(rng: &mut Rng, tech: Technology, item: &mut Value) {
    let config = &mut item["configuration"];
    if rng.below(10) < 3 {
        return;
    }
    match (tech, rng.below(3)) {
        (_, 0) => item["Tags"]["Reviewed"] = json!(format!("2024-03-{}", rng.range(10, 28))),
        (Technology::SecurityGroup, 1) => {
            let rule = sg_rule(rng, 1000);
            if let Some(rules) = config["IpPermissions"].as_array_mut() {
                rules.push(rule);
            }
        }
        (Technology::SecurityGroup, _) => {
            if let Some(rules) = config["IpPermissions"].as_array_mut() {
                let i = rng.below(rules.len() as u64) as usize;
                rules[i]["IpRanges"][0]["Description"] = json!("changed");
            }
        }
        (Technology::S3, 1) => {
            if let Some(rules) = config["LifecycleRules"].as_array_mut() {
                let i = rng.below(rules.len() as u64) as usize;
                rules[i]["Expiration"]["Days"] = json!(30);
            }
        }
        (Technology::S3, _) => config["Versioning"]["Status"] = json!("Suspended"),
        (_, 1) => config["Description"] = json!("changed"),
        (_, _) => {
            if let Some(list) = config["AttachedManagedPolicies"].as_array_mut() {
                list.pop();
            }
        }
    }
}

fn pair(rng: &mut Rng, n: usize) -> (Technology, Value, Value) {
    let tech = [
        Technology::S3,
        Technology::SecurityGroup,
        Technology::IamRole,
    ][n % 3];
    let base = match tech {
        Technology::S3 => s3_item(rng, n),
        Technology::SecurityGroup => sg_item(rng, n),
        _ => iam_item(rng, n),
    };
    let a = with_context(rng, base.clone(), "Poll");
    let mut b = base;
    reorder(rng, &mut b["configuration"]);
    change(rng, tech, &mut b);
    (tech, a, with_context(rng, b, "Poll"))
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let pairs: usize = arg(&args, "--pairs").map_or(Ok(300), |p| p.parse())?;
    let seed: u64 = arg(&args, "--seed").map_or(Ok(42), |p| p.parse())?;
    let mut rng = Rng::new(seed);
    let data: Vec<(Technology, Value, Value)> = (0..pairs).map(|n| pair(&mut rng, n)).collect();
    let bytes: usize = data.iter().map(|(_, a, _)| a.to_string().len()).sum();
    if let Some(path) = arg(&args, "--write") {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (tech, a, b) in &data {
            let line = serde_json::to_string(&json!({"tech": tech, "a": a, "b": b}))?;
            writeln!(out, "{line}")?;
        }
        out.flush()?;
    }
    let (mut judged, mut changed, mut rounds) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    while rounds == 0 || start.elapsed().as_secs_f64() < 2.0 {
        for (tech, a, b) in &data {
            let (na, nb) = (normalise(*tech, a), normalise(*tech, b));
            if effective_change(Some(&na), Some(&nb)).is_some() && rounds == 0 {
                changed += 1;
            }
            judged += 1;
        }
        rounds += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"tool": "historical normalise+effective_change (Rust, release)", "pairs": pairs,
               "judged": judged, "seconds": seconds, "per_second": judged as f64 / seconds,
               "changed": changed, "mean_bytes": bytes / pairs.max(1)})
    );
    Ok(())
}

//! The operator CLI (`insights`, crate `crates/operator`) against the deployed stack: a resource's
//! history, a run's status, a smoke-test Harvester watched to its end and what it cost, and the errors an operator
//! meets first (no run, no credentials, no stack).

use chrono::{Duration, SubsecRound, Utc};
use integration::historical::{cloudtrail, pump, put_event, FIXTURE_ACCOUNT};
use integration::s3insights::{
    bucket, delete_bucket, input, member_account, member_role_allowing_revert, run_id, s3,
};
use integration::{env, invoke, stack, unique};
use local_aws::deploy::OFFLINE_EXTERNAL_ID;
use serde_json::{json, Value};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn history_shows_the_created_revision() {
    stack().await;
    let account = member_account().await;
    let name = bucket(&account, "eu-west-1", "cli", &[]).await;
    let created = Utc::now().trunc_subsecs(0) - Duration::minutes(5);
    let event = cloudtrail(
        "s3-create-bucket.json",
        &[
            ("amzn-s3-demo-bucket", name.as_str()),
            (FIXTURE_ACCOUNT, account.as_str()),
        ],
        created,
    );
    put_event(&event).await;
    pump().await;
    let arn = format!("arn:aws:s3:::{name}");
    let env = env().await;

    let out = env.insights(&["historical", "history", &arn]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let heading = stdout.lines().next().unwrap_or_default();
    let time = created.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert!(
        heading.starts_with(&format!("{time}  created  CreateBucket  ")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .skip(1)
            .any(|l| l.starts_with("    + ") || l.starts_with("    ~ ")),
        "the created revision's patch: {stdout}"
    );
    assert!(
        !stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );

    let out = env.insights(&["historical", "history", &arn, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let revisions: Value = serde_json::from_slice(&out.stdout).expect("JSON revisions");
    assert_eq!(revisions.as_array().map(Vec::len), Some(1), "{revisions:#}");
    assert_eq!(revisions[0]["eventName"], "CreateBucket");
    assert_eq!(revisions[0]["change"]["kind"], "created");
}

/// A CloudTrail event of the S3 fixtures, about `bucket` in `account`, at `time`.
fn bucket_event(fixture: &str, bucket: &str, account: &str, time: chrono::DateTime<Utc>) -> Value {
    cloudtrail(
        fixture,
        &[("amzn-s3-demo-bucket", bucket), (FIXTURE_ACCOUNT, account)],
        time,
    )
}

/// Puts a policy on `bucket` letting its own account read its objects.
async fn put_read_policy(account: &str, region: &str, bucket: &str) {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{bucket}/*")}]});
    s3(account, region)
        .await
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("put a bucket policy");
}

#[tokio::test]
async fn at_and_sql_answer_from_the_recorded_history() {
    stack().await;
    let account = member_account().await;
    let region = "eu-west-1";
    let name = bucket(&account, region, "at", &[]).await;
    let arn = format!("arn:aws:s3:::{name}");
    let minutes = |m: i64| Utc::now().trunc_subsecs(0) - Duration::minutes(m);
    let (created, changed, deleted) = (minutes(9), minutes(6), minutes(3));
    let event = |fixture: &str, time| bucket_event(fixture, &name, &account, time);
    // Created; then a real policy put, recorded; then deleted, recorded.
    put_event(&event("s3-create-bucket.json", created)).await;
    pump().await;
    put_read_policy(&account, region, &name).await;
    put_event(&event("s3-put-bucket-policy.json", changed)).await;
    pump().await;
    delete_bucket(&account, region, &name).await;
    put_event(&event("s3-delete-bucket.json", deleted)).await;
    pump().await;

    let env = env().await;
    let at = |time: chrono::DateTime<Utc>| -> Vec<Value> {
        let time = time.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let out = env.insights(&[
            "historical",
            "at",
            "--time",
            &time,
            "--account",
            &account,
            "--tech",
            "s3",
            "--json",
        ]);
        assert!(out.status.success(), "{out:?}");
        let items: Value = serde_json::from_slice(&out.stdout).expect("JSON revisions");
        let items = items.as_array().expect("an array").clone();
        assert!(
            items.iter().all(|i| i["accountId"] == account.as_str()),
            "only the account asked for: {items:#?}"
        );
        items
    };
    let seconds = |s: i64| Duration::seconds(s);
    assert_eq!(
        at(created - seconds(1)),
        Vec::<Value>::new(),
        "not yet created"
    );
    let then = at(created + seconds(30));
    assert_eq!(then.len(), 1, "{then:#?}");
    assert_eq!(then[0]["arn"], arn.as_str());
    assert_eq!(then[0]["change"]["kind"], "created");
    assert!(
        then[0]["configuration"]["Policy"].is_null(),
        "{:#}",
        then[0]
    );
    let later = at(changed);
    assert_eq!(later.len(), 1, "{later:#?}");
    assert_eq!(later[0]["eventName"], "PutBucketPolicy");
    assert_eq!(
        later[0]["configuration"]["Policy"]["Statement"][0]["Sid"], "Read",
        "{:#}",
        later[0]
    );
    assert_eq!(at(deleted), Vec::<Value>::new(), "deleted by then");

    // The human view: a heading and the resource's line.
    let time = (changed + seconds(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let out = env.insights(&["historical", "at", "--time", &time, "--account", &account]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!("1 resources as they were at {time}\n")),
        "{stdout}"
    );
    let line = stdout.lines().find(|l| l.contains(&arn)).expect("its line");
    assert!(
        line.starts_with("s3 ") && line.contains("updated") && line.contains("PutBucketPolicy"),
        "{stdout}"
    );

    let out = env.insights(&["historical", "at", "--time", "yesterday"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("`yesterday` is not an RFC 3339 time"),
        "{out:?}"
    );

    // The same history as SQL: one row per revision, who made it and from where.
    let sql = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["historical", "sql", "--json"];
        all.extend_from_slice(args);
        let out = env.insights(&all);
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice::<Value>(&out.stdout)
            .expect("JSON rows")
            .as_array()
            .expect("an array")
            .clone()
    };
    let query = format!(
        "SELECT tech, day, change_kind, event_name, principal, source_ip FROM revisions \
         WHERE account_id = '{account}' ORDER BY event_time"
    );
    let rows = sql(&[&query]);
    let principal = format!("arn:aws:sts::{account}:assumed-role/Admin/joe@example.com");
    let kinds: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["tech"], "s3");
            assert_eq!(r["day"], deleted.format("%Y-%m-%d").to_string());
            assert_eq!(r["principal"], principal.as_str());
            assert_eq!(r["source_ip"], "192.0.2.10");
            (
                r["change_kind"].as_str().unwrap_or_default(),
                r["event_name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("created", "CreateBucket"),
            ("updated", "PutBucketPolicy"),
            ("deleted", "DeleteBucket")
        ]
    );
    let with_policy = format!(
        "SELECT arn FROM revisions WHERE account_id = '{account}' \
         AND configuration LIKE '%\"Sid\":\"Read\"%'"
    );
    assert_eq!(sql(&[&with_policy]), [json!({"arn": arn})]);
    let param = format!("principal={principal}");
    let by_principal = sql(&["--example", "changes-by-principal", "--param", &param]);
    assert_eq!(by_principal.len(), 3, "{by_principal:#?}");
    let deletions = sql(&["--example", "deleted"]);
    assert!(
        deletions.iter().any(|r| r["arn"] == arn.as_str()),
        "{deletions:#?}"
    );

    // The day compacted (the real compactor, invoked as its schedule would, for one day): the three
    // one-row files are gone into one, and SQL answers the same.
    let day = deleted.format("%Y-%m-%d").to_string();
    let (answer, error) = invoke(
        "HistoryCompactorFunction",
        &json!({"days": [day], "technologies": ["s3"]}),
    )
    .await;
    assert_eq!(error, None, "{answer}");
    assert!(answer[0]["files"].as_u64() >= Some(3), "{answer}");
    let bucket = integration::historical::output("HistoricalOffloadBucketName").await;
    let listed = env
        .host
        .s3()
        .list_objects_v2()
        .bucket(&bucket)
        .prefix(format!("history/tech=s3/day={day}/"))
        .send()
        .await
        .expect("list the day");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert!(keys.iter().any(|k| k.contains("/compacted-")), "{keys:?}");
    for time in [created, changed, deleted] {
        let row = historical::history::row(
            historical::Technology::S3,
            &json!({"arn": arn, "eventTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()}),
        )
        .expect("a row");
        let key = historical::history::object_key(&row);
        assert!(!keys.contains(&key.as_str()), "{key} not merged: {keys:?}");
    }
    assert_eq!(
        sql(&[&query]).len(),
        3,
        "each revision once after compaction"
    );
}

#[tokio::test]
async fn revert_plans_then_applies_a_bucket_back_to_how_it_was() {
    stack().await;
    let account = member_account().await;
    let region = "eu-west-1";
    let name = bucket(&account, region, "revert", &[]).await;
    let arn = format!("arn:aws:s3:::{name}");
    let event = |fixture: &str, time| bucket_event(fixture, &name, &account, time);
    let created = Utc::now().trunc_subsecs(0) - Duration::minutes(9);
    put_event(&event("s3-create-bucket.json", created)).await;
    pump().await;
    // Since: a policy and a tag.
    let s3 = s3(&account, region).await;
    put_read_policy(&account, region, &name).await;
    let tag = aws_sdk_s3::types::Tag::builder()
        .key("temp")
        .value("1")
        .build()
        .expect("tag");
    s3.put_bucket_tagging()
        .bucket(&name)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(tag)
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tag the bucket");
    put_event(&event(
        "s3-put-bucket-policy.json",
        created + Duration::minutes(3),
    ))
    .await;
    pump().await;

    let env = env().await;
    let to = (created + Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let revert = |extra: &[&str]| {
        let mut args = vec!["historical", "revert", arn.as_str(), "--to", to.as_str()];
        args.extend_from_slice(extra);
        env.insights(&args)
    };
    let out = revert(&["--json"]);
    assert!(out.status.success(), "{out:?}");
    let plan: Value = serde_json::from_slice(&out.stdout).expect("a JSON plan");
    let operations: Vec<&str> = plan["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["operation"].as_str())
        .collect();
    assert_eq!(
        operations,
        ["DeleteBucketPolicy", "DeleteBucketTagging"],
        "{plan:#}"
    );
    assert_eq!(plan["cannot_restore"], json!([]), "{plan:#}");
    assert!(
        s3.get_bucket_policy().bucket(&name).send().await.is_ok(),
        "a dry run changes nothing"
    );

    // Without --external-id, and through a member role without its revert policy: refused.
    let out = revert(&["--apply", "--yes"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--external-id"), "{out:?}");
    let with_id = ["--apply", "--yes", "--external-id", OFFLINE_EXTERNAL_ID];
    let out = revert(&with_id);
    assert!(
        !out.status.success(),
        "the read-only member role cannot write"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("DeleteBucketPolicy") && stderr.contains("AccessDenied"),
        "{stderr}"
    );
    assert!(s3.get_bucket_policy().bucket(&name).send().await.is_ok());

    // With the revert policy: applied, and the bucket is back as it was.
    member_role_allowing_revert(&account, true).await;
    let out = revert(&with_id);
    assert!(out.status.success(), "{out:?}");
    let policy_error = s3
        .get_bucket_policy()
        .bucket(&name)
        .send()
        .await
        .expect_err("no policy any more");
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&policy_error),
        Some("NoSuchBucketPolicy")
    );
    assert!(s3.get_bucket_tagging().bucket(&name).send().await.is_err());

    // The change flows back through Historical: recorded, the resource is as it was then.
    put_event(&event(
        "s3-put-bucket-policy.json",
        Utc::now().trunc_subsecs(0),
    ))
    .await;
    pump().await;
    let out = revert(&[]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text(&out.stdout).contains("Nothing to do: it is as it was then."),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test]
async fn revert_applies_a_security_group_and_a_role_back() {
    stack().await;
    let account = member_role_allowing_revert(&member_account().await, true).await;
    let env = env().await;
    let (region, member) = ("eu-west-2", env.account(&account));
    let ec2 = integration::historical::ec2(&account, region).await;
    let iam = aws_sdk_iam::Client::new(&member.sdk_config());
    let vpc = integration::historical::new_vpc(&account, region).await;
    let group = integration::historical::new_security_group(&account, region, &vpc, "web").await;
    let role = unique("worker");
    let trust = |service: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        .to_string()
    };
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(trust("lambda.amazonaws.com"))
        .send()
        .await
        .expect("create role");
    let created = Utc::now().trunc_subsecs(0) - Duration::minutes(9);
    let replace = [
        ("sg-0123456789abcdef0", group.as_str()),
        ("vpc-0a1b2c3d4e5f60718", vpc.as_str()),
        ("payments-worker", role.as_str()),
        (FIXTURE_ACCOUNT, account.as_str()),
    ];
    for fixture in ["sg-create-security-group.json", "iam-create-role.json"] {
        put_event(&cloudtrail(fixture, &replace, created)).await;
    }
    pump().await;
    // Since: HTTPS opened to the world, and the role trusts Step Functions instead.
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(fixtures::cloudtrail::authorized_ingress())
        .send()
        .await
        .expect("authorize ingress");
    iam.update_assume_role_policy()
        .role_name(&role)
        .policy_document(trust("states.amazonaws.com"))
        .send()
        .await
        .expect("update the trust policy");
    let changed = created + Duration::minutes(3);
    for fixture in [
        "sg-authorize-ingress.json",
        "iam-update-assume-role-policy.json",
    ] {
        put_event(&cloudtrail(fixture, &replace, changed)).await;
    }
    pump().await;

    let to = (created + Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    for arn in [
        format!("arn:aws:ec2:{region}:{account}:security-group/{group}"),
        format!("arn:aws:iam::{account}:role/{role}"),
    ] {
        let out = env.insights(&[
            "historical",
            "revert",
            &arn,
            "--to",
            &to,
            "--apply",
            "--yes",
            "--external-id",
            OFFLINE_EXTERNAL_ID,
        ]);
        assert!(out.status.success(), "{arn}: {out:?}");
    }
    let described = ec2
        .describe_security_groups()
        .group_ids(&group)
        .send()
        .await
        .expect("describe the group");
    let ingress = described.security_groups()[0].ip_permissions();
    assert!(
        ingress.is_empty(),
        "the opened rule is revoked: {ingress:?}"
    );
    let document = iam
        .get_role()
        .role_name(&role)
        .send()
        .await
        .expect("get the role")
        .role
        .and_then(|r| r.assume_role_policy_document)
        .unwrap_or_default();
    assert!(
        document.contains("lambda.amazonaws.com") && !document.contains("states.amazonaws.com"),
        "the trust policy is back: {document}"
    );
}

#[tokio::test]
async fn an_arn_historical_does_not_record_is_named() {
    stack().await;
    let out = env().await.insights(&[
        "historical",
        "history",
        "arn:aws:sqs:us-east-1:111111111111:q",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`arn:aws:sqs:us-east-1:111111111111:q` is not the ARN of a resource Historical records"),
        "{stderr}"
    );
}

#[tokio::test]
async fn status_of_an_unknown_run_names_it() {
    stack().await;
    let out = env()
        .await
        .insights(&["s3insights", "status", "--run-id", "nosuchrun"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no run `nosuchrun`"), "{stderr}");
}

#[tokio::test]
async fn missing_credentials_are_named() {
    let env = env().await;
    let home = env.state_dir.join(unique("empty-home"));
    std::fs::create_dir_all(&home).expect("empty home");
    let out = env
        .insights_command(&["s3insights", "status", "--run-id", "r1"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_PROFILE", "no-such-profile")
        .env("HOME", &home)
        .output()
        .expect("run insights");
    let _ = std::fs::remove_dir_all(&home);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
    assert!(stderr.contains("offline emulator start"), "{stderr}");
}

#[tokio::test]
async fn a_missing_stack_is_named_with_its_region() {
    stack().await;
    let out = env().await.insights(&[
        "--stack",
        "nosuch",
        "s3insights",
        "status",
        "--run-id",
        "r1",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no stack `nosuch` in region `us-east-1`"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_smoke_test_is_started_watched_and_reported() {
    stack().await;
    let env = env().await;
    let account = member_account().await;
    bucket(
        &account,
        "us-east-1",
        "clismoke",
        &[("a.txt", b"a"), ("b.txt", b"bb")],
    )
    .await;
    let run = run_id();
    let mut run_input = input(&run, &[&account], &["us-east-1"]);
    run_input["is_smoke_test"] = json!(true);
    let dir = env.state_dir.join("inputs");
    std::fs::create_dir_all(&dir).expect("inputs directory");
    let file = dir.join(format!("{run}.json"));
    std::fs::write(&file, run_input.to_string()).expect("input file");

    let out = env.insights(&[
        "s3insights",
        "start",
        "--input",
        file.to_str().expect("UTF-8 path"),
        "--watch",
        "--interval",
        "1",
    ]);
    let _ = std::fs::remove_file(&file);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains(": SUCCEEDED"), "{stdout}");
    assert!(
        stdout.contains("report: s3://") && stdout.contains(&format!("reports/{run}/report.html")),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("reports arrived 1/1"),
        "progress lines: {stderr}"
    );

    let out = env.insights(&["s3insights", "status", "--run-id", &run]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("succeeded"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["done", "1"]),
        "{stdout}"
    );

    // What it cost, from the execution histories, the functions' REPORT log lines and the summary.
    let out = env.insights(&["s3insights", "costs", "--run-id", &run, "--json"]);
    assert!(out.status.success(), "{out:?}");
    let costs: Value = serde_json::from_slice(&out.stdout).expect("costs JSON");
    let executions = costs["executions"].as_array().expect("executions");
    assert_eq!(
        executions.len(),
        2,
        "the Harvester and its Cleanup: {costs:#}"
    );
    assert_eq!(executions[0]["status"], "SUCCEEDED", "{costs:#}");
    let transitions: Vec<u64> = executions
        .iter()
        .map(|e| e["transitions"].as_u64().expect("transitions"))
        .collect();
    assert!(transitions.iter().all(|t| *t > 0), "{costs:#}");
    assert_eq!(
        costs["transitions"].as_u64(),
        Some(transitions.iter().sum()),
        "{costs:#}"
    );
    // Every S3Insights function ran at least once in the run's window (other tests' runs may
    // share it), each with its configured memory.
    let functions = costs["functions"].as_array().expect("functions");
    let names: Vec<&str> = functions
        .iter()
        .map(|f| f["function"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "RunLedgerFunction",
            "StagingStacksFunction",
            "InventoryConfiguratorFunction",
            "InventoryProcessorFunction",
            "RunMonitorFunction",
            "AnalysisFunction",
            "ReportFunction"
        ],
        "{costs:#}"
    );
    for f in functions {
        assert!(f["invocations"].as_u64() >= Some(1), "{f}");
        assert!(f["gb_seconds"].as_f64() > Some(0.0), "{f}");
        let memory = if f["function"] == "InventoryProcessorFunction" {
            1024
        } else {
            256
        };
        assert_eq!(f["memory_mb"].as_u64(), Some(memory), "{f}");
    }
    let queries = costs["queries"].as_array().expect("queries");
    assert!(!queries.is_empty(), "{costs:#}");
    assert_eq!(
        costs["athena_billed_bytes"].as_u64(),
        Some(queries.len() as u64 * 10 * 1024 * 1024),
        "a smoke test's queries scan little, each billed the 10 MB minimum: {costs:#}"
    );
    assert!(costs["parquet_objects"].as_u64() >= Some(1), "{costs:#}");
    let text_out = env.insights(&["s3insights", "costs", "--run-id", &run]);
    let stdout = text(&text_out.stdout);
    assert!(text_out.status.success(), "{text_out:?}");
    assert!(stdout.contains("InventoryProcessorFunction"), "{stdout}");
    assert!(stdout.contains("note: offline"), "{stdout}");
}

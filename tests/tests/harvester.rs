//! The Harvester and Cleanup state machines end to end on the local AWS: the real template, the real
//! Lambda binaries, S3 Inventory reports delivered as S3 documents them, Athena on the consolidated
//! Parquet, the email through SESv2, and what is left behind afterwards.

use integration::s3insights::*;
use integration::{env, unique};
use serde_json::{json, Value};

const HOSTILE: &str = "<script>alert('x')</script> \"quoted\".env";

#[tokio::test]
async fn a_run_inventories_every_bucket_reports_it_and_leaves_nothing_behind() {
    let (a, b) = (member_account().await, member_account().await);
    let plain = bucket(
        &a,
        "eu-west-1",
        "plain",
        &[
            ("photos/2024/cat 1.jpg", b"0123456789"),
            ("docs/readme.txt", b"hello"),
            (HOSTILE, b"SECRET=1"),
            ("keys/id_rsa", b"-----BEGIN"),
        ],
    )
    .await;
    let versioned = bucket(&b, "us-west-2", "versioned", &[("a.txt", b"v1")]).await;
    version(&b, "us-west-2", &versioned).await;
    let objects: &[(&str, &[u8])] = &[("a.txt", b"v2-longer"), ("gone.txt", b"x")];
    put_objects(&b, "us-west-2", &versioned, objects).await;
    s3(&b, "us-west-2")
        .await
        .delete_object()
        .bucket(&versioned)
        .key("gone.txt")
        .send()
        .await
        .unwrap();
    let empty = bucket(&b, "eu-west-1", "empty", &[]).await;
    let elsewhere = bucket(&a, "ap-south-1", "elsewhere", &[("x", b"1")]).await;

    let run = run_id();
    let mut input = input(&run, &[&a, &b], &["eu-west-1", "us-west-2"]);
    input["athena_queries"] = json!([{"name": "per bucket", "query": "SELECT bucket, count(*) AS versions FROM {table} GROUP BY bucket ORDER BY bucket"}]);
    let finished = harvest(&input, &[]).await;
    finished.assert_succeeded();
    let output = finished.output();
    assert_eq!(output["status"], "succeeded");
    assert_eq!(output["cleanup"]["complete"], true, "{output:#}");
    assert_eq!(output["report"]["email"]["sent"], true, "{output:#}");

    let summary = summary(&run).await;
    let p = bucket_entry(&summary, &plain);
    assert_eq!(p["status"], "done", "{p:#}");
    assert_eq!(p["figures"]["objects"], 4);
    assert_eq!(p["figures"]["rows"], 4);
    assert_eq!(p["figures"]["bytes"], 10 + 5 + 8 + 10);
    let v = bucket_entry(&summary, &versioned);
    assert_eq!(v["status"], "done");
    assert_eq!(v["figures"]["objects"], 1, "{v:#}");
    assert_eq!(v["figures"]["noncurrent_versions"], 2, "{v:#}");
    assert_eq!(v["figures"]["delete_markers"], 1, "{v:#}");
    assert_eq!(v["figures"]["current_bytes"], 9, "{v:#}");
    assert_eq!(bucket_entry(&summary, &empty)["status"], "bucket_is_empty");
    assert!(
        summary["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["bucket"] != elsewhere.as_str()),
        "a bucket outside the run's regions was inventoried"
    );

    // Every query ran; the user's counted versions per bucket from the registered partitions.
    let queries = summary["queries"].as_array().unwrap();
    assert!(queries.len() >= 10);
    for q in queries {
        assert_eq!(q["state"], "SUCCEEDED", "{q:#}");
    }
    let per_bucket = queries.iter().find(|q| q["name"] == "per bucket").unwrap();
    let rows: Vec<(String, String)> = per_bucket["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(rows.contains(&(plain.clone(), "4".into())), "{rows:?}");
    assert!(rows.contains(&(versioned.clone(), "4".into())), "{rows:?}");
    let secrets = queries
        .iter()
        .find(|q| q["name"] == "secret_like_keys")
        .unwrap();
    let found: Vec<&str> = secrets["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r[3].as_str())
        .collect();
    assert!(
        found.contains(&HOSTILE) && found.contains(&"keys/id_rsa"),
        "{found:?}"
    );

    // The report is stored and escaped.
    let html = consolidated_text(&format!("reports/{run}/report.html"))
        .await
        .expect("report.html");
    assert!(
        !html.contains("<script>alert"),
        "unescaped key in the report"
    );
    assert!(
        html.contains("&lt;script&gt;"),
        "the hostile key is missing from the report"
    );
    assert!(consolidated_text(&format!("reports/{run}/report.txt"))
        .await
        .is_some());

    let record = run_record(&run).await.expect("run record");
    assert_eq!(record["status"], "succeeded");
    assert!(record.get("cleanup_pending").is_none(), "{record:#}");
    let left = transient_left(
        &run,
        &["eu-west-1", "us-west-2"],
        &[
            (a.as_str(), "eu-west-1", plain.as_str()),
            (b.as_str(), "us-west-2", versioned.as_str()),
        ],
    )
    .await;
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn an_account_without_buckets_and_one_with_only_empty_buckets_succeed() {
    let (none, empties) = (member_account().await, member_account().await);
    let e1 = bucket(&empties, "eu-west-2", "e1", &[]).await;
    let run = run_id();
    let finished = harvest(&input(&run, &[&none, &empties], &["eu-west-2"]), &[]).await;
    finished.assert_succeeded();
    let summary = summary(&run).await;
    assert_eq!(bucket_entry(&summary, &e1)["status"], "bucket_is_empty");
    assert!(summary["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["account"] != none.as_str()));
    assert!(transient_left(&run, &["eu-west-2"], &[]).await.is_empty());
}

#[tokio::test]
async fn a_reused_run_id_is_refused_and_the_first_run_is_untouched() {
    let a = member_account().await;
    bucket(&a, "ca-central-1", "reuse", &[("k", b"v")]).await;
    let run = run_id();
    let input = input(&run, &[&a], &["ca-central-1"]);
    harvest(&input, &[]).await.assert_succeeded();
    let again = harvest(&input, &[]).await;
    assert_eq!(again.status(), "FAILED");
    assert_eq!(again.summary["error"], "RunAlreadyExists", "{again:#?}");
    assert!(again.summary["cause"].as_str().unwrap().contains(&run));
    assert_eq!(run_record(&run).await.unwrap()["status"], "succeeded");
}

/// A second execution with a succeeded run's `run_id` whose start fails with an error outside the
/// rejection set (here injected into its own StartRun) fails, and leaves the run it does not own
/// exactly as it was: not marked failed, not cleaned again.
#[tokio::test]
async fn a_failed_start_never_touches_the_run_of_another_execution() {
    let a = member_account().await;
    bucket(&a, "ap-south-1", "owned", &[("k", b"v")]).await;
    let run = run_id();
    harvest(&input(&run, &[&a], &["ap-south-1"]), &[])
        .await
        .assert_succeeded();
    let before = run_record(&run).await.expect("run record");
    // The second input differs by an excluded bucket name only its StartRun payload carries.
    let marker = format!("marker-{run}");
    let mut again = input(&run, &[&a], &["ap-south-1"]);
    again["accounts"][0]["exclude"] = json!([marker]);
    let rule = add_fault(
        "RunLedgerFunction",
        "LedgerBroken",
        Some("injected start failure"),
        1,
        &format!("\"exclude\":[\"{marker}\"]"),
    )
    .await;
    assert!(rule.status.success(), "{rule:?}");
    let failed = harvest(&again, &[]).await;
    assert_eq!(failed.status(), "FAILED", "{failed:#?}");
    assert_eq!(failed.summary["error"], "LedgerBroken", "{failed:#?}");
    assert_eq!(run_record(&run).await.expect("run record"), before);
    // Nor may any other Harvester execution have the run cleaned on its behalf.
    let intruder = "arn:aws:states:us-east-1:000000000000:execution:s3insights-harvester:intruder";
    let refused = cleanup(&json!({"run_id": run, "requested_by": intruder})).await;
    assert_eq!(refused.status(), "FAILED", "{refused:#?}");
    assert_eq!(refused.summary["error"], "RunNotOwned", "{refused:#?}");
    assert_eq!(run_record(&run).await.expect("run record"), before);
}

/// An input nested deeper than JSON decoders read (an `exclude` 200 levels deep) is refused as
/// `InvalidInput`, a stable error type, and the succeeded run whose `run_id` it reuses is untouched.
#[tokio::test]
async fn an_input_too_deep_to_decode_is_refused_and_touches_no_run() {
    let a = member_account().await;
    bucket(&a, "ap-northeast-3", "deep", &[("k", b"v")]).await;
    let run = run_id();
    let first = input(&run, &[&a], &["ap-northeast-3"]);
    harvest(&first, &[]).await.assert_succeeded();
    let before = run_record(&run).await.expect("run record");
    let deep = format!("{}\"x\"{}", "[".repeat(200), "]".repeat(200));
    let text = first.to_string().replacen(
        &format!("{{\"id\":\"{a}\"}}"),
        &format!("{{\"id\":\"{a}\",\"exclude\":{deep}}}"),
        1,
    );
    assert!(text.contains(&deep), "{text}");
    let (status, error, cause) = harvest_raw(&text).await;
    assert_eq!(status, "FAILED", "{cause}");
    assert_eq!(error, "InvalidInput", "{cause}");
    assert!(cause.contains("nests deeper than 128 levels"), "{cause}");
    assert_eq!(run_record(&run).await.expect("run record"), before);
}

#[tokio::test]
async fn a_failing_step_records_its_cause_cleans_up_and_fails_the_execution() {
    let a = member_account().await;
    let data = bucket(&a, "eu-central-1", "fails", &[("k", b"v")]).await;
    let run = run_id();
    let rule = add_fault(
        "ReportFunction",
        "ReportBroken",
        Some("injected report failure"),
        20,
        &run_matching(&run),
    )
    .await;
    assert!(rule.status.success(), "{rule:?}");
    let finished = harvest(&input(&run, &[&a], &["eu-central-1"]), &[]).await;
    assert_eq!(finished.status(), "FAILED", "{finished:#?}");
    assert_eq!(finished.summary["error"], "ReportBroken");
    assert!(finished.summary["cause"]
        .as_str()
        .unwrap()
        .contains("injected report failure"));
    let record = run_record(&run).await.unwrap();
    assert_eq!(record["status"], "failed");
    assert_eq!(record["error"], "ReportBroken");
    assert!(record["cause"]
        .as_str()
        .unwrap()
        .contains("injected report failure"));
    let left = left_in(&run, "eu-central-1", &[(&a, &data)]).await;
    assert!(left.is_empty(), "left behind after a failure: {left:?}");
}

#[tokio::test]
async fn cleanup_runs_any_number_of_times() {
    let a = member_account().await;
    let data = bucket(&a, "eu-west-3", "thrice", &[("k", b"v")]).await;
    let run = run_id();
    // The run stops before the report: its transient resources exist when Cleanup starts.
    fail_for_run("AnalysisFunction", "Stop", &run, 20).await;
    assert_eq!(
        harvest(&input(&run, &[&a], &["eu-west-3"]), &[])
            .await
            .status(),
        "FAILED"
    );
    for attempt in 1..=3 {
        let cleaned = cleanup(&json!({"run_id": run})).await;
        assert_eq!(
            cleaned.status(),
            "SUCCEEDED",
            "attempt {attempt}: {cleaned:#?}"
        );
        let outcome = cleaned.output();
        assert_eq!(outcome["complete"], true, "attempt {attempt}: {outcome:#}");
        assert_eq!(outcome["not_removed"], json!([]));
    }
    let left = left_in(&run, "eu-west-3", &[(&a, &data)]).await;
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn cleanup_of_an_unknown_run_says_so() {
    let cleaned = cleanup(&json!({"run_id": "neverran1"})).await;
    assert_eq!(cleaned.status(), "FAILED");
    assert_eq!(cleaned.summary["error"], "RunNotFound", "{cleaned:#?}");
}

/// Every case of `tests/inputs/harvester-bad.json` is refused by the deployed Harvester, naming its
/// fields, and creates nothing: no run record, no staging stack.
#[tokio::test]
async fn every_bad_input_is_refused_before_anything_is_created() {
    let corpus: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/inputs/harvester-bad.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let cases = corpus["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 30);
    let env = env().await;
    integration::stack().await;
    let mut handles = Vec::new();
    for chunk in cases.chunks(cases.len().div_ceil(4)) {
        let chunk = chunk.to_vec();
        handles.push(std::thread::spawn(move || {
            let mut failures = Vec::new();
            for case in chunk {
                let mut input = case["input"].clone();
                // Each case gets its own run id, unless the run id is what the case is about.
                let fields = case["fields"].as_array().unwrap();
                let about_run_id = fields.iter().any(|f| f == "run_id");
                let run = run_id();
                if input.get("run_id") == Some(&json!("r1")) && !about_run_id {
                    input["run_id"] = json!(run);
                }
                let finished =
                    start_execution(env, "HarvesterStateMachine", &input, &["--no-inventory"]);
                let cause = finished.summary["cause"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let name = case["name"].as_str().unwrap().to_string();
                if finished.status() != "FAILED" || finished.summary["error"] != "InvalidInput" {
                    failures.push(format!("{name}: {:?}", finished.summary));
                    continue;
                }
                for field in fields {
                    if !cause.contains(field.as_str().unwrap()) {
                        failures.push(format!("{name}: cause does not name {field}: {cause}"));
                    }
                }
                failures.extend(
                    finished
                        .stderr
                        .lines()
                        .filter(|l| l.contains("> DeployStagingStacks"))
                        .map(|_| format!("{name}: reached DeployStagingStacks")),
                );
                if let Some(run) = input["run_id"].as_str() {
                    if run.len() <= 12 && run.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        failures.push(format!("RECORD?{run}"));
                    }
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    let mut created = Vec::new();
    for handle in handles {
        for failure in handle.join().unwrap() {
            match failure.strip_prefix("RECORD?") {
                Some(run) => created.push(run.to_string()),
                None => failures.push(failure),
            }
        }
    }
    for run in created {
        if run_record(&run).await.is_some() {
            failures.push(format!("run {run} was recorded"));
        }
        if !transient_left(&run, &["us-east-1"], &[]).await.is_empty() {
            failures.push(format!("run {run} left resources"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn two_runs_at_once_both_succeed() {
    let (a, b) = (member_account().await, member_account().await);
    bucket(&a, "sa-east-1", "one", &[("k", b"v")]).await;
    bucket(&b, "sa-east-1", "two", &[("k", b"v"), ("l", b"w")]).await;
    let (r1, r2) = (run_id(), run_id());
    let (i1, i2) = (
        input(&r1, &[&a], &["sa-east-1"]),
        input(&r2, &[&b], &["sa-east-1"]),
    );
    let (f1, f2) = tokio::join!(harvest(&i1, &[]), harvest(&i2, &[]));
    f1.assert_succeeded();
    f2.assert_succeeded();
    assert_eq!(
        summary(&r1).await["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["account"] == a.as_str())
            .count(),
        1
    );
}

#[tokio::test]
async fn a_smoke_test_drives_the_real_pipeline_on_a_sample() {
    let a = member_account().await;
    let one = bucket(
        &a,
        "ap-southeast-1",
        "smoke",
        &[("a/1", b"1"), ("a/2", b"22")],
    )
    .await;
    let run = run_id();
    let mut input = input(&run, &[&a], &["ap-southeast-1"]);
    input["is_smoke_test"] = json!(true);
    // No delivery by "S3": the smoke test writes its own documented-format report.
    let finished = harvest(&input, &["--no-inventory"]).await;
    finished.assert_succeeded();
    let summary = summary(&run).await;
    assert_eq!(summary["is_smoke_test"], true);
    let entry = bucket_entry(&summary, &one);
    assert_eq!(entry["status"], "done", "{entry:#}");
    assert_eq!(entry["figures"]["objects"], 2);
    assert_eq!(entry["figures"]["bytes"], 3);
}

#[tokio::test]
async fn cleanup_without_a_run_id_cleans_every_pending_run() {
    let a = member_account().await;
    let data = bucket(&a, "il-central-1", "pending", &[("k", b"v")]).await;
    let run = run_id();
    // The run fails, and its own cleanup cannot delete the staging stack once: the run stays pending.
    fail_for_run("AnalysisFunction", "Stop", &run, 20).await;
    let delete_of_this_run = format!("\"action\":\"delete_stack\",{}", run_matching(&run));
    add_fault(
        "StagingStacksFunction",
        "Stuck",
        None,
        1,
        &delete_of_this_run,
    )
    .await;
    let failed = harvest(&input(&run, &[&a], &["il-central-1"]), &[]).await;
    assert_eq!(failed.status(), "FAILED", "{failed:#?}");
    let record = run_record(&run).await.unwrap();
    assert!(record.get("cleanup_pending").is_some(), "{record:#}");
    assert!(!transient_left(&run, &["il-central-1"], &[])
        .await
        .is_empty());

    // Only an absent run_id means every pending run: a mistyped or null one is refused by ListRuns
    // before anything is removed, and the pending run keeps its cleanup_pending.
    for bad in [json!({"run_id": 5}), json!({"run_id": null})] {
        let refused = cleanup(&bad).await;
        assert_eq!(refused.status(), "FAILED", "{bad}: {refused:#?}");
        assert_eq!(refused.summary["error"], "InvalidInput", "{refused:#?}");
        // A Lambda task's cause is the function's error document: `{"errorType", "errorMessage"}`.
        let cause = refused.summary["cause"].as_str().unwrap_or_default();
        assert!(
            cause.contains("invalid Cleanup input (1 problem): run_id: "),
            "{cause}"
        );
        // One state transition: ListRuns, where the execution failed.
        assert_eq!(refused.summary["transitions"], 1, "{refused:#?}");
        assert!(cleanup_pending(&run).await, "{bad} cleaned run {run}");
    }

    let cleaned = cleanup(&json!({})).await;
    cleaned.assert_succeeded();
    let runs = cleaned.output()["runs"].clone();
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .any(|r| r["run_id"] == run.as_str() && r["complete"] == true),
        "{runs:#}"
    );
    assert!(!cleanup_pending(&run).await);
    let left = left_in(&run, "il-central-1", &[(&a, &data)]).await;
    assert!(left.is_empty(), "{left:?}");
}

/// Places accounts (id, parent, state) in the local AWS's organization; its id and first root.
async fn organization_with(accounts: &[(&str, &str, &str)]) -> (String, String) {
    let admin = local_aws::admin::Admin::new(&env().await.host.endpoint);
    let listed: Value = admin.get("/_offline/organizations/accounts").await.unwrap();
    let root = listed["roots"][0].as_str().unwrap().to_string();
    if !accounts.is_empty() {
        let entries: Vec<Value> = accounts
            .iter()
            .map(|(id, parent, state)| json!({"id": id, "parent": parent, "state": state}))
            .collect();
        let _: Value = admin
            .post(
                "/_offline/organizations/accounts",
                json!({"accounts": entries}),
            )
            .await
            .expect("place accounts in the organization");
    }
    (listed["organization"].as_str().unwrap().to_string(), root)
}

/// An organizational unit under `parent`, created through AWS Organizations.
async fn unit(parent: &str) -> String {
    let organizations = aws_sdk_organizations::Client::new(&env().await.host.sdk_config());
    let created = organizations
        .create_organizational_unit()
        .parent_id(parent)
        .name(unique("unit"))
        .send()
        .await
        .expect("create an organizational unit");
    created.organizational_unit.unwrap().id.unwrap()
}

/// A run over an organizational unit covers every ACTIVE account under it (its child units
/// included), less `exclude_accounts`; S3 delivers for them under the staging bucket's
/// `aws:SourceOrgID` statement; the report says where the accounts came from. A unit the
/// organization does not have is refused before anything is created.
#[tokio::test]
async fn accounts_come_from_an_organizational_unit() {
    let a = member_account().await;
    let kept = bucket(&a, "eu-north-1", "org", &[("k", b"v")]).await;
    let (_, root) = organization_with(&[]).await;
    let top = unit(&root).await;
    let child = unit(&top).await;
    let n = |i: u64| {
        format!(
            "{:012}",
            900_000_000_000 + (rand_suffix() % 1_000_000) * 10 + i
        )
    };
    let (roleless, suspended, excluded) = (n(1), n(2), n(3));
    let (org_id, _) = organization_with(&[
        (&a, &child, "ACTIVE"),
        (&roleless, &top, "ACTIVE"),
        (&suspended, &top, "SUSPENDED"),
        (&excluded, &child, "ACTIVE"),
    ])
    .await;
    let run = run_id();
    let mut input = input(&run, &[], &["eu-north-1"]);
    input.as_object_mut().unwrap().remove("accounts");
    input["organization"] = json!({"units": [top], "exclude_accounts": [excluded]});
    let finished = harvest(&input, &[]).await;
    finished.assert_succeeded();
    let record = run_record(&run).await.unwrap();
    assert_eq!(record["account_count"], "2", "{record:#}");
    let summary = summary(&run).await;
    assert_eq!(
        bucket_entry(&summary, &kept)["status"],
        "done",
        "{summary:#}"
    );
    let text = summary.to_string();
    assert!(
        text.contains(&format!(
            "Accounts from AWS Organizations {org_id}: 2 ACTIVE account(s)"
        )) && text.contains("(1 excluded by exclude_accounts, 1 not active)"),
        "{summary:#}"
    );
    assert!(
        text.contains(&roleless),
        "the unreachable account is reported: {summary:#}"
    );

    let bad = run_id();
    let mut input = input.clone();
    input["run_id"] = json!(bad);
    input["organization"] = json!({"units": ["ou-zzzz-zzzzzzzz"]});
    let refused = harvest(&input, &[]).await;
    assert_eq!(refused.summary["error"], "InvalidInput", "{refused:#?}");
    let cause = refused.summary["cause"].as_str().unwrap();
    assert!(
        cause.contains("organization.units[0]: ou-zzzz-zzzzzzzz is no root or organizational unit"),
        "{cause}"
    );
    assert!(run_record(&bad).await.is_none());
}

fn rand_suffix() -> u64 {
    uuid::Uuid::new_v4().as_u128() as u64
}

/// A second run compares itself with the first, which covered the same account and region: a new
/// bucket, a deleted one, one that grew and one left alone; the first, with no earlier run of that
/// account, says why it has no comparison.
#[tokio::test]
async fn a_second_run_says_what_changed_since_the_first() {
    let a = member_account().await;
    let region = "eu-north-1";
    let kept = bucket(&a, region, "kept", &[("k", b"v")]).await;
    let grows = bucket(&a, region, "grows", &[("a", b"1")]).await;
    let goes = bucket(&a, region, "goes", &[("x", b"xx")]).await;
    let first = run_id();
    harvest(&input(&first, &[&a], &[region]), &[])
        .await
        .assert_succeeded();
    let before = summary(&first).await;
    assert!(before["comparison"].is_null(), "{}", before["comparison"]);
    assert!(before["comparison_reason"]
        .as_str()
        .is_some_and(|r| r.contains("no earlier successful run")));

    put_objects(
        &a,
        region,
        &grows,
        &[("b", b"22222"), ("deploy/.env", b"K=V")],
    )
    .await;
    delete_bucket(&a, region, &goes).await;
    let created = bucket(&a, region, "created", &[("n", b"nnn")]).await;
    let second = run_id();
    harvest(&input(&second, &[&a], &[region]), &[])
        .await
        .assert_succeeded();
    let after = summary(&second).await;
    let comparison = &after["comparison"];
    assert_eq!(comparison["previous_run"], first.as_str(), "{after:#}");
    let change = |name: &str| {
        comparison["buckets"]
            .as_array()
            .expect("buckets")
            .iter()
            .find(|b| b["bucket"] == name)
            .unwrap_or_else(|| panic!("{name} not compared: {comparison:#}"))
            .clone()
    };
    assert_eq!(change(&kept)["status"], "same");
    assert_eq!(change(&grows)["status"], "changed");
    assert_eq!(change(&grows)["objects_delta"], 2);
    assert_eq!(change(&grows)["bytes_delta"], 5 + 3);
    // Object by object, through Athena over both runs' tables: the new .env, and only it.
    assert_eq!(
        comparison["new_secret_like_keys"],
        json!([{"account": a, "region": region, "bucket": grows, "key": "deploy/.env"}]),
        "{after:#}"
    );
    assert_eq!(comparison["new_public_objects"], json!([]));
    // The counts come from the same one query; the local AWS writes every object unencrypted
    // (docs/local-aws.md), so the three objects put since are three new unencrypted versions.
    assert_eq!(
        comparison["new_secret_like_keys_count"], 1,
        "{comparison:#}"
    );
    assert_eq!(comparison["new_public_objects_count"], 0, "{comparison:#}");
    assert_eq!(comparison["new_unencrypted_versions"], 3, "{comparison:#}");
    assert_eq!(change(&goes)["status"], "gone");
    assert_eq!(change(&goes)["bytes_delta"], -2);
    assert_eq!(change(&created)["status"], "new");
    assert_eq!(
        change(&created)["bytes_by_storage_class_now"]["STANDARD"],
        3
    );
    let report = consolidated_text(&format!("reports/{second}/report.txt"))
        .await
        .expect("report.txt");
    assert!(
        report.contains(&format!("Since run {first} of ")),
        "{report}"
    );
}

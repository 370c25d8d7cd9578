//! An organisation of 1,000 accounts across the 17 default regions fits Step Functions' limits: no
//! state's data comes near 256 KB and the Harvester's history stays far from 25,000 events, because the
//! account list lives in S3 (Distributed Maps read it) and never in the execution's JSON.
//!
//! The accounts have no member role, so each is recorded as unreachable after one refused AssumeRole:
//! the orchestration — 1,000 child executions to configure, 1,000 more to clean up, 17 staging stacks
//! created and deleted — is the real one.

use aws_sdk_sfn::types::HistoryEvent;
use integration::env;
use integration::s3insights::*;
use serde_json::{json, Value};

/// Step Functions' limit on a state's input or output, and on an execution's input.
const MAX_PAYLOAD: usize = 256 * 1024;
/// Step Functions' limit on a Standard execution's history.
const MAX_EVENTS: usize = 25_000;

fn payload_sizes(event: &HistoryEvent) -> Vec<usize> {
    let mut sizes = Vec::new();
    if let Some(d) = event.state_entered_event_details() {
        sizes.push(d.input().map(str::len).unwrap_or(0));
    }
    if let Some(d) = event.state_exited_event_details() {
        sizes.push(d.output().map(str::len).unwrap_or(0));
    }
    if let Some(d) = event.task_scheduled_event_details() {
        sizes.push(d.parameters().len());
    }
    if let Some(d) = event.task_succeeded_event_details() {
        sizes.push(d.output().map(str::len).unwrap_or(0));
    }
    if let Some(d) = event.lambda_function_succeeded_event_details() {
        sizes.push(d.output().map(str::len).unwrap_or(0));
    }
    if let Some(d) = event.execution_started_event_details() {
        sizes.push(d.input().map(str::len).unwrap_or(0));
    }
    if let Some(d) = event.execution_succeeded_event_details() {
        sizes.push(d.output().map(str::len).unwrap_or(0));
    }
    sizes
}

async fn history(arn: &str) -> Vec<HistoryEvent> {
    let sfn = env().await.host.sfn();
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = sfn
            .get_execution_history()
            .execution_arn(arn)
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .expect("execution history");
        events.extend(page.events().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return events;
        }
    }
}

#[tokio::test]
async fn a_thousand_accounts_in_seventeen_regions_fit_step_functions_limits() {
    let run = run_id();
    let accounts: Vec<String> = (0..1000)
        .map(|i| format!("7{:011}", i + rand_offset()))
        .collect();
    let refs: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let mut input = input(&run, &refs, &[]);
    input.as_object_mut().unwrap().remove("supported_regions");
    assert!(input.to_string().len() < MAX_PAYLOAD);

    let finished = harvest(&input, &["--no-inventory"]).await;
    assert_eq!(finished.status(), "SUCCEEDED", "{:#?}", finished.summary);
    let output = finished.output();
    assert_eq!(output["cleanup"]["complete"], true, "{output:#}");
    assert_eq!(output["cleanup"]["stacks_removed"], 17, "{output:#}");

    let arn = finished.summary["executionArn"]
        .as_str()
        .expect("execution arn")
        .to_string();
    let events = history(&arn).await;
    let largest = events.iter().flat_map(payload_sizes).max().unwrap_or(0);
    eprintln!(
        "1,000 accounts x 17 regions: {} history events, largest state payload {} bytes",
        events.len(),
        largest
    );
    assert!(events.len() < MAX_EVENTS / 10, "{} events", events.len());
    assert!(
        largest < MAX_PAYLOAD / 10,
        "a state carried {largest} bytes"
    );

    // Every account is accounted for in the report, none silently skipped.
    let summary = summary(&run).await;
    let notes = summary["notes"].as_array().unwrap();
    let unreachable = notes
        .iter()
        .filter(|n| {
            n.as_str()
                .unwrap_or_default()
                .contains("could not be reached")
        })
        .count();
    assert_eq!(
        unreachable,
        1000,
        "{}",
        json!(notes.iter().take(3).collect::<Vec<_>>())
    );
    // Each says what STS answered (its code and message), never the SDK's raw HTTP response.
    let unreachable = notes
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| n.contains("could not be reached"));
    for note in unreachable {
        assert!(note.contains("AccessDenied"), "{note}");
        for raw in [
            "headers",
            "x-amzn-requestid",
            "SdkBody",
            "<ErrorResponse",
            "StatusCode",
        ] {
            assert!(!note.contains(raw), "raw response in a note: {note}");
        }
    }
}

fn rand_offset() -> u64 {
    let id = uuid::Uuid::new_v4();
    u64::from_le_bytes(id.as_bytes()[..8].try_into().unwrap()) % 10_000_000_000
}

/// A run over an organizational unit of 10,000 accounts, its child units' included (a few with the
/// member role and a bucket, the rest without) succeeds within Step Functions' limits: the account
/// list comes from AWS Organizations, lives in S3, and the staging bucket allows the organization
/// (`aws:SourceOrgID`) instead of naming its accounts. Long (tens of minutes offline): run by `scripts/test-scale`, not
/// by `scripts/test`.
#[tokio::test]
#[ignore = "scale test: scripts/test-scale"]
async fn ten_thousand_accounts_from_an_organization_fit_every_limit() {
    const ACCOUNTS: usize = 10_000;
    const REGION: &str = "eu-west-3";
    let admin = local_aws::admin::Admin::new(&env().await.host.endpoint);
    let organization: Value = admin.get("/_offline/organizations/accounts").await.unwrap();
    let root = organization["roots"][0].as_str().unwrap().to_string();
    let organizations = aws_sdk_organizations::Client::new(&env().await.host.sdk_config());
    let create_unit = |parent: String| {
        let organizations = organizations.clone();
        async move {
            organizations
                .create_organizational_unit()
                .parent_id(&parent)
                .name(integration::unique("scale"))
                .send()
                .await
                .expect("create a unit")
                .organizational_unit
                .unwrap()
                .id
                .unwrap()
        }
    };
    // As large organizations are laid out: a unit with accounts of its own and child units (here
    // 2,000 accounts in the unit itself, 1,000 in each of 8 child units).
    let unit = create_unit(root).await;
    let mut parents = vec![unit.clone(); 2];
    for _ in 0..8 {
        parents.push(create_unit(unit.clone()).await);
    }
    let mut members = Vec::new();
    let mut buckets = Vec::new();
    for _ in 0..3 {
        let account = member_account().await;
        buckets.push(bucket(&account, REGION, "scale", &[("k", b"v")]).await);
        members.push(account);
    }
    let offset = rand_offset();
    let mut accounts: Vec<String> = (0..ACCOUNTS - members.len())
        .map(|i| format!("6{:011}", (i as u64 + offset) % 100_000_000_000))
        .collect();
    accounts.extend(members.iter().cloned());
    for (chunk, parent) in accounts.chunks(1000).zip(&parents) {
        let entries: Vec<Value> = chunk
            .iter()
            .map(|id| json!({"id": id, "parent": parent}))
            .collect();
        let _: Value = admin
            .post(
                "/_offline/organizations/accounts",
                json!({"accounts": entries}),
            )
            .await
            .expect("place the accounts");
    }

    let run = run_id();
    let mut input = input(&run, &[], &[REGION]);
    input.as_object_mut().unwrap().remove("accounts");
    input["organization"] = json!({"units": [unit]});
    let started = std::time::Instant::now();
    let finished = harvest(&input, &["--timeout", "5400"]).await;
    assert_eq!(finished.status(), "SUCCEEDED", "{:#?}", finished.summary);
    let arn = finished.summary["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let events = history(&arn).await;
    let largest = events.iter().flat_map(payload_sizes).max().unwrap_or(0);
    eprintln!(
        "10,000 accounts from an organization, 1 region: {} history events, largest state payload {} bytes, {:.0} s",
        events.len(),
        largest,
        started.elapsed().as_secs_f64()
    );
    assert!(events.len() < MAX_EVENTS / 10, "{} events", events.len());
    assert!(
        largest < MAX_PAYLOAD / 10,
        "a state carried {largest} bytes"
    );

    let record = run_record(&run).await.unwrap();
    assert_eq!(record["account_count"], ACCOUNTS.to_string(), "{record:#}");
    let summary = summary(&run).await;
    for bucket in &buckets {
        assert_eq!(bucket_entry(&summary, bucket)["status"], "done", "{bucket}");
    }
    let notes = summary["notes"].as_array().unwrap();
    let unreachable = notes
        .iter()
        .filter(|n| {
            n.as_str()
                .unwrap_or_default()
                .contains("could not be reached")
        })
        .count();
    assert_eq!(unreachable, ACCOUNTS - members.len());
}

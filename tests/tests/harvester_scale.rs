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

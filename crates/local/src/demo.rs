//! `offline demo`: the main job, offline, end to end — the README's first command.
//!
//! Until the S3Insights issue lands, the main job is the platform sample: deploy `template.yaml` into
//! the local AWS, run its state machine (then again with injected faults, to show Retry), push a batch
//! with a poison message through the queue (to show the DLQ), and change, delete and expire table items
//! (to show the stream, TTL included). Every step runs our real binaries through real event sources.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

use crate::deploy::{self, DeployRequest};
use crate::execution::{self, WaitOptions};
use crate::faults::{self, FaultKind, FaultRule};
use crate::package::BuildOptions;
use crate::paths::Workspace;
use crate::sdk::Target;

fn step(title: &str) {
    eprintln!("\n== {title}");
}

/// Run the demo against `target` (a running local AWS).
pub async fn run(workspace: &Workspace, target: &Target, build: BuildOptions) -> Result<()> {
    step("Deploying template.yaml (the same template SAM deploys) into the local AWS");
    let request = DeployRequest::offline("template.yaml", deploy::DEFAULT_STACK, build);
    let outputs = deploy::deploy(workspace, target, &request).await?;
    for (k, v) in &outputs {
        eprintln!("  {k} = {v}");
    }
    let output = |key: &str| -> Result<&String> {
        outputs
            .get(key)
            .with_context(|| format!("stack output {key} missing"))
    };

    step("Running SampleStateMachine: Task, Map over three items, Parallel");
    let machine = output("SampleStateMachineArn")?;
    let input = json!({"a": 20, "b": 22, "items": ["alpha", {"beta": 2}, 3]});
    let options = WaitOptions {
        progress: true,
        timeout: Duration::from_secs(120),
        ..WaitOptions::default()
    };
    let outcome = execution::start(target, machine, &input, &options).await?;
    eprintln!(
        "  {} with output {} ({} state transitions)",
        outcome.status,
        outcome.output.clone().unwrap_or_default(),
        outcome.transitions
    );
    anyhow::ensure!(
        outcome.succeeded(),
        "the sample machine failed: {:?}",
        outcome.cause
    );

    step("Running it again with the function failing twice: Retry absorbs both failures");
    faults::add(
        &target.endpoint,
        &FaultRule {
            function: output("SampleFunctionName")?.clone(),
            kind: FaultKind::Error,
            times: 2,
            skip: 0,
            error_type: None,
            message: None,
        },
    )
    .await?;
    let outcome = execution::start(target, machine, &input, &options).await?;
    eprintln!(
        "  {} after retries ({} state transitions: two more for the retried attempts)",
        outcome.status, outcome.transitions
    );

    step("Sending five messages, one of them poison, through SampleQueue");
    let sqs = aws_sdk_sqs::Client::new(&target.sdk_config());
    let queue = output("SampleQueueUrl")?;
    for body in ["order 1", "order 2", "poison pill", "order 3", "order 4"] {
        sqs.send_message()
            .queue_url(queue)
            .message_body(body)
            .send()
            .await?;
    }
    crate::pump::until_idle(&target.endpoint, Duration::from_secs(120)).await?;
    let recorded = count_objects(target, output("EvidenceBucketName")?, "sqs/").await?;
    let dead = sqs
        .receive_message()
        .queue_url(output("SampleDeadLetterQueueUrl")?)
        .max_number_of_messages(10)
        .send()
        .await?;
    let dead: Vec<&str> = dead.messages().iter().filter_map(|m| m.body()).collect();
    eprintln!("  the function recorded {recorded} messages; the DLQ holds {dead:?} after two failed receives");

    step("Writing, updating, deleting and expiring items of SampleTable");
    let ddb = aws_sdk_dynamodb::Client::new(&target.sdk_config());
    let table = output("SampleTableName")?;
    let item = |id: &str, (name, value): (&str, AttributeValue)| {
        HashMap::from([
            ("id".to_string(), AttributeValue::S(id.into())),
            (name.to_string(), value),
        ])
    };
    ddb.put_item()
        .table_name(table)
        .set_item(Some(item(
            "bucket-a",
            ("size", AttributeValue::N("1".into())),
        )))
        .send()
        .await?;
    ddb.put_item()
        .table_name(table)
        .set_item(Some(item(
            "bucket-a",
            ("size", AttributeValue::N("2".into())),
        )))
        .send()
        .await?;
    ddb.delete_item()
        .table_name(table)
        .key("id", AttributeValue::S("bucket-a".into()))
        .send()
        .await?;
    let past = chrono::Utc::now().timestamp() - 1;
    ddb.put_item()
        .table_name(table)
        .set_item(Some(item(
            "short-lived",
            ("expires", AttributeValue::N(past.to_string())),
        )))
        .send()
        .await?;
    let expired: serde_json::Value = crate::admin::Admin::new(&target.endpoint)
        .post("/_offline/dynamodb/expire-ttl", serde_json::Value::Null)
        .await?;
    crate::pump::until_idle(&target.endpoint, Duration::from_secs(120)).await?;
    let records = count_objects(target, output("EvidenceBucketName")?, "stream/").await?;
    eprintln!(
        "  {} item(s) expired by TTL; the function recorded {records} stream records (INSERT, MODIFY, REMOVE, and the TTL REMOVE by dynamodb.amazonaws.com)",
        expired["expired"]
    );

    step("Done");
    eprintln!("  The local AWS keeps running at {}; explore it with the exports of `offline emulator status`, stop it with `offline emulator stop`.", target.endpoint);
    Ok(())
}

async fn count_objects(target: &Target, bucket: &str, prefix: &str) -> Result<usize> {
    let listed = target
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await?;
    Ok(listed.contents().len())
}

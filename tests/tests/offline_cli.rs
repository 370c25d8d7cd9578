//! The `offline` CLI's contract: execute, deploy (idempotent, another stack), outputs,
//! start-execution with its transition count, and fault injection driving Retry and Catch.

use integration::{
    env, sample_stack, stack, unique, OFFLINE_PARAMETERS, SAMPLE_STACK, SAMPLE_TEMPLATE,
};
use serde_json::{json, Value};

fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test]
async fn execute_prints_the_output_or_the_error_and_sets_the_exit_status() {
    let env = env().await;
    let ok = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$.x"}, "End": true}}});
    let out = env.execute(&ok, r#"{"x": [1, "two"]}"#, &[]);
    assert!(out.status.success());
    assert_eq!(stdout_json(&out), json!({"got": [1, "two"]}));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 state transitions"), "{stderr}");

    let failing = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}});
    let out = env.execute(&failing, "{}", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_json(&out),
        json!({"error": "Nope", "cause": "because", "status": "FAILED"})
    );

    let out = env.execute(&ok, "{not json", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("input is not JSON"));
}

#[tokio::test]
async fn start_execution_runs_the_deployed_machine_and_counts_transitions() {
    let env = env().await;
    sample_stack().await;
    let input = std::env::temp_dir().join(format!("{}.json", unique("input")));
    std::fs::write(
        &input,
        json!({"a": 20, "b": 1, "items": ["x", {"y": 1}, 3]}).to_string(),
    )
    .unwrap();
    let out = env.offline(&[
        "start-execution",
        "--stack",
        SAMPLE_STACK,
        "--state-machine",
        "SampleStateMachine",
        "--input",
        input.to_str().unwrap(),
        "--summary",
        // The sample needs no S3 Inventory; delivering while it waits would serve the reports of
        // Harvester runs other tests drive by hand.
        "--no-inventory",
    ]);
    let summary = stdout_json(&out);
    assert!(out.status.success(), "{summary}");
    assert_eq!(
        summary["output"],
        json!({"sum": 21, "doubled": 42, "echoed": ["x", {"y": 1}, 3], "count": 3})
    );
    // Add, EchoEach, Echo x3 (one per item), Both, Double, Count, Done.
    assert_eq!(summary["transitions"], 9);

    let out = env.offline(&["outputs", "--stack", SAMPLE_STACK]);
    assert!(out.status.success());
    assert_eq!(
        &stdout_json(&out),
        &serde_json::to_value(sample_stack().await).unwrap()
    );
    // Without --stack: the stack of template.yaml.
    let out = env.offline(&["outputs"]);
    assert!(out.status.success());
    assert_eq!(
        &stdout_json(&out),
        &serde_json::to_value(stack().await).unwrap()
    );

    let out = env.offline(&[
        "start-execution",
        "--state-machine",
        "NoSuchMachine",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no resource NoSuchMachine"));
}

/// Fault injection gets a stack of its own (the platform sample again), so its broken invocations
/// touch no other test.
#[tokio::test]
async fn injected_faults_are_retried_or_caught_and_deploys_are_idempotent() {
    let env = env().await;
    let stack_name = unique("faults");
    let mut deploy = vec![
        "deploy".to_string(),
        "--template".into(),
        SAMPLE_TEMPLATE.into(),
        "--stack".into(),
        stack_name.clone(),
    ];
    // Every offline parameter the template declares, passed explicitly.
    let template = local_aws::template::load(&env.workspace.resolve(SAMPLE_TEMPLATE)).unwrap();
    for (k, v) in OFFLINE_PARAMETERS {
        if template["Parameters"].get(k).is_some() {
            deploy.push("--parameter".into());
            deploy.push(format!("{k}={v}"));
        }
    }
    let deploy: Vec<&str> = deploy.iter().map(String::as_str).collect();
    let first = env.offline(&deploy);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = env.offline(&deploy);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        stdout_json(&first),
        stdout_json(&again),
        "a redeploy changes nothing"
    );

    let input = std::env::temp_dir().join(format!("{}.json", unique("input")));
    std::fs::write(&input, json!({"a": 1, "b": 2, "items": []}).to_string()).unwrap();
    let run = || {
        let out = env.offline(&[
            "start-execution",
            "--stack",
            &stack_name,
            "--state-machine",
            "SampleStateMachine",
            "--input",
            input.to_str().unwrap(),
            "--summary",
            "--no-inventory",
        ]);
        stdout_json(&out)
    };
    let fault = |kind: &str, times: &str, error_type: &str| {
        let out = env.offline(&[
            "fault",
            "add",
            "--stack",
            &stack_name,
            "--function",
            "SampleFunction",
            "--kind",
            kind,
            "--times",
            times,
            "--error-type",
            error_type,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    // Three kinds of transient failure, each retried by the Add task's Retry.
    for kind in ["error", "timeout", "throttle"] {
        fault(kind, "2", "InjectedFault");
        let summary = run();
        assert_eq!(summary["status"], "SUCCEEDED", "{kind}: {summary}");
        assert_eq!(summary["output"]["sum"], 3);
        // Add, EchoEach (no items), Both, Double, Count, Done, plus the two retried attempts.
        assert_eq!(summary["transitions"], 8, "{kind}: {summary}");
    }

    // An error no Retry matches is caught and ends the machine in its Fail state with the cause.
    fault("error", "1", "BucketAccessLost");
    let summary = run();
    assert_eq!(summary["status"], "FAILED");
    assert_eq!(summary["error"], "SampleFailed");
    assert!(
        summary["cause"]
            .as_str()
            .unwrap()
            .contains("BucketAccessLost"),
        "{summary}"
    );

    // Every rule fired exactly as often as asked.
    let rules = stdout_json(&env.offline(&["fault", "list"]));
    let ours: Vec<&Value> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["function"].as_str().unwrap().starts_with(&stack_name))
        .collect();
    assert_eq!(ours.len(), 4);
    assert!(ours.iter().all(|r| r["times"] == 0), "{ours:?}");
}

#[tokio::test]
async fn another_template_deploys_into_a_member_account_and_region() {
    let env = env().await;
    let out = env.offline(&[
        "deploy",
        "--template",
        "tests/templates/member-account.yaml",
        "--account",
        integration::MEMBER_A,
        "--region",
        "eu-west-1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = stdout_json(&out);
    assert_eq!(
        outputs["MarkerBucket"],
        "member-marker-111111111111-eu-west-1"
    );
    assert_eq!(
        outputs["InboxArn"]
            .as_str()
            .unwrap()
            .split(':')
            .collect::<Vec<_>>()[3..5],
        ["eu-west-1", integration::MEMBER_A]
    );
    let member = env.account(integration::MEMBER_A).in_region("eu-west-1");
    let location = member
        .s3()
        .get_bucket_location()
        .bucket("member-marker-111111111111-eu-west-1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint().map(|c| c.as_str()),
        Some("eu-west-1")
    );
    // The stack belongs to the member account, not the host.
    let out = env.offline(&["outputs", "--stack", "member-account"]);
    assert_eq!(out.status.code(), Some(2));
}

/// While `execute` waits, S3 Inventory reports are delivered for configurations that appear — here a
/// machine that polls the destination until a report lands; without delivery it never ends.
#[tokio::test]
async fn reports_are_delivered_while_an_execution_waits() {
    use aws_sdk_s3::types::{InventoryFormat, InventoryIncludedObjectVersions};
    let env = env().await;
    let member = env.account(integration::MEMBER_A).s3();
    let (source, destination) = (unique("waited"), unique("landing"));
    member.create_bucket().bucket(&source).send().await.unwrap();
    member
        .put_object()
        .bucket(&source)
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .unwrap();
    integration::inventory_destination(env, &destination, integration::MEMBER_A).await;
    let poll = json!({"StartAt": "List", "States": {
            "List": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                     "Parameters": {"Bucket.$": "$.bucket", "Prefix": "inventory/"},
                     "ResultSelector": {"count.$": "$.KeyCount"}, "ResultPath": "$.listed", "Next": "Arrived"},
            "Arrived": {"Type": "Choice", "Choices": [{"Variable": "$.listed.count", "NumericGreaterThan": 0, "Next": "Done"}], "Default": "Later"},
            "Later": {"Type": "Wait", "Seconds": 1, "Next": "List"},
            "Done": {"Type": "Succeed"}}});
    // The configuration id ends with the input's run_id: this execution is served that report only.
    let run_id = unique("w").replace('-', "");
    let configuration = format!("waited-{run_id}");
    let input = json!({"bucket": destination, "run_id": run_id}).to_string();
    let execute = |extra: &[&str]| env.execute_delivering(&poll, &input, extra);
    // No configuration yet: nothing arrives, and the waiting execution is stopped at the timeout.
    let out = execute(&["--timeout", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("still running after 3 s; stopped"));

    member
        .put_bucket_inventory_configuration()
        .bucket(&source)
        .id(&configuration)
        .inventory_configuration(integration::inventory_configuration(
            &configuration,
            &destination,
            InventoryFormat::Parquet,
            InventoryIncludedObjectVersions::Current,
            vec![],
            None,
        ))
        .send()
        .await
        .unwrap();
    let out = execute(&["--timeout", "60"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

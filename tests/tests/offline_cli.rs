//! The `offline` CLI's contract: execute, deploy (idempotent, another stack), outputs,
//! start-execution with its transition count, and fault injection driving Retry and Catch.

use integration::{env, stack, unique, OFFLINE_PARAMETERS};
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

fn write_definition(name: &str, definition: &Value) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("{}.asl.json", unique(name)));
    std::fs::write(&path, definition.to_string()).unwrap();
    path
}

#[tokio::test]
async fn execute_prints_the_output_or_the_error_and_sets_the_exit_status() {
    let env = env().await;
    let ok = write_definition(
        "ok",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$.x"}, "End": true}}}),
    );
    let out = env.offline(&[
        "execute",
        "--definition",
        ok.to_str().unwrap(),
        "--input",
        r#"{"x": [1, "two"]}"#,
    ]);
    assert!(out.status.success());
    assert_eq!(stdout_json(&out), json!({"got": [1, "two"]}));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 state transitions"), "{stderr}");

    let failing = write_definition(
        "fail",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}}),
    );
    let out = env.offline(&["execute", "--definition", failing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_json(&out),
        json!({"error": "Nope", "cause": "because", "status": "FAILED"})
    );

    let out = env.offline(&[
        "execute",
        "--definition",
        ok.to_str().unwrap(),
        "--input",
        "{not json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("input is not JSON"));
}

#[tokio::test]
async fn start_execution_runs_the_deployed_machine_and_counts_transitions() {
    let env = env().await;
    stack().await;
    let input = std::env::temp_dir().join(format!("{}.json", unique("input")));
    std::fs::write(
        &input,
        json!({"a": 20, "b": 1, "items": ["x", {"y": 1}, 3]}).to_string(),
    )
    .unwrap();
    let out = env.offline(&[
        "start-execution",
        "--state-machine",
        "SampleStateMachine",
        "--input",
        input.to_str().unwrap(),
        "--summary",
    ]);
    let summary = stdout_json(&out);
    assert!(out.status.success(), "{summary}");
    assert_eq!(
        summary["output"],
        json!({"sum": 21, "doubled": 42, "echoed": ["x", {"y": 1}, 3], "count": 3})
    );
    // Add, EchoEach, Echo x3 (one per item), Both, Double, Count, Done.
    assert_eq!(summary["transitions"], 9);

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

/// Fault injection gets a stack of its own, so its broken invocations touch no other test.
#[tokio::test]
async fn injected_faults_are_retried_or_caught_and_deploys_are_idempotent() {
    let env = env().await;
    let stack_name = unique("faults");
    let mut deploy = vec!["deploy".to_string(), "--stack".into(), stack_name.clone()];
    for (k, v) in OFFLINE_PARAMETERS {
        deploy.push("--parameter".into());
        deploy.push(format!("{k}={v}"));
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

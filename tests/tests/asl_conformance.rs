//! The Amazon States Language conformance suite (tests/asl/*.json), every case run through
//! `offline execute` against the local AWS. Each case cites the AWS page its expected result comes
//! from; see tests/asl/README.md.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use integration::env;
use serde_json::Value;

/// Cases run at once (each is one `offline execute` process).
const PARALLEL: usize = 6;

struct Case {
    name: String,
    path: PathBuf,
    case: Value,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("asl");
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Case {
                name: case["name"].as_str().unwrap_or("?").to_string(),
                path,
                case,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// Run one case; `Err` says how the result differs from the expectation.
fn check(env: &integration::Env, case: &Case) -> Result<(), String> {
    let out = env.execute(
        &case.case["definition"],
        &case.case["input"].to_string(),
        &["--summary", "--no-inventory", "--timeout", "60"],
    );
    let summary: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "no summary ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let expect = &case.case["expect"];
    let mut problems = Vec::new();
    if summary["status"] != expect["status"] {
        problems.push(format!(
            "status {} (expected {})",
            summary["status"], expect["status"]
        ));
    }
    if let Some(output) = expect.get("output") {
        if &summary["output"] != output {
            problems.push(format!("output {} (expected {output})", summary["output"]));
        }
    }
    if let Some(error) = expect.get("error") {
        if &summary["error"] != error {
            problems.push(format!("error {} (expected {error})", summary["error"]));
        }
    }
    if let Some(cause) = expect["cause_contains"].as_str() {
        if !summary["cause"].as_str().unwrap_or("").contains(cause) {
            problems.push(format!(
                "cause {} (expected to contain {cause:?})",
                summary["cause"]
            ));
        }
    }
    let seconds = summary["seconds"].as_f64().unwrap_or(0.0);
    if let Some(min) = expect["min_duration_seconds"].as_f64() {
        if seconds < min {
            problems.push(format!(
                "took {seconds:.2} s, less than the {min} s it must wait"
            ));
        }
    }
    if let Some(max) = expect["max_duration_seconds"].as_f64() {
        if seconds > max {
            problems.push(format!("took {seconds:.2} s, more than {max} s"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[tokio::test]
async fn every_case_gives_the_documented_result() {
    let env = env().await;
    let cases = cases();
    assert!(cases.len() >= 150, "only {} cases found", cases.len());
    let next = Mutex::new(cases.iter());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| loop {
                let Some(case) = next.lock().unwrap().next() else {
                    return;
                };
                if let Err(why) = check(env, case) {
                    failures.lock().unwrap().push(format!(
                        "{} ({}): {why}",
                        case.name,
                        case.path.display()
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from AWS's documented results:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

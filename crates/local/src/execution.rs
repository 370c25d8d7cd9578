//! Run a state machine to its end and report it the same way for a bare definition
//! (`offline execute`) and a deployed machine (`offline start-execution`).
//!
//! While an execution runs, S3 Inventory reports are delivered for every configuration that appears
//! (as S3 would, within its schedule), so a Harvester waiting for reports sees them arrive. Progress
//! (each state entered) goes to stderr; the result goes to stdout.

use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use serde_json::{json, Value};

use crate::inventory::Deliverer;
use crate::sdk::Target;

/// Running an execution failed (as opposed to the execution itself failing).
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// A Step Functions call failed.
    #[error("{action}: {message}")]
    Api {
        /// What was being done.
        action: String,
        /// What the service answered.
        message: String,
    },
    /// The execution did not end in time (it has been stopped).
    #[error("execution {arn} still running after {seconds} s; stopped")]
    Timeout {
        /// The execution.
        arn: String,
        /// The limit.
        seconds: u64,
    },
}

fn api<E: std::error::Error + 'static>(
    action: impl Into<String>,
) -> impl FnOnce(E) -> ExecutionError {
    let action = action.into();
    move |e| ExecutionError::Api {
        action,
        message: aws_sdk_sfn::error::DisplayErrorContext(&e).to_string(),
    }
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The execution ARN.
    pub arn: String,
    /// SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: String,
    /// The output, when it succeeded.
    pub output: Option<Value>,
    /// The error name, when it did not.
    pub error: Option<String>,
    /// The cause, when it did not.
    pub cause: Option<String>,
    /// State transitions: the states entered, inner states of Map and Parallel included, plus Task
    /// retries (what a Standard workflow is billed for).
    pub transitions: u64,
    /// Events in the execution history (AWS's limit is 25,000 per Standard execution).
    pub history_events: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Outcome {
    /// True when the execution succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == "SUCCEEDED"
    }

    /// What `offline execute` prints: the output, or `{"error", "cause"}`.
    pub fn result_json(&self) -> Value {
        match &self.output {
            Some(output) if self.succeeded() => output.clone(),
            _ => json!({"error": self.error, "cause": self.cause, "status": self.status}),
        }
    }

    /// Everything, for `--summary`.
    pub fn summary_json(&self) -> Value {
        json!({
            "executionArn": self.arn,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "transitions": self.transitions,
            "historyEvents": self.history_events,
            "seconds": self.seconds,
        })
    }
}

/// Options for waiting on an execution.
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// Print each state entered on stderr.
    pub progress: bool,
    /// Deliver S3 Inventory reports for configurations that appear while waiting.
    pub deliver_inventory: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1800),
            progress: false,
            deliver_inventory: true,
        }
    }
}

/// Run a bare definition once (a throwaway state machine), as `offline execute` does.
pub async fn execute(
    target: &Target,
    definition: &Value,
    input: &Value,
    options: &WaitOptions,
) -> Result<Outcome, ExecutionError> {
    let sfn = target.sfn();
    let name = format!("offline-execute-{}", uuid::Uuid::new_v4().simple());
    let machine = sfn
        .create_state_machine()
        .name(&name)
        .definition(definition.to_string())
        .role_arn(format!(
            "arn:aws:iam::{}:role/offline-execute",
            target.account
        ))
        .send()
        .await
        .map_err(api("create state machine"))?;
    let arn = machine.state_machine_arn().to_string();
    let outcome = start(target, &arn, input, options).await;
    let _ = sfn
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await;
    outcome
}

/// Start `state_machine_arn` with `input` and wait for its end.
pub async fn start(
    target: &Target,
    state_machine_arn: &str,
    input: &Value,
    options: &WaitOptions,
) -> Result<Outcome, ExecutionError> {
    let started = target
        .sfn()
        .start_execution()
        .state_machine_arn(state_machine_arn)
        .input(input.to_string())
        .send()
        .await
        .map_err(api(format!("start execution of {state_machine_arn}")))?;
    wait(target, started.execution_arn(), options).await
}

/// Wait for `execution_arn` to end, delivering inventory reports and printing progress as asked.
pub async fn wait(
    target: &Target,
    execution_arn: &str,
    options: &WaitOptions,
) -> Result<Outcome, ExecutionError> {
    let sfn = target.sfn();
    let begun = Instant::now();
    let mut deliverer = Deliverer::new(target.clone());
    let mut shown = 0usize;
    let mut pause = Duration::from_millis(50);
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .map_err(api(format!("describe execution {execution_arn}")))?;
        let status = described.status().clone();
        if options.progress {
            shown = print_progress(target, execution_arn, shown).await;
        }
        if status != ExecutionStatus::Running {
            let (transitions, history_events) = count_history(target, execution_arn).await?;
            return Ok(Outcome {
                arn: execution_arn.to_string(),
                status: status.as_str().to_string(),
                output: described
                    .output()
                    .map(|o| serde_json::from_str(o).unwrap_or(Value::String(o.to_string()))),
                error: described.error().map(str::to_string),
                cause: described.cause().map(str::to_string),
                transitions,
                history_events,
                seconds: begun.elapsed().as_secs_f64(),
            });
        }
        if begun.elapsed() > options.timeout {
            // Nothing is left running behind a timeout.
            let _ = sfn
                .stop_execution()
                .execution_arn(execution_arn)
                .error("OfflineTimeout")
                .cause(format!(
                    "offline stopped waiting after {:?}",
                    options.timeout
                ))
                .send()
                .await;
            return Err(ExecutionError::Timeout {
                arn: execution_arn.to_string(),
                seconds: options.timeout.as_secs(),
            });
        }
        if options.deliver_inventory {
            match deliverer.deliver_new(&[]).await {
                Ok(delivery) => {
                    if !delivery.reports.is_empty() {
                        pause = Duration::from_millis(50);
                    }
                    if options.progress {
                        for r in &delivery.reports {
                            eprintln!(
                                "  [s3] inventory report for {} ({} rows) delivered to {}",
                                r.source_bucket, r.rows, r.manifest_key
                            );
                        }
                        for u in &delivery.undelivered {
                            eprintln!(
                                "  [s3] no inventory report for {}: {}",
                                u.source_bucket, u.reason
                            );
                        }
                    }
                }
                Err(e) => eprintln!("  [s3] inventory delivery failed: {e}"),
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

async fn history(
    target: &Target,
    execution_arn: &str,
) -> Result<Vec<aws_sdk_sfn::types::HistoryEvent>, ExecutionError> {
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let page = target
            .sfn()
            .get_execution_history()
            .execution_arn(execution_arn)
            .max_results(1000)
            .set_next_token(token)
            .send()
            .await
            .map_err(api(format!("history of {execution_arn}")))?;
        events.extend(page.events().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(events);
        }
    }
}

fn is_state_entered(t: &HistoryEventType) -> bool {
    t.as_str().ends_with("StateEntered")
}

/// (state transitions, history events). A transition is a state entered or a Task attempt retried:
/// AWS bills retries as transitions, and the history shows each retry as one more `TaskScheduled`
/// than the Task states entered.
async fn count_history(target: &Target, execution_arn: &str) -> Result<(u64, u64), ExecutionError> {
    let events = history(target, execution_arn).await?;
    let count = |pred: &dyn Fn(&str) -> bool| {
        events.iter().filter(|e| pred(e.r#type().as_str())).count() as u64
    };
    let entered = count(&|t| t.ends_with("StateEntered"));
    let task_attempts = count(&|t| t == "TaskScheduled");
    let tasks_entered = count(&|t| t == "TaskStateEntered");
    Ok((
        entered + task_attempts.saturating_sub(tasks_entered),
        events.len() as u64,
    ))
}

async fn print_progress(target: &Target, execution_arn: &str, shown: usize) -> usize {
    let Ok(events) = history(target, execution_arn).await else {
        return shown;
    };
    for event in events.iter().skip(shown) {
        if is_state_entered(event.r#type()) {
            if let Some(details) = event.state_entered_event_details() {
                eprintln!("  > {}", details.name());
            }
        } else if event.r#type().as_str().ends_with("Failed") {
            eprintln!("  ! {}", event.r#type().as_str());
        }
    }
    events.len()
}

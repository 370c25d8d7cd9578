//! Run a state machine to its end and report it the same way for a bare definition
//! (`offline execute`) and a deployed machine (`offline start-execution`).
//!
//! While an execution runs, S3 Inventory reports are delivered for every configuration that appears
//! (as S3 would, within its schedule), so a state machine waiting for reports sees them arrive. Progress
//! (each state entered) goes to stderr; the result goes to stdout.

use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use serde_json::{json, Value};

use crate::inventory::{self, Round};
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
    /// Deliver only for configurations whose id ends with this ([`inventory::Scope`]), so that
    /// several executions waiting at once each serve their own; `None` serves every configuration.
    pub configuration_id_suffix: Option<String>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1800),
            progress: false,
            deliver_inventory: true,
            configuration_id_suffix: None,
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
    let role_arn = ad_hoc_role(target).await?;
    let machine = sfn
        .create_state_machine()
        .name(&name)
        .definition(definition.to_string())
        .role_arn(role_arn)
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

/// The role a bare definition runs as: `offline-execute`, created on first use, trusted by Step
/// Functions and allowed every action in its account. A bare definition is a developer's or a
/// test's experiment (the ASL conformance cases, the emulator's gaps), not one of our products,
/// whose state machines run as the roles their templates give them; it needs a role because Step
/// Functions refuses a state machine whose role does not exist, and with IAM enforced the role's
/// policies are what its tasks may do.
pub async fn ad_hoc_role(target: &Target) -> Result<String, ExecutionError> {
    const NAME: &str = "offline-execute";
    let iam = target.iam();
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    });
    let created = iam
        .create_role()
        .role_name(NAME)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await;
    if let Err(e) = created {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_entity_already_exists_exception());
        if !exists {
            return Err(api("create role offline-execute")(e));
        }
    }
    let everything = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    });
    iam.put_role_policy()
        .role_name(NAME)
        .policy_name("AdHocDefinitions")
        .policy_document(everything.to_string())
        .send()
        .await
        .map_err(api("put the policy of role offline-execute"))?;
    Ok(format!("arn:aws:iam::{}:role/{NAME}", target.account))
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
    let mut history = History::new(execution_arn);
    let mut shown = 0usize;
    let mut pause = Duration::from_millis(50);
    let mut said = std::collections::HashSet::new();
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
            .map_err(api(format!("describe execution {execution_arn}")))?;
        let status = described.status().clone();
        if options.progress && history.refresh(target).await.is_ok() {
            shown = history.print_from(shown);
        }
        if status != ExecutionStatus::Running {
            history.refresh(target).await?;
            let (transitions, history_events) = history.counts();
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
        if options.deliver_inventory && deliver_pending(target, options, &mut said).await {
            pause = Duration::from_millis(50);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// One round of pending inventory deliveries while an execution waits; true when a report was
/// delivered. A failed delivery is said once per reason, progress or not; it stays pending and the
/// next round tries it again.
async fn deliver_pending(
    target: &Target,
    options: &WaitOptions,
    said: &mut std::collections::HashSet<(String, String)>,
) -> bool {
    let scope = inventory::Scope {
        buckets: &[],
        configuration_id_suffix: options.configuration_id_suffix.as_deref(),
    };
    match inventory::deliver_scoped(target, &scope, Round::Pending).await {
        Ok(delivery) => {
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
            for f in &delivery.failed {
                if said.insert((f.configuration_id.clone(), f.reason.clone())) {
                    eprintln!(
                        "  [s3] inventory delivery of configuration {} of bucket {} (account {}) \
                         failed, will retry: {}",
                        f.configuration_id, f.source_bucket, f.source_account, f.reason
                    );
                }
            }
            !delivery.reports.is_empty()
        }
        Err(e) => {
            eprintln!("  [s3] inventory delivery failed: {e}");
            false
        }
    }
}

/// An execution's history, read incrementally: a refresh reads again only the last page it saw (which
/// may have grown) and the pages after it, so following a long execution does not reread it all.
struct History {
    arn: String,
    events: Vec<HistoryEvent>,
    /// The token that fetched the last page seen, and that page's length.
    last_page: (Option<String>, usize),
}

impl History {
    fn new(arn: &str) -> Self {
        Self {
            arn: arn.to_string(),
            events: Vec::new(),
            last_page: (None, 0),
        }
    }

    async fn refresh(&mut self, target: &Target) -> Result<(), ExecutionError> {
        let (mut token, last_len) = self.last_page.clone();
        let mut fetched = Vec::new();
        loop {
            let page = target
                .sfn()
                .get_execution_history()
                .execution_arn(&self.arn)
                .max_results(1000)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(api(format!("history of {}", self.arn)))?;
            fetched.extend(page.events().iter().cloned());
            match page.next_token() {
                Some(next) => token = Some(next.to_string()),
                None => {
                    let len = page.events().len();
                    self.events.truncate(self.events.len() - last_len);
                    self.events.extend(fetched);
                    self.last_page = (token, len);
                    return Ok(());
                }
            }
        }
    }

    /// (state transitions, history events). A transition is a state entered or a Task attempt
    /// retried: AWS bills retries as transitions, and the history shows each retry as one more
    /// `TaskScheduled` than the Task states entered.
    fn counts(&self) -> (u64, u64) {
        let transitions =
            platform::billing::state_transitions(self.events.iter().map(|e| e.r#type().as_str()));
        (transitions, self.events.len() as u64)
    }

    /// Print the states entered and the failures after the first `shown` events; returns how many
    /// events have been shown.
    fn print_from(&self, shown: usize) -> usize {
        for event in self.events.iter().skip(shown) {
            let kind = event.r#type().as_str();
            if kind.ends_with("StateEntered") {
                if let Some(details) = event.state_entered_event_details() {
                    eprintln!("  > {}", details.name());
                }
            } else if kind.ends_with("Failed") {
                eprintln!("  ! {kind}");
            }
        }
        self.events.len()
    }
}

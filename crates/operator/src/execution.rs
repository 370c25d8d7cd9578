//! Step Functions executions: start one, look at it, wait for its end.

use std::time::Duration;

use anyhow::{anyhow, Context as _};
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::Value;

use crate::context::sdk_message;

/// An execution as `DescribeExecution` tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The execution ARN.
    pub arn: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// The output (JSON when it parses), once it succeeded.
    pub output: Option<Value>,
    /// The error name, when it failed.
    pub error: Option<String>,
    /// The cause, when it failed.
    pub cause: Option<String>,
}

impl Execution {
    /// Still running.
    pub fn running(&self) -> bool {
        self.status == ExecutionStatus::Running.as_str()
    }

    /// Ended successfully.
    pub fn succeeded(&self) -> bool {
        self.status == ExecutionStatus::Succeeded.as_str()
    }

    /// `FAILED: Error: cause` for an execution that did not succeed.
    pub fn failure(&self) -> String {
        format!(
            "execution {} ended {}: {}: {}",
            self.arn,
            self.status,
            self.error.as_deref().unwrap_or("-"),
            self.cause.as_deref().unwrap_or("-")
        )
    }
}

/// Starts `machine` with `input`; returns the execution ARN.
pub async fn start(
    sfn: &aws_sdk_sfn::Client,
    machine: &str,
    input: &Value,
) -> anyhow::Result<String> {
    let started = sfn
        .start_execution()
        .state_machine_arn(machine)
        .input(input.to_string())
        .send()
        .await
        .map_err(|e| anyhow!(sdk_message(&e)))
        .with_context(|| format!("start an execution of {machine}"))?;
    Ok(started.execution_arn().to_string())
}

/// The execution's status, output, error and cause.
pub async fn describe(sfn: &aws_sdk_sfn::Client, arn: &str) -> anyhow::Result<Execution> {
    let d = sfn
        .describe_execution()
        .execution_arn(arn)
        .send()
        .await
        .map_err(|e| anyhow!(sdk_message(&e)))
        .with_context(|| format!("describe execution {arn}"))?;
    Ok(Execution {
        arn: arn.to_string(),
        status: d.status().as_str().to_string(),
        output: d
            .output()
            .map(|o| serde_json::from_str(o).unwrap_or_else(|_| Value::String(o.to_string()))),
        error: d.error().map(str::to_string),
        cause: d.cause().map(str::to_string),
    })
}

/// The name of the state the execution entered last (from its newest history events).
pub async fn current_state(sfn: &aws_sdk_sfn::Client, arn: &str) -> Option<String> {
    let page = sfn
        .get_execution_history()
        .execution_arn(arn)
        .reverse_order(true)
        .max_results(50)
        .send()
        .await
        .ok()?;
    page.events().iter().find_map(|e| {
        e.state_entered_event_details()
            .map(|d| d.name().to_string())
    })
}

/// Waits for the execution's end, looking every `interval`, with a spinner showing its state.
pub async fn wait(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    interval: Duration,
) -> anyhow::Result<Execution> {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(Duration::from_millis(120));
    loop {
        let execution = describe(sfn, arn).await?;
        if !execution.running() {
            spinner.finish_and_clear();
            return Ok(execution);
        }
        if let Some(state) = current_state(sfn, arn).await {
            spinner.set_message(format!("running: {state}"));
        }
        tokio::time::sleep(interval).await;
    }
}

//! How a run ends (`fail`, `finish`) and its Cleanup (`runs_to_clean`, `cleaned`).

use serde_json::{json, Value};

use super::Config;
use crate::error::{error_code, sdk_error, FunctionError};
use crate::store::{now, RunStatus, StateStore};
use s3insights::input;
use s3insights::run::{cleanup_access, CleanupAccess};

/// Records a failure on the run of `execution_id`. A run this execution does not own (another
/// execution's, reached by a reused `run_id` whose start failed) is left untouched: the answer says
/// so (`recorded: false`) and the state machine then cleans up nothing either.
pub(super) async fn fail(
    store: &StateStore,
    run_id: Option<&str>,
    execution_id: &str,
    error: &Value,
) -> Result<Value, FunctionError> {
    let Some(run_id) = run_id else {
        return Ok(json!({"recorded": false, "reason": "no run id"}));
    };
    let Some(mut record) = store.run(run_id).await? else {
        return Ok(
            json!({"recorded": false, "reason": format!("run {run_id} was never recorded")}),
        );
    };
    if record.execution_id != execution_id {
        tracing::warn!(
            run_id,
            execution_id,
            owner = %record.execution_id,
            error = %error,
            "failure not recorded: the run belongs to another execution"
        );
        return Ok(json!({
            "recorded": false,
            "reason": format!(
                "run {run_id} belongs to execution {}, not to {execution_id}",
                record.execution_id
            ),
        }));
    }
    s3insights::run::record_failure(&mut record, error, &now());
    store.put("run", &record).await?;
    Ok(json!({"recorded": true}))
}

pub(super) async fn finish(
    store: &StateStore,
    run_id: &str,
    report: Value,
    cleanup: Value,
) -> Result<Value, FunctionError> {
    let mut record = store.require_run(run_id).await?;
    record.status = RunStatus::Succeeded;
    record.finished_at = Some(now());
    store.put("run", &record).await?;
    Ok(json!({
        "run_id": run_id,
        "status": record.status.as_str(),
        "report": report,
        "cleanup": cleanup,
        "notes": record.notes,
    }))
}

/// Whether `execution` is still running (an unknown execution is not).
async fn still_running(config: &Config, execution: &str) -> Result<bool, FunctionError> {
    match config
        .sfn
        .describe_execution()
        .execution_arn(execution)
        .send()
        .await
    {
        Ok(answer) => Ok(answer.status == aws_sdk_sfn::types::ExecutionStatus::Running),
        Err(err) if error_code(&err) == Some("ExecutionDoesNotExist") => Ok(false),
        Err(err) => Err(sdk_error(format!("describe execution {execution}"), err)),
    }
}

/// The runs a Cleanup execution cleans: the one its input names, or, when its input names none
/// (`run_id` absent, never null or mistyped: `validate_cleanup` refuses those), every run whose
/// cleanup is pending.
pub(super) async fn runs_to_clean(
    config: &Config,
    request: &Value,
) -> Result<Value, FunctionError> {
    let request = input::validate_cleanup(request)?;
    let store = &config.store;
    if let Some(run_id) = request.run_id.as_deref() {
        let record = store.require_run(run_id).await?;
        let requested_by = request.requested_by.as_deref();
        match cleanup_access(&record.execution_id, requested_by) {
            CleanupAccess::Owner => {}
            CleanupAccess::NotOwned => {
                return Err(FunctionError::RunNotOwned {
                    run_id: run_id.to_string(),
                    owner: record.execution_id,
                    requested_by: requested_by.unwrap_or_default().to_string(),
                })
            }
            CleanupAccess::IfStopped => {
                if still_running(config, &record.execution_id).await? {
                    return Err(FunctionError::RunStillRunning {
                        run_id: run_id.to_string(),
                        execution: record.execution_id,
                    });
                }
            }
        }
        return Ok(json!({"run": {"run_id": run_id, "regions": record.regions}}));
    }
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for record in store.runs_pending_cleanup().await? {
        if still_running(config, &record.execution_id).await? {
            skipped.push(json!({
                "run_id": record.run_id,
                "reason": format!("its Harvester execution {} is still running", record.execution_id),
            }));
        } else {
            runs.push(json!({"run_id": record.run_id}));
        }
    }
    Ok(json!({"runs": runs, "skipped": skipped}))
}

/// Records what this Cleanup achieved (`s3insights::run::cleanup_outcome`) on the run.
pub(super) async fn cleaned(store: &StateStore, run_id: &str) -> Result<Value, FunctionError> {
    let mut record = store.require_run(run_id).await?;
    let accounts = store.accounts(run_id).await?;
    let stacks = store.staging_stacks(run_id).await?;
    let outcome = s3insights::run::cleanup_outcome(run_id, &accounts, &stacks, &now());
    s3insights::run::record_cleanup(&mut record, &outcome);
    store.put("run", &record).await?;
    Ok(outcome)
}

//! The run ledger: a run's record from start to cleanup.
//!
//! `start` is the only way into a run: it validates the whole input before anything exists, refuses a
//! `run_id` used by another execution (the same execution retrying is let through), records the run,
//! stores the input and the account list (which the Distributed Maps read, so the execution's JSON never
//! carries them) and asks SES to verify unknown identities.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{error_code, sdk_error, HarvestError};
use crate::store::{
    run_pk, AccountRecord, RegionRecord, RunRecord, RunStatus, StateStore, CLEANUP_PENDING,
};
use crate::HarvestContext;
use s3insights::input::{self, HarvesterInput};
use s3insights::names::keys;

/// A request to the ledger, as the state machines send it.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LedgerRequest {
    /// Validate and record a run.
    Start {
        /// The Harvester's input, untouched.
        input: Value,
        /// `$$.Execution.Id`.
        execution_id: String,
    },
    /// Record a failure (error and cause from the Catch) on the run, if this execution owns it.
    Fail {
        /// Run id.
        run_id: Option<String>,
        /// `$$.Execution.Id` of the failing execution: only the run's own execution may mark it
        /// failed.
        execution_id: String,
        /// `{Error, Cause}`.
        error: Value,
    },
    /// Record success.
    Finish {
        /// Run id.
        run_id: String,
        /// The report step's output.
        report: Value,
        /// The Cleanup child's output.
        cleanup: Value,
    },
    /// Runs for Cleanup.
    RunsToClean {
        /// Cleanup's input, untouched (`s3insights::input::validate_cleanup` checks it):
        /// `{run_id?, requested_by?, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?}`.
        request: Value,
    },
    /// Record what Cleanup removed.
    Cleaned {
        /// Run id.
        run_id: String,
    },
}

/// Handles one ledger request.
pub async fn handle(ctx: &HarvestContext, request: Value) -> Result<Value, HarvestError> {
    let request: LedgerRequest =
        serde_json::from_value(request).map_err(|e| HarvestError::UnknownRequest(e.to_string()))?;
    let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
    match request {
        LedgerRequest::Start {
            input,
            execution_id,
        } => start(ctx, &store, &input, &execution_id).await,
        LedgerRequest::Fail {
            run_id,
            execution_id,
            error,
        } => fail(&store, run_id.as_deref(), &execution_id, &error).await,
        LedgerRequest::Finish {
            run_id,
            report,
            cleanup,
        } => finish(&store, &run_id, report, cleanup).await,
        LedgerRequest::RunsToClean { request } => runs_to_clean(ctx, &store, &request).await,
        LedgerRequest::Cleaned { run_id } => cleaned(&store, &run_id).await,
    }
}

/// Validates a raw Harvester input with the catalogue's rules (user queries: placeholders, one
/// read-only query) and the regions of the partition of `host_region` (the functions' own region).
pub fn validate(raw: &Value, host_region: &str) -> Result<HarvesterInput, HarvestError> {
    let partition = input::partition_of(host_region);
    input::validate(raw, &s3insights::catalogue::input_rules(partition)).map_err(HarvestError::from)
}

async fn start(
    ctx: &HarvestContext,
    store: &StateStore,
    raw: &Value,
    execution_id: &str,
) -> Result<Value, HarvestError> {
    let input = validate(raw, &ctx.region)?;
    let run_id = input.run_id.clone();
    if let Some(existing) = store.run(&run_id).await? {
        if existing.execution_id != execution_id {
            return Err(HarvestError::RunAlreadyExists {
                run_id,
                execution: existing.execution_id,
            });
        }
    } else {
        ensure_table_is_new(ctx, &input).await?;
    }
    let created = chrono::Utc::now();
    // A smoke test writes its own reports within minutes: it waits at most SMOKE_TEST_WAIT for them.
    let wait = chrono::Duration::hours(i64::from(input.inventory_timeout_hours));
    let deadline = created
        + if input.is_smoke_test {
            wait.min(SMOKE_TEST_WAIT)
        } else {
            wait
        };
    let record = RunRecord {
        pk: run_pk(&run_id),
        sk: "run".into(),
        run_id: run_id.clone(),
        status: RunStatus::Running,
        execution_id: execution_id.to_string(),
        created_at: created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        deadline: deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        regions: input.supported_regions.clone(),
        account_count: input.accounts.len() as u64,
        is_smoke_test: input.is_smoke_test,
        database: input.athena_database_name.clone(),
        table: input.athena_table_name.clone(),
        cleanup_pending: Some(CLEANUP_PENDING.into()),
        error: None,
        cause: None,
        finished_at: None,
        notes: Vec::new(),
        cleanup: None,
    };
    if !store.put_if_absent("run", &record).await? {
        // Another execution won the race for this run id, or this execution is retrying.
        let existing = store.require_run(&run_id).await?;
        if existing.execution_id != execution_id {
            return Err(HarvestError::RunAlreadyExists {
                run_id,
                execution: existing.execution_id,
            });
        }
    }
    put_json(
        ctx,
        &keys::input(&run_id),
        &serde_json::to_value(&input).unwrap_or_default(),
    )
    .await?;
    put_json(
        ctx,
        &keys::accounts(&run_id),
        &serde_json::to_value(&input.accounts).unwrap_or_default(),
    )
    .await?;
    let notes = check_identities(ctx, &input).await?;
    if !notes.is_empty() {
        let mut record = store.require_run(&run_id).await?;
        record.notes = notes;
        store.put("run", &record).await?;
    }
    Ok(json!({
        "run": {
            "run_id": run_id,
            "regions": input.supported_regions,
            "is_smoke_test": input.is_smoke_test,
            "database": input.athena_database_name,
            "table": input.athena_table_name,
            "account_count": input.accounts.len(),
        }
    }))
}

async fn ensure_table_is_new(
    ctx: &HarvestContext,
    input: &HarvesterInput,
) -> Result<(), HarvestError> {
    let answer = ctx
        .athena
        .get_table_metadata()
        .catalog_name("AwsDataCatalog")
        .database_name(&input.athena_database_name)
        .table_name(&input.athena_table_name)
        .send()
        .await;
    match answer {
        Ok(_) => Err(HarvestError::AthenaTableExists {
            database: input.athena_database_name.clone(),
            table: input.athena_table_name.clone(),
        }),
        // Athena answers MetadataException (or a 400) for a missing database or table.
        Err(err) if crate::error::http_status(&err).is_some_and(|s| s < 500) => Ok(()),
        Err(err) => Err(sdk_error(
            format!(
                "check whether {}.{} exists",
                input.athena_database_name, input.athena_table_name
            ),
            err,
        )),
    }
}

/// Asks SES to verify every address it does not know; the notes say which addresses still wait.
async fn check_identities(
    ctx: &HarvestContext,
    input: &HarvesterInput,
) -> Result<Vec<String>, HarvestError> {
    let mut notes = Vec::new();
    let addresses =
        std::iter::once(&input.sender_email_address).chain(input.recipient_email_addresses.iter());
    for address in addresses {
        let domain = address.rsplit('@').next().unwrap_or_default();
        if identity_verified(ctx, domain).await? || identity_verified(ctx, address).await? {
            continue;
        }
        match ctx
            .ses
            .create_email_identity()
            .email_identity(address)
            .send()
            .await
        {
            Ok(_) => notes.push(format!(
                "SES identity {address} was not verified; a verification email was sent"
            )),
            Err(err) if error_code(&err) == Some("AlreadyExistsException") => notes.push(format!(
                "SES identity {address} is not verified yet; the report may not be delivered to it"
            )),
            Err(err) => return Err(sdk_error(format!("create SES identity {address}"), err)),
        }
    }
    Ok(notes)
}

async fn identity_verified(ctx: &HarvestContext, identity: &str) -> Result<bool, HarvestError> {
    match ctx
        .ses
        .get_email_identity()
        .email_identity(identity)
        .send()
        .await
    {
        Ok(answer) => Ok(answer.verified_for_sending_status),
        Err(err) if error_code(&err) == Some("NotFoundException") => Ok(false),
        Err(err) => Err(sdk_error(format!("get SES identity {identity}"), err)),
    }
}

async fn put_json(ctx: &HarvestContext, key: &str, value: &Value) -> Result<(), HarvestError> {
    crate::s3util::put_json(&ctx.s3, &ctx.consolidated_bucket, key, value).await
}

/// Step Functions allows 32 KB of cause; a DynamoDB item 400 KB. Keep causes readable and bounded.
const MAX_CAUSE: usize = 16 * 1024;

/// Records a failure on the run of `execution_id`. A run this execution does not own (another
/// execution's, reached by a reused `run_id` whose start failed) is left untouched: the answer says
/// so (`recorded: false`) and the state machine then cleans up nothing either.
async fn fail(
    store: &StateStore,
    run_id: Option<&str>,
    execution_id: &str,
    error: &Value,
) -> Result<Value, HarvestError> {
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
    let error_type = error["Error"].as_str().unwrap_or("Unknown").to_string();
    let mut cause = error["Cause"].as_str().unwrap_or_default().to_string();
    if cause.len() > MAX_CAUSE {
        let mut cut = MAX_CAUSE;
        while !cause.is_char_boundary(cut) {
            cut -= 1;
        }
        cause.truncate(cut);
    }
    record.status = RunStatus::Failed;
    record.error = Some(error_type);
    record.cause = Some(cause);
    record.finished_at = Some(crate::store::now());
    store.put("run", &record).await?;
    Ok(json!({"recorded": true}))
}

async fn finish(
    store: &StateStore,
    run_id: &str,
    report: Value,
    cleanup: Value,
) -> Result<Value, HarvestError> {
    let mut record = store.require_run(run_id).await?;
    record.status = RunStatus::Succeeded;
    record.finished_at = Some(crate::store::now());
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
async fn still_running(ctx: &HarvestContext, execution: &str) -> Result<bool, HarvestError> {
    match ctx
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
async fn runs_to_clean(
    ctx: &HarvestContext,
    store: &StateStore,
    request: &Value,
) -> Result<Value, HarvestError> {
    let request = input::validate_cleanup(request)?;
    let requested_by = request.requested_by.as_deref().unwrap_or_default();
    if let Some(run_id) = request.run_id.as_deref() {
        let record = store.require_run(run_id).await?;
        // Only the Harvester sets `requested_by`, to its own execution: it may clean its run while
        // it still runs, and never another execution's run.
        if !requested_by.is_empty() && record.execution_id != requested_by {
            return Err(HarvestError::RunNotOwned {
                run_id: run_id.to_string(),
                owner: record.execution_id,
                requested_by: requested_by.to_string(),
            });
        }
        if requested_by.is_empty() && still_running(ctx, &record.execution_id).await? {
            return Err(HarvestError::RunStillRunning {
                run_id: run_id.to_string(),
                execution: record.execution_id,
            });
        }
        return Ok(json!({"run": {"run_id": run_id, "regions": record.regions}}));
    }
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    for record in store.runs_pending_cleanup().await? {
        if still_running(ctx, &record.execution_id).await? {
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

async fn cleaned(store: &StateStore, run_id: &str) -> Result<Value, HarvestError> {
    let mut record = store.require_run(run_id).await?;
    let mut not_removed = Vec::new();
    let mut configurations_removed = 0u64;
    for account in store
        .query_prefix::<AccountRecord>(run_id, "account#")
        .await?
    {
        match account
            .removal
            .as_deref()
            .map(serde_json::from_str::<Value>)
        {
            Some(Ok(removal)) => {
                configurations_removed += removal["removed"].as_u64().unwrap_or(0);
                for item in removal["not_removed"].as_array().into_iter().flatten() {
                    not_removed.push(json!({
                        "kind": "inventory_configuration",
                        "account": account.account,
                        "bucket": item["bucket"],
                        "reason": item["reason"],
                    }));
                }
            }
            _ => not_removed.push(json!({
                "kind": "inventory_configurations",
                "account": account.account,
                "reason": "the account's configurations were not processed by this cleanup",
            })),
        }
    }
    let mut stacks_removed = 0u64;
    for region in store
        .query_prefix::<RegionRecord>(run_id, "region#")
        .await?
    {
        match &region.not_removed {
            Some(reason) => not_removed.push(json!({
                "kind": "regional_stack",
                "region": region.region,
                "stack": region.stack_name,
                "reason": reason,
            })),
            None if region.stack_status == "DELETE_COMPLETE" => stacks_removed += 1,
            None => not_removed.push(json!({
                "kind": "regional_stack",
                "region": region.region,
                "stack": region.stack_name,
                "reason": format!("last seen {}", region.stack_status),
            })),
        }
    }
    let complete = not_removed.is_empty();
    let outcome = json!({
        "run_id": run_id,
        "complete": complete,
        "configurations_removed": configurations_removed,
        "stacks_removed": stacks_removed,
        "not_removed": not_removed,
        "cleaned_at": crate::store::now(),
    });
    record.cleanup = Some(outcome.to_string());
    record.cleanup_pending = if complete {
        None
    } else {
        Some(CLEANUP_PENDING.into())
    };
    store.put("run", &record).await?;
    Ok(outcome)
}

/// The longest a smoke test waits for its reports before the rest are `timed_out`.
pub const SMOKE_TEST_WAIT: chrono::Duration = chrono::Duration::minutes(30);

/// How long Cleanup's callers should expect a stack deletion to take at most (documentation aid).
pub const STACK_DELETE_BUDGET: Duration = Duration::from_secs(30 * 60);

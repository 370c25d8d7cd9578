//! A run's regional transient stacks (`regional-transient.yaml`): one per region, created before any
//! inventory configuration points at its staging bucket, deleted (after emptying the bucket) by Cleanup.
//!
//! Every action is idempotent: creating an existing stack, deleting a missing one, and emptying an
//! empty or missing bucket all succeed, so the state machines may retry any step and Cleanup may run
//! any number of times.

use aws_sdk_cloudformation::types::{Parameter, StackStatus};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{error_code, sdk_error, HarvestError};
use crate::s3util::{empty_bucket, get_json};
use crate::store::{region_sk, run_pk, RegionRecord, StateStore};
use crate::HarvestContext;
use s3insights::input::AccountInput;
use s3insights::names::keys;

/// The template every regional stack is made from: the same file SAM users read.
pub const REGIONAL_TEMPLATE: &str = include_str!("../../../regional-transient.yaml");

/// Accounts per `SourceAccounts*` parameter: 300 ids of 12 digits and their commas stay under
/// CloudFormation's 4,096-character limit on a parameter value.
pub const ACCOUNTS_PER_PARAMETER: usize = 300;

/// The template's four account-list parameters, filled in order (empty ones stay empty, and the
/// template omits their policy statements).
pub fn source_account_parameters(accounts: &[String]) -> Vec<(String, String)> {
    let names = [
        "SourceAccounts",
        "SourceAccounts2",
        "SourceAccounts3",
        "SourceAccounts4",
    ];
    let mut chunks = accounts.chunks(ACCOUNTS_PER_PARAMETER);
    names
        .iter()
        .map(|name| {
            let value = chunks.next().map(|c| c.join(",")).unwrap_or_default();
            (name.to_string(), value)
        })
        .collect()
}

/// Deletion attempts before a stack is reported as not removable.
pub const MAX_DELETE_ATTEMPTS: u32 = 3;

/// A request about one run's stack in one region.
#[derive(Debug, Deserialize)]
pub struct StackRequest {
    /// `create_stack`, `create_status`, `delete_stack` or `delete_status`.
    pub action: String,
    /// Run id.
    pub run_id: String,
    /// Region.
    pub region: String,
}

/// Handles one request.
pub async fn handle(ctx: &HarvestContext, request: Value) -> Result<Value, HarvestError> {
    let request: StackRequest =
        serde_json::from_value(request).map_err(|e| HarvestError::UnknownRequest(e.to_string()))?;
    let store = StateStore::new(ctx.dynamodb.clone(), &ctx.state_table);
    let cfn = aws_sdk_cloudformation::Client::new(&ctx.in_region(&request.region));
    match request.action.as_str() {
        "create_stack" => create(ctx, &store, &cfn, &request).await,
        "create_status" => create_status(ctx, &store, &cfn, &request).await,
        "delete_stack" => delete(ctx, &store, &cfn, &request).await,
        "delete_status" => delete_status(ctx, &store, &cfn, &request).await,
        other => Err(HarvestError::UnknownRequest(format!(
            "regional stacks have no action {other:?}"
        ))),
    }
}

fn record(ctx: &HarvestContext, request: &StackRequest, status: &str) -> RegionRecord {
    RegionRecord {
        pk: run_pk(&request.run_id),
        sk: region_sk(&request.region),
        region: request.region.clone(),
        stack_name: ctx.deployment.regional_stack(&request.run_id),
        staging_bucket: ctx
            .deployment
            .staging_bucket(&request.run_id, &request.region),
        stack_status: status.to_string(),
        delete_attempts: 0,
        not_removed: None,
    }
}

/// The region's record, or a fresh one (a retry after a crash, or Cleanup of a run that never got
/// this far).
async fn stored_record(
    ctx: &HarvestContext,
    store: &StateStore,
    request: &StackRequest,
) -> Result<RegionRecord, HarvestError> {
    Ok(store
        .get(&run_pk(&request.run_id), &region_sk(&request.region))
        .await?
        .unwrap_or_else(|| record(ctx, request, "UNKNOWN")))
}

async fn source_accounts(ctx: &HarvestContext, run_id: &str) -> Result<Vec<String>, HarvestError> {
    let accounts: Vec<AccountInput> =
        get_json(&ctx.s3, &ctx.consolidated_bucket, &keys::accounts(run_id)).await?;
    Ok(accounts.into_iter().map(|a| a.id).collect())
}

async fn create(
    ctx: &HarvestContext,
    store: &StateStore,
    cfn: &aws_sdk_cloudformation::Client,
    request: &StackRequest,
) -> Result<Value, HarvestError> {
    let rec = record(ctx, request, "CREATE_REQUESTED");
    let accounts = source_accounts(ctx, &request.run_id).await?;
    store.put_if_absent("region", &rec).await?;
    let parameter = |key: &str, value: &str| {
        Parameter::builder()
            .parameter_key(key)
            .parameter_value(value)
            .build()
    };
    let mut parameters = vec![
        parameter("BucketName", &rec.staging_bucket),
        parameter("TopicName", &ctx.deployment.staging_topic(&request.run_id)),
        parameter("QueueArn", &ctx.inventory_queue_arn),
    ];
    for (key, value) in source_account_parameters(&accounts) {
        parameters.push(parameter(&key, &value));
    }
    let answer = cfn
        .create_stack()
        .stack_name(&rec.stack_name)
        .template_body(REGIONAL_TEMPLATE)
        .role_arn(&ctx.staging_stack_role_arn)
        .set_parameters(Some(parameters))
        .tags(
            aws_sdk_cloudformation::types::Tag::builder()
                .key("s3insights:run")
                .value(&request.run_id)
                .build(),
        )
        .send()
        .await;
    match answer {
        Ok(_) => {}
        Err(err) if error_code(&err) == Some("AlreadyExistsException") => {}
        Err(err) => {
            return Err(sdk_error(
                format!("create stack {} in {}", rec.stack_name, request.region),
                err,
            ))
        }
    }
    Ok(json!({"region": request.region, "stack": rec.stack_name, "settled": false}))
}

/// The stack's status, `None` when it does not exist.
async fn stack_status(
    cfn: &aws_sdk_cloudformation::Client,
    stack: &str,
    region: &str,
) -> Result<Option<(StackStatus, String)>, HarvestError> {
    match cfn.describe_stacks().stack_name(stack).send().await {
        Ok(answer) => Ok(answer.stacks().first().and_then(|s| {
            s.stack_status().map(|status| {
                (
                    status.clone(),
                    s.stack_status_reason().unwrap_or_default().to_string(),
                )
            })
        })),
        Err(err)
            if error_code(&err) == Some("ValidationError")
                && platform::sdk_error::short(&err).contains("does not exist") =>
        {
            Ok(None)
        }
        Err(err) => Err(sdk_error(
            format!("describe stack {stack} in {region}"),
            err,
        )),
    }
}

/// The first failed resource's reason, for a stack that did not create.
async fn failure_reason(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> Option<String> {
    let events = cfn
        .describe_stack_events()
        .stack_name(stack)
        .send()
        .await
        .ok()?;
    events
        .stack_events()
        .iter()
        .rev()
        .find(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .map(|e| {
            format!(
                "{} {}: {}",
                e.logical_resource_id().unwrap_or_default(),
                e.resource_status().map(|s| s.as_str()).unwrap_or_default(),
                e.resource_status_reason().unwrap_or_default()
            )
        })
}

async fn create_status(
    ctx: &HarvestContext,
    store: &StateStore,
    cfn: &aws_sdk_cloudformation::Client,
    request: &StackRequest,
) -> Result<Value, HarvestError> {
    let mut rec = stored_record(ctx, store, request).await?;
    let status = stack_status(cfn, &rec.stack_name, &request.region).await?;
    let (settled, failed) = match &status {
        Some((StackStatus::CreateComplete, _)) => (true, None),
        Some((StackStatus::CreateInProgress, _)) => (false, None),
        Some((other, reason)) => {
            let detail = failure_reason(cfn, &rec.stack_name)
                .await
                .unwrap_or_else(|| reason.clone());
            (true, Some(format!("{}: {detail}", other.as_str())))
        }
        None => (true, Some("the stack does not exist".to_string())),
    };
    rec.stack_status = status
        .as_ref()
        .map(|(s, _)| s.as_str().to_string())
        .unwrap_or_else(|| "DOES_NOT_EXIST".into());
    store.put("region", &rec).await?;
    if let Some(reason) = failed {
        return Err(HarvestError::StagingStackFailed {
            stack: rec.stack_name,
            region: request.region.clone(),
            reason,
        });
    }
    Ok(json!({"region": request.region, "status": rec.stack_status, "settled": settled}))
}

async fn delete(
    ctx: &HarvestContext,
    store: &StateStore,
    cfn: &aws_sdk_cloudformation::Client,
    request: &StackRequest,
) -> Result<Value, HarvestError> {
    let mut rec = stored_record(ctx, store, request).await?;
    rec.delete_attempts += 1;
    rec.not_removed = None;
    // The bucket must be empty before CloudFormation can delete it.
    let emptied = empty_bucket(&ctx.s3_in(&request.region), &rec.staging_bucket).await?;
    match cfn
        .delete_stack()
        .stack_name(&rec.stack_name)
        .role_arn(&ctx.staging_stack_role_arn)
        .send()
        .await
    {
        Ok(_) => {}
        Err(err) => {
            return Err(sdk_error(
                format!("delete stack {} in {}", rec.stack_name, request.region),
                err,
            ))
        }
    }
    rec.stack_status = "DELETE_REQUESTED".into();
    store.put("region", &rec).await?;
    Ok(json!({"region": request.region, "objects_deleted": emptied, "settled": false}))
}

async fn delete_status(
    ctx: &HarvestContext,
    store: &StateStore,
    cfn: &aws_sdk_cloudformation::Client,
    request: &StackRequest,
) -> Result<Value, HarvestError> {
    let mut rec = stored_record(ctx, store, request).await?;
    let status = stack_status(cfn, &rec.stack_name, &request.region).await?;
    let settled = match &status {
        None | Some((StackStatus::DeleteComplete, _)) => {
            rec.stack_status = "DELETE_COMPLETE".into();
            rec.not_removed = None;
            true
        }
        Some((StackStatus::DeleteInProgress, _)) => {
            rec.stack_status = "DELETE_IN_PROGRESS".into();
            false
        }
        Some((other, reason)) if rec.delete_attempts >= MAX_DELETE_ATTEMPTS => {
            let detail = failure_reason(cfn, &rec.stack_name)
                .await
                .unwrap_or_else(|| reason.clone());
            rec.stack_status = other.as_str().to_string();
            rec.not_removed = Some(format!(
                "{} after {} deletion attempts: {detail}",
                other.as_str(),
                rec.delete_attempts
            ));
            true
        }
        Some(_) => {
            // Something landed in the bucket after it was emptied, or the stack was never asked to
            // go (a retry after a crash): empty and ask again.
            store.put("region", &rec).await?;
            return delete(ctx, store, cfn, request).await;
        }
    };
    store.put("region", &rec).await?;
    Ok(json!({"region": request.region, "status": rec.stack_status, "settled": settled}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_accounts_fit_the_four_parameters_under_the_size_limit() {
        let accounts: Vec<String> = (0..1200).map(|i| format!("{i:012}")).collect();
        let parameters = source_account_parameters(&accounts);
        assert_eq!(parameters.len(), 4);
        assert!(parameters.iter().all(|(_, v)| v.len() <= 4096));
        let all: Vec<&str> = parameters.iter().flat_map(|(_, v)| v.split(',')).collect();
        assert_eq!(all.len(), 1200);
        let few = source_account_parameters(&accounts[..2]);
        assert_eq!(few[0].1, "000000000000,000000000001");
        assert!(few[1..].iter().all(|(_, v)| v.is_empty()));
    }
}

//! `configure_account`: discover an account's buckets and put the run's configuration on each.

use std::collections::HashMap;

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::{AccountRequest, Config, CONCURRENCY};
use crate::error::{sdk_error, FunctionError};
use crate::inventory_configuration::{self, Destination};
use crate::member::probe;
use crate::store::{account_sk, now, run_pk, AccountRecord, BucketChange, BucketRecord};
use s3insights::configuration::{self as decide, destination_prefix};
use s3insights::probe::{after_configuring, role_refused, BeforeConfiguring};
use s3insights::BucketStatus;

/// Every bucket the account owns, with its region when the listing gives it.
async fn list_buckets(
    s3: &aws_sdk_s3::Client,
    account: &str,
) -> Result<Vec<(String, Option<String>)>, FunctionError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_buckets()
            .max_buckets(1000)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| sdk_error(format!("list buckets of {account}"), e))?;
        for bucket in page.buckets() {
            if let Some(name) = bucket.name() {
                out.push((name.to_string(), bucket.bucket_region().map(str::to_string)));
            }
        }
        match page.continuation_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(out),
        }
    }
}

/// The bucket's region: the listing's, else `GetBucketLocation`'s (`Err` with S3's answer).
async fn bucket_region(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    listed: Option<String>,
) -> Result<String, String> {
    if let Some(region) = listed.filter(|r| !r.is_empty()) {
        return Ok(region);
    }
    match s3.get_bucket_location().bucket(bucket).send().await {
        Ok(answer) => Ok(decide::location_region(
            answer.location_constraint().map(|c| c.as_str()),
        )),
        Err(err) => Err(platform::sdk_error::summary("GetBucketLocation", &err)),
    }
}

/// Records the account as unreachable, and answers so.
async fn unreachable(
    config: &Config,
    mut record: AccountRecord,
    reason: String,
) -> Result<Value, FunctionError> {
    record.status = "unreachable".into();
    record.reason = Some(reason);
    config.store.put("account", &record).await?;
    Ok(json!({"account": record.account, "status": "unreachable"}))
}

pub(super) async fn configure_account(
    config: &Config,
    request: &AccountRequest,
) -> Result<Value, FunctionError> {
    let run = config.store.require_run(&request.run_id).await?;
    let account = &request.account.id;
    let mut record = AccountRecord {
        pk: run_pk(&request.run_id),
        sk: account_sk(account),
        account: account.clone(),
        status: "configured".into(),
        ..Default::default()
    };
    let home = match config.members.client(account, &config.region).await {
        Ok(s3) => s3,
        Err(err) => return unreachable(config, record, err.to_string()).await,
    };
    let buckets = match list_buckets(&home, account).await {
        Ok(buckets) => buckets,
        Err(FunctionError::Aws { message, .. }) => {
            return unreachable(config, record, format!("ListBuckets: {message}")).await
        }
        Err(other) => return Err(other),
    };
    record.buckets = buckets.len() as u64;
    let mut in_scope = Vec::new();
    for (name, listed_region) in buckets {
        let excluded = &request.account.exclude;
        if decide::is_excluded(
            &config.deployment,
            &config.consolidated_bucket,
            excluded,
            &name,
        ) {
            record.excluded += 1;
            continue;
        }
        let region = bucket_region(&home, &name, listed_region).await;
        match decide::recorded_region(region, &run.regions) {
            Some(region) => in_scope.push((name, region)),
            None => record.other_regions += 1,
        }
    }
    let results: Vec<Result<BucketStatus, FunctionError>> = stream::iter(in_scope)
        .map(|(bucket, region)| async move {
            configure_bucket(config, &request.run_id, account, &region, &bucket).await
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut counts: HashMap<&'static str, u64> = HashMap::new();
    for result in results {
        *counts.entry(result?.as_str()).or_default() += 1;
    }
    config.store.put("account", &record).await?;
    Ok(json!({"account": account, "status": "configured", "buckets": counts}))
}

/// Records the bucket, then configures it. The record comes first so that Cleanup finds every bucket
/// that may carry our configuration, even if this function dies right after the put.
async fn configure_bucket(
    config: &Config,
    run_id: &str,
    account: &str,
    region: &str,
    bucket: &str,
) -> Result<BucketStatus, FunctionError> {
    let store = &config.store;
    let fresh = decide::first_record(run_id, account, region, bucket, &now());
    if !store.put_if_absent("bucket", &fresh).await? {
        // A retry of this account: keep what the first attempt decided unless it never finished.
        let existing: Option<BucketRecord> = store.get(&fresh.pk, &fresh.sk).await?;
        if let Some(existing) = existing.filter(decide::keeps_earlier_decision) {
            return Ok(existing.status);
        }
    }
    let (status, reason) = decision(config, run_id, account, region, bucket).await?;
    let mut change = BucketChange::to(status);
    change.reason = reason.as_deref();
    change.configured = Some(status == BucketStatus::InProgress);
    let pending = [BucketStatus::InventoryConfigurationNotCreated];
    store
        .transition_bucket(run_id, &fresh.sk, &pending, change)
        .await?;
    Ok(status)
}

/// Looks at the bucket and configures it if it should be: its status and why.
async fn decision(
    config: &Config,
    run_id: &str,
    account: &str,
    region: &str,
    bucket: &str,
) -> Result<(BucketStatus, Option<String>), FunctionError> {
    if let Some(reason) = decide::unknown_region_reason(region) {
        return Ok((BucketStatus::InventoryConfigurationNotCreated, Some(reason)));
    }
    let s3 = match config.members.client(account, region).await {
        Ok(s3) => s3,
        Err(err) => {
            let (status, reason) = role_refused(err.to_string());
            return Ok((status, Some(reason)));
        }
    };
    match probe(&s3, bucket).await?.before_configuring() {
        BeforeConfiguring::Record(status, reason) => Ok((status, reason)),
        BeforeConfiguring::Configure => {
            let deployment = &config.deployment;
            let configuration_id = deployment.configuration_id(run_id);
            let staging_bucket = deployment.staging_bucket(run_id, region);
            let prefix = destination_prefix(account, region);
            let destination = Destination {
                host_account: &deployment.host_account,
                staging_bucket: &staging_bucket,
                prefix: &prefix,
            };
            let put = inventory_configuration::put(&s3, bucket, &configuration_id, destination);
            Ok(after_configuring(put.await))
        }
    }
}

//! `remove_configurations`: Cleanup removes the run's configuration from every bucket of the account
//! that may carry it, and records what it could not remove.

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::{account_buckets_where, AccountRequest, Config, CONCURRENCY};
use crate::error::FunctionError;
use crate::inventory_configuration;
use crate::store::{account_sk, run_pk, AccountRecord};
use s3insights::BucketStatus;

pub(super) async fn remove_configurations(
    config: &Config,
    request: &AccountRequest,
) -> Result<Value, FunctionError> {
    let account = &request.account.id;
    let configuration_id = config.deployment.configuration_id(&request.run_id);
    let buckets = account_buckets_where(config, request, |b| {
        b.configured || b.status == BucketStatus::InventoryConfigurationNotCreated
    })
    .await?;
    let results: Vec<(String, Result<(), String>)> = stream::iter(buckets)
        .map(|b| {
            let configuration_id = &configuration_id;
            async move {
                let outcome = match config.members.client(account, &b.region).await {
                    Ok(s3) => {
                        inventory_configuration::remove(&s3, &b.bucket, configuration_id).await
                    }
                    Err(err) => Err(err.to_string()),
                };
                (b.bucket, outcome)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut removed = 0u64;
    let mut not_removed = Vec::new();
    for (bucket, outcome) in results {
        match outcome {
            Ok(()) => removed += 1,
            Err(reason) => not_removed.push(json!({"bucket": bucket, "reason": reason})),
        }
    }
    let pk = run_pk(&request.run_id);
    let mut record: AccountRecord = config
        .store
        .get(&pk, &account_sk(account))
        .await?
        .unwrap_or_else(|| AccountRecord {
            pk: pk.clone(),
            sk: account_sk(account),
            account: account.clone(),
            status: "not_configured".into(),
            ..Default::default()
        });
    let removal = json!({"removed": removed, "not_removed": not_removed});
    record.removal = Some(removal.to_string());
    config.store.put("account", &record).await?;
    Ok(json!({"account": account, "removed": removed, "not_removed": not_removed.len()}))
}

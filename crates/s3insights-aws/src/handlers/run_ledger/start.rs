//! `start`: validate, record, store the input, check the email identities.

use serde_json::{json, Value};

use super::Config;
use crate::error::{error_code, http_status, sdk_error, FunctionError};
use crate::s3::put_json;
use s3insights::input::{self, HarvesterInput, InvalidInput};
use s3insights::names::keys;

/// Validates a raw Harvester input with the catalogue's rules (user queries: placeholders, one
/// read-only query) and the regions of the partition of `host_region` (the functions' own region).
pub fn validate(raw: &Value, host_region: &str) -> Result<HarvesterInput, FunctionError> {
    let partition = input::partition_of(host_region);
    input::validate(raw, &s3insights::catalogue::input_rules(partition))
        .map_err(FunctionError::from)
}

/// Refuses a run id another execution owns.
fn owned(run_id: &str, owner: String, execution_id: &str) -> Result<(), FunctionError> {
    if owner == execution_id {
        Ok(())
    } else {
        Err(FunctionError::RunAlreadyExists {
            run_id: run_id.to_string(),
            execution: owner,
        })
    }
}

pub(super) async fn start(
    config: &Config,
    raw: &Value,
    execution_id: &str,
) -> Result<Value, FunctionError> {
    let store = &config.store;
    let mut input = validate(raw, &config.region)?;
    let run_id = input.run_id.clone();
    if let Some(organization) = &input.organization {
        let resolved = super::organization::resolve(&config.organizations, organization).await?;
        input.resolved_organization = Some(resolved);
    }
    let run_accounts = input
        .run_accounts()
        .map_err(|problem| FunctionError::InvalidInput(InvalidInput::harvester(vec![problem])))?;
    match store.run(&run_id).await? {
        Some(existing) => owned(&run_id, existing.execution_id, execution_id)?,
        None => ensure_table_is_new(config, &input).await?,
    }
    let mut record = s3insights::run::first_record(&input, execution_id, chrono::Utc::now());
    record.account_count = run_accounts.len() as u64;
    if !store.put_if_absent("run", &record).await? {
        // Another execution won the race for this run id, or this execution is retrying.
        let existing = store.require_run(&run_id).await?;
        owned(&run_id, existing.execution_id, execution_id)?;
    }
    let bucket = &config.consolidated_bucket;
    let stored = serde_json::to_value(&input).unwrap_or_default();
    put_json(&config.s3, bucket, &keys::input(&run_id), &stored).await?;
    let accounts = serde_json::to_value(&run_accounts).unwrap_or_default();
    put_json(&config.s3, bucket, &keys::accounts(&run_id), &accounts).await?;
    let mut notes = check_identities(config, &input).await?;
    if let Some(note) = s3insights::run::organization_note(&input) {
        notes.insert(0, note);
    }
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
            "account_count": run_accounts.len(),
        }
    }))
}

async fn ensure_table_is_new(config: &Config, input: &HarvesterInput) -> Result<(), FunctionError> {
    let answer = config
        .athena
        .get_table_metadata()
        .catalog_name("AwsDataCatalog")
        .database_name(&input.athena_database_name)
        .table_name(&input.athena_table_name)
        .send()
        .await;
    match answer {
        Ok(_) => Err(FunctionError::AthenaTableExists {
            database: input.athena_database_name.clone(),
            table: input.athena_table_name.clone(),
        }),
        // Athena answers MetadataException (or a 400) for a missing database or table.
        Err(err) if http_status(&err).is_some_and(|s| s < 500) => Ok(()),
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
    config: &Config,
    input: &HarvesterInput,
) -> Result<Vec<String>, FunctionError> {
    let mut notes = Vec::new();
    let addresses =
        std::iter::once(&input.sender_email_address).chain(input.recipient_email_addresses.iter());
    for address in addresses {
        let domain = address.rsplit('@').next().unwrap_or_default();
        if identity_verified(config, domain).await? || identity_verified(config, address).await? {
            continue;
        }
        match config
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

async fn identity_verified(config: &Config, identity: &str) -> Result<bool, FunctionError> {
    match config
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

//! Reading the organization a Harvester input names: every account under its roots and
//! organizational units, recursively, before anything of the run is created.

use aws_sdk_organizations::types::{Account, AccountState, AccountStatus};
use s3insights::input::{InvalidInput, OrganizationInput, Problem, ResolvedOrganization};

use crate::error::{error_code, sdk_error, FunctionError};

/// Errors of Organizations that are the input's or the host's setup, not worth retrying: the
/// caller is told what to fix.
const SETUP_ERRORS: [&str; 3] = [
    "AWSOrganizationsNotInUseException",
    "AccessDeniedException",
    "AccessDeniedForDependencyException",
];

fn refused(field: &str, message: String) -> FunctionError {
    FunctionError::InvalidInput(InvalidInput::harvester(vec![Problem {
        field: field.to_string(),
        message,
    }]))
}

/// Reads the organization: its id and the ACTIVE accounts under `organization.units`, less
/// `exclude_accounts`. A unit Organizations does not know, and Organizations not available to the
/// host (not the management account or a delegated administrator, or no permission), are input
/// errors naming the unit or the setup to fix.
pub(super) async fn resolve(
    client: &aws_sdk_organizations::Client,
    organization: &OrganizationInput,
) -> Result<ResolvedOrganization, FunctionError> {
    let described = client.describe_organization().send().await;
    let id = match described {
        Ok(out) => out.organization.and_then(|o| o.id).unwrap_or_default(),
        Err(err) if error_code(&err).is_some_and(|c| SETUP_ERRORS.contains(&c)) => {
            return Err(refused(
                "organization",
                format!(
                    "AWS Organizations is not available to the host account ({}); run the \
                     Harvester in the management account or a delegated administrator, with \
                     organizations:DescribeOrganization, ListAccountsForParent and \
                     ListOrganizationalUnitsForParent (docs/operations.md)",
                    platform::sdk_error::summary("DescribeOrganization", &err)
                ),
            ))
        }
        Err(err) => return Err(sdk_error("describe the organization", err)),
    };
    let mut resolved = ResolvedOrganization {
        id,
        accounts: Vec::new(),
        excluded: 0,
        inactive: 0,
    };
    let mut seen = std::collections::BTreeSet::new();
    for (i, unit) in organization.units.iter().enumerate() {
        let field = format!("organization.units[{i}]");
        for account in accounts_under(client, unit, &field).await? {
            let Some(account_id) = account.id().map(str::to_string) else {
                continue;
            };
            if !seen.insert(account_id.clone()) {
                continue;
            }
            if !active(&account) {
                resolved.inactive += 1;
            } else if organization.exclude_accounts.contains(&account_id) {
                resolved.excluded += 1;
            } else {
                resolved.accounts.push(account_id);
            }
        }
    }
    Ok(resolved)
}

/// ACTIVE by `State`, or by the deprecated `Status` where `State` is absent.
fn active(account: &Account) -> bool {
    match account.state() {
        Some(state) => *state == AccountState::Active,
        None => account.status() == Some(&AccountStatus::Active),
    }
}

/// Organizational units read at once. Pages of one parent follow each other (a `NextToken` chain);
/// parents are independent, so a wide organization is read a level at a time, this many parents at
/// once, within Organizations' request rate (the SDK's retries absorb its throttling).
const PARENTS_AT_ONCE: usize = 8;

/// Every account under `unit`, its organizational units' included, every page.
async fn accounts_under(
    client: &aws_sdk_organizations::Client,
    unit: &str,
    field: &str,
) -> Result<Vec<Account>, FunctionError> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    let mut level = vec![unit.to_string()];
    let mut accounts = Vec::new();
    while !level.is_empty() {
        let read: Vec<(Vec<Account>, Vec<String>)> = stream::iter(level)
            .map(|parent| children(client, unit, parent, field))
            .buffered(PARENTS_AT_ONCE)
            .try_collect()
            .await?;
        level = Vec::new();
        for (under, units) in read {
            accounts.extend(under);
            level.extend(units);
        }
    }
    Ok(accounts)
}

/// The accounts directly under `parent` and the ids of its organizational units, every page.
async fn children(
    client: &aws_sdk_organizations::Client,
    unit: &str,
    parent: String,
    field: &str,
) -> Result<(Vec<Account>, Vec<String>), FunctionError> {
    // Organizations' paginators have no item streams: every page, then their entries. The two
    // listings of a parent are independent: both at once.
    use futures::TryFutureExt;
    let (account_pages, unit_pages): (Vec<_>, Vec<_>) = futures::try_join!(
        client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send()
            .collect::<Result<_, _>>()
            .map_err(|e| unit_error(field, unit, &parent, e)),
        client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send()
            .collect::<Result<_, _>>()
            .map_err(|e| unit_error(field, unit, &parent, e)),
    )?;
    let accounts = account_pages
        .into_iter()
        .flat_map(|page| page.accounts.unwrap_or_default())
        .collect();
    let units = unit_pages
        .into_iter()
        .flat_map(|page| page.organizational_units.unwrap_or_default())
        .filter_map(|ou| ou.id)
        .collect();
    Ok((accounts, units))
}

fn unit_error<E>(
    field: &str,
    unit: &str,
    parent: &str,
    err: aws_sdk_organizations::error::SdkError<E>,
) -> FunctionError
where
    E: std::error::Error + aws_sdk_organizations::error::ProvideErrorMetadata + 'static,
{
    match error_code(&err) {
        Some("ParentNotFoundException") | Some("InvalidInputException") if parent == unit => {
            refused(
                field,
                format!(
                    "{unit} is no root or organizational unit of the organization ({})",
                    platform::sdk_error::short(&err)
                ),
            )
        }
        Some(code) if SETUP_ERRORS.contains(&code) => refused(
            field,
            format!(
                "the host may not read {parent} in AWS Organizations ({})",
                platform::sdk_error::short(&err)
            ),
        ),
        _ => sdk_error(format!("list the accounts under {parent}"), err),
    }
}

//! Accounts from AWS Organizations: the `organization` field of the Harvester input, and a run's
//! accounts once the host has read the organization.
//!
//! `"organization": {"units": ["r-xxxx" | "ou-xxxx-yyyyyyyy", ...], "exclude_accounts": [...]}`
//! names roots and organizational units; the run covers every ACTIVE account under them,
//! recursively, merged with `accounts` (an account in both counts once and keeps its `exclude`), less
//! `exclude_accounts`. The run-ledger reads the organization (`ListOrganizationalUnitsForParent`,
//! `ListAccountsForParent`) before anything is created; what it found is a
//! [`ResolvedOrganization`], recorded with the run.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{kind, shown, AccountInput, Collector, HarvesterInput, Problem, MAX_RUN_ACCOUNTS};

/// The `organization` field as validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationInput {
    /// Roots (`r-…`) and organizational units (`ou-…-…`) whose accounts the run covers, recursively.
    pub units: Vec<String>,
    /// Accounts under those units to leave out.
    #[serde(default)]
    pub exclude_accounts: Vec<String>,
}

/// What reading the organization found: recorded with the run and shown in its report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedOrganization {
    /// The organization's id (`o-…`): the staging buckets let S3 deliver for any of its accounts
    /// (`aws:SourceOrgID`).
    pub id: String,
    /// The ACTIVE accounts under the units, less `exclude_accounts`, in the order found.
    pub accounts: Vec<String>,
    /// Accounts under the units left out by `exclude_accounts`.
    pub excluded: u64,
    /// Accounts under the units that are not ACTIVE (suspended, closing, closed).
    pub inactive: u64,
}

/// True for a root id (`r-` and 4–32 lower-case letters or digits), as Organizations shapes them.
pub fn is_root_id(s: &str) -> bool {
    s.strip_prefix("r-")
        .is_some_and(|rest| id_part(rest, 4, 32))
}

/// True for an organizational unit id (`ou-`, 4–32 lower-case letters or digits, `-`, 8–32 more).
pub fn is_unit_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("ou-") else {
        return false;
    };
    match rest.split_once('-') {
        Some((root, unit)) => id_part(root, 4, 32) && id_part(unit, 8, 32),
        None => false,
    }
}

fn id_part(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Validates `organization` (absent or null: none).
pub(super) fn organization(
    object: &Map<String, Value>,
    c: &mut Collector,
) -> Option<OrganizationInput> {
    let entry = match object.get("organization") {
        None | Some(Value::Null) => return None,
        Some(Value::Object(entry)) => entry,
        Some(other) => {
            c.add(
                "organization",
                format!(
                    "must be an object {{\"units\", \"exclude_accounts\"}}, got {}",
                    kind(other)
                ),
            );
            return None;
        }
    };
    for key in entry.keys() {
        if key != "units" && key != "exclude_accounts" {
            c.add(
                format!("organization.{key}"),
                "unknown field (an organization has \"units\" and optional \"exclude_accounts\")",
            );
        }
    }
    let units = strings(
        entry,
        "units",
        c,
        |s| is_root_id(s) || is_unit_id(s),
        "a root id (r-…) or an organizational unit id (ou-…-…)",
    );
    if units.is_empty() && matches!(entry.get("units"), Some(Value::Array(list)) if list.is_empty())
    {
        c.add(
            "organization.units",
            "must name at least one root or organizational unit",
        );
    }
    if entry.get("units").is_none() {
        c.add(
            "organization.units",
            "is required: a list of root and organizational unit ids",
        );
    }
    let exclude_accounts = strings(
        entry,
        "exclude_accounts",
        c,
        super::fields::is_account_id,
        "a 12-digit AWS account id",
    );
    Some(OrganizationInput {
        units,
        exclude_accounts,
    })
}

/// A list of distinct strings at `organization.<field>`, each passing `valid` (what it must be:
/// `must`).
fn strings(
    entry: &Map<String, Value>,
    field: &str,
    c: &mut Collector,
    valid: impl Fn(&str) -> bool,
    must: &str,
) -> Vec<String> {
    let at = format!("organization.{field}");
    let list = match entry.get(field) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(other) => {
            c.add(&at, format!("must be a list, got {}", kind(other)));
            return Vec::new();
        }
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, value) in list.iter().enumerate() {
        match value.as_str() {
            Some(s) if valid(s) => {
                if seen.insert(s.to_string()) {
                    out.push(s.to_string());
                } else {
                    c.add(
                        format!("{at}[{i}]"),
                        format!("{} is listed twice", shown(value)),
                    );
                }
            }
            _ => c.add(
                format!("{at}[{i}]"),
                format!("must be {must}, got {}", shown(value)),
            ),
        }
    }
    out
}

impl HarvesterInput {
    /// The accounts the run covers: `accounts` in their order (with their `exclude`), then the
    /// organization's accounts not among them; at most [`MAX_RUN_ACCOUNTS`], and at least one.
    pub fn run_accounts(&self) -> Result<Vec<AccountInput>, Problem> {
        let mut accounts = self.accounts.clone();
        let mut seen: BTreeSet<&str> = self.accounts.iter().map(|a| a.id.as_str()).collect();
        if let Some(resolved) = &self.resolved_organization {
            for id in &resolved.accounts {
                if seen.insert(id) {
                    accounts.push(AccountInput {
                        id: id.clone(),
                        exclude: Vec::new(),
                    });
                }
            }
        }
        let problem = |field: &str, message: String| Problem {
            field: field.to_string(),
            message,
        };
        if accounts.is_empty() {
            return Err(match &self.resolved_organization {
                Some(r) => problem("organization", format!(
                    "no ACTIVE account under the units ({} excluded by exclude_accounts, {} not active) and no accounts listed",
                    r.excluded, r.inactive
                )),
                None => problem("accounts", "must name at least one account".to_string()),
            });
        }
        if accounts.len() > MAX_RUN_ACCOUNTS {
            return Err(problem("organization", format!(
                "the run would cover {} accounts, at most {MAX_RUN_ACCOUNTS}; name fewer units or split the estate over several runs",
                accounts.len()
            )));
        }
        Ok(accounts)
    }

    /// Whose reports the staging buckets accept: the organization (`aws:SourceOrgID`), if the run's
    /// accounts come from one, and the listed accounts it does not cover (`aws:SourceAccount`).
    pub fn delivery_sources(&self) -> (Option<String>, Vec<String>) {
        let Some(resolved) = &self.resolved_organization else {
            return (None, self.accounts.iter().map(|a| a.id.clone()).collect());
        };
        let covered: BTreeSet<&str> = resolved.accounts.iter().map(String::as_str).collect();
        let listed = self
            .accounts
            .iter()
            .filter(|a| !covered.contains(a.id.as_str()))
            .map(|a| a.id.clone())
            .collect();
        (Some(resolved.id.clone()), listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{partition, validate, Rules};

    fn rules() -> Rules<'static> {
        crate::catalogue::input_rules(partition("aws").expect("the aws partition"))
    }

    fn base_input() -> Value {
        serde_json::json!({
            "run_id": "r1",
            "accounts": [{"id": "123456789012"}],
            "sender_email_address": "from@example.com",
            "recipient_email_addresses": ["to@example.com"],
        })
    }

    #[test]
    fn root_and_unit_ids_have_organizations_shapes() {
        assert!(is_root_id("r-ab12"));
        assert!(!is_root_id("r-ab1"));
        assert!(!is_root_id("r-AB12"));
        assert!(is_unit_id("ou-ab12-abcdefgh"));
        assert!(!is_unit_id("ou-ab12-abcdefg"));
        assert!(!is_unit_id("ou-ab12"));
        assert!(!is_unit_id("r-ab12"));
    }

    #[test]
    fn an_organization_makes_accounts_optional_and_bad_units_are_named() {
        let mut raw = base_input();
        raw.as_object_mut().unwrap().remove("accounts");
        raw["organization"] = serde_json::json!({"units": ["r-ab12", "ou-ab12-abcdefgh"], "exclude_accounts": ["111111111111"]});
        let input = validate(&raw, &rules()).unwrap();
        let org = input.organization.clone().unwrap();
        assert_eq!(org.units, ["r-ab12", "ou-ab12-abcdefgh"]);
        assert_eq!(org.exclude_accounts, ["111111111111"]);
        assert!(input.accounts.is_empty());

        raw["organization"] = serde_json::json!({"units": ["ou-x", "r-ab12", "r-ab12"], "exclude_accounts": [5], "extra": 1});
        let problems = validate(&raw, &rules()).unwrap_err().to_string();
        for expected in [
            "organization.units[0]: must be a root id (r-…) or an organizational unit id (ou-…-…), got \"ou-x\"",
            "organization.units[2]: \"r-ab12\" is listed twice",
            "organization.exclude_accounts[0]: must be a 12-digit AWS account id, got 5",
            "organization.extra: unknown field",
        ] {
            assert!(problems.contains(expected), "{expected}\n{problems}");
        }
        raw["organization"] = serde_json::json!({"units": []});
        let problems = validate(&raw, &rules()).unwrap_err().to_string();
        assert!(
            problems.contains("organization.units: must name at least one"),
            "{problems}"
        );
        // Without an organization, accounts stay required.
        raw.as_object_mut().unwrap().remove("organization");
        let problems = validate(&raw, &rules()).unwrap_err().to_string();
        assert!(problems.contains("accounts: is required"), "{problems}");
    }

    fn resolved(accounts: &[&str]) -> ResolvedOrganization {
        ResolvedOrganization {
            id: "o-abcdefghij".into(),
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            excluded: 1,
            inactive: 2,
        }
    }

    #[test]
    fn listed_and_organization_accounts_merge_once_and_listed_ones_keep_their_exclusions() {
        let mut input = validate(&base_input(), &rules()).unwrap();
        let listed = input.accounts[0].id.clone();
        input.accounts[0].exclude = vec!["keep-out".into()];
        input.resolved_organization = Some(resolved(&["222222222222", &listed, "333333333333"]));
        let accounts = input.run_accounts().unwrap();
        let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, [listed.as_str(), "222222222222", "333333333333"]);
        assert_eq!(accounts[0].exclude, ["keep-out"]);
        // The organization covers its accounts; a listed one outside it is named.
        assert_eq!(
            input.delivery_sources(),
            (Some("o-abcdefghij".into()), vec![])
        );
        input.resolved_organization = Some(resolved(&["222222222222"]));
        assert_eq!(
            input.delivery_sources(),
            (Some("o-abcdefghij".into()), vec![listed.clone()])
        );
        input.resolved_organization = None;
        assert_eq!(input.delivery_sources(), (None, vec![listed]));
    }

    #[test]
    fn an_empty_or_oversized_resolution_is_an_input_error() {
        let mut input = validate(&base_input(), &rules()).unwrap();
        input.accounts.clear();
        input.resolved_organization = Some(resolved(&[]));
        let err = input.run_accounts().unwrap_err().to_string();
        assert_eq!(err, "organization: no ACTIVE account under the units (1 excluded by exclude_accounts, 2 not active) and no accounts listed");
        let many: Vec<String> = (0..=MAX_RUN_ACCOUNTS).map(|i| format!("{i:012}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        input.resolved_organization = Some(resolved(&refs));
        assert!(input
            .run_accounts()
            .unwrap_err()
            .message
            .contains("at most 20000"));
    }
}

//! The Harvester input contract, and its validation.
//!
//! The fields are the original S3Insights' (`run_id`, `accounts[{id, exclude}]`,
//! `athena_database_name`, `athena_table_name`, `athena_queries[{name, query}]`,
//! `sender_email_address`, `recipient_email_addresses`, `supported_regions`, `is_smoke_test`), with
//! `exclude` optional as the original documented, plus one addition, `inventory_timeout_hours`.
//! Validation walks the raw JSON rather than deserialising it, so that **every** problem is reported at
//! once, each naming its field (`accounts[2].id`), before the run creates anything.
//!
//! The rules that depend on where the run happens are given by the caller ([`Rules`]): the host's
//! partition (regions are checked against its real region list, [`partitions`]) and the user-query
//! check (the catalogue's: placeholders, and one read-only query). Cleanup's input has its own
//! contract ([`validate_cleanup`]).

use std::fmt;

mod cleanup;
mod email;
mod fields;
mod organization;
mod partitions;
mod prices;

pub use cleanup::{validate_cleanup, CleanupInput, CLEANUP_FIELDS};
pub use email::{email_address_problem, is_email_address};
pub use fields::is_bucket_name;
use fields::{accounts, email, flag, hours, identifier, queries, recipients, regions, run_id};
pub use organization::{is_root_id, is_unit_id, OrganizationInput, ResolvedOrganization};
pub use partitions::{partition, partition_of, partitions, source, Partition, Source};
pub use prices::StoragePrices;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The regions a run covers when the input names none and its host is in the `aws` partition: the
/// original's fifteen plus `eu-north-1` and `ap-northeast-3`, enabled by default in every account
/// since (the others are opt-in regions). In any other partition the default is every region of the
/// partition ([`default_regions_in`]): those partitions have no opt-in regions.
pub const DEFAULT_REGIONS: [&str; 17] = [
    "ap-south-1",
    "eu-west-3",
    "eu-west-2",
    "eu-west-1",
    "eu-north-1",
    "ap-northeast-2",
    "ap-northeast-1",
    "ap-northeast-3",
    "sa-east-1",
    "ca-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "eu-central-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Athena database used when the input names none (the original's default).
pub const DEFAULT_DATABASE: &str = "s3insights";
/// Longest run id: it is part of bucket names, which S3 caps at 63 characters.
pub const MAX_RUN_ID_LEN: usize = 12;
/// Inventory deadline when the input names none. S3 documents delivery "within 48 hours".
pub const DEFAULT_INVENTORY_TIMEOUT_HOURS: u32 = 48;
/// Longest deadline a run may ask for.
pub const MAX_INVENTORY_TIMEOUT_HOURS: u32 = 96;
/// Accounts per run: the staging buckets' policies name every account (`aws:SourceAccount`, as AWS
/// documents for inventory destinations), in four CloudFormation parameters of at most 300 each.
pub const MAX_ACCOUNTS: usize = 1200;
/// Accounts per run, listed and from the organization together: the run's accounts travel in
/// `runs/<run>/accounts.json` to a Distributed Map, so no Step Functions payload holds them; the
/// staging buckets allow the organization (`aws:SourceOrgID`) instead of naming its accounts.
/// Measured offline at 10,000 (`tests/tests/harvester_scale.rs`).
pub const MAX_RUN_ACCOUNTS: usize = 20_000;
/// SESv2 accepts at most 50 recipients per message.
pub const MAX_RECIPIENTS: usize = 50;
/// User queries per run; each runs as its own Athena query.
pub const MAX_QUERIES: usize = 50;
/// Athena's query string limit (bytes).
pub const MAX_QUERY_BYTES: usize = 262_144;
/// Step Functions' largest execution input: 262,144 bytes of UTF-8 (StartExecution's `input`,
/// "Length Constraints: Maximum length of 262144", Step Functions API Reference).
pub const MAX_EXECUTION_INPUT_BYTES: usize = 262_144;

/// [`DEFAULT_REGIONS`], owned.
pub fn default_regions() -> Vec<String> {
    DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect()
}

/// The regions a run covers by default in `partition`: [`DEFAULT_REGIONS`] in `aws`, every region of
/// the partition elsewhere.
pub fn default_regions_in(partition: &Partition) -> Vec<String> {
    if partition.id == "aws" {
        default_regions()
    } else {
        partition.region_names().map(str::to_string).collect()
    }
}

/// One account of the run, as validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInput {
    /// 12-digit account id.
    pub id: String,
    /// Bucket names to leave alone, lower-cased (bucket names are lower case).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// One user query, as validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Name shown in the report; unique within the run and distinct from the built-in queries.
    pub name: String,
    /// SQL with `{database}` and `{table}` placeholders.
    pub query: String,
}

/// A Harvester input that passed validation, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarvesterInput {
    /// Run id: 1–12 lower-case letters and digits; names every transient resource.
    pub run_id: String,
    /// Accounts listed in the input, in input order, without duplicates (the run's accounts are
    /// these and the organization's: [`HarvesterInput::run_accounts`]).
    pub accounts: Vec<AccountInput>,
    /// Roots and organizational units whose accounts the run covers too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationInput>,
    /// What the host found in the organization (set by the run-ledger before anything is created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_organization: Option<ResolvedOrganization>,
    /// Athena database (created if missing).
    pub athena_database_name: String,
    /// Athena table (must not exist yet, smoke tests included: a run never overwrites a table).
    pub athena_table_name: String,
    /// User queries, run after the built-in catalogue.
    pub athena_queries: Vec<UserQuery>,
    /// SES sender.
    pub sender_email_address: String,
    /// SES recipients.
    pub recipient_email_addresses: Vec<String>,
    /// Regions the run covers; buckets elsewhere are recorded as out of scope, never configured.
    pub supported_regions: Vec<String>,
    /// Smoke test: the real pipeline on a synthetic report, in minutes.
    pub is_smoke_test: bool,
    /// Hours to wait for inventory reports before the remaining buckets are `timed_out`.
    pub inventory_timeout_hours: u32,
    /// The operator's storage prices, in place of the built-in table's where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_prices: Option<StoragePrices>,
}

/// One thing wrong with an input: the field's path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// JSON path of the field, e.g. `accounts[2].id`, or `(input)` for the document itself.
    pub field: String,
    /// What is wrong, with the offending value where that helps.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Which input a problem list is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// The Harvester's input ([`validate`]).
    Harvester,
    /// Cleanup's input ([`validate_cleanup`]).
    Cleanup,
}

impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Contract::Harvester => "Harvester",
            Contract::Cleanup => "Cleanup",
        })
    }
}

/// Every problem found in an input. Its `Display` names the input and lists every problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidInput {
    /// Whose input it is.
    pub contract: Contract,
    /// The problems, in field order.
    pub problems: Vec<Problem>,
}

impl InvalidInput {
    /// The Harvester's input refused for `problems`.
    pub fn harvester(problems: Vec<Problem>) -> Self {
        InvalidInput {
            contract: Contract::Harvester,
            problems,
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} input ({} problem",
            self.contract,
            self.problems.len()
        )?;
        if self.problems.len() != 1 {
            f.write_str("s")?;
        }
        f.write_str("): ")?;
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Checks a user query's SQL template; given by the caller so this module stays independent of the
/// catalogue's rules. The error is a phrase that follows the query's name (`is a DROP statement; …`).
pub type QueryCheck = fn(&str) -> Result<(), String>;

/// What a Harvester input is validated against, besides its own contract.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The built-in queries' names, which user queries may not reuse.
    pub builtin_query_names: &'a [&'a str],
    /// The check of each user query (the catalogue's `check_user_query`).
    pub check_query: QueryCheck,
    /// The host's partition: `supported_regions` must be its regions, and the default depends on it.
    pub partition: &'a Partition,
}

/// The Harvester input's fields.
pub const KNOWN_FIELDS: [&str; 12] = [
    "run_id",
    "accounts",
    "organization",
    "athena_database_name",
    "athena_table_name",
    "athena_queries",
    "sender_email_address",
    "recipient_email_addresses",
    "supported_regions",
    "is_smoke_test",
    "inventory_timeout_hours",
    "storage_prices",
];

pub(crate) struct Collector {
    contract: Contract,
    problems: Vec<Problem>,
}

impl Collector {
    pub(crate) fn new(contract: Contract) -> Self {
        Collector {
            contract,
            problems: Vec::new(),
        }
    }

    pub(crate) fn into_error(self) -> InvalidInput {
        InvalidInput {
            contract: self.contract,
            problems: self.problems,
        }
    }

    /// `value` when no problem was found, else every problem.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, InvalidInput> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(self.into_error())
        }
    }

    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }
}

/// A short rendering of a JSON value for messages (long values are cut).
pub(crate) fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Validates a raw Harvester input against its contract and `rules`.
pub fn validate(raw: &Value, rules: &Rules<'_>) -> Result<HarvesterInput, InvalidInput> {
    let mut c = Collector::new(Contract::Harvester);
    let Some(object) = raw.as_object() else {
        c.add(
            "(input)",
            format!("must be a JSON object, got {}", kind(raw)),
        );
        return Err(c.into_error());
    };
    input_size(raw, &mut c);
    for key in object.keys() {
        if !KNOWN_FIELDS.contains(&key.as_str()) {
            c.add(
                key.clone(),
                format!("unknown field (known fields: {})", KNOWN_FIELDS.join(", ")),
            );
        }
    }

    let run_id = run_id(object, &mut c);
    let organization = organization::organization(object, &mut c);
    let accounts = accounts(object, organization.is_none(), &mut c);
    let athena_database_name =
        identifier(object, "athena_database_name", &mut c).unwrap_or(DEFAULT_DATABASE.to_string());
    let athena_table_name = identifier(object, "athena_table_name", &mut c)
        .unwrap_or_else(|| format!("{run_id}inventorytable"));
    let athena_queries = queries(object, rules, &mut c);
    let sender_email_address = match object.get("sender_email_address") {
        None => {
            c.add("sender_email_address", "is required");
            String::new()
        }
        Some(value) => email(value, "sender_email_address", &mut c).unwrap_or_default(),
    };
    let recipient_email_addresses = recipients(object, &mut c);
    let supported_regions = regions(object, rules.partition, &mut c);
    let is_smoke_test = flag(object, "is_smoke_test", &mut c);
    let inventory_timeout_hours = hours(object, "inventory_timeout_hours", &mut c);
    let storage_prices = prices::storage_prices(object, rules.partition, &mut c);
    c.finish(HarvesterInput {
        run_id,
        accounts,
        organization,
        resolved_organization: None,
        athena_database_name,
        athena_table_name,
        athena_queries,
        sender_email_address,
        recipient_email_addresses,
        supported_regions,
        is_smoke_test,
        inventory_timeout_hours,
        storage_prices,
    })
}

/// The execution input Step Functions accepts is at most [`MAX_EXECUTION_INPUT_BYTES`]; an input
/// passed on by a caller that skipped that limit (or arriving another way) is refused the same way.
/// The size measured is the compact JSON, the smallest form the input can take.
fn input_size(raw: &Value, c: &mut Collector) {
    let size = serde_json::to_vec(raw).map(|v| v.len()).unwrap_or(0);
    if size > MAX_EXECUTION_INPUT_BYTES {
        c.add(
            "(input)",
            format!(
                "is {} bytes of JSON; Step Functions accepts an execution input of at most {} bytes \
                 (256 KiB, UTF-8): split the accounts over several runs or shorten the exclude lists",
                thousands(size),
                thousands(MAX_EXECUTION_INPUT_BYTES)
            ),
        );
    }
}

/// `315123` → `315,123`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

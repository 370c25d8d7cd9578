//! The Harvester input contract, and its validation.
//!
//! The fields are the original S3Insights' (`run_id`, `accounts[{id, exclude}]`,
//! `athena_database_name`, `athena_table_name`, `athena_queries[{name, query}]`,
//! `sender_email_address`, `recipient_email_addresses`, `supported_regions`, `is_smoke_test`), with
//! `exclude` optional as the original documented, plus one addition, `inventory_timeout_hours`.
//! Validation walks the raw JSON rather than deserialising it, so that **every** problem is reported at
//! once, each naming its field (`accounts[2].id`), before the run creates anything.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The regions a run covers when the input names none: the original's fifteen plus `eu-north-1` and
/// `ap-northeast-3`, enabled by default in every account since.
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
/// SESv2 accepts at most 50 recipients per message.
pub const MAX_RECIPIENTS: usize = 50;
/// User queries per run; each runs as its own Athena query.
pub const MAX_QUERIES: usize = 50;
/// Athena's query string limit (bytes).
pub const MAX_QUERY_BYTES: usize = 262_144;

/// [`DEFAULT_REGIONS`], owned.
pub fn default_regions() -> Vec<String> {
    DEFAULT_REGIONS.iter().map(|r| r.to_string()).collect()
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
    /// Accounts to inventory, in input order, without duplicates.
    pub accounts: Vec<AccountInput>,
    /// Athena database (created if missing).
    pub athena_database_name: String,
    /// Athena table (must not exist yet, except in a smoke test).
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

/// Every problem found in an input. Its `Display` lists them all, one per line after a summary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidInput {
    /// The problems, in field order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid Harvester input ({} problem",
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

/// Checks a user query's placeholders; given by the caller so this module stays independent of the
/// catalogue's rendering rules.
pub type PlaceholderCheck = fn(&str) -> Result<(), String>;

const KNOWN_FIELDS: [&str; 10] = [
    "run_id",
    "accounts",
    "athena_database_name",
    "athena_table_name",
    "athena_queries",
    "sender_email_address",
    "recipient_email_addresses",
    "supported_regions",
    "is_smoke_test",
    "inventory_timeout_hours",
];

struct Collector {
    problems: Vec<Problem>,
}

impl Collector {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }
}

/// A short rendering of a JSON value for messages (long values are cut).
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Validates a raw Harvester input. `builtin_query_names` are the catalogue's names, which user
/// queries may not reuse; `check_placeholders` validates each user query's placeholders.
pub fn validate(
    raw: &Value,
    builtin_query_names: &[&str],
    check_placeholders: PlaceholderCheck,
) -> Result<HarvesterInput, InvalidInput> {
    let mut c = Collector {
        problems: Vec::new(),
    };
    let Some(object) = raw.as_object() else {
        c.add(
            "(input)",
            format!("must be a JSON object, got {}", kind(raw)),
        );
        return Err(InvalidInput {
            problems: c.problems,
        });
    };
    for key in object.keys() {
        if !KNOWN_FIELDS.contains(&key.as_str()) {
            c.add(
                key.clone(),
                format!("unknown field (known fields: {})", KNOWN_FIELDS.join(", ")),
            );
        }
    }

    let run_id = run_id(object, &mut c);
    let accounts = accounts(object, &mut c);
    let athena_database_name =
        identifier(object, "athena_database_name", &mut c).unwrap_or(DEFAULT_DATABASE.to_string());
    let athena_table_name = identifier(object, "athena_table_name", &mut c)
        .unwrap_or_else(|| format!("{run_id}inventorytable"));
    let athena_queries = queries(object, builtin_query_names, check_placeholders, &mut c);
    let sender_email_address = match object.get("sender_email_address") {
        None => {
            c.add("sender_email_address", "is required");
            String::new()
        }
        Some(value) => email(value, "sender_email_address", &mut c).unwrap_or_default(),
    };
    let recipient_email_addresses = recipients(object, &mut c);
    let supported_regions = regions(object, &mut c);
    let is_smoke_test = match object.get("is_smoke_test") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            c.add(
                "is_smoke_test",
                format!("must be true or false, got {}", shown(other)),
            );
            false
        }
    };
    let inventory_timeout_hours = match object.get("inventory_timeout_hours") {
        None | Some(Value::Null) => DEFAULT_INVENTORY_TIMEOUT_HOURS,
        Some(value) => match value.as_u64() {
            Some(h) if (1..=u64::from(MAX_INVENTORY_TIMEOUT_HOURS)).contains(&h) => h as u32,
            _ => {
                c.add(
                    "inventory_timeout_hours",
                    format!(
                        "must be a whole number of hours from 1 to {MAX_INVENTORY_TIMEOUT_HOURS}, got {}",
                        shown(value)
                    ),
                );
                DEFAULT_INVENTORY_TIMEOUT_HOURS
            }
        },
    };

    if !c.problems.is_empty() {
        return Err(InvalidInput {
            problems: c.problems,
        });
    }
    Ok(HarvesterInput {
        run_id,
        accounts,
        athena_database_name,
        athena_table_name,
        athena_queries,
        sender_email_address,
        recipient_email_addresses,
        supported_regions,
        is_smoke_test,
        inventory_timeout_hours,
    })
}

fn run_id(object: &Map<String, Value>, c: &mut Collector) -> String {
    match object.get("run_id") {
        None | Some(Value::Null) => {
            c.add("run_id", "is required");
            String::new()
        }
        Some(Value::String(s)) => {
            let ok = (1..=MAX_RUN_ID_LEN).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !ok {
                c.add(
                    "run_id",
                    format!(
                        "must be 1 to {MAX_RUN_ID_LEN} lower-case letters or digits (it is part of bucket names), got {}",
                        shown(&Value::String(s.clone()))
                    ),
                );
            }
            s.clone()
        }
        Some(other) => {
            c.add("run_id", format!("must be a string, got {}", kind(other)));
            String::new()
        }
    }
}

/// True for a 12-digit account id.
fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// True for a name S3 accepts for a bucket (general purpose bucket naming rules, lower-cased).
pub fn is_bucket_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !s.contains("..")
}

fn accounts(object: &Map<String, Value>, c: &mut Collector) -> Vec<AccountInput> {
    let list = match object.get("accounts") {
        None | Some(Value::Null) => {
            c.add(
                "accounts",
                "is required: a list of {\"id\": \"123456789012\", \"exclude\": [bucket names]}",
            );
            return Vec::new();
        }
        Some(Value::Array(list)) => list,
        Some(other) => {
            c.add("accounts", format!("must be a list, got {}", kind(other)));
            return Vec::new();
        }
    };
    if list.is_empty() {
        c.add("accounts", "must name at least one account");
    }
    if list.len() > MAX_ACCOUNTS {
        c.add(
            "accounts",
            format!(
                "at most {MAX_ACCOUNTS} accounts per run, got {}; split the estate over several runs",
                list.len()
            ),
        );
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let at = format!("accounts[{i}]");
        let Some(entry) = entry.as_object() else {
            c.add(
                at,
                format!(
                    "must be an object {{\"id\", \"exclude\"}}, got {}",
                    kind(entry)
                ),
            );
            continue;
        };
        for key in entry.keys() {
            if key != "id" && key != "exclude" {
                c.add(
                    format!("{at}.{key}"),
                    "unknown field (an account has \"id\" and optional \"exclude\")",
                );
            }
        }
        let id = match entry.get("id") {
            Some(Value::String(s)) if is_account_id(s) => s.clone(),
            Some(value @ Value::String(_)) | Some(value @ Value::Number(_)) => {
                let hint = if value.is_number() {
                    " (write it as a string: numbers lose leading zeros)"
                } else {
                    ""
                };
                c.add(
                    format!("{at}.id"),
                    format!(
                        "must be a 12-digit AWS account id{hint}, got {}",
                        shown(value)
                    ),
                );
                continue;
            }
            None | Some(Value::Null) => {
                c.add(format!("{at}.id"), "is required");
                continue;
            }
            Some(other) => {
                c.add(
                    format!("{at}.id"),
                    format!("must be a string, got {}", kind(other)),
                );
                continue;
            }
        };
        if !seen.insert(id.clone()) {
            c.add(format!("{at}.id"), format!("account {id} is listed twice"));
        }
        let mut exclude = Vec::new();
        match entry.get("exclude") {
            None | Some(Value::Null) => {}
            Some(Value::Array(names)) => {
                for (j, name) in names.iter().enumerate() {
                    match name.as_str() {
                        Some(s) if is_bucket_name(&s.to_ascii_lowercase()) => {
                            exclude.push(s.to_ascii_lowercase())
                        }
                        _ => c.add(
                            format!("{at}.exclude[{j}]"),
                            format!("must be a bucket name, got {}", shown(name)),
                        ),
                    }
                }
            }
            Some(other) => c.add(
                format!("{at}.exclude"),
                format!("must be a list of bucket names, got {}", kind(other)),
            ),
        }
        out.push(AccountInput { id, exclude });
    }
    out
}

/// Athena database and table names: lower-case letters, digits and underscores, at most 255
/// characters (Athena lower-cases names and Glue allows nothing else in them).
fn identifier(object: &Map<String, Value>, field: &str, c: &mut Collector) -> Option<String> {
    match object.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let ok = (1..=255).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                c.add(
                    field,
                    format!(
                        "must be 1 to 255 lower-case letters, digits or underscores, got {}",
                        shown(&Value::String(s.clone()))
                    ),
                );
            }
            Some(s.clone())
        }
        Some(other) => {
            c.add(field, format!("must be a string, got {}", kind(other)));
            None
        }
    }
}

fn queries(
    object: &Map<String, Value>,
    builtin: &[&str],
    check_placeholders: PlaceholderCheck,
    c: &mut Collector,
) -> Vec<UserQuery> {
    let list = match object.get("athena_queries") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(other) => {
            c.add(
                "athena_queries",
                format!(
                    "must be a list of {{\"name\", \"query\"}}, got {}",
                    kind(other)
                ),
            );
            return Vec::new();
        }
    };
    if list.len() > MAX_QUERIES {
        c.add(
            "athena_queries",
            format!("at most {MAX_QUERIES} queries, got {}", list.len()),
        );
    }
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let at = format!("athena_queries[{i}]");
        let Some(entry) = entry.as_object() else {
            c.add(
                at,
                format!(
                    "must be an object {{\"name\", \"query\"}}, got {}",
                    kind(entry)
                ),
            );
            continue;
        };
        for key in entry.keys() {
            if key != "name" && key != "query" {
                c.add(
                    format!("{at}.{key}"),
                    "unknown field (a query has \"name\" and \"query\")",
                );
            }
        }
        let name = match entry.get("name").and_then(Value::as_str) {
            Some(n)
                if (1..=64).contains(&n.chars().count())
                    && n.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || " _-.".contains(ch)) =>
            {
                if builtin.contains(&n) {
                    c.add(
                        format!("{at}.name"),
                        format!("{n:?} is the name of a built-in query; choose another"),
                    );
                } else if !names.insert(n.to_string()) {
                    c.add(format!("{at}.name"), format!("{n:?} is used twice"));
                }
                Some(n.to_string())
            }
            Some(n) => {
                c.add(
                    format!("{at}.name"),
                    format!(
                        "must be 1 to 64 letters, digits, spaces, '_', '-' or '.', got {}",
                        shown(&Value::String(n.to_string()))
                    ),
                );
                None
            }
            None => {
                c.add(format!("{at}.name"), "is required (a string)");
                None
            }
        };
        let query = match entry.get("query").and_then(Value::as_str) {
            Some(q) if q.trim().is_empty() => {
                c.add(format!("{at}.query"), "must not be empty");
                None
            }
            Some(q) if q.len() > MAX_QUERY_BYTES => {
                c.add(
                    format!("{at}.query"),
                    format!(
                        "is {} bytes; Athena accepts at most {MAX_QUERY_BYTES}",
                        q.len()
                    ),
                );
                None
            }
            Some(q) => match check_placeholders(q) {
                Ok(()) => Some(q.to_string()),
                Err(message) => {
                    c.add(format!("{at}.query"), message);
                    None
                }
            },
            None => {
                c.add(format!("{at}.query"), "is required (a string)");
                None
            }
        };
        if let (Some(name), Some(query)) = (name, query) {
            out.push(UserQuery { name, query });
        }
    }
    out
}

/// A deliberately plain address check: one `@`, a non-empty local part, a dotted domain, no spaces
/// or angle brackets. SES has the final word; this catches typos before anything is created.
pub fn is_email_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@')
        && s.chars()
            .all(|ch| !ch.is_whitespace() && !ch.is_control() && !"<>()[],;:\"\\".contains(ch))
}

fn email(value: &Value, field: &str, c: &mut Collector) -> Option<String> {
    match value.as_str() {
        Some(s) if is_email_address(s) => Some(s.to_string()),
        _ => {
            c.add(
                field,
                format!("must be an email address, got {}", shown(value)),
            );
            None
        }
    }
}

fn recipients(object: &Map<String, Value>, c: &mut Collector) -> Vec<String> {
    let list = match object.get("recipient_email_addresses") {
        None | Some(Value::Null) => {
            c.add(
                "recipient_email_addresses",
                "is required: a list of email addresses",
            );
            return Vec::new();
        }
        Some(Value::Array(list)) => list,
        Some(other) => {
            c.add(
                "recipient_email_addresses",
                format!("must be a list of email addresses, got {}", kind(other)),
            );
            return Vec::new();
        }
    };
    if list.is_empty() {
        c.add(
            "recipient_email_addresses",
            "must name at least one address",
        );
    }
    if list.len() > MAX_RECIPIENTS {
        c.add(
            "recipient_email_addresses",
            format!(
                "SES sends to at most {MAX_RECIPIENTS} addresses, got {}",
                list.len()
            ),
        );
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, value) in list.iter().enumerate() {
        let at = format!("recipient_email_addresses[{i}]");
        if let Some(address) = email(value, &at, c) {
            if seen.insert(address.to_ascii_lowercase()) {
                out.push(address);
            } else {
                c.add(at, format!("{address} is listed twice"));
            }
        }
    }
    out
}

/// True for a region name shaped like AWS's (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`).
pub fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (first, last) = match (parts.first(), parts.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return false,
    };
    (3..=4).contains(&parts.len())
        && first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

fn regions(object: &Map<String, Value>, c: &mut Collector) -> Vec<String> {
    let list = match object.get("supported_regions") {
        None | Some(Value::Null) => return default_regions(),
        Some(Value::Array(list)) => list,
        Some(other) => {
            c.add(
                "supported_regions",
                format!("must be a list of region names, got {}", kind(other)),
            );
            return Vec::new();
        }
    };
    if list.is_empty() {
        c.add(
            "supported_regions",
            "must name at least one region (leave it out for the default list)",
        );
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, value) in list.iter().enumerate() {
        let at = format!("supported_regions[{i}]");
        match value.as_str() {
            Some(s) if is_region_name(&s.to_ascii_lowercase()) => {
                let region = s.to_ascii_lowercase();
                if seen.insert(region.clone()) {
                    out.push(region);
                } else {
                    c.add(at, format!("{region} is listed twice"));
                }
            }
            _ => c.add(
                at,
                format!(
                    "must be a region name such as \"us-east-1\", got {}",
                    shown(value)
                ),
            ),
        }
    }
    out
}

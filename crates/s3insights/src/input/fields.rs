//! The checks of each Harvester input field; each adds every problem it finds to the collector.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::email::email_address_problem;
use super::{
    default_regions_in, kind, shown, AccountInput, Collector, Partition, Rules, UserQuery,
    DEFAULT_INVENTORY_TIMEOUT_HOURS, MAX_ACCOUNTS, MAX_INVENTORY_TIMEOUT_HOURS, MAX_QUERIES,
    MAX_QUERY_BYTES, MAX_RECIPIENTS, MAX_RUN_ID_LEN,
};

pub(super) fn run_id(object: &Map<String, Value>, c: &mut Collector) -> String {
    match object.get("run_id") {
        None | Some(Value::Null) => {
            c.add("run_id", "is required");
            String::new()
        }
        Some(value) => run_id_value(value, c),
    }
}

/// A run id: 1–12 lower-case letters and digits (the Harvester's and Cleanup's rule).
pub(super) fn run_id_value(value: &Value, c: &mut Collector) -> String {
    match value {
        Value::String(s) => {
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
        other => {
            c.add("run_id", format!("must be a string, got {}", kind(other)));
            String::new()
        }
    }
}

/// An optional `true`/`false` (absent or null: false).
pub(super) fn flag(object: &Map<String, Value>, field: &str, c: &mut Collector) -> bool {
    match object.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            c.add(
                field,
                format!("must be true or false, got {}", shown(other)),
            );
            false
        }
    }
}

/// The inventory deadline in whole hours (absent or null: the default).
pub(super) fn hours(object: &Map<String, Value>, field: &str, c: &mut Collector) -> u32 {
    match object.get(field) {
        None | Some(Value::Null) => DEFAULT_INVENTORY_TIMEOUT_HOURS,
        Some(value) => match value.as_u64() {
            Some(h) if (1..=u64::from(MAX_INVENTORY_TIMEOUT_HOURS)).contains(&h) => h as u32,
            _ => {
                c.add(
                    field,
                    format!(
                        "must be a whole number of hours from 1 to {MAX_INVENTORY_TIMEOUT_HOURS}, got {}",
                        shown(value)
                    ),
                );
                DEFAULT_INVENTORY_TIMEOUT_HOURS
            }
        },
    }
}

/// True for a 12-digit account id.
pub(super) fn is_account_id(s: &str) -> bool {
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

/// `accounts`: required unless the run's accounts come from an organization.
pub(super) fn accounts(
    object: &Map<String, Value>,
    required: bool,
    c: &mut Collector,
) -> Vec<AccountInput> {
    let list = match object.get("accounts") {
        None | Some(Value::Null) if !required => return Vec::new(),
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
    if list.is_empty() && required {
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
    list.iter()
        .enumerate()
        .filter_map(|(i, entry)| account(&format!("accounts[{i}]"), entry, &mut seen, c))
        .collect()
}

/// One entry of `accounts` (at `at`), or `None` when its id is unusable; `seen` holds the ids
/// before it.
fn account(
    at: &str,
    entry: &Value,
    seen: &mut BTreeSet<String>,
    c: &mut Collector,
) -> Option<AccountInput> {
    let Some(entry) = entry.as_object() else {
        c.add(
            at,
            format!(
                "must be an object {{\"id\", \"exclude\"}}, got {}",
                kind(entry)
            ),
        );
        return None;
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
            return None;
        }
        None | Some(Value::Null) => {
            c.add(format!("{at}.id"), "is required");
            return None;
        }
        Some(other) => {
            c.add(
                format!("{at}.id"),
                format!("must be a string, got {}", kind(other)),
            );
            return None;
        }
    };
    if !seen.insert(id.clone()) {
        c.add(format!("{at}.id"), format!("account {id} is listed twice"));
    }
    let exclude = exclude(at, entry.get("exclude"), c);
    Some(AccountInput { id, exclude })
}

/// An account's `exclude` list (at `at`), lower-cased; bad names are reported and left out.
fn exclude(at: &str, value: Option<&Value>, c: &mut Collector) -> Vec<String> {
    let mut exclude = Vec::new();
    match value {
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
    exclude
}

/// Athena database and table names: lower-case letters, digits and underscores, at most 255
/// characters (Athena lower-cases names and Glue allows nothing else in them).
pub(super) fn identifier(
    object: &Map<String, Value>,
    field: &str,
    c: &mut Collector,
) -> Option<String> {
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

pub(super) fn queries(
    object: &Map<String, Value>,
    rules: &Rules<'_>,
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
        let name = query_name(entry, &at, rules.builtin_query_names, &mut names, c);
        let query = query_sql(entry, &at, name.as_deref(), rules, c);
        if let (Some(name), Some(query)) = (name, query) {
            out.push(UserQuery { name, query });
        }
    }
    out
}

/// A user query's name: unique, not a built-in query's, 1–64 plain characters.
fn query_name(
    entry: &Map<String, Value>,
    at: &str,
    builtin: &[&str],
    names: &mut BTreeSet<String>,
    c: &mut Collector,
) -> Option<String> {
    match entry.get("name").and_then(Value::as_str) {
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
    }
}

/// A user query's SQL: not empty, within Athena's size limit, and passing the caller's check (its
/// refusal names the query: `"cleanup" is a DROP statement; …`).
fn query_sql(
    entry: &Map<String, Value>,
    at: &str,
    name: Option<&str>,
    rules: &Rules<'_>,
    c: &mut Collector,
) -> Option<String> {
    let field = format!("{at}.query");
    let Some(q) = entry.get("query").and_then(Value::as_str) else {
        c.add(field, "is required (a string)");
        return None;
    };
    if q.trim().is_empty() {
        c.add(field, "must not be empty");
        return None;
    }
    if q.len() > MAX_QUERY_BYTES {
        c.add(
            field,
            format!(
                "is {} bytes; Athena accepts at most {MAX_QUERY_BYTES}",
                q.len()
            ),
        );
        return None;
    }
    match (rules.check_query)(q) {
        Ok(()) => Some(q.to_string()),
        Err(why) => {
            let named = match name {
                Some(name) => format!("{name:?}"),
                None => "the query".to_string(),
            };
            c.add(field, format!("{named} {why}"));
            None
        }
    }
}

/// An address SES can send to and from ([`email_address_problem`]).
pub(super) fn email(value: &Value, field: &str, c: &mut Collector) -> Option<String> {
    let Some(address) = value.as_str() else {
        c.add(
            field,
            format!("must be an email address (a string), got {}", kind(value)),
        );
        return None;
    };
    match email_address_problem(address) {
        None => Some(address.to_string()),
        Some(why) => {
            c.add(field, why);
            None
        }
    }
}

pub(super) fn recipients(object: &Map<String, Value>, c: &mut Collector) -> Vec<String> {
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

/// The regions of the run: each a region of the host's `partition`, listed once. Unknown regions are
/// named one by one and then together, with the partition's regions to choose from.
pub(super) fn regions(
    object: &Map<String, Value>,
    partition: &Partition,
    c: &mut Collector,
) -> Vec<String> {
    let list = match object.get("supported_regions") {
        None | Some(Value::Null) => return default_regions_in(partition),
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
    let mut unknown = Vec::new();
    let mut out = Vec::new();
    for (i, value) in list.iter().enumerate() {
        let at = format!("supported_regions[{i}]");
        let Some(name) = value.as_str() else {
            c.add(
                at,
                format!(
                    "must be a region name such as \"us-east-1\", got {}",
                    shown(value)
                ),
            );
            continue;
        };
        let region = name.to_ascii_lowercase();
        if !partition.has_region(&region) {
            let elsewhere = super::partitions()
                .iter()
                .find(|p| p.has_region(&region))
                .map(|p| {
                    format!(
                        " (it is in partition {}; a run covers its host's partition only)",
                        p.id
                    )
                })
                .unwrap_or_default();
            c.add(
                at,
                format!(
                    "{} is not a region of partition {}{elsewhere}",
                    shown(value),
                    partition.id
                ),
            );
            unknown.push(shown(value));
        } else if seen.insert(region.clone()) {
            out.push(region);
        } else {
            c.add(at, format!("{region} is listed twice"));
        }
    }
    if !unknown.is_empty() {
        let known: Vec<&str> = partition.region_names().collect();
        c.add(
            "supported_regions",
            format!(
                "{} not in partition {}: {}; the partition's regions are {}",
                if unknown.len() == 1 {
                    "1 region is".to_string()
                } else {
                    format!("{} regions are", unknown.len())
                },
                partition.id,
                unknown.join(", "),
                known.join(", ")
            ),
        );
    }
    out
}

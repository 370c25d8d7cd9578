//! The checks of each Harvester input field; each adds every problem it finds to the collector.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{
    default_regions, kind, shown, AccountInput, Collector, PlaceholderCheck, UserQuery,
    MAX_ACCOUNTS, MAX_QUERIES, MAX_QUERY_BYTES, MAX_RECIPIENTS, MAX_RUN_ID_LEN,
};

pub(super) fn run_id(object: &Map<String, Value>, c: &mut Collector) -> String {
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

pub(super) fn accounts(object: &Map<String, Value>, c: &mut Collector) -> Vec<AccountInput> {
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

pub(super) fn email(value: &Value, field: &str, c: &mut Collector) -> Option<String> {
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

pub(super) fn regions(object: &Map<String, Value>, c: &mut Collector) -> Vec<String> {
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

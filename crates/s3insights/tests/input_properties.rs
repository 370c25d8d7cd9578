//! Properties of the Harvester and Cleanup input validation, over generated inputs: arbitrary JSON
//! never panics; a valid input is accepted with its defaults filled in; one mutation of a valid input
//! (a wrong type, an unknown field, null where a value is required, a region that does not exist, an
//! address SES cannot use, a statement that is not a read-only query) is refused with a problem
//! naming exactly the mutated field.

use proptest::prelude::*;
use proptest::sample::{select, subsequence, Index};
use s3insights::catalogue::{builtin_queries, builtin_query_names, input_rules};
use s3insights::input::{
    partition, partitions, validate, validate_cleanup, HarvesterInput, Rules, CLEANUP_FIELDS,
    DEFAULT_DATABASE, DEFAULT_INVENTORY_TIMEOUT_HOURS, DEFAULT_REGIONS,
};
use serde_json::{json, Map, Value};

fn rules() -> Rules<'static> {
    input_rules(partition("aws").expect("aws"))
}

const TOP_FIELDS: [&str; 12] = s3insights::input::KNOWN_FIELDS;

// ---------------------------------------------------------------------------------------------
// Arbitrary JSON

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(TOP_FIELDS.to_vec()).prop_map(String::from),
        select(vec!["id", "exclude", "name", "query", "requested_by"]).prop_map(String::from),
        ".{0,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,24}".prop_map(Value::String),
        select(vec![
            "r1",
            "111111111111",
            "us-east-1",
            "us-east-9",
            "ops@example.com",
            "ops\u{200B}@example.com",
            "SELECT 1",
            "DROP TABLE {table}",
            "{table}",
            "'",
            "arn:aws:states:us-east-1:111111111111:execution:m:e",
        ])
        .prop_map(|s| Value::String(s.into())),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// Valid Harvester inputs

fn bucket_name() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9.-]{1,30}[a-z0-9]".prop_filter("no '..'", |s| !s.contains(".."))
}

fn address() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._%+-]{0,15}@[a-z0-9]{1,10}(\\.[a-z0-9-]{1,8}){0,2}\\.[a-z]{2,6}"
}

/// Read-only query templates: the catalogue's own, and queries users write.
fn query_template() -> impl Strategy<Value = String> {
    let mut templates: Vec<String> = builtin_queries()
        .iter()
        .map(|q| q.sql.to_string())
        .collect();
    templates.extend(
        [
            "SELECT bucket, count(*) AS versions FROM {table} GROUP BY bucket ORDER BY bucket",
            "select approx_percentile(size, 0.9) from {database}.{table};",
            "WITH big AS (SELECT * FROM {table} WHERE size > 1000) SELECT count(*) FROM big",
            "-- per class\nSELECT storage_class, sum(size) FROM {ATHENA_DATABASE}.{ATHENA_TABLE} GROUP BY 1",
            "SELECT filter(ARRAY[size], x -> x > 0), try_cast(size AS varchar) FROM {table}",
            "(SELECT key FROM {table} LIMIT 1) UNION ALL (SELECT key FROM {table} LIMIT 1)",
            "SELECT '{{\"a\": 1}}' AS j, ';' AS semicolon /* ; DROP TABLE x */",
        ]
        .map(String::from),
    );
    select(templates)
}

fn query_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 _.-]{0,30}".prop_filter("not a built-in name", |n| {
        !builtin_query_names().contains(&n.as_str())
    })
}

fn aws_regions() -> Vec<String> {
    partition("aws")
        .unwrap()
        .region_names()
        .map(String::from)
        .collect()
}

prop_compose! {
    fn account()(
        id in "[0-9]{12}",
        exclude in prop::option::of(prop::collection::vec(bucket_name(), 0..3)),
    ) -> Value {
        let mut account = json!({"id": id});
        if let Some(exclude) = exclude {
            account["exclude"] = json!(exclude);
        }
        account
    }
}

prop_compose! {
    fn valid_input()(
        run_id in "[a-z0-9]{1,12}",
        accounts in prop::collection::vec(account(), 1..4)
            .prop_filter("distinct ids", |a| {
                let mut ids: Vec<&Value> = a.iter().map(|x| &x["id"]).collect();
                ids.sort_by_key(|v| v.to_string());
                ids.windows(2).all(|w| w[0] != w[1])
            }),
        database in prop::option::of("[a-z0-9_]{1,20}"),
        table in prop::option::of("[a-z0-9_]{1,20}"),
        queries in prop::option::of(prop::collection::btree_map(query_name(), query_template(), 0..4)),
        sender in address(),
        recipients in prop::collection::btree_set(address(), 1..4),
        regions in prop::option::of(subsequence(aws_regions(), 1..6)),
        smoke in prop::option::of(any::<bool>()),
        hours in prop::option::of(1u32..=96),
    ) -> Value {
        let mut input = Map::new();
        input.insert("run_id".into(), json!(run_id));
        input.insert("accounts".into(), json!(accounts));
        if let Some(d) = database { input.insert("athena_database_name".into(), json!(d)); }
        if let Some(t) = table { input.insert("athena_table_name".into(), json!(t)); }
        if let Some(q) = queries {
            let list: Vec<Value> = q.into_iter().map(|(name, query)| json!({"name": name, "query": query})).collect();
            input.insert("athena_queries".into(), json!(list));
        }
        input.insert("sender_email_address".into(), json!(sender));
        input.insert("recipient_email_addresses".into(), json!(recipients));
        if let Some(r) = regions { input.insert("supported_regions".into(), json!(r)); }
        if let Some(s) = smoke { input.insert("is_smoke_test".into(), json!(s)); }
        if let Some(h) = hours { input.insert("inventory_timeout_hours".into(), json!(h)); }
        Value::Object(input)
    }
}

/// Every value of `valid` is in `input`, and every absent optional field has its default.
fn assert_defaults(raw: &Value, input: &HarvesterInput) {
    let run_id = raw["run_id"].as_str().unwrap();
    assert_eq!(input.run_id, run_id);
    assert_eq!(
        input.accounts.len(),
        raw["accounts"].as_array().unwrap().len()
    );
    for (account, given) in input
        .accounts
        .iter()
        .zip(raw["accounts"].as_array().unwrap())
    {
        assert_eq!(account.id, given["id"].as_str().unwrap());
        let exclude = given.get("exclude").cloned().unwrap_or(json!([]));
        assert_eq!(json!(account.exclude), exclude);
    }
    let database = raw.get("athena_database_name").and_then(Value::as_str);
    assert_eq!(
        input.athena_database_name,
        database.unwrap_or(DEFAULT_DATABASE)
    );
    let default_table = format!("{run_id}inventorytable");
    let table = raw.get("athena_table_name").and_then(Value::as_str);
    assert_eq!(input.athena_table_name, table.unwrap_or(&default_table));
    let queries = raw.get("athena_queries").cloned().unwrap_or(json!([]));
    assert_eq!(json!(input.athena_queries), queries);
    assert_eq!(
        input.sender_email_address,
        raw["sender_email_address"].as_str().unwrap()
    );
    assert_eq!(
        json!(input.recipient_email_addresses),
        raw["recipient_email_addresses"]
    );
    match raw.get("supported_regions") {
        Some(regions) => assert_eq!(&json!(input.supported_regions), regions),
        None => assert_eq!(input.supported_regions, DEFAULT_REGIONS.map(String::from)),
    }
    let smoke = raw.get("is_smoke_test").and_then(Value::as_bool);
    assert_eq!(input.is_smoke_test, smoke.unwrap_or(false));
    let hours = raw.get("inventory_timeout_hours").and_then(Value::as_u64);
    assert_eq!(
        u64::from(input.inventory_timeout_hours),
        hours.unwrap_or(u64::from(DEFAULT_INVENTORY_TIMEOUT_HOURS))
    );
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// One change that makes a valid input invalid.
#[derive(Debug, Clone)]
enum Mutation {
    /// A value of another JSON type at one of the input's fields.
    WrongType(Index),
    /// `null` at a field that must have a value.
    NullWhereRequired(Index),
    /// A field the contract does not know, at the top, in an account or in a query.
    UnknownField(Index, String),
    /// A region name no partition lists.
    UnknownRegion(Index, String),
    /// A character SES refuses, inserted into an address.
    BadAddress(Index, Index, char),
    /// A statement that is not one read-only query.
    WriteQuery(Index, String),
}

fn ses_refuses() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('\u{0}', '\u{20}'),
        Just('\u{7F}'),
        select(vec![
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{202E}', '\u{202D}',
            '\u{2066}', '\u{00A0}', '\u{00AD}'
        ]),
        prop::char::range('\u{80}', '\u{10FFFF}'),
    ]
}

fn write_statement() -> impl Strategy<Value = String> {
    let statements = select(vec![
        "DROP TABLE {database}.otherinventorytable",
        "drop table if exists {table}",
        "INSERT INTO {table} SELECT * FROM {table}",
        "CREATE TABLE {database}.copy AS SELECT * FROM {table}",
        "DELETE FROM {table}",
        "UNLOAD (SELECT * FROM {table}) TO 's3://elsewhere/' WITH (format = 'JSON')",
        "ALTER TABLE {table} DROP PARTITION (account = '1')",
        "MSCK REPAIR TABLE {table}",
        "USING EXTERNAL FUNCTION f(x varchar) RETURNS varchar LAMBDA 'fn' SELECT f(key) FROM {table}",
        "WITH a AS (SELECT 1) INSERT INTO {table} SELECT * FROM a",
    ]);
    let wrapping = select(vec![
        "{}",
        "/* SELECT */ {}",
        "-- SELECT\n{}",
        "SELECT 1; {}",
        "SELECT ';'; {}",
        "  {} ;",
    ]);
    (statements, wrapping).prop_map(|(s, w)| w.replace("{}", s))
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::WrongType),
        any::<Index>().prop_map(Mutation::NullWhereRequired),
        (any::<Index>(), "[a-z_]{1,12}").prop_map(|(i, k)| Mutation::UnknownField(i, k)),
        (any::<Index>(), "[a-z]{2}-[a-z]{3,9}-[0-9]{1,2}")
            .prop_filter("not a region", |(_, r)| partitions()
                .iter()
                .all(|p| !p.has_region(r)))
            .prop_map(|(i, r)| Mutation::UnknownRegion(i, r)),
        (any::<Index>(), any::<Index>(), ses_refuses())
            .prop_map(|(f, p, c)| Mutation::BadAddress(f, p, c)),
        (any::<Index>(), write_statement()).prop_map(|(i, s)| Mutation::WriteQuery(i, s)),
    ]
}

/// The JSON type a field of the contract has, for a value of another type.
fn field_type(path: &str) -> &'static str {
    let last = path.rsplit('.').next().unwrap();
    let (name, indexed) = match last.split_once('[') {
        Some((name, _)) => (name, true),
        None => (last, false),
    };
    match (name, indexed) {
        ("accounts" | "athena_queries", true) => "object",
        (_, true) => "string",
        (
            "accounts"
            | "athena_queries"
            | "recipient_email_addresses"
            | "supported_regions"
            | "exclude",
            false,
        ) => "array",
        ("is_smoke_test", false) => "bool",
        ("inventory_timeout_hours", false) => "number",
        _ => "string",
    }
}

fn wrong_value(kind: &str) -> Value {
    match kind {
        "string" => json!(5),
        "number" => json!("5"),
        "bool" => json!("true"),
        "array" => json!({"0": "x"}),
        _ => json!(["x"]),
    }
}

/// Every field path of a (valid) input, with whether it must hold a value (null refused).
fn paths(input: &Value) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for (key, value) in input.as_object().unwrap() {
        let required = matches!(
            key.as_str(),
            "run_id" | "accounts" | "sender_email_address" | "recipient_email_addresses"
        );
        out.push((key.clone(), required));
        let Some(items) = value.as_array() else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let at = format!("{key}[{i}]");
            out.push((at.clone(), true));
            if let Some(object) = item.as_object() {
                for (k, v) in object {
                    out.push((format!("{at}.{k}"), k != "exclude"));
                    for j in 0..v.as_array().map_or(0, Vec::len) {
                        out.push((format!("{at}.{k}[{j}]"), true));
                    }
                }
            }
        }
    }
    out
}

/// The value at a path such as `accounts[1].exclude[0]`.
fn at_path<'a>(input: &'a mut Value, path: &str) -> &'a mut Value {
    let mut value = input;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (
                name,
                Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
            ),
            None => (part, None),
        };
        value = &mut value[name];
        if let Some(i) = index {
            value = &mut value[i];
        }
    }
    value
}

/// Applies `mutation` to a valid input; returns the path the refusal must name.
fn apply(input: &mut Value, mutation: &Mutation) -> String {
    match mutation {
        Mutation::WrongType(i) => {
            let all = paths(input);
            let (path, _) = i.get(&all).clone();
            *at_path(input, &path) = wrong_value(field_type(&path));
            path
        }
        Mutation::NullWhereRequired(i) => {
            let required: Vec<String> = paths(input)
                .into_iter()
                .filter(|(_, r)| *r)
                .map(|(p, _)| p)
                .collect();
            let path = i.get(&required).clone();
            *at_path(input, &path) = Value::Null;
            path
        }
        Mutation::UnknownField(i, key) => {
            let mut places = vec![String::new()];
            for list in ["accounts", "athena_queries"] {
                for j in 0..input
                    .get(list)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
                {
                    places.push(format!("{list}[{j}]"));
                }
            }
            let place = i.get(&places).clone();
            let key = format!("x_{key}");
            let object = if place.is_empty() {
                &mut *input
            } else {
                at_path(input, &place)
            };
            object[key.as_str()] = json!(1);
            if place.is_empty() {
                key
            } else {
                format!("{place}.{key}")
            }
        }
        Mutation::UnknownRegion(i, region) => {
            let regions = input["supported_regions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let at = i.index(regions.len() + 1);
            let mut regions = regions;
            if at == regions.len() {
                regions.push(json!(region))
            } else {
                regions[at] = json!(region)
            }
            input["supported_regions"] = json!(regions);
            format!("supported_regions[{at}]")
        }
        Mutation::BadAddress(field, position, ch) => {
            let recipients = input["recipient_email_addresses"].as_array().unwrap().len();
            let mut fields = vec!["sender_email_address".to_string()];
            fields.extend((0..recipients).map(|j| format!("recipient_email_addresses[{j}]")));
            let path = field.get(&fields).clone();
            let value = at_path(input, &path);
            let mut chars: Vec<char> = value.as_str().unwrap().chars().collect();
            chars.insert(position.index(chars.len() + 1), *ch);
            *value = json!(chars.into_iter().collect::<String>());
            path
        }
        Mutation::WriteQuery(i, statement) => {
            let mut queries = input
                .get("athena_queries")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let at = i.index(queries.len() + 1);
            let entry = json!({"name": "mutated query", "query": statement});
            if at == queries.len() {
                queries.push(entry)
            } else {
                queries[at] = entry
            }
            input["athena_queries"] = json!(queries);
            format!("athena_queries[{at}].query")
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_json_never_panics(raw in arbitrary_json()) {
        let _ = validate(&raw, &rules());
        let _ = validate_cleanup(&raw);
    }

    #[test]
    fn arbitrary_values_at_known_fields_never_panic(
        fields in prop::collection::btree_map(select(TOP_FIELDS.to_vec()), arbitrary_json(), 0..10),
    ) {
        let raw = Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        if let Err(err) = validate(&raw, &rules()) {
            prop_assert!(!err.problems.is_empty());
        }
    }

    #[test]
    fn a_valid_input_is_accepted_with_its_defaults(raw in valid_input()) {
        match validate(&raw, &rules()) {
            Ok(input) => assert_defaults(&raw, &input),
            Err(err) => prop_assert!(false, "refused: {err}\n{raw:#}"),
        }
    }

    #[test]
    fn one_mutation_is_refused_at_its_field(raw in valid_input(), mutation in mutation()) {
        let mut input = raw.clone();
        let path = apply(&mut input, &mutation);
        match validate(&input, &rules()) {
            Ok(_) => prop_assert!(false, "{mutation:?} at {path} was accepted: {input:#}"),
            Err(err) => {
                let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
                prop_assert!(fields.contains(&path.as_str()), "{mutation:?}: expected {path}, got {err}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cleanup

prop_compose! {
    fn execution_arn()(
        region in select(aws_regions()),
        account in "[0-9]{12}",
        machine in "[A-Za-z0-9-]{1,20}",
        name in "[a-z0-9-]{1,36}",
    ) -> String {
        format!("arn:aws:states:{region}:{account}:execution:{machine}:{name}")
    }
}

prop_compose! {
    fn valid_cleanup()(
        run_id in prop::option::of("[a-z0-9]{1,12}"),
        requested_by in prop::option::of(execution_arn()),
        started_by in prop::option::of(execution_arn()),
    ) -> Value {
        let mut input = Map::new();
        if let Some(r) = run_id { input.insert("run_id".into(), json!(r)); }
        if let Some(r) = requested_by { input.insert("requested_by".into(), json!(r)); }
        if let Some(s) = started_by { input.insert(CLEANUP_FIELDS[2].into(), json!(s)); }
        Value::Object(input)
    }
}

fn not_a_string() -> impl Strategy<Value = Value> {
    arbitrary_json().prop_filter("not a string", |v| !v.is_string())
}

proptest! {
    #[test]
    fn a_valid_cleanup_input_is_read_as_given(raw in valid_cleanup()) {
        let input = validate_cleanup(&raw).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(input.run_id.as_deref(), raw.get("run_id").and_then(Value::as_str));
        prop_assert_eq!(input.requested_by.as_deref(), raw.get("requested_by").and_then(Value::as_str));
        prop_assert_eq!(input.started_by.as_deref(), raw.get(CLEANUP_FIELDS[2]).and_then(Value::as_str));
    }

    #[test]
    fn a_cleanup_field_of_another_type_or_null_is_refused_at_that_field(
        raw in valid_cleanup(),
        field in select(CLEANUP_FIELDS.to_vec()),
        value in not_a_string(),
    ) {
        let mut input = raw;
        input[field] = value;
        let err = validate_cleanup(&input).map(|_| ()).expect_err("accepted");
        prop_assert!(err.problems.iter().any(|p| p.field == field), "{err}");
        prop_assert!(err.to_string().starts_with("invalid Cleanup input"), "{err}");
    }

    #[test]
    fn an_unknown_cleanup_field_is_refused_by_name(raw in valid_cleanup(), key in ".{1,20}") {
        prop_assume!(!CLEANUP_FIELDS.contains(&key.as_str()));
        let mut input = raw;
        input[key.as_str()] = json!("r1");
        let err = validate_cleanup(&input).map(|_| ()).expect_err("accepted");
        prop_assert_eq!(err.problems.len(), 1);
        prop_assert_eq!(&err.problems[0].field, &key);
    }
}

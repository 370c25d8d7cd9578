//! Fixed reports for the report tests: a realistic one (the golden files) and a hostile one.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use s3insights::catalogue::builtin_query;
use s3insights::cost::{estimate, PriceTable};
use s3insights::report::{
    AthenaReport, BucketReport, QueryReport, QueryState, RunOutcome, RunReport,
};
use s3insights::{BucketFigures, BucketStatus, ObjectRef};
use serde_json::json;

pub fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, hour, minute, second)
        .single()
        .expect("valid instant")
}

pub fn figures(objects: u64, classes: &[(&str, u64)], largest: (&str, u64)) -> BucketFigures {
    let bytes: u64 = classes.iter().map(|(_, b)| b).sum();
    BucketFigures {
        rows: objects + objects / 10 + 1,
        objects,
        noncurrent_versions: objects / 10,
        delete_markers: 1,
        bytes,
        current_bytes: bytes - bytes / 20,
        noncurrent_bytes: bytes / 20,
        bytes_by_storage_class: classes.iter().map(|(c, b)| ((*c).into(), *b)).collect(),
        billed_bytes_by_storage_class: classes.iter().map(|(c, b)| ((*c).into(), *b)).collect(),
        monitored_versions: 0,
        versions_by_encryption_status: BTreeMap::from([("SSE-S3".into(), objects)]),
        largest_object: Some(ObjectRef {
            key: largest.0.into(),
            version_id: None,
            size: largest.1,
            last_modified: Some("2023-02-03T04:05:06Z".into()),
        }),
        oldest_object: None,
    }
}

pub fn bucket(
    account: &str,
    region: &str,
    name: &str,
    status: BucketStatus,
    reason: Option<&str>,
    figures: Option<BucketFigures>,
) -> BucketReport {
    BucketReport {
        account: account.into(),
        region: region.into(),
        bucket: name.into(),
        status,
        reason: reason.map(Into::into),
        figures,
    }
}

fn builtin(name: &str, state: QueryState) -> QueryReport {
    let q = builtin_query(name).expect("built-in query");
    QueryReport {
        name: q.name.into(),
        title: q.title.into(),
        description: Some(q.description.into()),
        builtin: true,
        sql: q
            .sql
            .replace("{database}", "\"s3insights\"")
            .replace("{table}", "\"inventory_r1\""),
        state,
        reason: None,
        execution_id: None,
        console_link: None,
        data_scanned_bytes: None,
        columns: vec![],
        rows: vec![],
        truncated: false,
    }
}

const GIB: u64 = 1 << 30;

/// A run of two accounts and three regions with every kind of outcome.
pub fn sample_report() -> RunReport {
    let a = "111111111111";
    let b = "222222222222";
    let buckets = vec![
        bucket(
            a,
            "eu-west-1",
            "logs-eu",
            BucketStatus::Done,
            None,
            Some(figures(
                1_200_000,
                &[("STANDARD", 300 * GIB), ("GLACIER", 900 * GIB)],
                ("2023/archive.tar", 40 * GIB),
            )),
        ),
        bucket(
            a,
            "eu-west-1",
            "app-assets",
            BucketStatus::Done,
            None,
            Some(figures(
                52_000,
                &[("STANDARD", 12 * GIB), ("STANDARD_IA", 3 * GIB)],
                ("video/intro.mp4", 2 * GIB),
            )),
        ),
        bucket(
            a,
            "us-east-1",
            "empty-one",
            BucketStatus::BucketIsEmpty,
            None,
            None,
        ),
        bucket(
            a,
            "us-east-1",
            "legacy",
            BucketStatus::BucketAccessLost,
            Some("AccessDenied: the cross-account role can no longer read the bucket"),
            None,
        ),
        bucket(
            b,
            "us-east-1",
            "data-lake",
            BucketStatus::Done,
            None,
            Some(figures(
                9_800_000,
                &[
                    ("INTELLIGENT_TIERING", 2_500 * GIB),
                    ("STANDARD", 700 * GIB),
                ],
                ("raw/2022/part-0001.parquet", 5 * GIB),
            )),
        ),
        bucket(
            b,
            "us-east-1",
            "late-report",
            BucketStatus::TimedOut,
            Some("no inventory report 48h after the configuration was put"),
            None,
        ),
        bucket(
            b,
            "ap-southeast-2",
            "backups",
            BucketStatus::InventoryConfigurationNotCreated,
            Some("AccessDenied: explicit deny in a service control policy"),
            None,
        ),
        bucket(
            b,
            "ap-southeast-2",
            "tiny",
            BucketStatus::Done,
            None,
            Some(figures(3, &[("STANDARD", 1_536)], ("a.txt", 1_024))),
        ),
    ];
    let mut secrets = builtin("secret_like_keys", QueryState::Succeeded);
    secrets.execution_id = Some("1b856f66-eec5-4539-86be-ba904bf9922d".into());
    secrets.console_link = Some("https://eu-west-1.console.aws.amazon.com/athena/home?region=eu-west-1#/query-editor/history/1b856f66-eec5-4539-86be-ba904bf9922d".into());
    secrets.data_scanned_bytes = Some(48_234_496);
    secrets.columns = [
        "account",
        "region",
        "bucket",
        "key",
        "size",
        "last_modified_date",
    ]
    .map(String::from)
    .to_vec();
    secrets.rows = vec![
        vec![
            Some(a.into()),
            Some("eu-west-1".into()),
            Some("app-assets".into()),
            Some("deploy/.env.production".into()),
            Some("912".into()),
            Some("2024-03-02 10:11:12.000".into()),
        ],
        vec![
            Some(b.into()),
            Some("us-east-1".into()),
            Some("data-lake".into()),
            Some("home/ci/.ssh/id_ed25519".into()),
            Some("411".into()),
            None,
        ],
    ];
    secrets.truncated = true;
    let mut classes = builtin("storage_class_breakdown", QueryState::Succeeded);
    classes.execution_id = Some("9d1c0e52-0000-4000-8000-000000000002".into());
    classes.data_scanned_bytes = Some(12_582_912);
    classes.columns = ["storage_class", "current_objects", "versions", "bytes"]
        .map(String::from)
        .to_vec();
    classes.rows = vec![vec![
        Some("INTELLIGENT_TIERING".into()),
        Some("8000000".into()),
        Some("8200000".into()),
        Some("2684354560000".into()),
    ]];
    let mut stale = builtin("stale_buckets", QueryState::Succeeded);
    stale.execution_id = Some("9d1c0e52-0000-4000-8000-000000000003".into());
    stale.data_scanned_bytes = Some(0);
    stale.columns = [
        "account",
        "region",
        "bucket",
        "newest_write",
        "days_since_write",
        "versions",
        "bytes",
    ]
    .map(String::from)
    .to_vec();
    let user = QueryReport {
        name: "big csv files".into(),
        title: "big csv files".into(),
        description: None,
        builtin: false,
        sql: "SELECT bucket, key, size FROM \"s3insights\".\"inventory_r1\"\nWHERE key LIKE '%.csv' AND size > 1000000000\nORDER BY size DESC LIMIT 10".into(),
        state: QueryState::Failed,
        reason: Some("COLUMN_NOT_FOUND: line 1:8: Column 'bucket_nme' cannot be resolved".into()),
        execution_id: Some("9d1c0e52-0000-4000-8000-000000000004".into()),
        console_link: None,
        data_scanned_bytes: None,
        columns: vec![],
        rows: vec![],
        truncated: false,
    };
    let mut expire = builtin("noncurrent_versions_to_expire", QueryState::Succeeded);
    expire.execution_id = Some("9d1c0e52-0000-4000-8000-000000000005".into());
    expire.data_scanned_bytes = Some(31_457_280);
    expire.columns = [
        "account",
        "region",
        "bucket",
        "storage_class",
        "versions",
        "bytes",
    ]
    .map(String::from)
    .to_vec();
    expire.rows = vec![
        [
            "111111111111",
            "eu-west-1",
            "logs-eu",
            "STANDARD",
            "120000",
            "64424509440",
        ],
        [
            "222222222222",
            "us-east-1",
            "data-lake",
            "STANDARD",
            "980000",
            "171798691840",
        ],
    ]
    .into_iter()
    .map(|row| row.into_iter().map(|v| Some(v.to_owned())).collect())
    .collect();
    let queries = vec![secrets, expire, classes, stale, user];
    RunReport {
        run_id: "2024-05-01-weekly".into(),
        deployment: "s3insights-prod".into(),
        outcome: RunOutcome::Succeeded,
        cause: None,
        started_at: at(8, 0, 0),
        finished_at: at(10, 17, 42),
        is_smoke_test: false,
        accounts: vec![a.into(), b.into()],
        unreachable_accounts: vec![],
        regions: vec!["ap-southeast-2".into(), "eu-west-1".into(), "us-east-1".into()],
        athena: AthenaReport {
            database: "s3insights".into(),
            table: "inventory_r1".into(),
            region: "eu-west-1".into(),
        },
        comparison: None,
        comparison_reason: Some("no earlier successful run of this deployment covered these accounts and regions (3 earlier reports read)".into()),
        cost: Some(estimate(&buckets, &queries, PriceTable::builtin())),
        buckets,
        queries,
        notes: vec!["ops@example.com is not a verified SES identity yet: it was sent a verification email and did not receive this report.".into()],
        input: json!({
            "run_id": "2024-05-01-weekly",
            "accounts": [{"id": a}, {"id": b, "exclude": ["scratch-*"]}],
            "athena_database_name": "s3insights",
            "athena_table_name": "inventory",
            "athena_queries": [{"name": "big csv files", "query": "SELECT bucket, key, size FROM {table} WHERE key LIKE '%.csv' AND size > 1000000000 ORDER BY size DESC LIMIT 10"}],
            "sender_email_address": "s3insights@example.com",
            "recipient_email_addresses": ["ops@example.com", "security@example.com"],
            "supported_regions": ["ap-southeast-2", "eu-west-1", "us-east-1"],
            "is_smoke_test": false
        }),
    }
}

/// Attack strings, each placed in every field a report shows.
pub const HOSTILE: [&str; 7] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' OR 1=1 --",
    "javascript:alert('x')",
    "a&b<c>d\"e'f",
    "ключ ✓ 鍵 \u{202E}gpj.exe\u{1b}[31mRED\u{7}\r\nX-Header: injected",
    "{{<iframe src=//evil>}}",
];

/// A report with hostile text in every value a renderer shows, and a very long key.
pub fn hostile_report() -> RunReport {
    let mut report = sample_report();
    let evil = HOSTILE.join(" | ");
    let long_key = format!("{}{}", "k/".repeat(600), HOSTILE[0]);
    report.run_id = evil.clone();
    report.deployment = evil.clone();
    report.outcome = RunOutcome::Failed;
    report.cause = Some(evil.clone());
    report.is_smoke_test = true;
    report.accounts.push(evil.clone());
    report.regions.push(evil.clone());
    report.athena.database = evil.clone();
    report.athena.table = evil.clone();
    report.notes.push(evil.clone());
    for (i, hostile) in HOSTILE.iter().enumerate() {
        let mut figures = figures(
            5,
            &[(hostile, 10 + i as u64), ("STANDARD", 7)],
            (&long_key, 99),
        );
        if let Some(largest) = figures.largest_object.as_mut() {
            largest.version_id = Some(hostile.to_string());
        }
        report.buckets.push(bucket(
            hostile,
            hostile,
            hostile,
            BucketStatus::Done,
            Some(hostile),
            Some(figures),
        ));
        report.buckets.push(bucket(
            hostile,
            hostile,
            &format!("{hostile}-failed"),
            BucketStatus::ReportInvalid,
            Some(hostile),
            None,
        ));
    }
    for query in &mut report.queries {
        query.name = evil.clone();
        query.title = evil.clone();
        query.description = Some(evil.clone());
        query.sql = format!("SELECT '{evil}'");
        query.reason = Some(evil.clone());
        query.console_link = Some("javascript:alert(document.cookie)".into());
        query.columns = HOSTILE.iter().map(|h| h.to_string()).collect();
        query.rows = vec![
            HOSTILE.iter().map(|h| Some(h.to_string())).collect(),
            vec![Some(long_key.clone()), None],
        ];
    }
    report.queries[0].execution_id = Some(evil.clone());
    report.queries[1].execution_id = Some("\"><script>alert(1)</script>".into());
    report.athena.region = "eu-west-1".into();
    report.input = json!({ "run_id": evil, "athena_queries": [{"name": HOSTILE[1], "query": HOSTILE[0]}], HOSTILE[0]: HOSTILE[5] });
    report
}

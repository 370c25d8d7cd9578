//! Every built-in query runs on DuckDB, the engine of the offline Athena, against Parquet in the
//! consolidated dataset's schema, and finds what it should.
//!
//! The table DDL goes through the offline Athena's own parser and the queries through its own table
//! rewriting (`tests/support/catalogue_on_duckdb.py`), so what passes here runs in the local AWS. The
//! local AWS's virtualenv (`.offline/venv`, or `OFFLINE_VENV`) provides Python, DuckDB and ministack;
//! `scripts/test` installs it before the tests run. Without it the test is skipped, except under CI,
//! where it fails.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, TimeZone, Utc};
use inventory_format::{
    read_data_file, write_data_file, FileFormat, InventoryField, InventoryRecord,
};
use parquet::arrow::ArrowWriter;
use s3insights::catalogue::{
    builtin_queries, comparison_queries, render, table_ddl, Identifier, PreviousTable,
};
use serde_json::{json, Value};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var_os("OFFLINE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".offline/venv"));
    let python = venv.join("bin/python");
    python.exists().then_some(python)
}

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// A current object version with the usual optional fields.
fn object(bucket: &str, key: &str, size: i64) -> InventoryRecord {
    InventoryRecord {
        bucket: bucket.into(),
        key: key.into(),
        version_id: Some(format!("v-{key}")),
        is_latest: Some(true),
        is_delete_marker: Some(false),
        size: Some(size),
        last_modified: Some(Utc::now() - Duration::days(3)),
        e_tag: Some("0123456789abcdef".into()),
        storage_class: Some("STANDARD".into()),
        is_multipart_uploaded: Some(false),
        replication_status: None,
        encryption_status: Some("SSE-S3".into()),
        bucket_key_status: Some("DISABLED".into()),
        ..Default::default()
    }
}

/// The files of one partition: (account, region, records).
fn dataset() -> Partitions {
    let b = "alpha";
    let mut alpha = vec![
        object(b, "app/.env", 120),
        object(b, "home/u/.ssh/id_ed25519", 400),
        object(b, "backup/prod.kdbx", 9_000),
        object(b, "infra/terraform.tfstate", 30_000),
        object(b, "deploy/.env.production", 90),
        object(b, "certs/server.PEM", 2_000),
        object(b, "docs/readme.txt", 10),
        object(b, "key", 10),
        object(b, "folder/", 0),
        object(b, "it's <b>&\"quoted\" ключ.txt", 5),
    ];
    let mut plain = object(b, "old/plain.csv", 700);
    plain.encryption_status = Some("NOT-SSE".into());
    alpha.push(plain);
    let mut dump = object(b, "big/dump.bin", 2 << 30);
    dump.storage_class = Some("GLACIER".into());
    // It replaced the old dump long ago: the old one is noncurrent for more than 30 days.
    dump.last_modified = Some(at(2024, 6, 1));
    alpha.push(dump);
    let mut old_dump = object(b, "big/dump.bin", 3 << 29);
    old_dump.version_id = Some("v-old-dump".into());
    old_dump.is_latest = Some(false);
    old_dump.last_modified = Some(at(2023, 1, 1));
    alpha.push(old_dump);
    let mut old_secret = object(b, "old/id_rsa", 1_000);
    old_secret.is_latest = Some(false);
    alpha.push(old_secret);
    alpha.push(InventoryRecord {
        is_delete_marker: Some(true),
        size: None,
        storage_class: None,
        encryption_status: None,
        ..object(b, "gone.txt", 0)
    });
    let mut compliance = object(b, "locked/a.pdf", 50);
    compliance.object_lock_mode = Some("COMPLIANCE".into());
    compliance.object_lock_retain_until_date = Some(at(2030, 6, 1));
    compliance.object_lock_legal_hold_status = Some("OFF".into());
    alpha.push(compliance);
    let mut held = object(b, "locked/b.pdf", 60);
    held.object_lock_mode = Some("GOVERNANCE".into());
    held.object_lock_retain_until_date = Some(at(2027, 1, 1));
    held.object_lock_legal_hold_status = Some("ON".into());
    alpha.push(held);
    let mut failed = object(b, "rep/x.csv", 70);
    failed.replication_status = Some("FAILED".into());
    alpha.push(failed);
    let mut kms = object(b, "kms/y.json", 80);
    kms.encryption_status = Some("SSE-KMS".into());
    alpha.push(kms);
    let mut kms_keyed = object(b, "kms/z.json", 80);
    kms_keyed.encryption_status = Some("SSE-KMS".into());
    kms_keyed.bucket_key_status = Some("ENABLED".into());
    alpha.push(kms_keyed);
    let mut small_ia = object(b, "ia/small.log", 1_000);
    small_ia.storage_class = Some("STANDARD_IA".into());
    alpha.push(small_ia);
    let mut big_ia = object(b, "ia/big.log", 1 << 20);
    big_ia.storage_class = Some("STANDARD_IA".into());
    alpha.push(big_ia);

    // A bucket whose report has no version fields (current versions only), untouched since 2019.
    let s = "stale-bucket";
    // b.txt is large enough for STANDARD_IA to pay.
    let stale: Vec<_> = [
        ("a.txt", 1_000),
        ("b.txt", 200_000),
        ("nested/c.TXT", 1_000),
    ]
    .into_iter()
    .map(|(key, size)| InventoryRecord {
        version_id: None,
        is_latest: None,
        is_delete_marker: None,
        last_modified: Some(at(2019, 3, 4)),
        ..object(s, key, size)
    })
    .collect();

    vec![
        ("111111111111", "eu-west-1", "alpha", alpha),
        ("222222222222", "us-east-1", "stale-bucket", stale),
    ]
}

/// Writes each partition as one normalised Parquet file (what the consolidation writes) under
/// `account=A/region=G/bucket=B/`, as the run's dataset lays them out.
fn write_dataset(root: &Path) -> Vec<String> {
    write_partitions(root, dataset())
}

type Partitions = Vec<(
    &'static str,
    &'static str,
    &'static str,
    Vec<InventoryRecord>,
)>;

fn write_partitions(root: &Path, partitions: Partitions) -> Vec<String> {
    let mut files = Vec::new();
    for (account, region, bucket, records) in partitions {
        let s3_style =
            write_data_file(FileFormat::Parquet, &InventoryField::ALL, &records).expect("write");
        let dir = root.join(format!("account={account}/region={region}/bucket={bucket}"));
        fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("part-00000.parquet");
        let file = fs::File::create(&path).expect("create");
        let mut writer = ArrowWriter::try_new(file, inventory_format::normalised_schema(), None)
            .expect("writer");
        let batches = read_data_file(FileFormat::Parquet, &InventoryField::ALL, s3_style, 1024)
            .expect("read");
        for batch in batches {
            writer.write(&batch.expect("batch")).expect("write batch");
        }
        writer.close().expect("close");
        files.push(path.display().to_string());
    }
    files
}

fn run_catalogue(python: &Path, request: &Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/catalogue_on_duckdb.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("send request");
    let output = child.wait_with_output().expect("python ran");
    assert!(
        output.status.success(),
        "catalogue_on_duckdb.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON out")
}

/// The rows of one query's result, checked to have succeeded.
fn rows<'a>(out: &'a Value, name: &str) -> &'a Vec<Value> {
    let result = &out["results"][name];
    assert!(
        result.get("error").is_none(),
        "{name} failed on DuckDB: {result}"
    );
    assert_eq!(
        result["references"], 1,
        "{name}: table reference not rewritten"
    );
    result["rows"].as_array().expect("rows")
}

fn column<'a>(out: &'a Value, name: &str, column: &str) -> Vec<Option<&'a str>> {
    let columns = out["results"][name]["columns"].as_array().expect("columns");
    let index = columns
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("{name} has no column {column}: {columns:?}"));
    rows(out, name)
        .iter()
        .map(|row| row[index].as_str())
        .collect()
}

#[test]
fn builtin_queries_run_on_duckdb_and_find_what_they_should() {
    let Some(python) = venv_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the local AWS virtualenv is missing under CI"
        );
        eprintln!(
            "skipped: no .offline/venv (run scripts/test, or `offline emulator start`, once)"
        );
        return;
    };
    let root = std::env::temp_dir().join(format!(
        "s3insights-catalogue-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let files = write_dataset(&root);

    let database = Identifier::database("s3insights").expect("database");
    let table = Identifier::table("inventory_r1").expect("table");
    let ddl = table_ddl(&database, &table, "s3://consolidated/inventory/run=r1/").expect("ddl");
    let queries: Vec<_> = builtin_queries()
        .iter()
        .map(|q| json!({"name": q.name, "sql": render(q.sql, &database, &table).expect("render")}))
        .collect();
    let out = run_catalogue(
        &python,
        &json!({"ddl": ddl, "files": files, "queries": queries}),
    );
    let _ = fs::remove_dir_all(&root);

    // The offline Athena reads our DDL as the table we meant.
    let described = &out["table"];
    assert_eq!(described["database"], "s3insights");
    assert_eq!(described["table"], "inventory_r1");
    assert_eq!(described["format"], "parquet");
    assert_eq!(
        described["columns"].as_array().map(Vec::len),
        Some(inventory_format::normalised_schema().fields().len())
    );
    assert_eq!(
        described["partition_keys"],
        json!([
            ["account", "string"],
            ["region", "string"],
            ["bucket_name", "string"]
        ])
    );
    assert_eq!(described["location"], "s3://consolidated/inventory/run=r1/");

    // Every query runs.
    for q in builtin_queries() {
        rows(&out, q.name);
    }

    let secrets: BTreeSet<_> = column(&out, "secret_like_keys", "key")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        secrets,
        BTreeSet::from([
            "app/.env",
            "backup/prod.kdbx",
            "certs/server.PEM",
            "deploy/.env.production",
            "home/u/.ssh/id_ed25519",
            "infra/terraform.tfstate",
        ])
    );
    let secret_keys = column(&out, "secret_like_keys", "key");
    let mut sorted = secret_keys.clone();
    sorted.sort();
    assert_eq!(secret_keys, sorted, "ordered by key within the bucket");

    assert_eq!(
        rows(&out, "unencrypted_objects"),
        &vec![json!([
            "111111111111",
            "eu-west-1",
            "alpha",
            "1",
            "700",
            "old/plain.csv"
        ])]
    );
    assert_eq!(
        rows(&out, "replication_failures"),
        &vec![json!([
            "111111111111",
            "eu-west-1",
            "alpha",
            "1",
            "70",
            "rep/x.csv"
        ])]
    );

    let locks = rows(&out, "object_lock_summary");
    assert_eq!(locks.len(), 2, "{locks:?}");
    assert_eq!(locks[0][3], "COMPLIANCE");
    assert_eq!(locks[0][4], "OFF");
    assert!(locks[0][7]
        .as_str()
        .is_some_and(|d| d.starts_with("2030-06-01")));
    assert_eq!(locks[1][3], "GOVERNANCE");
    assert_eq!(locks[1][4], "ON");

    let large = column(&out, "large_objects", "size");
    assert_eq!(large, vec![Some("2147483648"), Some("1610612736")]);
    assert_eq!(
        column(&out, "large_objects", "is_current"),
        vec![Some("True"), Some("False")]
    );

    assert_eq!(
        rows(&out, "version_bloat"),
        &vec![json!([
            "111111111111",
            "eu-west-1",
            "alpha",
            "2148575899",
            "2",
            "1610613736",
            "1"
        ])]
    );
    assert_eq!(
        rows(&out, "small_objects_in_archive_classes"),
        &vec![json!([
            "111111111111",
            "eu-west-1",
            "alpha",
            "STANDARD_IA",
            "1",
            "1000"
        ])]
    );
    // The old dump, replaced in 2024; not old/id_rsa, which nothing replaced (it is current
    // elsewhere or its successor is not in the report: its age as noncurrent is unknown).
    assert_eq!(
        rows(&out, "noncurrent_versions_to_expire"),
        &vec![json!([
            "111111111111",
            "eu-west-1",
            "alpha",
            "STANDARD",
            "1",
            "1610612736"
        ])]
    );
    // Current STANDARD objects of 128 KiB or more untouched for 90 days: b.txt only (the dump is
    // GLACIER, everything else in alpha is new or small).
    assert_eq!(
        rows(&out, "cold_standard_objects"),
        &vec![json!([
            "222222222222",
            "us-east-1",
            "stale-bucket",
            "1",
            "200000"
        ])]
    );
    assert_eq!(
        rows(&out, "kms_without_bucket_key"),
        &vec![json!(["111111111111", "eu-west-1", "alpha", "1", "80"])]
    );

    let stale = rows(&out, "stale_buckets");
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0][2], "stale-bucket");
    assert!(stale[0][3]
        .as_str()
        .is_some_and(|d| d.starts_with("2019-03-04")));
    let days: i64 = stale[0][4]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("days");
    assert!(days > 365 * 5, "{days}");

    let classes = column(&out, "storage_class_breakdown", "storage_class");
    assert_eq!(
        classes,
        vec![Some("GLACIER"), Some("STANDARD"), Some("STANDARD_IA")]
    );
    let versions = column(&out, "storage_class_breakdown", "versions");
    assert_eq!(versions[0], Some("1"), "the current dump");
    let current = column(&out, "storage_class_breakdown", "current_objects");
    assert_eq!(current[1], Some("19"), "{current:?}");
    assert_eq!(versions[1], Some("21"), "with two noncurrent versions");

    let extensions = column(&out, "extension_histogram", "file_extension");
    let objects = column(&out, "extension_histogram", "objects");
    let histogram: Vec<_> = extensions.iter().zip(&objects).collect();
    assert_eq!(histogram[0], (&Some("txt"), &Some("5")), "{histogram:?}");
    assert!(
        histogram.contains(&(&Some("(none)"), &Some("3"))),
        "key, folder/ and id_ed25519: {histogram:?}"
    );
    assert!(
        histogram.contains(&(&Some("env"), &Some("1"))),
        "{histogram:?}"
    );
    assert!(
        histogram.contains(&(&Some("production"), &Some("1"))),
        "{histogram:?}"
    );
}

/// S3 Inventory's ACL column for an object: base64 of the ACL JSON, a grant to `grantee`.
fn acl(grantee: &str) -> String {
    use base64::Engine;
    let json = format!(
        "{{\"version\":\"2022-11-10\",\"status\":\"AVAILABLE\",\"grants\":[{{\"permission\":\"READ\",\"type\":\"Group\",\"uri\":\"http://acs.amazonaws.com/groups/global/{grantee}\"}}]}}"
    );
    base64::engine::general_purpose::STANDARD.encode(json)
}

#[test]
fn comparison_queries_find_what_is_new_since_the_previous_run() {
    let Some(python) = venv_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the local AWS virtualenv is missing under CI"
        );
        eprintln!("skipped: no .offline/venv");
        return;
    };
    let root = std::env::temp_dir().join(format!(
        "s3insights-comparison-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let b = "alpha";
    let mut public_before = object(b, "pub/old.html", 10);
    public_before.object_access_control_list = Some(acl("AllUsers"));
    let mut private = object(b, "pub/private.html", 10);
    private.object_access_control_list = Some(acl("AllUserz"));
    // One dataset for both runs: its dates are relative to now, and the same version must have the
    // same last-modified time in both.
    let base = dataset();
    let mut previous = base.clone();
    // A third run: the previous one plus one unencrypted object, and nothing else new.
    let mut only_unencrypted = base.clone();
    previous[0]
        .3
        .extend([public_before.clone(), private.clone()]);
    let mut plain = object(b, "new/plain3.csv", 10);
    plain.encryption_status = Some("NOT-SSE".into());
    only_unencrypted[0]
        .3
        .extend([public_before.clone(), private.clone(), plain]);
    // Now: one object made public to every AWS account, a new .env, a new unencrypted object.
    let mut current = base;
    let mut opened = private;
    opened.object_access_control_list = Some(acl("AuthenticatedUsers"));
    let mut unencrypted = object(b, "new/plain2.csv", 10);
    unencrypted.encryption_status = Some("NOT-SSE".into());
    current[0].3.extend([
        public_before,
        opened,
        object(b, "new/.env", 10),
        object(b, "new/z1.pem", 10),
        object(b, "new/z2.pem", 10),
        unencrypted,
    ]);

    let database = Identifier::database("s3insights").expect("database");
    let (r0, r1) = (
        Identifier::table("inventory_r0").expect("table"),
        Identifier::table("inventory_r1").expect("table"),
    );
    let ddl = |table: &Identifier, run: &str| {
        table_ddl(
            &database,
            table,
            &format!("s3://consolidated/inventory/run={run}/"),
        )
        .expect("ddl")
    };
    let previous_files = write_partitions(&root.join("r0"), previous);
    let r2 = Identifier::table("inventory_r2").expect("table");
    let only_unencrypted_files = write_partitions(&root.join("r2"), only_unencrypted);
    let current_files = write_partitions(&root.join("r1"), current);
    let previous_table = PreviousTable {
        run_id: "r0".into(),
        database: database.clone(),
        table: r0.clone(),
    };
    let mut queries: Vec<_> = comparison_queries(&database, &r1, &previous_table)
        .expect("render")
        .into_iter()
        .map(|(name, sql)| json!({"name": name, "sql": sql}))
        .collect();
    queries.extend(
        comparison_queries(&database, &r2, &previous_table)
            .expect("render")
            .into_iter()
            .map(|(_, sql)| json!({"name": "only_unencrypted", "sql": sql})),
    );
    let out = run_catalogue(
        &python,
        &json!({
            "ddl": ddl(&r1, "r1"),
            "files": current_files,
            "more_tables": [
                {"ddl": ddl(&r0, "r0"), "files": previous_files},
                {"ddl": ddl(&r2, "r2"), "files": only_unencrypted_files},
            ],
            "queries": queries,
        }),
    );
    let _ = fs::remove_dir_all(&root);
    let result = |name: &str| {
        let result = &out["results"][name];
        assert!(result.get("error").is_none(), "{name}: {result}");
        assert!(result["references"].as_u64() >= Some(2), "{name}: {result}");
        result["rows"].clone()
    };
    // Each new public or secret-like object once, with its findings, the two findings taking
    // turns; every row carries the totals (the unencrypted one: new/plain2.csv, listed by neither).
    let object_row = |key: &str, public: &str, secret_like: &str| {
        json!([
            "111111111111",
            "eu-west-1",
            "alpha",
            key,
            public,
            secret_like,
            "1",
            "3",
            "1"
        ])
    };
    assert_eq!(
        result("new_since_previous_run"),
        json!([
            object_row("new/.env", "0", "1"),
            object_row("pub/private.html", "1", "0"),
            object_row("new/z1.pem", "0", "1"),
            object_row("new/z2.pem", "0", "1"),
        ])
    );
    // Nothing public or secret-like new: one row without a flag carries the totals.
    assert_eq!(
        result("only_unencrypted"),
        json!([[
            "111111111111",
            "eu-west-1",
            "alpha",
            "new/plain3.csv",
            "0",
            "0",
            "0",
            "0",
            "1"
        ]])
    );
}

//! Athena as the S3Insights Harvester drives it, through the real path: a state machine run by
//! `offline execute` whose tasks are the optimized Athena integrations, over Parquet files in S3.
//! Proves crates/local-aws/emulator/athena_ddl.py (CREATE/DROP DATABASE, SHOW TABLES, ALTER TABLE ADD/DROP
//! PARTITION, partitioned tables read from their registered partitions only) and the Athena part of
//! sfn_integrations.py (startQueryExecution[.sync], getQueryExecution, getQueryResults,
//! stopQueryExecution; a failed query fails the .sync task with States.TaskFailed).

use integration::{env, unique};
use inventory_format::{write_data_file, FileFormat, InventoryField, InventoryRecord};
use serde_json::{json, Value};

fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A new bucket of the host account (in us-east-1) named after `prefix`; returns its name.
async fn host_bucket(prefix: &str) -> String {
    let bucket = unique(prefix);
    let s3 = env().await.host.s3();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    bucket
}

/// A Parquet inventory data file with the columns `bucket`, `key`, `size`.
fn parquet(rows: &[(&str, &str, i64)]) -> Vec<u8> {
    let records: Vec<InventoryRecord> = rows
        .iter()
        .map(|(bucket, key, size)| InventoryRecord {
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: Some(*size),
            ..InventoryRecord::default()
        })
        .collect();
    let fields = [
        InventoryField::Bucket,
        InventoryField::Key,
        InventoryField::Size,
    ];
    write_data_file(FileFormat::Parquet, &fields, &records).expect("parquet")
}

/// A Task state running `query` to its end (`athena:startQueryExecution.sync`).
fn sync_query(query: &str, database: &str, results: &str, next: &str, result_path: Value) -> Value {
    json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
        "Parameters": {
            "QueryString": query,
            "QueryExecutionContext": {"Database": database},
            "ResultConfiguration": {"OutputLocation": results}
        },
        "ResultPath": result_path,
        "Next": next
    })
}

/// The same, with a Catch of `States.TaskFailed` that records the error at `error_path`.
fn failing_query(
    query: &str,
    database: &str,
    results: &str,
    next: &str,
    error_path: &str,
) -> Value {
    let mut state = sync_query(query, database, results, next, Value::Null);
    state["Catch"] =
        json!([{"ErrorEquals": ["States.TaskFailed"], "ResultPath": error_path, "Next": next}]);
    state
}

/// A Task state getting a query's results (`athena:getQueryResults`).
fn results_of(id_path: &str, next: &str, result_path: &str) -> Value {
    json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::athena:getQueryResults",
        "Parameters": {"QueryExecutionId.$": id_path},
        "ResultSelector": {"Rows.$": "$.ResultSet.Rows"},
        "ResultPath": result_path,
        "Next": next
    })
}

fn values(rows: &Value) -> Vec<Vec<String>> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            row["Data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|d| d["VarCharValue"].as_str().unwrap_or("NULL").to_string())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn harvester_queries_read_only_the_registered_partitions() {
    let env = env().await;
    let s3 = env.host.s3();
    let bucket = host_bucket("athena-inv").await;
    let run = "inventory/run=r1";
    // Hive-style folders named after the report (`bucket=`), not after the partition keys
    // (`bucket_name`); `bucket` is also a data column. One non-Hive folder.
    let files = [
        (
            "account=111/region=us-east-1/bucket=alpha/data/1.parquet",
            parquet(&[("alpha", "a1", 10), ("alpha", "a2", 20)]),
        ),
        // Registered, with a data column that says otherwise than its folder: the data wins.
        (
            "account=222/region=eu-west-1/bucket=gamma/data/1.parquet",
            parquet(&[("gamma-source", "g1", 30)]),
        ),
        // Never registered: never read.
        (
            "account=111/region=us-east-1/bucket=beta/data/1.parquet",
            parquet(&[("beta", "b1", 99)]),
        ),
        // Registered under values no folder name carries.
        ("legacy/delta.parquet", parquet(&[("delta", "d1", 40)])),
    ];
    for (key, body) in files {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("{run}/{key}"))
            .body(body.into())
            .send()
            .await
            .unwrap();
    }

    let db = unique("s3i").replace('-', "_");
    let results = format!("s3://{bucket}/results/");
    let root = format!("s3://{bucket}/{run}");
    let table = format!("{db}.inventory");
    let q = |query: &str, next: &str, path: Value| sync_query(query, &db, &results, next, path);
    let definition = json!({
        "StartAt": "CreateDatabase",
        "States": {
            "CreateDatabase": q(&format!("CREATE DATABASE IF NOT EXISTS {db}"), "CreateDatabaseAgain", Value::Null),
            "CreateDatabaseAgain": q(&format!("CREATE DATABASE IF NOT EXISTS {db} COMMENT 'S3Insights'"), "CreateTable", Value::Null),
            "CreateTable": q(&format!(
                "CREATE EXTERNAL TABLE {table} (bucket string, key string, size bigint) \
                 PARTITIONED BY (account string, region string, bucket_name string) \
                 STORED AS PARQUET LOCATION '{root}/'"
            ), "CountBefore", Value::Null),
            "CountBefore": q(&format!("SELECT count(*) AS n FROM {table}"), "CountBeforeResults", json!("$.countBefore")),
            "CountBeforeResults": results_of("$.countBefore.QueryExecution.QueryExecutionId", "AddPartitions", "$.countBefore"),
            "AddPartitions": q(&format!(
                "ALTER TABLE {table} ADD IF NOT EXISTS \
                 PARTITION (account='111', region='us-east-1', bucket_name='alpha') LOCATION '{root}/account=111/region=us-east-1/bucket=alpha/' \
                 PARTITION (account='222', region='eu-west-1', bucket_name='gamma') LOCATION '{root}/account=222/region=eu-west-1/bucket=gamma/'"
            ), "AddMorePartitions", Value::Null),
            // IF NOT EXISTS: the existing one is skipped, the new one added.
            "AddMorePartitions": q(&format!(
                "ALTER TABLE inventory ADD IF NOT EXISTS \
                 PARTITION (account='111', region='us-east-1', bucket_name='alpha') LOCATION '{root}/account=111/region=us-east-1/bucket=alpha/' \
                 PARTITION (account='333', region='ap-south-1', bucket_name='delta') LOCATION '{root}/legacy/'"
            ), "AddExisting", Value::Null),
            "AddExisting": failing_query(&format!(
                "ALTER TABLE {table} ADD PARTITION (account='111', region='us-east-1', bucket_name='alpha')"
            ), &db, &results, "Select", "$.addExistingError"),
            "Select": q(&format!(
                "SELECT bucket, key, size, account, region, bucket_name FROM {table} ORDER BY key"
            ), "SelectResults", json!("$.select")),
            "SelectResults": results_of("$.select.QueryExecution.QueryExecutionId", "FirstPage", "$.rows"),
            "FirstPage": {
                "Type": "Task",
                "Resource": "arn:aws:states:::athena:getQueryResults",
                "Parameters": {"QueryExecutionId.$": "$.select.QueryExecution.QueryExecutionId", "MaxResults": 2},
                "ResultPath": "$.firstPage",
                "Next": "SecondPage"
            },
            "SecondPage": {
                "Type": "Task",
                "Resource": "arn:aws:states:::athena:getQueryResults",
                "Parameters": {
                    "QueryExecutionId.$": "$.select.QueryExecution.QueryExecutionId",
                    "MaxResults": 1000,
                    "NextToken.$": "$.firstPage.NextToken"
                },
                "ResultPath": "$.secondPage",
                "Next": "DropPartition"
            },
            "DropPartition": q(
                &format!("ALTER TABLE {table} DROP IF EXISTS PARTITION (account = '333', region = 'ap-south-1', bucket_name = 'delta')"),
                "CountAfterDrop",
                Value::Null
            ),
            "CountAfterDrop": q(
                &format!("SELECT count(*) AS n FROM {table}"),
                "CountAfterDropResults",
                json!("$.countAfterDrop")
            ),
            "CountAfterDropResults": results_of(
                "$.countAfterDrop.QueryExecution.QueryExecutionId",
                "ShowTables",
                "$.countAfterDrop"
            ),
            "ShowTables": q(&format!("SHOW TABLES IN {db}"), "ShowTablesResults", json!("$.show")),
            "ShowTablesResults": results_of("$.show.QueryExecution.QueryExecutionId", "DropRestrict", "$.tables"),
            "DropRestrict": failing_query(&format!("DROP DATABASE {db}"), "default", &results, "DropCascade", "$.dropRestrictError"),
            "DropCascade": sync_query(&format!("DROP DATABASE IF EXISTS {db} CASCADE"), "default", &results, "ShowAfterDrop", Value::Null),
            "ShowAfterDrop": failing_query(&format!("SHOW TABLES IN {db}"), "default", &results, "Done", "$.showAfterDropError"),
            "Done": {"Type": "Pass", "End": true}
        }
    });
    let out = env.execute(&definition, "{}", &[]);
    let output = stdout_json(&out);
    assert!(out.status.success(), "{output}");

    // A partitioned table with no registered partition reads nothing, though files are there.
    assert_eq!(values(&output["countBefore"]["Rows"]), [["n"], ["0"]]);
    assert!(output["addExistingError"]["Cause"]
        .as_str()
        .unwrap()
        .contains("already exists"));

    // Only the registered partitions, with the registered values; the data's own `bucket` column.
    let rows = values(&output["rows"]["Rows"]);
    let expected = [
        ["bucket", "key", "size", "account", "region", "bucket_name"],
        ["alpha", "a1", "10", "111", "us-east-1", "alpha"],
        ["alpha", "a2", "20", "111", "us-east-1", "alpha"],
        ["delta", "d1", "40", "333", "ap-south-1", "delta"],
        ["gamma-source", "g1", "30", "222", "eu-west-1", "gamma"],
    ];
    assert_eq!(rows, expected, "{output}");

    // The .sync result is GetQueryExecution's response, timestamps in epoch milliseconds.
    let execution = &output["select"]["QueryExecution"];
    assert_eq!(execution["Status"]["State"], "SUCCEEDED");
    assert_eq!(execution["StatementType"], "DML");
    assert!(execution["Status"]["SubmissionDateTime"].as_i64().unwrap() > 1_000_000_000_000);
    assert!(execution["Status"]["CompletionDateTime"].as_i64().unwrap() > 1_000_000_000_000);

    // Pages follow NextToken and together hold every row once.
    assert!(output["firstPage"]["NextToken"].is_string(), "{output}");
    assert!(output["secondPage"].get("NextToken").is_none());
    let mut paged = values(&output["firstPage"]["ResultSet"]["Rows"]);
    paged.extend(values(&output["secondPage"]["ResultSet"]["Rows"]));
    assert_eq!(paged, expected);

    // ALTER TABLE DROP PARTITION unregisters it: its files are read no more.
    assert_eq!(values(&output["countAfterDrop"]["Rows"]), [["n"], ["3"]]);

    // SHOW TABLES: one `tab_name` row per table, no header row (a UTILITY statement).
    assert_eq!(values(&output["tables"]["Rows"]), [["inventory"]]);
    assert_eq!(output["show"]["QueryExecution"]["StatementType"], "UTILITY");

    // DROP DATABASE refuses a database with tables unless CASCADE, which removes them with it.
    assert!(output["dropRestrictError"]["Cause"]
        .as_str()
        .unwrap()
        .contains("not empty"));
    assert!(output["showAfterDropError"]["Cause"]
        .as_str()
        .unwrap()
        .contains("Database does not exist"));
}

#[tokio::test]
async fn a_failed_query_fails_the_sync_task_with_its_query_execution_as_the_cause() {
    let env = env().await;
    let bucket = host_bucket("athena-res").await;
    let results = format!("s3://{bucket}/results/");
    let caught = json!({
        "StartAt": "Bad",
        "States": {
            "Bad": failing_query("SELEC 1", "default", &results, "Done", "$.error"),
            "Done": {"Type": "Pass", "End": true}
        }
    });
    let out = env.execute(&caught, "{}", &[]);
    let output = stdout_json(&out);
    assert!(out.status.success(), "{output}");
    assert_eq!(output["error"]["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(output["error"]["Cause"].as_str().unwrap()).unwrap();
    let status = &cause["QueryExecution"]["Status"];
    assert_eq!(status["State"], "FAILED", "{cause}");
    assert!(
        status["StateChangeReason"]
            .as_str()
            .unwrap()
            .contains("SELEC"),
        "{cause}"
    );

    // Uncaught, it fails the execution with the same error.
    let uncaught = json!({
        "StartAt": "Bad",
        "States": {"Bad": sync_query("SELEC 1", "default", &results, "Done", Value::Null),
                   "Done": {"Type": "Pass", "End": true}}
    });
    let out = env.execute(&uncaught, "{}", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["error"], "States.TaskFailed");
}

#[tokio::test]
async fn request_response_integrations_start_get_and_stop_queries() {
    let env = env().await;
    let bucket = host_bucket("athena-rr").await;
    let definition = json!({
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::athena:startQueryExecution",
                "Parameters": {
                    "QueryString": "SELECT 42 AS answer",
                    "ResultConfiguration": {"OutputLocation": format!("s3://{bucket}/results/")}
                },
                "ResultPath": "$.started",
                "Next": "Get"
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::athena:getQueryExecution",
                "Parameters": {"QueryExecutionId.$": "$.started.QueryExecutionId"},
                "ResultPath": "$.got",
                "Next": "Stop"
            },
            "Stop": {
                "Type": "Task",
                "Resource": "arn:aws:states:::athena:stopQueryExecution",
                "Parameters": {"QueryExecutionId.$": "$.started.QueryExecutionId"},
                "ResultPath": "$.stopped",
                "Next": "NoOutputLocation"
            },
            // The request refused by the API: Athena.<ErrorCode>, catchable.
            "NoOutputLocation": {
                "Type": "Task",
                "Resource": "arn:aws:states:::athena:startQueryExecution",
                "Parameters": {"QueryString": "SELECT 1"},
                "Catch": [{"ErrorEquals": ["Athena.InvalidRequestException"], "ResultPath": "$.refused", "Next": "Done"}],
                "Next": "Done"
            },
            "Done": {"Type": "Pass", "End": true}
        }
    });
    let out = env.execute(&definition, "{}", &[]);
    let output = stdout_json(&out);
    assert!(out.status.success(), "{output}");
    let id = output["started"]["QueryExecutionId"].as_str().unwrap();
    assert_eq!(output["started"], json!({ "QueryExecutionId": id }));
    assert_eq!(output["got"]["QueryExecution"]["QueryExecutionId"], id);
    assert_eq!(
        output["got"]["QueryExecution"]["Query"],
        "SELECT 42 AS answer"
    );
    assert!(output["got"]["QueryExecution"]["Status"]["State"].is_string());
    assert_eq!(output["stopped"], json!({}));
    assert_eq!(output["refused"]["Error"], "Athena.InvalidRequestException");
}

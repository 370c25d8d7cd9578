//! A report of many data files: each file consolidated on its own (one task each), the bucket
//! completed exactly once with every file's figures, and a file whose read failed retried alone.
//! `OFFLINE_INVENTORY_ROWS_PER_FILE` makes the many-file report from a few objects.

use std::collections::{BTreeMap, BTreeSet};

use integration::env;
use integration::s3insights::*;
use serde_json::{json, Value};

const REGION: &str = "ap-south-1";

/// Every row of the consolidated Parquet under `prefix`: (object key, size), and how many files.
async fn consolidated_rows(prefix: &str) -> (Vec<(String, i64)>, usize) {
    use inventory_format::{read_data_file, records_from_batch, FileFormat, InventoryField};
    let bucket = output("ConsolidatedBucketName").await;
    let s3 = env().await.host.s3();
    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix(prefix)
        .send()
        .await
        .expect("list the consolidated partition");
    let mut rows = Vec::new();
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    for key in &keys {
        let object = s3
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        let bytes = object.body.collect().await.unwrap().into_bytes();
        let fields = InventoryField::ALL.to_vec();
        for batch in read_data_file(FileFormat::Parquet, &fields, bytes, 1024).unwrap() {
            for record in records_from_batch(&batch.unwrap()) {
                rows.push((record.key, record.size.unwrap_or(-1)));
            }
        }
    }
    (rows, keys.len())
}

/// How often the inventory processor's role read each data file of the staging bucket (the local
/// AWS records every authorization it makes).
async fn data_file_reads(staging: &str) -> BTreeMap<String, u64> {
    let admin = local_aws::admin::Admin::new(&env().await.host.endpoint);
    let access: Value = admin.get("/_offline/iam/access").await.expect("access log");
    let prefix = format!("arn:aws:s3:::{staging}/");
    let mut reads = BTreeMap::new();
    for decision in access["decisions"].as_array().unwrap() {
        let resource = decision["resource"].as_str().unwrap_or_default();
        let principal = decision["principal"].as_str().unwrap_or_default();
        if decision["action"] == "s3:GetObject"
            && principal.contains("InventoryProcessor")
            && resource.starts_with(&prefix)
            && resource.ends_with(".parquet")
        {
            *reads.entry(resource.to_string()).or_default() += decision["count"].as_u64().unwrap();
        }
    }
    reads
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_of_many_data_files_is_consolidated_exactly_and_a_failed_file_is_retried_alone() {
    // 160 objects, at most 3 rows per data file: a report of 54 files.
    std::env::set_var("OFFLINE_INVENTORY_ROWS_PER_FILE", "3");
    let a = member_account().await;
    let bodies: Vec<(String, Vec<u8>)> = (0..160)
        .map(|i| (format!("obj/{i:04}"), vec![b'x'; i % 7 + 1]))
        .collect();
    let objects: Vec<(&str, &[u8])> = bodies
        .iter()
        .map(|(k, b)| (k.as_str(), b.as_slice()))
        .collect();
    let name = bucket(&a, REGION, "many", &objects).await;
    let running = WaitingRun::start(&[&a], &[REGION], &[(&a, REGION, &name)]).await;
    let run = running.run.clone();
    let staging = staging_bucket(&run, REGION);
    // The 21st read of a data file fails once with S3's InternalError (500).
    let admin = local_aws::admin::Admin::new(&env().await.host.endpoint);
    let _: Value = admin
        .post(
            "/_offline/faults",
            json!({"s3_bucket": staging, "s3_operation": "get", "matching": ".parquet",
                   "skip": 20, "times": 1}),
        )
        .await
        .expect("break one data file read");
    // Three transactions of the state table lose a conflict, as sibling files finishing together
    // make them in DynamoDB: each is tried again, in the same invocation.
    let table = output("StateTableName").await;
    let _: Value = admin
        .post(
            "/_offline/faults",
            json!({"dynamodb_table": table, "times": 3}),
        )
        .await
        .expect("make transactions conflict");
    deliver(&name).await;
    let finished = running.finish().await;
    finished.assert_succeeded();

    // Exactly the bucket's objects, each once, across one Parquet file per data file.
    let summary = summary(&run).await;
    let entry = bucket_entry(&summary, &name);
    assert_eq!(entry["status"], "done", "{entry:#}");
    assert_eq!(entry["figures"]["rows"], 160, "{entry:#}");
    assert_eq!(entry["figures"]["objects"], 160, "{entry:#}");
    let bytes: usize = bodies.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(entry["figures"]["bytes"], bytes as u64, "{entry:#}");
    let partition = format!("inventory/run={run}/account={a}/region={REGION}/bucket={name}/");
    let (rows, files) = consolidated_rows(&partition).await;
    assert_eq!(files, 54, "one Parquet file per data file");
    let keys: BTreeSet<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(rows.len(), 160, "no row twice");
    assert_eq!(keys, bodies.iter().map(|(k, _)| k.as_str()).collect());
    let record = run_record(&run).await.unwrap();
    assert_eq!(record["status"], "succeeded", "{record:#}");

    // Every data file was read by its own task: the tail and the stream, twice in all; the file
    // whose read failed once was read again, alone (three or four reads), no other file was.
    let reads = data_file_reads(&staging).await;
    assert_eq!(reads.len(), 54, "{reads:#?}");
    let again: Vec<_> = reads.iter().filter(|(_, n)| **n != 2).collect();
    assert_eq!(again.len(), 1, "{again:#?}");
    assert!(matches!(*again[0].1, 3 | 4), "{again:#?}");
    let faults: Value = admin.get("/_offline/faults").await.unwrap();
    let fired = |function: String| {
        faults["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["function"] == function)
            .map(|r| r["injected"].as_u64().unwrap_or_default())
            .sum::<u64>()
    };
    assert_eq!(fired(format!("s3get:{staging}")), 1, "{faults:#}");
    assert_eq!(fired(format!("dynamodb-transact:{table}")), 3, "{faults:#}");
}

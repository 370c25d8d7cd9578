//! `offline deliver-inventory` writes S3 Inventory reports as S3 documents them, read back here with
//! the readers the product uses (inventory-format), and their notifications reach a queue.

use std::collections::BTreeSet;

use aws_sdk_s3::types::{
    BucketVersioningStatus, Event, InventoryFormat, InventoryIncludedObjectVersions,
    InventoryOptionalField, NotificationConfiguration, QueueConfiguration, VersioningConfiguration,
};
use integration::{env, inventory_configuration, unique, Env, MEMBER_B};
use inventory_format::field::{report_fields, InventoryField};
use inventory_format::format::FileFormat;
use inventory_format::manifest::{self, InventoryManifest};
use inventory_format::read::{read_data_file, records_from_batch};
use inventory_format::record::InventoryRecord;
use serde_json::Value;

/// Keys a real estate holds, hostile ones included.
const KEYS: &[&str] = &[
    "reports/2026/q3.csv",
    "dir/id_rsa.pem",
    "<script>alert(1)</script>.html",
    "quote\"d 'key'.txt",
    "space key+plus%25.csv",
    "ünïcødé/ファイル.txt",
    "comma,key\nnewline.txt",
];

fn all_optional_fields() -> Vec<InventoryOptionalField> {
    InventoryField::ALL
        .iter()
        .filter(|f| f.is_optional())
        .map(|f| InventoryOptionalField::from(f.config_name()))
        .collect()
}

async fn get(env: &Env, bucket: &str, key: &str) -> Vec<u8> {
    env.host
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

/// Read one delivered report back: manifest, checksum, every data file and its MD5.
async fn read_report(
    env: &Env,
    bucket: &str,
    manifest_key: &str,
) -> (InventoryManifest, Vec<InventoryRecord>) {
    let manifest_bytes = get(env, bucket, manifest_key).await;
    let checksum_key = manifest_key.replace("manifest.json", "manifest.checksum");
    let checksum = String::from_utf8(get(env, bucket, &checksum_key).await).unwrap();
    assert_eq!(checksum.trim(), manifest::md5_hex(&manifest_bytes));
    let report = InventoryManifest::parse(&manifest_bytes).unwrap();
    let fields = manifest::fields_from_schema(report.file_format, &report.file_schema).unwrap();
    let mut records = Vec::new();
    for file in &report.files {
        let body = get(env, bucket, &file.key).await;
        assert_eq!(body.len() as u64, file.size, "{}", file.key);
        assert_eq!(manifest::md5_hex(&body), file.md5_checksum, "{}", file.key);
        for batch in read_data_file(report.file_format, &fields, body, 1000).unwrap() {
            records.extend(records_from_batch(&batch.unwrap()));
        }
    }
    (report, records)
}

/// What the source holds, listed independently: (key, version, latest, delete marker, size).
type Row = (
    String,
    Option<String>,
    Option<bool>,
    Option<bool>,
    Option<i64>,
);

async fn listed_versions(env: &Env, bucket: &str) -> BTreeSet<Row> {
    let page = env
        .account(MEMBER_B)
        .s3()
        .list_object_versions()
        .bucket(bucket)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .send()
        .await
        .unwrap();
    let decoded = |key: Option<&str>| platform::s3_keys::decode(key.unwrap()).unwrap();
    let mut rows: BTreeSet<Row> = page
        .versions()
        .iter()
        .map(|v| {
            (
                decoded(v.key()),
                v.version_id().map(str::to_string),
                v.is_latest(),
                Some(false),
                v.size(),
            )
        })
        .collect();
    rows.extend(page.delete_markers().iter().map(|m| {
        (
            decoded(m.key()),
            m.version_id().map(str::to_string),
            m.is_latest(),
            Some(true),
            None,
        )
    }));
    rows
}

fn rows(records: &[InventoryRecord]) -> BTreeSet<Row> {
    records
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                r.version_id.clone(),
                r.is_latest,
                r.is_delete_marker,
                r.size,
            )
        })
        .collect()
}

/// Creates `bucket` with versioning enabled.
async fn versioned_bucket(s3: &aws_sdk_s3::Client, bucket: &str) {
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn reports_in_every_format_read_back_exactly_and_notify() {
    let env = env().await;
    let member = env.account(MEMBER_B).s3();
    let source = unique("estate");
    let destination = unique("staging");
    versioned_bucket(&member, &source).await;
    for (i, key) in KEYS.iter().enumerate() {
        member
            .put_object()
            .bucket(&source)
            .key(*key)
            .body(vec![b'x'; 10 + i].into())
            .send()
            .await
            .unwrap();
    }
    // A second version of one key, and a deleted key (a delete marker over two versions).
    member
        .put_object()
        .bucket(&source)
        .key(KEYS[0])
        .body(b"v2".to_vec().into())
        .send()
        .await
        .unwrap();
    member
        .delete_object()
        .bucket(&source)
        .key(KEYS[1])
        .send()
        .await
        .unwrap();

    // The destination lives in the host account and notifies a queue, as a staging bucket does.
    integration::inventory_destination(env, &destination, MEMBER_B).await;
    let host = env.host.s3();
    let sqs = aws_sdk_sqs::Client::new(&env.host.sdk_config());
    let queue = sqs
        .create_queue()
        .queue_name(unique("reports"))
        .send()
        .await
        .unwrap();
    let queue_url = queue.queue_url().unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    // S3 notifies a queue only when the queue's policy allows the bucket.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": format!("arn:aws:s3:::{destination}")}}
        }]
    });
    sqs.set_queue_attributes()
        .queue_url(queue_url)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::Policy,
            policy.to_string(),
        )
        .send()
        .await
        .unwrap();
    host.put_bucket_notification_configuration()
        .bucket(&destination)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(&queue_arn)
                        .events(Event::S3ObjectCreated)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    for (id, format) in [
        ("csv", InventoryFormat::Csv),
        ("orc", InventoryFormat::Orc),
        ("parquet", InventoryFormat::Parquet),
    ] {
        member
            .put_bucket_inventory_configuration()
            .bucket(&source)
            .id(id)
            .inventory_configuration(inventory_configuration(
                id,
                &destination,
                format,
                InventoryIncludedObjectVersions::All,
                all_optional_fields(),
                None,
            ))
            .send()
            .await
            .unwrap();
    }

    let out = env.offline(&["deliver-inventory", "--bucket", &source]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let delivery: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(delivery["undelivered"], Value::Array(vec![]));
    let reports = delivery["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 3);

    let expected = listed_versions(env, &source).await;
    assert_eq!(
        expected.len(),
        KEYS.len() + 2,
        "two extra versions: an overwrite and a delete marker"
    );
    let mut written = BTreeSet::new();
    for report in reports {
        let manifest_key = report["manifestKey"].as_str().unwrap();
        let id = report["configurationId"].as_str().unwrap();
        assert!(
            manifest_key.starts_with(&format!("inventory/{source}/{id}/")),
            "documented layout: {manifest_key}"
        );
        let (manifest, records) = read_report(env, &destination, manifest_key).await;
        assert_eq!(manifest.source_bucket, source);
        assert_eq!(
            manifest.destination_bucket,
            format!("arn:aws:s3:::{destination}")
        );
        assert_eq!(manifest.version, "2016-11-30");
        let format: FileFormat = id.parse().unwrap();
        assert_eq!(manifest.file_format, format);
        let optional: Vec<InventoryField> = InventoryField::ALL
            .iter()
            .copied()
            .filter(|f| f.is_optional())
            .collect();
        assert_eq!(
            manifest.file_schema,
            manifest::file_schema(format, &report_fields(&optional, true))
        );
        assert_eq!(rows(&records), expected, "{id} report rows");
        for r in &records {
            assert_eq!(r.bucket, source);
            if r.is_delete_marker == Some(true) {
                assert_eq!(r.size, None);
                continue;
            }
            assert!(r.e_tag.is_some() && r.last_modified.is_some(), "{r:?}");
            assert_eq!(r.storage_class.as_deref(), Some("STANDARD"));
            assert!(r.encryption_status.is_some(), "{r:?}");
            assert!(r.object_access_control_list.is_some(), "{r:?}");
        }
        written.insert(manifest_key.to_string());
        written.insert(manifest_key.replace("manifest.json", "manifest.checksum"));
        for key in report["dataKeys"].as_array().unwrap() {
            written.insert(key.as_str().unwrap().to_string());
        }
    }

    // Every object of every report raised its ObjectCreated notification.
    let mut notified = BTreeSet::new();
    for _ in 0..20 {
        let batch = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if batch.messages().is_empty() {
            break;
        }
        for m in batch.messages() {
            let event: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            for record in event["Records"].as_array().into_iter().flatten() {
                let key = record["s3"]["object"]["key"].as_str().unwrap();
                notified.insert(percent_decode(key));
            }
        }
    }
    let missing: Vec<_> = written.difference(&notified).collect();
    assert!(missing.is_empty(), "no notification for {missing:?}");
}

/// S3 event notifications carry URL-encoded keys (spaces as `+`).
fn percent_decode(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn current_version_reports_honour_the_prefix_filter_and_empty_buckets_get_none() {
    let env = env().await;
    let member = env.account(MEMBER_B).s3();
    let source = unique("plain");
    let empty = unique("empty");
    let destination = unique("staging");
    for b in [&source, &empty] {
        member.create_bucket().bucket(b).send().await.unwrap();
    }
    integration::inventory_destination(env, &destination, MEMBER_B).await;
    for key in ["logs/a.log", "logs/b.log", "data/c.bin"] {
        member
            .put_object()
            .bucket(&source)
            .key(key)
            .body(b"abc".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    for (bucket, filter) in [(&source, Some("logs/")), (&empty, None)] {
        member
            .put_bucket_inventory_configuration()
            .bucket(bucket)
            .id("current")
            .inventory_configuration(inventory_configuration(
                "current",
                &destination,
                InventoryFormat::Csv,
                InventoryIncludedObjectVersions::Current,
                vec![
                    InventoryOptionalField::Size,
                    InventoryOptionalField::StorageClass,
                ],
                filter,
            ))
            .send()
            .await
            .unwrap();
    }
    let delivery = local_aws::inventory::deliver_all(&env.host, &[source.clone(), empty.clone()])
        .await
        .unwrap();
    assert_eq!(delivery.reports.len(), 1);
    assert_eq!(delivery.undelivered.len(), 1);
    assert_eq!(delivery.undelivered[0].source_bucket, empty);
    let (manifest, records) =
        read_report(env, &destination, &delivery.reports[0].manifest_key).await;
    assert_eq!(
        manifest.file_schema, "Bucket, Key, Size, StorageClass",
        "current-version reports have no version columns"
    );
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["logs/a.log", "logs/b.log"]);
    assert!(records
        .iter()
        .all(|r| r.size == Some(3) && r.version_id.is_none()));
}

/// Keys S3 allows that XML 1.0 cannot carry or that URL encoding must get right (issue 15, defect 8).
const HOSTILE_KEYS: &[&str] = &[
    "ctl\u{1}start.txt",
    "\u{1}",
    "del\u{7f}key.bin",
    "nonchar\u{FFFF}/\u{FFFE}.txt",
    "plus+sign and space.txt",
    "percent%41%zz 100%.csv",
    "  leading and trailing spaces  ",
    "ends with a dot.",
    "tab\tand\nnewline",
    "ünïcødé/ファイル +%2B.txt",
];

/// A source bucket of hostile keys (versioned, one overwritten, one deleted) and a destination.
async fn hostile_estate(env: &Env) -> (String, String) {
    let member = env.account(MEMBER_B).s3();
    let source = unique("hostile");
    let destination = unique("staging");
    versioned_bucket(&member, &source).await;
    for key in HOSTILE_KEYS.iter().chain([&HOSTILE_KEYS[0]]) {
        member
            .put_object()
            .bucket(&source)
            .key(*key)
            .body(key.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"));
    }
    member
        .delete_object()
        .bucket(&source)
        .key(HOSTILE_KEYS[1])
        .send()
        .await
        .unwrap();
    integration::inventory_destination(env, &destination, MEMBER_B).await;
    (source, destination)
}

async fn put_configuration(
    env: &Env,
    source: &str,
    id: &str,
    destination: &str,
    format: InventoryFormat,
    versions: InventoryIncludedObjectVersions,
) {
    env.account(MEMBER_B)
        .s3()
        .put_bucket_inventory_configuration()
        .bucket(source)
        .id(id)
        .inventory_configuration(inventory_configuration(
            id,
            destination,
            format,
            versions,
            all_optional_fields(),
            None,
        ))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn keys_xml_cannot_carry_are_inventoried_exactly() {
    let env = env().await;
    let (source, destination) = hostile_estate(env).await;
    put_configuration(
        env,
        &source,
        "all",
        &destination,
        InventoryFormat::Parquet,
        InventoryIncludedObjectVersions::All,
    )
    .await;
    put_configuration(
        env,
        &source,
        "current",
        &destination,
        InventoryFormat::Csv,
        InventoryIncludedObjectVersions::Current,
    )
    .await;

    let out = env.offline(&["deliver-inventory", "--bucket", &source]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let delivery: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(delivery["undelivered"], Value::Array(vec![]), "{stderr}");
    assert_eq!(delivery["failed"], Value::Array(vec![]), "{stderr}");
    let reports = delivery["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2, "{delivery:#}");

    // What was put, independently of any listing: every key once per version, the first
    // overwritten (two versions), the second deleted (a version and a delete marker).
    let mut all_versions: Vec<(String, bool)> = HOSTILE_KEYS
        .iter()
        .map(|k| (k.to_string(), false))
        .collect();
    all_versions.push((HOSTILE_KEYS[0].to_string(), false));
    all_versions.push((HOSTILE_KEYS[1].to_string(), true));
    all_versions.sort();
    let mut current: Vec<String> = HOSTILE_KEYS
        .iter()
        .filter(|k| **k != HOSTILE_KEYS[1])
        .map(|k| k.to_string())
        .collect();
    current.sort();
    for report in reports {
        let manifest_key = report["manifestKey"].as_str().unwrap();
        let (_, records) = read_report(env, &destination, manifest_key).await;
        if report["configurationId"] == "all" {
            let mut listed: Vec<(String, bool)> = records
                .iter()
                .map(|r| (r.key.clone(), r.is_delete_marker == Some(true)))
                .collect();
            listed.sort();
            assert_eq!(listed, all_versions);
        } else {
            let mut listed: Vec<String> = records.iter().map(|r| r.key.clone()).collect();
            listed.sort();
            assert_eq!(listed, current);
        }
    }
    // The report's keys are the objects' keys: each one reads back its own body.
    for key in &current {
        assert_eq!(
            get_member(env, &source, key).await,
            key.as_bytes(),
            "{key:?}"
        );
    }
}

async fn get_member(env: &Env, bucket: &str, key: &str) -> Vec<u8> {
    env.account(MEMBER_B)
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key:?}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

fn served(listing: &Value, bucket: &str, id: &str) -> Option<bool> {
    listing["configurations"]
        .as_array()?
        .iter()
        .find(|c| c["bucket"] == bucket && c["configuration"]["Id"] == id)
        .and_then(|c| c["served"].as_bool())
}

/// A delivery that fails is said (which configuration, why), the command exits non-zero, the
/// configuration stays pending, and a later round delivers it.
#[tokio::test]
async fn a_failed_delivery_is_said_and_retried_never_served() {
    let env = env().await;
    let (source, destination) = hostile_estate(env).await;
    put_configuration(
        env,
        &source,
        "retried",
        &destination,
        InventoryFormat::Csv,
        InventoryIncludedObjectVersions::All,
    )
    .await;
    let admin = local_aws::admin::Admin::new(&env.host.endpoint);
    // S3 answers the listings of this bucket with InternalError (500) three times: the SDK's
    // attempts of one round.
    let _: Value = admin
        .post(
            "/_offline/faults",
            serde_json::json!({"s3_bucket": source, "kind": "error", "times": 3}),
        )
        .await
        .unwrap();
    let scope_buckets = [source.clone()];
    let scope = local_aws::inventory::Scope {
        buckets: &scope_buckets,
        configuration_id_suffix: None,
    };
    let first = local_aws::inventory::deliver_scoped(
        &env.host,
        &scope,
        local_aws::inventory::Round::Pending,
    )
    .await
    .unwrap();
    assert!(first.reports.is_empty(), "{first:?}");
    assert!(
        first.undelivered.is_empty(),
        "a failure is not 'no report': {first:?}"
    );
    assert_eq!(first.failed.len(), 1, "{first:?}");
    assert_eq!(first.failed[0].configuration_id, "retried");
    assert!(
        first.failed[0].reason.contains("InternalError"),
        "{:?}",
        first.failed[0]
    );
    let listing: Value = admin
        .get("/_offline/s3/inventory-configurations")
        .await
        .unwrap();
    assert_eq!(served(&listing, &source, "retried"), Some(false));

    // A later round (any process's) delivers it, exactly once. (How many rounds the injected
    // errors last depends on the SDK's retry attempts; each failing round keeps it pending.)
    let mut delivered = None;
    for _ in 0..3 {
        let round = local_aws::inventory::deliver_scoped(
            &env.host,
            &scope,
            local_aws::inventory::Round::Pending,
        )
        .await
        .unwrap();
        assert!(round.undelivered.is_empty(), "{round:?}");
        if let Some(report) = round.reports.first() {
            assert!(
                round.failed.is_empty() && round.reports.len() == 1,
                "{round:?}"
            );
            delivered = Some(report.clone());
            break;
        }
        assert_eq!(round.failed.len(), 1, "{round:?}");
        let listing: Value = admin
            .get("/_offline/s3/inventory-configurations")
            .await
            .unwrap();
        assert_eq!(served(&listing, &source, "retried"), Some(false));
    }
    let delivered = delivered.expect("delivered once the errors stopped");
    assert_eq!(delivered.rows, HOSTILE_KEYS.len() + 2);
    let listing: Value = admin
        .get("/_offline/s3/inventory-configurations")
        .await
        .unwrap();
    assert_eq!(served(&listing, &source, "retried"), Some(true));
    let again = local_aws::inventory::deliver_scoped(
        &env.host,
        &scope,
        local_aws::inventory::Round::Pending,
    )
    .await
    .unwrap();
    assert_eq!(
        again,
        local_aws::inventory::Delivery::default(),
        "served once"
    );

    // The command says which configuration failed and why, and exits non-zero.
    let _: Value = admin
        .post(
            "/_offline/faults",
            serde_json::json!({"s3_bucket": source, "kind": "error", "times": 3}),
        )
        .await
        .unwrap();
    let out = env.offline(&["deliver-inventory", "--bucket", &source]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("configuration retried") && stderr.contains(&source),
        "{stderr}"
    );
    assert!(stderr.contains("InternalError"), "{stderr}");
}

//! The Harvester while S3 and the estate move under it: a bucket deleted mid-run, a member account
//! withdrawing its role, a corrupt report, reports in CSV and ORC, a repeated notification. The test
//! decides what S3 delivers and when (`--no-inventory`, then the report files itself or
//! `offline deliver-inventory`).

use integration::env;
use integration::s3insights::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_deleted_mid_run_is_reported_not_available() {
    let a = member_account().await;
    let keep = bucket(&a, "eu-north-1", "keep", &[("k", b"v")]).await;
    let doomed = bucket(&a, "eu-north-1", "doomed", &[("k", b"v")]).await;
    let running = WaitingRun::start(
        &[&a],
        &["eu-north-1"],
        &[(&a, "eu-north-1", &doomed), (&a, "eu-north-1", &keep)],
    )
    .await;
    let run = running.run.clone();
    delete_bucket_unseen(&a, "eu-north-1", &doomed, true).await;
    deliver(&keep).await;
    let finished = running.finish().await;
    finished.assert_succeeded();
    let summary = summary(&run).await;
    assert_eq!(bucket_entry(&summary, &keep)["status"], "done");
    let gone = bucket_entry(&summary, &doomed);
    assert_eq!(gone["status"], "bucket_not_available", "{gone:#}");
    assert!(gone["reason"].as_str().unwrap().contains("deleted"));
    assert!(left_in(&run, "eu-north-1", &[(&a, &keep)]).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_whose_role_access_is_lost_is_reported_and_cleanup_says_what_it_could_not_remove()
{
    let (a, b) = (member_account().await, member_account().await);
    let reachable = bucket(&a, "ap-northeast-1", "reachable", &[("k", b"v")]).await;
    let lost = bucket(&b, "ap-northeast-1", "lost", &[("k", b"v")]).await;
    let running = WaitingRun::start(
        &[&a, &b],
        &["ap-northeast-1"],
        &[
            (&a, "ap-northeast-1", &reachable),
            (&b, "ap-northeast-1", &lost),
        ],
    )
    .await;
    let run = running.run.clone();
    remove_member_role(&b).await;
    deliver(&reachable).await;
    let finished = running.finish().await;
    finished.assert_succeeded();
    let summary = summary(&run).await;
    assert_eq!(bucket_entry(&summary, &reachable)["status"], "done");
    let entry = bucket_entry(&summary, &lost);
    assert_eq!(entry["status"], "bucket_access_lost", "{entry:#}");
    // Our configuration is still on the lost bucket, and Cleanup says so.
    let cleanup_outcome = &finished.output()["cleanup"];
    assert_eq!(cleanup_outcome["complete"], false, "{cleanup_outcome:#}");
    let not_removed = cleanup_outcome["not_removed"].as_array().unwrap();
    assert!(
        not_removed.iter().any(|n| n["bucket"] == lost.as_str()),
        "{cleanup_outcome:#}"
    );
    assert!(cleanup_pending(&run).await);
    // With the role back, Cleanup finishes the job.
    let restored = member_role_again(&b).await;
    assert_eq!(restored, b);
    let cleaned = cleanup(&json!({"run_id": run})).await;
    assert_eq!(cleaned.output()["complete"], true, "{cleaned:#?}");
    assert!(left_in(&run, "ap-northeast-1", &[(&b, &lost)])
        .await
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_report_marks_its_bucket_and_rests_in_the_dead_letter_queue() {
    let a = member_account().await;
    let good = bucket(&a, "us-east-2", "good", &[("k", b"v")]).await;
    let bad = bucket(&a, "us-east-2", "bad", &[("k", b"v")]).await;
    let running = WaitingRun::start(
        &[&a],
        &["us-east-2"],
        &[(&a, "us-east-2", &bad), (&a, "us-east-2", &good)],
    )
    .await;
    let run = running.run.clone();
    let checksum_key = write_corrupt_report(&run, &a, "us-east-2", &bad).await;
    deliver(&good).await;
    let finished = running.finish().await;
    finished.assert_succeeded();
    let summary = summary(&run).await;
    assert_eq!(bucket_entry(&summary, &good)["status"], "done");
    let entry = bucket_entry(&summary, &bad);
    assert_eq!(entry["status"], "report_invalid", "{entry:#}");
    assert!(
        entry["reason"].as_str().unwrap().contains("MD5"),
        "{entry:#}"
    );
    // The notification is kept in the dead-letter queue, not dropped.
    let dlq = output("InventoryDeadLetterQueueUrl").await;
    let sqs = aws_sdk_sqs::Client::new(&env().await.host.sdk_config());
    let mut found = false;
    for _ in 0..60 {
        let answer = sqs
            .receive_message()
            .queue_url(&dlq)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
        if answer
            .messages()
            .iter()
            .any(|m| m.body().unwrap_or_default().contains(&bad))
        {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        found,
        "no message for {checksum_key} in the dead-letter queue"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_and_orc_reports_are_consolidated_and_a_repeated_notification_changes_nothing() {
    use inventory_format::{FileFormat, InventoryRecord};
    let a = member_account().await;
    let csv = bucket(&a, "eu-south-1", "csv", &[("x", b"1")]).await;
    let orc = bucket(&a, "eu-south-1", "orc", &[("x", b"1")]).await;
    let running = WaitingRun::start(
        &[&a],
        &["eu-south-1"],
        &[(&a, "eu-south-1", &csv), (&a, "eu-south-1", &orc)],
    )
    .await;
    let run = running.run.clone();
    let rows = |bucket: &str| -> Vec<InventoryRecord> {
        (0..3)
            .map(|i| InventoryRecord {
                bucket: bucket.into(),
                key: format!("dir/\"odd, key\"\n{i}"),
                version_id: Some(format!("v{i}")),
                is_latest: Some(i == 0),
                is_delete_marker: Some(false),
                size: Some(10 * (i + 1)),
                storage_class: Some(if i == 0 { "STANDARD" } else { "GLACIER" }.into()),
                last_modified: chrono::DateTime::from_timestamp(1_700_000_000 + i, 0),
                ..Default::default()
            })
            .collect()
    };
    let csv_checksum = write_report(
        &run,
        &a,
        "eu-south-1",
        &csv,
        FileFormat::Csv,
        &rows(&csv),
        false,
    )
    .await;
    wait_for_status(&run, &a, "eu-south-1", &csv, "done").await;
    // S3 delivers notifications at least once: the same manifest.checksum again changes nothing.
    let staging = staging_bucket(&run, "eu-south-1");
    let s3 = env().await.host.in_region("eu-south-1").s3();
    let checksum = s3
        .get_object()
        .bucket(&staging)
        .key(&csv_checksum)
        .send()
        .await
        .unwrap();
    let checksum = checksum.body.collect().await.unwrap().into_bytes();
    s3.put_object()
        .bucket(&staging)
        .key(&csv_checksum)
        .body(checksum.to_vec().into())
        .send()
        .await
        .unwrap();
    pump_processor().await;
    assert_eq!(
        bucket_status(&run, &a, "eu-south-1", &csv).await.as_deref(),
        Some("done")
    );
    write_report(
        &run,
        &a,
        "eu-south-1",
        &orc,
        FileFormat::Orc,
        &rows(&orc),
        false,
    )
    .await;
    let finished = running.finish().await;
    finished.assert_succeeded();
    let summary = summary(&run).await;
    for name in [&csv, &orc] {
        let entry = bucket_entry(&summary, name);
        assert_eq!(entry["status"], "done", "{entry:#}");
        assert_eq!(entry["figures"]["rows"], 3, "{entry:#}");
        assert_eq!(entry["figures"]["objects"], 1, "{entry:#}");
        assert_eq!(entry["figures"]["noncurrent_versions"], 2, "{entry:#}");
        assert_eq!(
            entry["figures"]["bytes_by_storage_class"]["GLACIER"], 50,
            "{entry:#}"
        );
    }
    // One consolidated file per report data file, whatever the number of notifications.
    let consolidated = output("ConsolidatedBucketName").await;
    let listed = env()
        .await
        .host
        .s3()
        .list_objects_v2()
        .bucket(&consolidated)
        .prefix(format!(
            "inventory/run={run}/account={a}/region=eu-south-1/bucket={csv}/"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(1), "{listed:?}");
}

/// One check of the run monitor through its deployed function: its answer.
async fn monitor_check(run: &str) -> Value {
    let payload = json!({"action": "check", "run_id": run});
    let (body, error) = integration::invoke("RunMonitorFunction", &payload).await;
    assert!(error.is_none(), "monitor failed: {body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_monitor_check_looks_at_a_bounded_number_of_waiting_buckets_in_turn() {
    use s3insights::state::{BucketRecord, RunRecord, RunStatus};
    use s3insights::BucketStatus;
    let a = member_account().await;
    let region = "eu-west-3";
    let real = bucket(&a, region, "waits", &[("k", b"v")]).await;
    let run = run_id();
    let now = chrono::Utc::now();
    let stamp = |t: chrono::DateTime<chrono::Utc>| s3insights::run::timestamp(t);
    let record = RunRecord {
        pk: format!("run#{run}"),
        sk: "run".into(),
        run_id: run.clone(),
        status: RunStatus::Running,
        execution_id: "a-test".into(),
        created_at: stamp(now),
        deadline: stamp(now + chrono::Duration::hours(1)),
        regions: vec![region.into()],
        account_count: 1,
        is_smoke_test: false,
        database: "d".into(),
        table: "t".into(),
        cleanup_pending: None,
        error: None,
        cause: None,
        finished_at: None,
        notes: Vec::new(),
        cleanup: None,
        probe_cursor: None,
    };
    // 250 waiting buckets of the run (records naming one real bucket, which still has its object:
    // every look says "go on waiting").
    let table = output("StateTableName").await;
    let dynamodb = env().await.dynamodb();
    let put = |item: serde_dynamo::Item| {
        dynamodb
            .put_item()
            .table_name(&table)
            .set_item(Some(item.into()))
            .send()
    };
    put(serde_dynamo::to_item(&record).unwrap()).await.unwrap();
    for i in 0..250 {
        let bucket = BucketRecord {
            pk: format!("run#{run}"),
            sk: format!("bucket#{a}#{region}#{real}-{i:03}"),
            account: a.clone(),
            region: region.into(),
            bucket: real.clone(),
            status: BucketStatus::InProgress,
            reason: None,
            in_progress_run: Some(run.clone()),
            figures: None,
            manifest_key: None,
            files: 0,
            files_done: 0,
            configured: true,
            updated_at: stamp(now),
        };
        put(serde_dynamo::to_item(&bucket).unwrap()).await.unwrap();
    }
    // Each check looks at 100 at most, where the last one stopped, and starts over after the end.
    let looked: Vec<u64> = {
        let mut looked = Vec::new();
        for _ in 0..4 {
            let answer = monitor_check(&run).await;
            assert_eq!(answer["complete"], false, "{answer:#}");
            assert_eq!(answer["changed"], 0, "{answer:#}");
            looked.push(answer["looked_at"].as_u64().unwrap());
        }
        looked
    };
    assert_eq!(looked, [100, 100, 50, 100]);
    // Past the deadline every waiting bucket times out and the run is complete.
    pass_deadline(&run).await;
    let answer = monitor_check(&run).await;
    assert_eq!(answer["changed"], 250, "{answer:#}");
    assert_eq!(answer["complete"], true, "{answer:#}");
    let last = format!("{real}-249");
    assert_eq!(
        bucket_status(&run, &a, region, &last).await.as_deref(),
        Some("timed_out")
    );
}

//! One test per gap of ministack 1.5.33 that the launcher closes (crates/local/emulator/).
//! The ASL deviations are proved case by case by the conformance suite (asl_conformance.rs); the
//! TTL stream record through a real event source mapping by sample_lambda.rs.

use aws_sdk_s3::types::{
    InventoryConfiguration, InventoryFormat, InventoryIncludedObjectVersions,
    InventoryOptionalField,
};
use integration::{env, inventory_configuration, unique, MEMBER_A};
use serde_json::Value;

fn configuration(id: &str, destination: &str, format: InventoryFormat) -> InventoryConfiguration {
    inventory_configuration(
        id,
        destination,
        format,
        InventoryIncludedObjectVersions::All,
        vec![
            InventoryOptionalField::Size,
            InventoryOptionalField::EncryptionStatus,
        ],
        None,
    )
}

#[tokio::test]
async fn inventory_configurations_are_put_got_listed_and_deleted() {
    let env = env().await;
    let s3 = env.account(MEMBER_A).s3();
    let bucket = unique("inv-src");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    for (id, format) in [
        ("one", InventoryFormat::Parquet),
        ("two", InventoryFormat::Csv),
    ] {
        s3.put_bucket_inventory_configuration()
            .bucket(&bucket)
            .id(id)
            .inventory_configuration(configuration(id, "dest", format))
            .send()
            .await
            .unwrap();
    }
    let got = s3
        .get_bucket_inventory_configuration()
        .bucket(&bucket)
        .id("one")
        .send()
        .await
        .unwrap();
    let got = got.inventory_configuration().unwrap();
    assert_eq!(got, &configuration("one", "dest", InventoryFormat::Parquet));

    let listed = s3
        .list_bucket_inventory_configurations()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = listed
        .inventory_configuration_list()
        .iter()
        .map(|c| c.id())
        .collect();
    assert_eq!(ids, ["one", "two"]);
    assert_eq!(listed.is_truncated(), Some(false));

    s3.delete_bucket_inventory_configuration()
        .bucket(&bucket)
        .id("one")
        .send()
        .await
        .unwrap();
    let err = s3
        .get_bucket_inventory_configuration()
        .bucket(&bucket)
        .id("one")
        .send()
        .await
        .unwrap_err();
    let code = err.into_service_error().meta().code().map(str::to_string);
    assert_eq!(code.as_deref(), Some("NoSuchConfiguration"));

    // 1.5.33 routed this DELETE to DeleteBucket: the (empty) bucket must survive it.
    s3.delete_bucket_inventory_configuration()
        .bucket(&bucket)
        .id("two")
        .send()
        .await
        .unwrap();
    s3.head_bucket().bucket(&bucket).send().await.unwrap();
    let err = s3
        .delete_bucket_inventory_configuration()
        .bucket(&bucket)
        .id("two")
        .send()
        .await
        .unwrap_err();
    let code = err.into_service_error().meta().code().map(str::to_string);
    assert_eq!(code.as_deref(), Some("NoSuchConfiguration"));
}

#[tokio::test]
async fn inventory_configuration_lists_page_at_one_hundred() {
    let env = env().await;
    let s3 = env.account(MEMBER_A).s3();
    let bucket = unique("inv-many");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for i in 0..130 {
        let id = format!("c{i:03}");
        s3.put_bucket_inventory_configuration()
            .bucket(&bucket)
            .id(&id)
            .inventory_configuration(configuration(&id, "dest", InventoryFormat::Orc))
            .send()
            .await
            .unwrap();
    }
    let first = s3
        .list_bucket_inventory_configurations()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(first.inventory_configuration_list().len(), 100);
    assert_eq!(first.is_truncated(), Some(true));
    let second = s3
        .list_bucket_inventory_configurations()
        .bucket(&bucket)
        .continuation_token(first.next_continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.inventory_configuration_list().len(), 30);
    assert_eq!(second.is_truncated(), Some(false));
    assert_eq!(second.inventory_configuration_list()[29].id(), "c129");
}

#[tokio::test]
async fn invalid_inventory_configurations_are_refused() {
    let env = env().await;
    let s3 = env.account(MEMBER_A).s3();
    let bucket = unique("inv-bad");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // The id in the query differs from the configuration's Id.
    let err = s3
        .put_bucket_inventory_configuration()
        .bucket(&bucket)
        .id("other")
        .inventory_configuration(configuration("one", "dest", InventoryFormat::Csv))
        .send()
        .await
        .unwrap_err();
    let code = err.into_service_error().meta().code().map(str::to_string);
    assert_eq!(code.as_deref(), Some("InvalidArgument"));
    // A bucket that does not exist.
    let err = s3
        .put_bucket_inventory_configuration()
        .bucket(unique("missing"))
        .id("one")
        .inventory_configuration(configuration("one", "dest", InventoryFormat::Csv))
        .send()
        .await
        .unwrap_err();
    let code = err.into_service_error().meta().code().map(str::to_string);
    assert_eq!(code.as_deref(), Some("NoSuchBucket"));
}

#[tokio::test]
async fn deleting_a_bucket_deletes_its_inventory_configurations() {
    let env = env().await;
    let s3 = env.account(MEMBER_A).s3();
    let bucket = unique("inv-gone");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_inventory_configuration()
        .bucket(&bucket)
        .id("one")
        .inventory_configuration(configuration("one", "dest", InventoryFormat::Csv))
        .send()
        .await
        .unwrap();
    let admin = local::admin::Admin::new(&env.host.endpoint);
    let listed = |v: &Value| {
        v["configurations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["bucket"] == bucket.as_str() && c["account"] == MEMBER_A)
    };
    let before: Value = admin
        .get("/_offline/s3/inventory-configurations")
        .await
        .unwrap();
    assert!(listed(&before));
    s3.delete_bucket().bucket(&bucket).send().await.unwrap();
    let after: Value = admin
        .get("/_offline/s3/inventory-configurations")
        .await
        .unwrap();
    assert!(!listed(&after));
}

#[tokio::test]
async fn a_noncurrent_version_of_a_deleted_key_has_an_acl() {
    let env = env().await;
    let s3 = env.account(MEMBER_A).s3();
    let bucket = unique("acl-versions");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let version = s3
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_string();
    s3.delete_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .unwrap();
    let acl = s3
        .get_object_acl()
        .bucket(&bucket)
        .key("k")
        .version_id(&version)
        .send()
        .await
        .unwrap();
    assert!(!acl.grants().is_empty(), "the owner's FULL_CONTROL grant");
}

/// aws-sdk integration results carry the SDK's types: numbers, booleans, lists of one.
#[tokio::test]
async fn aws_sdk_results_from_xml_services_are_typed() {
    let env = env().await;
    let bucket = unique("typed");
    let s3 = env.host.s3();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("only")
        .body(b"12345".to_vec().into())
        .send()
        .await
        .unwrap();
    let list = serde_json::json!({"StartAt": "List", "States": {"List": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
        "Parameters": {"Bucket.$": "$.bucket"}, "End": true}}});
    let out = env.execute(
        &list,
        &serde_json::json!({"bucket": bucket}).to_string(),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["KeyCount"], 1);
    assert_eq!(listed["IsTruncated"], false);
    assert_eq!(listed["Contents"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["Contents"][0]["Size"], 5);
}

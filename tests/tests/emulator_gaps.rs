//! One test per gap of ministack 1.5.33 that the launcher closes (crates/local-aws/emulator/).
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
    let admin = local_aws::admin::Admin::new(&env.host.endpoint);
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

// ---------------------------------------------------------------------------------------------
// S3 listings of keys XML 1.0 cannot carry (s3_listing.py)
// ---------------------------------------------------------------------------------------------

/// The raw XML the local AWS answers for a bucket GET with `query` (bypassing the SDK's parser).
async fn raw_listing(endpoint: &str, bucket: &str, query: &str) -> (u16, String) {
    let answer = reqwest::Client::new()
        .get(format!("{endpoint}/{bucket}?{query}"))
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=000000000000/20260101/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap())
}

/// ListObjectVersions honours `encoding-type=url` (1.5.33 ignored it), every listing encodes a
/// space as `+` as S3 does (1.5.33: `%20`), a marker passed back decoded pages on, an unknown
/// encoding is refused, and without encoding a key XML cannot carry is a character reference.
#[tokio::test]
async fn listings_url_encode_keys_as_s3_does() {
    use platform::s3_keys::{decode, decode_opt, LISTING_ENCODING};
    let env = env().await;
    let s3 = env.host.s3();
    let bucket = unique("encoded");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let keys = [
        "a\u{1}b",
        "del\u{7f}",
        "non\u{FFFF}char",
        "sp ace+plus%25.",
        "\u{D55C}/x.txt",
    ];
    for key in keys {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    expected.sort();

    // One key per page: NextKeyMarker is encoded, and goes back decoded.
    let (mut listed, mut marker, mut version_marker) = (Vec::new(), None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(&bucket)
            .max_keys(1)
            .encoding_type(LISTING_ENCODING)
            .set_key_marker(marker)
            .set_version_id_marker(version_marker)
            .send()
            .await
            .unwrap();
        assert_eq!(page.encoding_type(), Some(&LISTING_ENCODING));
        for v in page.versions() {
            listed.push(decode(v.key().unwrap()).unwrap());
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        marker = decode_opt(page.next_key_marker()).unwrap();
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
    assert_eq!(listed, expected);

    let v2 = s3
        .list_objects_v2()
        .bucket(&bucket)
        .encoding_type(LISTING_ENCODING)
        .send()
        .await
        .unwrap();
    let encoded: Vec<&str> = v2.contents().iter().filter_map(|o| o.key()).collect();
    assert!(encoded.contains(&"sp+ace%2Bplus%2525."), "{encoded:?}");
    assert!(encoded.contains(&"a%01b"), "{encoded:?}");
    let mut decoded: Vec<String> = encoded.iter().map(|k| decode(k).unwrap()).collect();
    decoded.sort();
    assert_eq!(decoded, expected);

    let endpoint = &env.host.endpoint;
    let (status, body) = raw_listing(endpoint, &bucket, "versions&encoding-type=bogus").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>InvalidArgument</Code>"), "{body}");
    let (status, body) = raw_listing(endpoint, &bucket, "versions").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Key>a&#x1;b</Key>"), "{body}");
    assert!(!body.contains('\u{1}'), "no raw control character: {body}");
}

// ---------------------------------------------------------------------------------------------
// Payload limits (payload_limits.py)
// ---------------------------------------------------------------------------------------------

/// The Step Functions payload quota: 256 KiB of UTF-8.
const SFN_LIMIT: usize = 262_144;

/// `{"s":"xx…"}` of exactly `size` bytes.
fn json_of_size(size: usize) -> String {
    format!("{{\"s\":\"{}\"}}", "x".repeat(size - 8))
}

/// `offline execute --summary` of `definition` with `input` (through a file: too long for argv).
fn execute_summary(env: &integration::Env, definition: &Value, input: &str) -> Value {
    let file = env.state_dir.join(format!("{}.json", unique("input")));
    std::fs::write(&file, input).unwrap();
    let out = env.execute(
        definition,
        &format!("@{}", file.display()),
        &["--summary", "--timeout", "60"],
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

async fn state_machine(env: &integration::Env, definition: &Value) -> String {
    aws_sdk_sfn::Client::new(&env.host.sdk_config())
        .create_state_machine()
        .name(unique("limits"))
        .definition(definition.to_string())
        .role_arn(
            local_aws::execution::ad_hoc_role(&env.host)
                .await
                .expect("the ad-hoc definitions' role"),
        )
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_string()
}

#[tokio::test]
async fn step_functions_refuse_an_execution_input_over_256_kib() {
    let env = env().await;
    let pass = serde_json::json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let arn = state_machine(env, &pass).await;
    let sfn = aws_sdk_sfn::Client::new(&env.host.sdk_config());
    let err = sfn
        .start_execution()
        .state_machine_arn(&arn)
        .input(json_of_size(SFN_LIMIT + 1))
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert_eq!(
        aws_sdk_sfn::error::ProvideErrorMetadata::code(&err),
        Some("ValidationException"),
        "{err:?}"
    );
    sfn.start_execution()
        .state_machine_arn(&arn)
        .input(json_of_size(SFN_LIMIT))
        .send()
        .await
        .unwrap();
    // Multi-byte characters count as their UTF-8 bytes: 87,382 'é' (2 bytes each) are over.
    let accented = format!("{{\"s\":\"{}\"}}", "\u{E9}".repeat((SFN_LIMIT - 8) / 2 + 1));
    assert!(accented.chars().count() < SFN_LIMIT && accented.len() > SFN_LIMIT);
    let err = sfn
        .start_execution()
        .state_machine_arn(&arn)
        .input(accented)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_sfn::error::ProvideErrorMetadata::code(&err.into_service_error()),
        Some("ValidationException")
    );
}

#[tokio::test]
async fn a_state_output_over_256_kib_fails_with_data_limit_exceeded() {
    let env = env().await;
    // The output is {"a": s, "b": s}: 16 bytes of JSON around the two strings.
    let doubled = serde_json::json!({"StartAt": "Double", "States": {
        "Double": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": true}}});
    let half = (SFN_LIMIT - 16) / 2;
    let under = execute_summary(
        env,
        &doubled,
        &format!("{{\"s\":\"{}\"}}", "x".repeat(half)),
    );
    assert_eq!(under["status"], "SUCCEEDED", "{under}");
    let over = execute_summary(
        env,
        &doubled,
        &format!("{{\"s\":\"{}\"}}", "x".repeat(half + 1)),
    );
    assert_eq!(over["status"], "FAILED", "{over}");
    assert_eq!(over["error"], "States.DataLimitExceeded", "{over}");
    assert!(
        over["cause"].as_str().unwrap().contains("'Double'"),
        "names the state: {over}"
    );
}

/// A task result over the quota fails the task with States.DataLimitExceeded, which a catcher on
/// States.ALL does not catch and one naming it does.
#[tokio::test]
async fn a_task_result_over_256_kib_is_caught_only_by_name() {
    let env = env().await;
    let s3 = env.host.s3();
    let bucket = unique("big-listing");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // 300 keys of 900 bytes: a ListObjectsV2 result of about 330 KB; 100 of them about 110 KB.
    for i in 0..300 {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("{i:03}-{}", "k".repeat(896)))
            .body(Vec::new().into())
            .send()
            .await
            .unwrap();
    }
    let definition = |catch: &str| {
        serde_json::json!({"StartAt": "List", "States": {
            "List": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                     "Parameters": {"Bucket": bucket, "MaxKeys.$": "$.max"},
                     "ResultSelector": {"count.$": "$.KeyCount"},
                     "Catch": [{"ErrorEquals": [catch], "ResultPath": "$.error", "Next": "Caught"}],
                     "End": true},
            "Caught": {"Type": "Pass", "End": true}}})
    };
    let small = execute_summary(env, &definition("States.ALL"), r#"{"max": 100}"#);
    assert_eq!(small["status"], "SUCCEEDED", "{small}");
    assert_eq!(small["output"]["count"], 100, "{small}");
    let uncaught = execute_summary(env, &definition("States.ALL"), r#"{"max": 1000}"#);
    assert_eq!(uncaught["status"], "FAILED", "{uncaught}");
    assert_eq!(uncaught["error"], "States.DataLimitExceeded", "{uncaught}");
    let caught = execute_summary(
        env,
        &definition("States.DataLimitExceeded"),
        r#"{"max": 1000}"#,
    );
    assert_eq!(caught["status"], "SUCCEEDED", "{caught}");
    assert_eq!(
        caught["output"]["error"]["Error"], "States.DataLimitExceeded",
        "{caught}"
    );
}

/// A child execution's input comes from the Task's Parameters: over the quota, the Task fails
/// with States.DataLimitExceeded and no child starts.
#[tokio::test]
async fn a_child_execution_input_over_256_kib_fails_the_task() {
    let env = env().await;
    let child = serde_json::json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let child_arn = state_machine(env, &child).await;
    let parent = serde_json::json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                  "Parameters": {"StateMachineArn": child_arn,
                                 "Input": {"a.$": "$.s", "b.$": "$.s"}},
                  "ResultSelector": {"arn.$": "$.ExecutionArn"},
                  "End": true}}});
    let under = execute_summary(env, &parent, &json_of_size(100_000));
    assert_eq!(under["status"], "SUCCEEDED", "{under}");
    let over = execute_summary(env, &parent, &json_of_size(140_000));
    assert_eq!(over["status"], "FAILED", "{over}");
    assert_eq!(over["error"], "States.DataLimitExceeded", "{over}");
    let started = aws_sdk_sfn::Client::new(&env.host.sdk_config())
        .list_executions()
        .state_machine_arn(&child_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.executions().len(),
        1,
        "only the child under the limit"
    );
}

/// PutEvents entries are measured as the EventBridge user guide computes them (Source,
/// DetailType, Detail, each Resource, 14 bytes for a Time); over 256 KiB in total is refused.
#[tokio::test]
async fn eventbridge_refuses_entries_over_256_kib() {
    use aws_sdk_eventbridge::types::PutEventsRequestEntry;
    let env = env().await;
    let events = aws_sdk_eventbridge::Client::new(&env.host.sdk_config());
    let entry = |detail_bytes: usize| {
        // Source "offline.limits" (14) + DetailType "probe" (5) + Detail + a resource "r" (1).
        PutEventsRequestEntry::builder()
            .source("offline.limits")
            .detail_type("probe")
            .detail(format!("{{\"s\":\"{}\"}}", "x".repeat(detail_bytes - 8)))
            .resources("r")
            .build()
    };
    let at_limit = 262_144 - 14 - 5 - 1;
    let accepted = events
        .put_events()
        .entries(entry(at_limit))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.failed_entry_count(), 0);
    let err = events
        .put_events()
        .entries(entry(at_limit / 2))
        .entries(entry(at_limit / 2 + 1))
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert_eq!(
        aws_sdk_eventbridge::error::ProvideErrorMetadata::code(&err),
        Some("ValidationException"),
        "{err:?}"
    );
}

/// SQS counts message attributes (name, type, value) in the 1 MiB message size (1.5.33 counted
/// the body only); the body alone was already enforced.
#[tokio::test]
async fn sqs_counts_attributes_in_the_message_size() {
    use aws_sdk_sqs::types::MessageAttributeValue;
    let env = env().await;
    let sqs = aws_sdk_sqs::Client::new(&env.host.sdk_config());
    let url = sqs
        .create_queue()
        .queue_name(unique("limits"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let limit = 1_048_576;
    // Attribute "a" of type "String" with value "v": 1 + 6 + 1 bytes.
    let attribute = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("v")
        .build()
        .unwrap();
    let send = |body_bytes: usize| {
        sqs.send_message()
            .queue_url(&url)
            .message_body("x".repeat(body_bytes))
            .message_attributes("a", attribute.clone())
            .send()
    };
    send(limit - 8).await.unwrap();
    let err = send(limit - 7).await.unwrap_err().into_service_error();
    assert_eq!(
        aws_sdk_sqs::error::ProvideErrorMetadata::code(&err),
        Some("InvalidParameterValue"),
        "{err:?}"
    );
    let err = sqs
        .send_message()
        .queue_url(&url)
        .message_body("x".repeat(limit + 1))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_sqs::error::ProvideErrorMetadata::code(&err),
        Some("InvalidParameterValue"),
        "ministack's own body check: {err:?}"
    );
}

/// SNS Publish: 256 KiB of Message and attributes, enforced by ministack 1.5.33 itself.
#[tokio::test]
async fn sns_refuses_a_message_over_256_kib() {
    let env = env().await;
    let sns = aws_sdk_sns::Client::new(&env.host.sdk_config());
    let topic = sns
        .create_topic()
        .name(unique("limits"))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    sns.publish()
        .topic_arn(&topic)
        .message("x".repeat(262_144))
        .send()
        .await
        .unwrap();
    let err = sns
        .publish()
        .topic_arn(&topic)
        .message("x".repeat(262_145))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_sns::error::ProvideErrorMetadata::code(&err),
        Some("InvalidParameter"),
        "{err:?}"
    );
}

/// Lambda Invoke: 6 MB for a synchronous request, 1 MB for an asynchronous one (1.5.33: any size).
#[tokio::test]
async fn lambda_refuses_invoke_payloads_over_its_limits() {
    use aws_sdk_lambda::primitives::Blob;
    use aws_sdk_lambda::types::InvocationType;
    let env = env().await;
    let function = &integration::sample_stack().await["SampleFunctionName"];
    let lambda = aws_sdk_lambda::Client::new(&env.host.sdk_config());
    let invoke = |kind: InvocationType, bytes: usize| {
        lambda
            .invoke()
            .function_name(function)
            .invocation_type(kind)
            .payload(Blob::new(json_of_size(bytes)))
            .send()
    };
    for (kind, limit) in [
        (InvocationType::RequestResponse, 6_291_456),
        (InvocationType::Event, 1_048_576),
    ] {
        let err = invoke(kind.clone(), limit + 1)
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(
            aws_sdk_lambda::error::ProvideErrorMetadata::code(&err),
            Some("RequestEntityTooLargeException"),
            "{kind:?}: {err:?}"
        );
        // At the limit the function is invoked (the sample refuses such an event: a function
        // error, still a 200 or 202 answer).
        let answer = invoke(kind.clone(), limit).await.unwrap();
        assert!(
            matches!(answer.status_code(), 200 | 202),
            "{kind:?}: {answer:?}"
        );
    }
}

/// `dynamodb_query.py` narrows `pk = :v AND begins_with(sk, :p)` to its key range before ministack
/// answers: the items, their order, pages (`Limit`, `ExclusiveStartKey`), a filter and a projection
/// are those of the whole-partition evaluation, in both directions, and other key conditions are
/// ministack's own (the speed itself is measured by the scale test, never asserted).
#[tokio::test]
async fn a_begins_with_query_reads_only_its_key_range_and_answers_the_same() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(&env().await.host.sdk_config());
    let table = unique("query-range");
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    dynamodb
        .create_table()
        .table_name(&table)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let s = |v: &str| AttributeValue::S(v.to_string());
    let mut wanted = Vec::new();
    for (pk, sk, n) in (0..40).flat_map(|i| {
        [
            ("run#a", format!("account#{i:03}"), i),
            ("run#a", format!("bucket#111#{i:03}"), i),
            ("run#b", format!("bucket#111#{i:03}"), i),
        ]
    }) {
        dynamodb
            .put_item()
            .table_name(&table)
            .item("pk", s(pk))
            .item("sk", s(&sk))
            .item("n", AttributeValue::N(n.to_string()))
            .send()
            .await
            .unwrap();
        if pk == "run#a" && sk.starts_with("bucket#111#") {
            wanted.push(sk);
        }
    }
    // Pages of 7, forwards then backwards, an odd-numbered filter, a projection.
    for forward in [true, false] {
        let mut got = Vec::new();
        let mut start = None;
        loop {
            let page = dynamodb
                .query()
                .table_name(&table)
                .key_condition_expression("#p = :pk AND begins_with(sk, :prefix)")
                .filter_expression("n >= :min")
                .projection_expression("sk")
                .expression_attribute_names("#p", "pk")
                .expression_attribute_values(":pk", s("run#a"))
                .expression_attribute_values(":prefix", s("bucket#111#"))
                .expression_attribute_values(":min", AttributeValue::N("5".into()))
                .scan_index_forward(forward)
                .limit(7)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            assert!(page.count() <= 7);
            for item in page.items() {
                assert_eq!(item.len(), 1, "projected to sk: {item:?}");
                got.push(item["sk"].as_s().unwrap().clone());
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let mut expected: Vec<String> = wanted[5..].to_vec();
        if !forward {
            expected.reverse();
        }
        assert_eq!(got, expected, "forward {forward}");
    }
    // Another shape of key condition: ministack's own evaluation, the same items.
    let between = dynamodb
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk AND sk BETWEEN :lo AND :hi")
        .expression_attribute_values(":pk", s("run#a"))
        .expression_attribute_values(":lo", s("account#010"))
        .expression_attribute_values(":hi", s("account#019"))
        .send()
        .await
        .unwrap();
    assert_eq!(between.count(), 10);
    // A prefix nothing has, and a partition nothing is in.
    for (pk, prefix) in [("run#a", "region#"), ("run#z", "bucket#")] {
        let none = dynamodb
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .send()
            .await
            .unwrap();
        assert_eq!(none.count(), 0, "{pk} {prefix}");
    }
    // The table copy of each query is gone: only the real table is listed.
    let tables: Vec<String> = dynamodb
        .list_tables()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let named: Vec<&String> = tables.iter().filter(|t| t.starts_with(&table)).collect();
    assert_eq!(named, vec![&table]);
}

//! Helpers of the S3Insights integration tests: member accounts with the real role, buckets with known
//! content, Harvester and Cleanup executions through the real state machines, and checks that nothing
//! transient is left.
//!
//! Every test uses member accounts of its own (fresh random ids, the role deployed from
//! `cross-account-role.yaml`), so concurrent runs never see each other's buckets.

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use serde_json::{json, Value};

use crate::{env, stack, unique, Env};

impl Env {
    /// DynamoDB in the host account.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.host.sdk_config())
    }
}
use local_aws::deploy::{self, DeployRequest};
use local_aws::package::BuildOptions;
use local_aws::sdk::Target;

/// The offline deployment name (`DeploymentName` default).
pub const DEPLOYMENT: &str = "s3insights";

/// A fresh account id no other test uses, with the member role deployed in it.
pub async fn member_account() -> String {
    let account = format!("5{:011}", rand_u64() % 100_000_000_000);
    deploy_member_role(&account).await;
    account
}

/// Deploys the member role into `account` again; returns the account.
pub async fn member_role_again(account: &str) -> String {
    deploy_member_role(account).await;
    account.to_string()
}

/// Deploys the member role into `account` with its optional revert policy (`AllowRevert`) on or
/// off; returns the account.
pub async fn member_role_allowing_revert(account: &str, allow: bool) -> String {
    let parameters = [("AllowRevert".to_owned(), allow.to_string())].into();
    deploy_member_role_with(account, parameters).await;
    account.to_string()
}

/// Deploys `cross-account-role.yaml` as stack `s3insights-member` into `account`.
async fn deploy_member_role(account: &str) {
    deploy_member_role_with(account, BTreeMap::new()).await
}

/// [`deploy_member_role`] with parameters.
async fn deploy_member_role_with(account: &str, parameters: BTreeMap<String, String>) {
    let env = env().await;
    let request = DeployRequest {
        template: "cross-account-role.yaml".into(),
        stack: "s3insights-member".into(),
        parameters,
        build: BuildOptions::default(),
    };
    deploy::deploy(&env.workspace, &env.account(account), &request)
        .await
        .unwrap_or_else(|e| panic!("deploy the member role into {account}: {e}"));
}

/// Deletes the member role's stack (the role goes with it): the host loses access.
pub async fn remove_member_role(account: &str) {
    let env = env().await;
    let cfn = env.account(account).cloudformation();
    cfn.delete_stack()
        .stack_name("s3insights-member")
        .send()
        .await
        .expect("delete member stack");
    for _ in 0..100 {
        match cfn
            .describe_stacks()
            .stack_name("s3insights-member")
            .send()
            .await
        {
            Ok(answer)
                if answer
                    .stacks()
                    .first()
                    .and_then(|s| s.stack_status())
                    .is_some_and(|s| s.as_str() != "DELETE_COMPLETE") =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            _ => return,
        }
    }
    panic!("member stack of {account} not deleted");
}

fn rand_u64() -> u64 {
    let id = uuid::Uuid::new_v4();
    u64::from_le_bytes(id.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// A run id no other test uses (1–12 lower-case letters and digits).
pub fn run_id() -> String {
    format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..11])
}

/// S3 in `account` and `region`.
pub async fn s3(account: &str, region: &str) -> aws_sdk_s3::Client {
    env().await.account(account).in_region(region).s3()
}

/// Creates a bucket (in `region`) and puts `objects` (key, body) into it.
pub async fn bucket(
    account: &str,
    region: &str,
    prefix: &str,
    objects: &[(&str, &[u8])],
) -> String {
    let name = unique(prefix);
    let s3 = s3(account, region).await;
    let mut create = s3.create_bucket().bucket(&name);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                .build(),
        );
    }
    create.send().await.expect("create bucket");
    put_objects(account, region, &name, objects).await;
    name
}

/// Puts `objects` (key, body) into `bucket`, in order.
pub async fn put_objects(account: &str, region: &str, bucket: &str, objects: &[(&str, &[u8])]) {
    let s3 = s3(account, region).await;
    for (key, body) in objects {
        s3.put_object()
            .bucket(bucket)
            .key(*key)
            .body(body.to_vec().into())
            .send()
            .await
            .expect("put object");
    }
}

/// Turns on versioning.
pub async fn version(account: &str, region: &str, bucket: &str) {
    s3(account, region)
        .await
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable versioning");
}

/// Deletes every version of every object and the bucket itself.
pub async fn delete_bucket(account: &str, region: &str, bucket: &str) {
    delete_bucket_unseen(account, region, bucket, false).await
}

/// [`delete_bucket`] while a run watches the bucket: between its last version's deletion and the
/// bucket's, a monitor probe would see an empty bucket (a true answer, `bucket_is_empty`, but not the
/// deletion a test means). With `unseen`, the next six listings of the bucket after it was listed here
/// fail with S3's InternalError (an injected fault: two probes of three SDK attempts each), which the
/// monitor takes as "look again later".
pub async fn delete_bucket_unseen(account: &str, region: &str, bucket: &str, unseen: bool) {
    let s3 = s3(account, region).await;
    let listed = s3
        .list_object_versions()
        .bucket(bucket)
        .encoding_type(platform::s3_keys::LISTING_ENCODING)
        .send()
        .await
        .expect("list versions");
    if unseen {
        let admin = local_aws::admin::Admin::new(&env().await.host.endpoint);
        let _: Value = admin
            .post(
                "/_offline/faults",
                json!({"s3_bucket": bucket, "kind": "error", "times": 6}),
            )
            .await
            .expect("hide the emptied bucket from listings");
    }
    let decoded = |key: Option<&str>| platform::s3_keys::decode(key.unwrap_or_default()).unwrap();
    // Every version first, then every delete marker.
    let versions = listed
        .versions()
        .iter()
        .map(|v| (v.key(), v.version_id(), "delete version"));
    let markers = listed
        .delete_markers()
        .iter()
        .map(|m| (m.key(), m.version_id(), "delete marker"));
    for (key, version_id, what) in versions.chain(markers) {
        s3.delete_object()
            .bucket(bucket)
            .key(decoded(key))
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .expect(what);
    }
    s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("delete bucket");
}

/// A Harvester input for `accounts` and `regions`.
pub fn input(run_id: &str, accounts: &[&str], regions: &[&str]) -> Value {
    json!({
        "run_id": run_id,
        "accounts": accounts.iter().map(|a| json!({"id": a})).collect::<Vec<_>>(),
        "sender_email_address": "s3insights@example.com",
        "recipient_email_addresses": ["ops@example.com"],
        "supported_regions": regions,
    })
}

/// What `offline start-execution --summary` reports.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Exit status of the CLI.
    pub exit: Option<i32>,
    /// The JSON summary.
    pub summary: Value,
    /// Stderr (progress, delivery log).
    pub stderr: String,
}

impl Finished {
    /// The execution's status (`SUCCEEDED`, `FAILED`, ...).
    pub fn status(&self) -> &str {
        self.summary["status"].as_str().unwrap_or_default()
    }

    /// Panics unless the execution succeeded, naming its error, cause and the CLI's last words.
    pub fn assert_succeeded(&self) -> &Self {
        if self.status() != "SUCCEEDED" {
            let lines: Vec<&str> = self.stderr.lines().collect();
            panic!(
                "the execution ended {} (error {}, cause {}); the CLI's last lines:\n{}",
                self.status(),
                self.summary["error"],
                self.summary["cause"],
                lines[lines.len().saturating_sub(15)..].join("\n")
            );
        }
        self
    }

    /// The execution's output, parsed.
    pub fn output(&self) -> Value {
        match &self.summary["output"] {
            Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            other => other.clone(),
        }
    }
}

/// Runs a state machine of the stack to the end through `offline start-execution`.
pub fn start_execution(env: &Env, machine: &str, input: &Value, extra: &[&str]) -> Finished {
    let dir = env.state_dir.join("inputs");
    std::fs::create_dir_all(&dir).expect("inputs directory");
    let file = dir.join(format!("{}.json", unique("input")));
    std::fs::write(&file, input.to_string()).expect("input file");
    let mut args = vec![
        "start-execution",
        "--state-machine",
        machine,
        "--input",
        file.to_str().expect("UTF-8 path"),
        "--summary",
    ];
    // Four minutes unless the caller gives its own (a scale test).
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout", "240"]);
    }
    args.extend_from_slice(extra);
    let out = env.offline(&args);
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = serde_json::from_str(&stdout).unwrap_or_else(|_| json!({"unparsed": stdout}));
    Finished {
        exit: out.status.code(),
        summary,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the Harvester (delivering inventory reports as S3 would, unless `extra` says otherwise).
pub async fn harvest(input: &Value, extra: &[&str]) -> Finished {
    stack().await;
    start_execution(env().await, "HarvesterStateMachine", input, extra)
}

/// Runs Cleanup.
pub async fn cleanup(input: &Value) -> Finished {
    stack().await;
    start_execution(
        env().await,
        "CleanupStateMachine",
        input,
        &["--no-inventory"],
    )
}

/// Starts the Harvester with `input` as raw JSON text through the Step Functions API (for inputs
/// our CLI would not read, e.g. nested deeper than serde_json's limit) and waits for its end:
/// `(status, error, cause)`.
pub async fn harvest_raw(input: &str) -> (String, String, String) {
    let machine = output("HarvesterStateMachineArn").await;
    let sfn = env().await.host.sfn();
    let started = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name(unique("raw"))
        .input(input)
        .send()
        .await
        .expect("start the Harvester");
    let mut waited = Duration::ZERO;
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(started.execution_arn())
            .send()
            .await
            .expect("describe the execution");
        if described.status != aws_sdk_sfn::types::ExecutionStatus::Running {
            return (
                described.status.as_str().to_string(),
                described.error.unwrap_or_default(),
                described.cause.unwrap_or_default(),
            );
        }
        assert!(
            waited < Duration::from_secs(240),
            "the execution did not end"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        waited += Duration::from_millis(500);
    }
}

/// A stack output.
pub async fn output(name: &str) -> String {
    stack()
        .await
        .get(name)
        .unwrap_or_else(|| panic!("stack output {name} missing"))
        .clone()
}

/// Reads an object of the consolidated bucket as text, if it exists.
pub async fn consolidated_text(key: &str) -> Option<String> {
    let bucket = output("ConsolidatedBucketName").await;
    let answer = env()
        .await
        .host
        .s3()
        .get_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    let bytes = answer.body.collect().await.ok()?.into_bytes();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The run's `summary.json`.
pub async fn summary(run_id: &str) -> Value {
    let text = consolidated_text(&format!("reports/{run_id}/summary.json"))
        .await
        .unwrap_or_else(|| panic!("no summary.json for run {run_id}"));
    serde_json::from_str(&text).expect("summary.json is JSON")
}

/// The summary's bucket entry for `bucket`.
pub fn bucket_entry<'a>(summary: &'a Value, bucket: &str) -> &'a Value {
    summary["buckets"]
        .as_array()
        .and_then(|b| b.iter().find(|e| e["bucket"] == bucket))
        .unwrap_or_else(|| panic!("bucket {bucket} not in the summary: {summary:#}"))
}

/// A state table item as the SDK returns it.
type StateItem = std::collections::HashMap<String, AttributeValue>;

/// The item (`pk`, `sk`) of the state table; `Ok(None)` where there is none.
async fn state_item(pk: String, sk: String) -> Result<Option<StateItem>, SdkError<GetItemError>> {
    let table = output("StateTableName").await;
    let answer = env()
        .await
        .dynamodb()
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk))
        .send()
        .await?;
    Ok(answer.item)
}

/// The run record in the state table, if any.
pub async fn run_record(run_id: &str) -> Option<Value> {
    let item = state_item(format!("run#{run_id}"), "run".into())
        .await
        .expect("get run record");
    item.map(|item| {
        let mut out = serde_json::Map::new();
        for (k, v) in item {
            let value = match v {
                AttributeValue::S(s) => Value::String(s),
                AttributeValue::Bool(b) => Value::Bool(b),
                AttributeValue::N(n) => Value::String(n),
                other => Value::String(format!("{other:?}")),
            };
            out.insert(k, value);
        }
        Value::Object(out)
    })
}

/// Whether the run record (which must exist) says Cleanup still has something to remove.
pub async fn cleanup_pending(run_id: &str) -> bool {
    run_record(run_id)
        .await
        .expect("run record")
        .get("cleanup_pending")
        .is_some()
}

/// The run's staging bucket in `region` (where S3 delivers the reports).
pub fn staging_bucket(run_id: &str, region: &str) -> String {
    format!("{DEPLOYMENT}-{run_id}-stg-{}-{region}", crate::HOST)
}

/// The id of the run's inventory configurations on the buckets.
pub fn configuration_id(run_id: &str) -> String {
    format!("s3insights-{DEPLOYMENT}-{run_id}")
}

/// What a run left behind: staging buckets, staging stacks, and our inventory configurations on
/// `buckets` ((account, region, name)).
pub async fn transient_left(
    run_id: &str,
    regions: &[&str],
    buckets: &[(&str, &str, &str)],
) -> Vec<String> {
    let env = env().await;
    let mut left = Vec::new();
    for region in regions {
        let target: Target = env.host.in_region(region);
        let staging = staging_bucket(run_id, region);
        if target
            .s3()
            .head_bucket()
            .bucket(&staging)
            .send()
            .await
            .is_ok()
        {
            left.push(format!("staging bucket {staging}"));
        }
        let stack_name = format!("{DEPLOYMENT}-{run_id}-staging");
        if let Ok(answer) = target
            .cloudformation()
            .describe_stacks()
            .stack_name(&stack_name)
            .send()
            .await
        {
            let status = answer
                .stacks()
                .first()
                .and_then(|s| s.stack_status())
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            if status != "DELETE_COMPLETE" {
                left.push(format!("stack {stack_name} in {region} ({status})"));
            }
        }
    }
    let id = configuration_id(run_id);
    for (account, region, bucket) in buckets {
        let s3 = s3(account, region).await;
        if s3
            .get_bucket_inventory_configuration()
            .bucket(*bucket)
            .id(&id)
            .send()
            .await
            .is_ok()
        {
            left.push(format!("inventory configuration {id} on {bucket}"));
        }
    }
    left
}

/// [`transient_left`] of a run in one `region`, with `buckets` ((account, name)) in that region.
pub async fn left_in(run_id: &str, region: &str, buckets: &[(&str, &str)]) -> Vec<String> {
    let buckets: Vec<_> = buckets
        .iter()
        .map(|(account, bucket)| (*account, region, *bucket))
        .collect();
    transient_left(run_id, &[region], &buckets).await
}

/// Waits until `check` holds, polling every 200 ms for up to a minute.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The status of a bucket in the state table (`None` where there is none, or the read fails).
pub async fn bucket_status(
    run_id: &str,
    account: &str,
    region: &str,
    bucket: &str,
) -> Option<String> {
    let sk = format!("bucket#{account}#{region}#{bucket}");
    let item = state_item(format!("run#{run_id}"), sk).await.ok()??;
    match item.get("status") {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Moves run `run_id`'s deadline to now, as if its inventory wait (48 hours by default) had passed: the
/// monitor's next check times out every bucket still waiting.
pub async fn pass_deadline(run_id: &str) {
    let env = env().await;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    env.dynamodb()
        .update_item()
        .table_name(output("StateTableName").await)
        .key("pk", AttributeValue::S(format!("run#{run_id}")))
        .key("sk", AttributeValue::S("run".into()))
        .update_expression("SET deadline = :now")
        .condition_expression("attribute_exists(deadline)")
        .expression_attribute_values(":now", AttributeValue::S(now))
        .send()
        .await
        .expect("move the run's deadline");
}

/// Runs the Harvester in a thread without automatic inventory delivery, so the test decides what S3
/// delivers and when.
pub fn harvest_in_background(input: Value) -> std::thread::JoinHandle<Finished> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async { harvest(&input, &["--no-inventory"]).await })
    })
}

/// A Harvester run going on in the background without automatic inventory delivery
/// ([`harvest_in_background`]): the test decides what S3 delivers and when.
pub struct WaitingRun {
    /// The run id.
    pub run: String,
    handle: std::thread::JoinHandle<Finished>,
}

impl WaitingRun {
    /// Starts a run (fresh run id) over `accounts` and `regions` in the background, then waits, in
    /// the order given, until each of `buckets` ((account, region, name)) is `in_progress`.
    pub async fn start(
        accounts: &[&str],
        regions: &[&str],
        buckets: &[(&str, &str, &str)],
    ) -> WaitingRun {
        let run = run_id();
        stack().await;
        let handle = harvest_in_background(input(&run, accounts, regions));
        for (account, region, bucket) in buckets {
            wait_for_status(&run, account, region, bucket, "in_progress").await;
        }
        WaitingRun { run, handle }
    }

    /// Waits (off the async runtime's threads) for the run to end; returns what it reported.
    pub async fn finish(self) -> Finished {
        let handle = self.handle;
        tokio::task::spawn_blocking(move || handle.join().unwrap())
            .await
            .unwrap()
    }
}

/// Waits until `bucket` has `status` in the state table.
pub async fn wait_for_status(run: &str, account: &str, region: &str, bucket: &str, status: &str) {
    eventually(&format!("{bucket} to be {status}"), || async {
        bucket_status(run, account, region, bucket).await.as_deref() == Some(status)
    })
    .await;
}

/// Delivers the pending S3 Inventory report of `bucket` now (`offline deliver-inventory`, run off the
/// async runtime's threads); the delivery must succeed.
pub async fn deliver(bucket: &str) {
    let env = env().await;
    let bucket = bucket.to_string();
    tokio::task::spawn_blocking(move || {
        let out = env.offline(&["deliver-inventory", "--bucket", &bucket]);
        assert!(out.status.success(), "deliver-inventory {bucket}: {out:?}");
    })
    .await
    .unwrap();
}

/// The `--matching` text of `offline fault add` that picks the invocations of run `run` (compact
/// JSON, as in the payload).
pub fn run_matching(run: &str) -> String {
    format!("\"run_id\":\"{run}\"")
}

/// Makes the next `times` invocations of function `function` (logical id in the stack) whose payload
/// contains `matching` fail with `error_type` (and `message`, if given), through `offline fault add`;
/// returns the CLI's output whatever its exit status.
pub async fn add_fault(
    function: &str,
    error_type: &str,
    message: Option<&str>,
    times: u32,
    matching: &str,
) -> Output {
    stack().await;
    let times = times.to_string();
    let mut args = vec![
        "fault",
        "add",
        "--function",
        function,
        "--kind",
        "error",
        "--error-type",
        error_type,
        "--times",
        &times,
        "--matching",
        matching,
    ];
    if let Some(message) = message {
        args.extend(["--message", message]);
    }
    env().await.offline(&args)
}

/// [`add_fault`] without a message, for the invocations of run `run` only.
pub async fn fail_for_run(function: &str, error_type: &str, run: &str, times: u32) -> Output {
    add_fault(function, error_type, None, times, &run_matching(run)).await
}

/// Writes a report for `bucket` into the run's staging bucket whose data file does not match the
/// MD5 its manifest gives, as a damaged delivery would look.
pub async fn write_corrupt_report(run: &str, account: &str, region: &str, bucket: &str) -> String {
    let record = inventory_format::InventoryRecord {
        bucket: bucket.into(),
        key: "k".into(),
        ..Default::default()
    };
    let format = inventory_format::FileFormat::Parquet;
    write_report(run, account, region, bucket, format, &[record], true).await
}

/// Writes a report the way S3 does (data file, `manifest.json`, `manifest.checksum` last) into the
/// run's staging bucket, in `format`; with `corrupt`, the manifest gives the data file a wrong MD5.
pub async fn write_report(
    run: &str,
    account: &str,
    region: &str,
    bucket: &str,
    format: inventory_format::FileFormat,
    records: &[inventory_format::InventoryRecord],
    corrupt: bool,
) -> String {
    use inventory_format::manifest::{
        data_file_key, manifest_checksum_key, manifest_json_key, md5_hex,
    };
    use inventory_format::{
        report_fields, write_data_file, InventoryField, InventoryManifest, ManifestFile,
    };
    let staging = staging_bucket(run, region);
    let config = configuration_id(run);
    let prefix = format!("{account}/{region}");
    let optional = [
        InventoryField::Size,
        InventoryField::StorageClass,
        InventoryField::LastModifiedDate,
    ];
    let fields = report_fields(&optional, true);
    let data = write_data_file(format, &fields, records).unwrap();
    let name = format!("{}.{}", uuid::Uuid::new_v4(), format.extension());
    let data_key = data_file_key(Some(&prefix), bucket, &config, &name);
    let mut file = ManifestFile::describe(data_key.clone(), &data);
    if corrupt {
        file.md5_checksum = "00000000000000000000000000000000".into();
    }
    let created = chrono::Utc::now();
    let manifest =
        InventoryManifest::new(bucket, &staging, created, format, &fields, vec![file]).to_json();
    let s3 = env().await.host.in_region(region).s3();
    s3.put_object()
        .bucket(&staging)
        .key(&data_key)
        .body(data.into())
        .send()
        .await
        .unwrap();
    let checksum = md5_hex(&manifest);
    s3.put_object()
        .bucket(&staging)
        .key(manifest_json_key(Some(&prefix), bucket, &config, created))
        .body(manifest.into())
        .send()
        .await
        .unwrap();
    let checksum_key = manifest_checksum_key(Some(&prefix), bucket, &config, created);
    s3.put_object()
        .bucket(&staging)
        .key(&checksum_key)
        .body(checksum.into_bytes().into())
        .send()
        .await
        .unwrap();
    checksum_key
}

/// Wait until the inventory processor has taken every report notification that arrived (its queue
/// drained, no invocation running); other work on the same local AWS (another test's thousand-account
/// run, say) is not waited for.
pub async fn pump_processor() {
    local_aws::pump::until_idle_of(
        &env().await.host.endpoint,
        Duration::from_secs(120),
        &["InventoryProcessorFunction"],
    )
    .await
    .unwrap_or_else(|e| panic!("pump: {e}"));
}

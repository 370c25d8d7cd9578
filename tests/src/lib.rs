//! Harness of the integration tests: the real local AWS, our real binaries, deployed from the real
//! template.
//!
//! Every test process shares one local AWS per state directory (`.offline/test`, or
//! `OFFLINE_STATE_DIR`), started on first use and reused after (a file lock serialises the start), and
//! one deployment of each template it uses with the offline parameters: `template.yaml` as stack
//! `platform` ([`stack`]) and the platform sample fixture `tests/templates/sample.yaml` as stack
//! `sample` ([`sample_stack`]), each redeployed only when the template, its state machines or its
//! binaries change. Tests isolate themselves with unique names and their own member accounts instead
//! of resetting the emulator.

#![deny(missing_docs)]
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use local_aws::deploy::{self, DeployRequest};
use local_aws::package::BuildOptions;
use local_aws::paths::Workspace;
use local_aws::sdk::Target;
use tokio::sync::OnceCell;

pub mod historical;
pub mod s3insights;

/// The host account (where our stack lives).
pub const HOST: &str = local_aws::sdk::HOST_ACCOUNT;
/// Member accounts used by tests.
pub const MEMBER_A: &str = "111111111111";
/// A second member account.
pub const MEMBER_B: &str = "222222222222";

pub use local_aws::deploy::OFFLINE_PARAMETERS;

/// The shared test environment.
pub struct Env {
    /// The workspace.
    pub workspace: Workspace,
    /// The emulator's state directory.
    pub state_dir: PathBuf,
    /// The host account in us-east-1.
    pub host: Target,
}

impl Env {
    /// A member (or any) account on the same endpoint.
    pub fn account(&self, account: &str) -> Target {
        self.host.as_account(account)
    }

    /// `bin` with `args`, run in the workspace against the local AWS as the host account.
    fn command(&self, bin: &std::path::Path, args: &[&str]) -> Command {
        let mut command = Command::new(bin);
        command
            .args(args)
            .current_dir(&self.workspace.root)
            .env("AWS_ENDPOINT_URL", &self.host.endpoint)
            .env("AWS_ACCESS_KEY_ID", HOST)
            .env("AWS_SECRET_ACCESS_KEY", "offline")
            .env("AWS_REGION", &self.host.region);
        command
    }

    /// Run the `offline` CLI with this environment; returns its output whatever its exit status.
    pub fn offline(&self, args: &[&str]) -> Output {
        let bin = offline_bin(&self.workspace);
        self.command(&bin, args)
            .env("OFFLINE_STATE_DIR", &self.state_dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
    }
}

impl Env {
    /// `offline execute` of `definition` with `input` (JSON text) and `extra` arguments; the
    /// definition is written to a scratch file for the run. No S3 Inventory report is delivered while
    /// it waits: other tests' pending reports are theirs (see [`Env::execute_delivering`]).
    pub fn execute(&self, definition: &serde_json::Value, input: &str, extra: &[&str]) -> Output {
        let mut extra = extra.to_vec();
        if !extra.contains(&"--no-inventory") {
            extra.push("--no-inventory");
        }
        self.execute_delivering(definition, input, &extra)
    }

    /// [`Env::execute`] that delivers every pending S3 Inventory report while the execution waits, as
    /// `offline execute` does by default.
    pub fn execute_delivering(
        &self,
        definition: &serde_json::Value,
        input: &str,
        extra: &[&str],
    ) -> Output {
        let dir = self.state_dir.join("definitions");
        std::fs::create_dir_all(&dir).expect("definitions directory");
        let file = dir.join(format!("{}.asl.json", unique("definition")));
        std::fs::write(&file, definition.to_string()).expect("definition file");
        let mut args = vec![
            "execute",
            "--definition",
            file.to_str().expect("UTF-8 path"),
            "--input",
            input,
        ];
        args.extend_from_slice(extra);
        let out = self.offline(&args);
        let _ = std::fs::remove_file(&file);
        out
    }
}

impl Env {
    /// The operator CLI (`target/debug/insights`) with this environment: the endpoint, the host
    /// account's credentials, the region, and the default stack (`platform`). Callers may change
    /// the environment before running it (e.g. remove the credentials).
    pub fn insights_command(&self, args: &[&str]) -> Command {
        let bin = built_bin(&self.workspace, "INSIGHTS_BIN", "insights");
        let mut command = self.command(&bin, args);
        command
            .env_remove("INSIGHTS_STACK")
            .env_remove("AWS_PROFILE");
        command
    }

    /// Run the operator CLI with this environment; returns its output whatever its exit status.
    pub fn insights(&self, args: &[&str]) -> Output {
        self.insights_command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run insights: {e}"))
    }
}

/// `target/debug/<name>` (or the path in the environment variable `override_var`), built if missing.
fn built_bin(workspace: &Workspace, override_var: &str, name: &str) -> PathBuf {
    if let Some(bin) = std::env::var_os(override_var) {
        return bin.into();
    }
    let bin = workspace.root.join("target/debug").join(name);
    if !bin.exists() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&workspace.root)
            .args(["build", "--quiet", "--bin", name])
            .status()
            .unwrap_or_else(|e| panic!("cargo build --bin {name}: {e}"));
        assert!(status.success(), "cargo build --bin {name} failed");
    }
    bin
}

fn offline_bin(workspace: &Workspace) -> PathBuf {
    if let Some(bin) = std::env::var_os("OFFLINE_BIN") {
        return bin.into();
    }
    let bin = workspace.root.join("target/debug/offline");
    if !bin.exists() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&workspace.root)
            .args(["build", "--quiet", "--bin", "offline"])
            .status()
            .expect("cargo build --bin offline");
        assert!(status.success(), "cargo build --bin offline failed");
    }
    bin
}

static ENV: OnceCell<Env> = OnceCell::const_new();

/// The shared environment, starting the local AWS if needed.
pub async fn env() -> &'static Env {
    ENV.get_or_init(|| async {
        let workspace = Workspace::locate();
        let state_dir = std::env::var_os("OFFLINE_STATE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.root.join(".offline/test"));
        let running = local_aws::emulator::start(&state_dir, &workspace.venv_dir(), None)
            .await
            .unwrap_or_else(|e| panic!("the local AWS did not start: {e}"));
        let host = Target {
            endpoint: running.endpoint(),
            account: HOST.into(),
            region: local_aws::sdk::DEFAULT_REGION.into(),
        };
        Env {
            workspace,
            state_dir,
            host,
        }
    })
    .await
}

/// The platform sample's template, a test fixture (never part of `template.yaml`).
pub const SAMPLE_TEMPLATE: &str = "tests/templates/sample.yaml";
/// The stack the platform sample is deployed as.
pub const SAMPLE_STACK: &str = "sample";

static PLATFORM_OUTPUTS: OnceCell<BTreeMap<String, String>> = OnceCell::const_new();
static SAMPLE_OUTPUTS: OnceCell<BTreeMap<String, String>> = OnceCell::const_new();

/// The outputs of `template.yaml` deployed as stack `platform` with [`OFFLINE_PARAMETERS`].
pub async fn stack() -> &'static BTreeMap<String, String> {
    PLATFORM_OUTPUTS
        .get_or_init(|| deployed("template.yaml", deploy::DEFAULT_STACK))
        .await
}

/// The outputs of the platform sample ([`SAMPLE_TEMPLATE`]) deployed as stack [`SAMPLE_STACK`] with
/// [`OFFLINE_PARAMETERS`].
pub async fn sample_stack() -> &'static BTreeMap<String, String> {
    SAMPLE_OUTPUTS
        .get_or_init(|| deployed(SAMPLE_TEMPLATE, SAMPLE_STACK))
        .await
}

/// Deploy `template` (relative to the workspace) as `stack` unless the last deployment of it in this
/// state directory is still current; returns the stack's outputs. One lock serialises every
/// deployment (they share the cargo build); a stamp per stack records what was deployed.
async fn deployed(template: &str, stack: &str) -> BTreeMap<String, String> {
    let env = env().await;
    let lock_path = env.state_dir.join("deploy.lock");
    let lock = std::fs::File::create(&lock_path).expect("deploy lock");
    lock.lock().expect("deploy lock");
    let stamp_path = env.state_dir.join(format!("deployed-{stack}"));
    let stamp = deployment_stamp(env, template);
    if std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str()) {
        if let Ok(outputs) = deploy::outputs(&env.host, stack).await {
            if !outputs.is_empty() {
                return outputs;
            }
        }
    }
    let request = DeployRequest::offline(template, stack, BuildOptions::default());
    let outputs = deploy::deploy(&env.workspace, &env.host, &request)
        .await
        .unwrap_or_else(|e| panic!("offline deploy of {template} as {stack} failed: {e}"));
    // The stamp is computed again: the deploy may have rebuilt the binaries.
    std::fs::write(&stamp_path, deployment_stamp(env, template)).expect("deploy stamp");
    outputs
}

/// What a deployment of `template` depends on: the emulator process, the template, the definitions
/// it names, the binaries of its functions.
fn deployment_stamp(env: &Env, template: &str) -> String {
    let root = &env.workspace.root;
    let mut parts = vec![format!(
        "{:?}",
        local_aws::emulator::Running::read(&env.state_dir).ok()
    )];
    let path = env.workspace.resolve(template);
    let mut files = vec![path.clone()];
    if let Ok(parsed) = local_aws::template::load(&path) {
        let base_dir = path.parent().unwrap_or(std::path::Path::new("."));
        files.extend(local_aws::package::definition_files(&parsed, base_dir).into_values());
        if let Ok(binaries) = local_aws::package::function_binaries(&parsed) {
            files.extend(binaries.values().map(|b| root.join("target/debug").join(b)));
        }
    }
    files.sort();
    files.dedup();
    for file in files {
        let meta = std::fs::metadata(&file).ok();
        parts.push(format!(
            "{} {:?} {:?}",
            file.display(),
            meta.as_ref().map(|m| m.len()),
            meta.and_then(|m| m.modified().ok())
        ));
    }
    parts.join("\n")
}

/// Creates `bucket` in the host account as an S3 Inventory destination for buckets of `source_account`:
/// with the bucket policy AWS documents for it (S3 user guide, "Grant permissions for S3 Inventory and
/// S3 analytics"), without which S3 writes no report into it.
pub async fn inventory_destination(env: &Env, bucket: &str, source_account: &str) {
    let s3 = env.host.s3();
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {bucket}: {e:?}"));
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "InventoryDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"},
                "StringEquals": {"aws:SourceAccount": source_account, "s3:x-amz-acl": "bucket-owner-full-control"}
            }
        }]
    });
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put the policy of {bucket}: {e:?}"));
}

/// An S3 inventory configuration as S3Insights puts them: daily, to `destination` under `inventory/`.
pub fn inventory_configuration(
    id: &str,
    destination: &str,
    format: aws_sdk_s3::types::InventoryFormat,
    versions: aws_sdk_s3::types::InventoryIncludedObjectVersions,
    fields: Vec<aws_sdk_s3::types::InventoryOptionalField>,
    filter: Option<&str>,
) -> aws_sdk_s3::types::InventoryConfiguration {
    use aws_sdk_s3::types::{
        InventoryConfiguration, InventoryDestination, InventoryFilter, InventoryFrequency,
        InventoryS3BucketDestination, InventorySchedule,
    };
    InventoryConfiguration::builder()
        .id(id)
        .is_enabled(true)
        .included_object_versions(versions)
        .set_filter(filter.map(|p| InventoryFilter::builder().prefix(p).build().unwrap()))
        .destination(
            InventoryDestination::builder()
                .s3_bucket_destination(
                    InventoryS3BucketDestination::builder()
                        .bucket(format!("arn:aws:s3:::{destination}"))
                        .format(format)
                        .prefix("inventory")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .schedule(
            InventorySchedule::builder()
                .frequency(InventoryFrequency::Daily)
                .build()
                .unwrap(),
        )
        .set_optional_fields(Some(fields))
        .build()
        .unwrap()
}

/// Invokes the stack's function `logical_id` with `payload`, as its trigger would: its answer, and
/// its error if it failed.
pub async fn invoke(
    logical_id: &str,
    payload: &serde_json::Value,
) -> (serde_json::Value, Option<String>) {
    let env = env().await;
    stack().await;
    let function = deploy::physical_id(&env.host, deploy::DEFAULT_STACK, logical_id)
        .await
        .unwrap_or_else(|e| panic!("function {logical_id}: {e}"));
    let answer = aws_sdk_lambda::Client::new(&env.host.sdk_config())
        .invoke()
        .function_name(function)
        .payload(aws_smithy_types::Blob::new(payload.to_string()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("invoke {logical_id}: {e}"));
    let body = serde_json::from_slice(answer.payload().map(|b| b.as_ref()).unwrap_or(b"null"))
        .unwrap_or(serde_json::Value::Null);
    (body, answer.function_error().map(str::to_string))
}

/// A name no other test uses (lowercase, usable as a bucket name).
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Wait until every queue and stream feeding a function is drained.
pub async fn pump() {
    let env = env().await;
    local_aws::pump::until_idle(&env.host.endpoint, std::time::Duration::from_secs(120))
        .await
        .unwrap_or_else(|e| panic!("pump: {e}"));
}

//! The local AWS: install it, start it, find it, stop it.
//!
//! ministack (pinned in `crates/local-aws/emulator/requirements.txt`, every transitive package) is
//! installed into a project-local virtualenv (`.offline/venv`) the first time it is needed, and again only when the pins change. It
//! runs through our launcher, which installs the documented patches before serving; the launcher's
//! Python files are embedded in this binary so the CLI works from any directory. One emulator per state
//! directory: `start` reuses a healthy one, so concurrent test processes share it (a file lock
//! serialises the start).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::admin::Admin;

/// The launcher and its patches, written next to the virtualenv at start.
const LAUNCHER_FILES: &[(&str, &str)] = &[
    ("launcher.py", include_str!("../emulator/launcher.py")),
    (
        "s3_inventory.py",
        include_str!("../emulator/s3_inventory.py"),
    ),
    ("s3_versions.py", include_str!("../emulator/s3_versions.py")),
    ("s3_listing.py", include_str!("../emulator/s3_listing.py")),
    (
        "s3_missing_keys.py",
        include_str!("../emulator/s3_missing_keys.py"),
    ),
    (
        "service_deliveries.py",
        include_str!("../emulator/service_deliveries.py"),
    ),
    (
        "payload_limits.py",
        include_str!("../emulator/payload_limits.py"),
    ),
    ("asl.py", include_str!("../emulator/asl.py")),
    (
        "sfn_integrations.py",
        include_str!("../emulator/sfn_integrations.py"),
    ),
    ("athena_ddl.py", include_str!("../emulator/athena_ddl.py")),
    (
        "dynamodb_ttl.py",
        include_str!("../emulator/dynamodb_ttl.py"),
    ),
    (
        "dynamodb_query.py",
        include_str!("../emulator/dynamodb_query.py"),
    ),
    (
        "cloudformation_fixes.py",
        include_str!("../emulator/cloudformation_fixes.py"),
    ),
    (
        "sts_assume_role.py",
        include_str!("../emulator/sts_assume_role.py"),
    ),
    (
        "cloudtrail_events.py",
        include_str!("../emulator/cloudtrail_events.py"),
    ),
    ("faults.py", include_str!("../emulator/faults.py")),
    ("iam_access.py", include_str!("../emulator/iam_access.py")),
    ("sfn_iam.py", include_str!("../emulator/sfn_iam.py")),
    (
        "role_sessions.py",
        include_str!("../emulator/role_sessions.py"),
    ),
    (
        "cfn_stack_role.py",
        include_str!("../emulator/cfn_stack_role.py"),
    ),
    (
        "cfn_handler_permissions.json",
        include_str!("../emulator/cfn_handler_permissions.json"),
    ),
    (
        "iam_resources.py",
        include_str!("../emulator/iam_resources.py"),
    ),
    ("activity.py", include_str!("../emulator/activity.py")),
    (
        "organizations.py",
        include_str!("../emulator/organizations.py"),
    ),
];
/// The secret access key of every account's root credentials offline (the key is the account id).
pub const ROOT_SECRET: &str = "offline";
const REQUIREMENTS: &str = include_str!("../emulator/requirements.txt");

/// Identifies the launcher this binary carries, so a running emulator started by another build of
/// the CLI (older patches) is replaced rather than reused.
fn launcher_digest() -> String {
    let mut all = IamMode::from_env()
        .map(IamMode::name)
        .unwrap_or("invalid")
        .as_bytes()
        .to_vec();
    all.extend_from_slice(REQUIREMENTS.as_bytes());
    for (name, text) in LAUNCHER_FILES {
        all.extend_from_slice(name.as_bytes());
        all.extend_from_slice(text.as_bytes());
    }
    inventory_format::manifest::md5_hex(&all)
}
/// Whether the local AWS evaluates IAM for every request (`OFFLINE_IAM`).
///
/// `enforce` (the default): ministack runs with `AUTH=true`, so every signed request is verified and
/// authorized as AWS does it (identity policies of the caller, the resource's own policy, trust
/// policies), Lambda functions run with credentials of a session of their execution role, and a
/// denial is answered as the service answers it. `off` is for debugging only: nothing is checked, and
/// the start says so loudly, because a run that passes with it proves nothing about permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamMode {
    /// Every request authorized (the default).
    Enforce,
    /// Nothing authorized (debugging only).
    Off,
}

impl IamMode {
    /// The mode `OFFLINE_IAM` asks for (`enforce` when unset).
    pub fn from_env() -> Result<Self, EmulatorError> {
        match std::env::var("OFFLINE_IAM").as_deref() {
            Err(_) | Ok("") | Ok("enforce") => Ok(Self::Enforce),
            Ok("off") => Ok(Self::Off),
            Ok(other) => Err(EmulatorError::Install(format!(
                "OFFLINE_IAM={other:?}: expected \"enforce\" (the default) or \"off\""
            ))),
        }
    }

    /// The value of `OFFLINE_IAM` that selects this mode.
    pub fn name(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Off => "off",
        }
    }
}

/// How long a fresh emulator may take to answer (the first start imports ~90 service modules).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Why the emulator could not be installed, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// A file in the state directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Creating the virtualenv or installing the pinned packages failed.
    #[error("installing the local AWS failed: {0}")]
    Install(String),
    /// The emulator process exited or never answered.
    #[error("the local AWS did not start: {reason}; last log lines ({log}):\n{tail}")]
    Start {
        /// What went wrong.
        reason: String,
        /// The log file.
        log: PathBuf,
        /// Its last lines.
        tail: String,
    },
    /// No emulator is recorded in the state directory.
    #[error("no local AWS is running for {0} (start one with `offline emulator start`)")]
    NotRunning(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EmulatorError + '_ {
    move |source| EmulatorError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A running emulator, as recorded in `<state>/emulator.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Running {
    /// Process id (also its process group: stopping it stops its Lambda workers).
    pub pid: u32,
    /// Loopback port.
    pub port: u16,
    /// MD5 of the launcher files and pins it runs; a different CLI build restarts it.
    #[serde(default)]
    pub launcher: String,
}

impl Running {
    /// The endpoint URL (`AWS_ENDPOINT_URL`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The emulator recorded in `state_dir`, if any.
    pub fn read(state_dir: &Path) -> Result<Self, EmulatorError> {
        let path = state_dir.join("emulator.json");
        let text =
            fs::read_to_string(&path).map_err(|_| EmulatorError::NotRunning(state_dir.into()))?;
        serde_json::from_str(&text).map_err(|_| EmulatorError::NotRunning(state_dir.into()))
    }

    /// Shell lines that point the SDK, the AWS CLI and our binaries at this emulator.
    pub fn exports(&self) -> String {
        format!(
            "export AWS_ENDPOINT_URL={}\nexport AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_REGION={}\nexport AWS_DEFAULT_REGION={}\n",
            self.endpoint(),
            crate::sdk::HOST_ACCOUNT,
            ROOT_SECRET,
            crate::sdk::DEFAULT_REGION,
            crate::sdk::DEFAULT_REGION
        )
    }

    async fn healthy(&self) -> bool {
        process_alive(self.pid)
            && Admin::new(&self.endpoint())
                .get::<serde_json::Value>("/_offline/health")
                .await
                .is_ok()
    }
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.split_whitespace().nth(2) == Some("Z"))
            .unwrap_or(false)
}

/// The Python interpreter that creates the virtualenv: `OFFLINE_PYTHON`, else `python3`.
fn base_python() -> String {
    std::env::var("OFFLINE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Install the pinned local AWS into the virtualenv `venv` unless the same pins are already
/// installed; returns the virtualenv's Python.
pub fn ensure_installed(venv: &Path) -> Result<PathBuf, EmulatorError> {
    let python = venv.join("bin/python");
    let stamp = venv.join(".requirements");
    if python.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(REQUIREMENTS) {
        return Ok(python);
    }
    let parent = venv.parent().unwrap_or(venv);
    fs::create_dir_all(parent).map_err(io(parent))?;
    eprintln!(
        "offline: installing the local AWS (pinned ministack) into {}",
        venv.display()
    );
    if !python.exists() {
        run_install(Command::new(base_python()).args(["-m", "venv"]).arg(venv))?;
    }
    let requirements = venv.join("requirements.txt");
    fs::write(&requirements, REQUIREMENTS).map_err(io(&requirements))?;
    run_install(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "-r",
            ])
            .arg(&requirements),
    )?;
    fs::write(&stamp, REQUIREMENTS).map_err(io(&stamp))?;
    Ok(python)
}

fn run_install(command: &mut Command) -> Result<(), EmulatorError> {
    let shown = format!("{command:?}");
    let status = command
        .stdout(Stdio::null())
        .status()
        .map_err(|e| EmulatorError::Install(format!("{shown}: {e}")))?;
    if !status.success() {
        return Err(EmulatorError::Install(format!(
            "{shown} exited with {status}"
        )));
    }
    Ok(())
}

fn free_port() -> Result<u16, EmulatorError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|source| EmulatorError::Io {
            path: "127.0.0.1:0".into(),
            source,
        })?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| EmulatorError::Io {
            path: "127.0.0.1:0".into(),
            source,
        })
}

fn log_tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Start the local AWS for `state_dir` (on `port`, or a free one) with the virtualenv `venv`, or
/// return the healthy one already running there.
pub async fn start(
    state_dir: &Path,
    venv: &Path,
    port: Option<u16>,
) -> Result<Running, EmulatorError> {
    fs::create_dir_all(state_dir).map_err(io(state_dir))?;
    let lock_path = state_dir.join("emulator.lock");
    let lock = fs::File::create(&lock_path).map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    if let Ok(running) = Running::read(state_dir) {
        if running.launcher == launcher_digest() && running.healthy().await {
            return Ok(running);
        }
        if process_alive(running.pid) {
            stop_pid(running.pid);
        }
    }
    let iam = IamMode::from_env()?;
    if iam == IamMode::Off {
        eprintln!(
            "offline: WARNING: IAM is NOT enforced (OFFLINE_IAM=off): every request is allowed, so \
             nothing this local AWS runs proves a permission. Unset OFFLINE_IAM to enforce it."
        );
    }
    let python = ensure_installed(venv)?;
    let launcher_dir = state_dir.join("emulator");
    fs::create_dir_all(&launcher_dir).map_err(io(&launcher_dir))?;
    for (name, text) in LAUNCHER_FILES {
        let path = launcher_dir.join(name);
        fs::write(&path, text).map_err(io(&path))?;
    }
    // The emulator's scratch space: ministack unpacks every deployed function's code there (about
    // 1 GB of debug binaries per deployment) and never removes it. No emulator of this state
    // directory runs now (the lock is held, any old one was stopped), so what is there is stale.
    let tmp = state_dir.join("tmp");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let port = match port {
        Some(p) => p,
        None => free_port()?,
    };
    let log_path = state_dir.join("emulator.log");
    let log = fs::File::create(&log_path).map_err(io(&log_path))?;
    let log_err = log.try_clone().map_err(io(&log_path))?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let child = {
        use std::os::unix::process::CommandExt;
        Command::new(&python)
            .arg(launcher_dir.join("launcher.py"))
            .env("GATEWAY_PORT", port.to_string())
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("MINISTACK_REGION", crate::sdk::DEFAULT_REGION)
            .env("IOT_MTLS_ENABLED", "0")
            .env("SFTP_ENABLED", "0")
            .env("S3_PERSIST", "0")
            .env("TMPDIR", &tmp)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env(
                "AUTH",
                if iam == IamMode::Enforce {
                    "true"
                } else {
                    "false"
                },
            )
            .env(
                "LOG_LEVEL",
                std::env::var("OFFLINE_LOG_LEVEL").unwrap_or_else(|_| "WARNING".into()),
            )
            .env_remove("AWS_ACCESS_KEY_ID")
            // Every account's root credentials offline: its 12-digit id as the key, this secret
            // (what `exports` and the SDK configurations sign with; verified under AUTH=true).
            .env("AWS_SECRET_ACCESS_KEY", ROOT_SECRET)
            .env_remove("AWS_SESSION_TOKEN")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .process_group(0)
            .spawn()
            .map_err(|e| EmulatorError::Start {
                reason: format!("cannot run {}: {e}", python.display()),
                log: log_path.clone(),
                tail: String::new(),
            })?
    };
    let running = Running {
        pid: child.id(),
        port,
        launcher: launcher_digest(),
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if running.healthy().await {
            break;
        }
        if !process_alive(running.pid) || Instant::now() > deadline {
            let reason = if process_alive(running.pid) {
                stop_pid(running.pid);
                format!("no answer on {endpoint} within {START_TIMEOUT:?}")
            } else {
                "the process exited".to_string()
            };
            return Err(EmulatorError::Start {
                reason,
                tail: log_tail(&log_path),
                log: log_path,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let record = state_dir.join("emulator.json");
    let mut file = fs::File::create(&record).map_err(io(&record))?;
    file.write_all(
        serde_json::to_string(&running)
            .unwrap_or_default()
            .as_bytes(),
    )
    .map_err(io(&record))?;
    Ok(running)
}

fn stop_pid(pid: u32) {
    let group = format!("-{pid}");
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    if process_alive(pid) {
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    }
}

/// Stop the emulator recorded in `state_dir` and its Lambda workers.
pub fn stop(state_dir: &Path) -> Result<Running, EmulatorError> {
    let running = Running::read(state_dir)?;
    stop_pid(running.pid);
    let _ = fs::remove_file(state_dir.join("emulator.json"));
    // The functions' unpacked code (see `start`).
    let _ = fs::remove_dir_all(state_dir.join("tmp"));
    Ok(running)
}

//! The local AWS: AWS one command away, and what no emulator does. It knows none of our tools'
//! domains (no dependency on `s3insights`, `historical` or their AWS crates): what a caller's domain
//! decides (which inventory configurations a run owns, which parameters its templates take offline)
//! is a parameter the caller gives.
//!
//! - [`emulator`]: install (pinned, project-local virtualenv), start and stop the local AWS — ministack
//!   with our documented patches (`crates/local-aws/emulator/`); [`admin`]: its own routes.
//! - [`template`] and [`package`]: what `sam build && sam package` do, for the same `template.yaml`:
//!   build the Lambda binaries, zip each as `bootstrap`, upload them and the state machine definitions.
//! - [`deploy`]: create or update the CloudFormation stack (the SAM transform runs in the local AWS).
//! - [`execution`]: run a definition or a deployed state machine to the end, counting state transitions.
//! - [`inventory`]: deliver S3 Inventory reports exactly as S3 documents them.
//! - [`pump`], [`faults`]: wait until queues and streams are drained; break chosen invocations.
//! - [`sdk`], [`paths`]: SDK clients acting as one account of the local AWS; where the workspace and
//!   the state directory are.
//!
//! Never linked into a Lambda binary.

#![deny(missing_docs)]

pub mod access;
pub mod admin;
pub mod deploy;
pub mod emulator;
pub mod execution;
pub mod faults;
pub mod inventory;
pub mod package;
pub mod paths;
pub mod pump;
pub mod sdk;
pub mod template;

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The workspace crates the local AWS may depend on, directly or through one another: the
    /// shared platform and S3 Inventory as AWS documents it. Our tools' crates (`s3insights`,
    /// `s3insights-aws`, `historical`, `historical-aws`) and everything built on them are not.
    const ALLOWED: [&str; 2] = ["platform", "inventory-format"];

    /// Every workspace crate `package` depends on (normal and build dependencies, transitively
    /// through the workspace), from `cargo metadata --no-deps` (the manifests only: no network, no
    /// resolution).
    fn workspace_dependencies(metadata: &serde_json::Value, package: &str) -> BTreeSet<String> {
        let packages = metadata["packages"].as_array().expect("packages");
        let members: BTreeMap<&str, Vec<&str>> = packages
            .iter()
            .map(|p| {
                let deps = p["dependencies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|d| d["kind"].as_str() != Some("dev"))
                    .filter_map(|d| d["name"].as_str())
                    .collect();
                (p["name"].as_str().expect("name"), deps)
            })
            .collect();
        let mut found = BTreeSet::new();
        let mut todo = vec![package];
        while let Some(next) = todo.pop() {
            for dep in members.get(next).into_iter().flatten() {
                if members.contains_key(dep) && found.insert(dep.to_string()) {
                    todo.push(dep);
                }
            }
        }
        found
    }

    #[test]
    fn depends_on_no_domain_crate() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--offline",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo metadata");
        assert!(
            out.status.success(),
            "cargo metadata: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let deps = workspace_dependencies(&metadata, "local-aws");
        let forbidden: Vec<&String> = deps
            .iter()
            .filter(|d| !ALLOWED.contains(&d.as_str()))
            .collect();
        assert!(
            forbidden.is_empty(),
            "local-aws depends on workspace crate(s) {forbidden:?}: the local AWS knows no domain; \
             only {ALLOWED:?} are allowed (make the domain rule a parameter its caller gives)"
        );
        // The check sees the dependencies it must: the allowed ones are found.
        assert!(deps.contains("platform"), "{deps:?}");
    }
}

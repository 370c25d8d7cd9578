//! What `sam build && sam package` do for our template: build each Lambda binary with cargo, zip it
//! as the `bootstrap` of a `provided.al2023` function, upload it and every state machine definition,
//! and point `CodeUri` / `DefinitionUri` at the uploaded objects.
//!
//! Functions are declared as `cargo lambda` expects under SAM (`Metadata.BuildMethod:
//! rust-cargolambda`, `Metadata.BuildProperties.Binary: <bin>`), so the same template builds with
//! `sam build` in AWS. Offline the binary is built for the host (x86_64 here) although the template
//! says `arm64`: the local AWS runs the bootstrap natively and does not look at the architecture.
//! Artefact keys carry the content's MD5, so an unchanged function is not updated by a redeploy.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::paths::Workspace;
use crate::sdk::Target;
use crate::template::resources_of;

/// Packaging failed.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A function is not declared the way `sam build` with cargo-lambda needs.
    #[error("function {logical_id}: {message}")]
    Declaration {
        /// The function's logical id.
        logical_id: String,
        /// What is missing.
        message: String,
    },
    /// `cargo build` failed.
    #[error("cargo build failed ({0}); see its output above")]
    Build(String),
    /// A file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An upload to the artefact bucket failed.
    #[error("cannot upload {key} to {bucket}: {message}")]
    Upload {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// What S3 answered.
        message: String,
    },
}

/// How to build.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// `cargo build --release` rather than the debug profile.
    pub release: bool,
}

/// The binary each function's `bootstrap` is built from, by logical id.
pub fn function_binaries(template: &Value) -> Result<BTreeMap<String, String>, PackageError> {
    let mut out = BTreeMap::new();
    for (id, resource) in resources_of(template, "AWS::Serverless::Function") {
        let declaration = |message: &str| PackageError::Declaration {
            logical_id: id.clone(),
            message: message.to_string(),
        };
        let metadata = &resource["Metadata"];
        if metadata["BuildMethod"] != "rust-cargolambda" {
            return Err(declaration("Metadata.BuildMethod must be rust-cargolambda"));
        }
        let binary = metadata["BuildProperties"]["Binary"]
            .as_str()
            .ok_or_else(|| declaration("Metadata.BuildProperties.Binary names no binary"))?;
        out.insert(id.clone(), binary.to_string());
    }
    Ok(out)
}

/// Build `binaries` with cargo in the workspace; returns the directory holding them.
pub fn build(
    workspace: &Workspace,
    binaries: &BTreeSet<String>,
    options: BuildOptions,
) -> Result<PathBuf, PackageError> {
    let profile = if options.release { "release" } else { "debug" };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.root.join("target"));
    if binaries.is_empty() {
        return Ok(target_dir.join(profile));
    }
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(&workspace.root)
        .arg("build")
        .arg("--quiet");
    // Run from a test, we inherit the variables cargo sets for the crate under test; build scripts
    // that watch them (aws-lc-sys watches CARGO_MANIFEST_DIR, CARGO_PKG_NAME, ...) would rerun and
    // rebuild the whole TLS stack. Build as if from a shell.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if is_crate_variable(&name) {
            cargo.env_remove(name.as_ref());
        }
    }
    if options.release {
        cargo.arg("--release");
    }
    for binary in binaries {
        cargo.args(["--bin", binary]);
    }
    let status = cargo
        .status()
        .map_err(|e| PackageError::Build(e.to_string()))?;
    if !status.success() {
        return Err(PackageError::Build(status.to_string()));
    }
    Ok(target_dir.join(profile))
}

/// Variables cargo sets for one crate's build scripts, tests and binaries (not the user's settings).
fn is_crate_variable(name: &str) -> bool {
    const PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_", "NEXTEST"];
    const NAMES: &[&str] = &[
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "LD_LIBRARY_PATH",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || NAMES.contains(&name)
}

/// A zip holding `binary` as an executable `bootstrap`, as Lambda's custom runtimes expect.
pub fn zip_bootstrap(binary: &Path) -> Result<Vec<u8>, PackageError> {
    let read_error = |message: String| PackageError::Read {
        path: binary.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(binary).map_err(|e| read_error(e.to_string()))?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options)
        .map_err(|e| read_error(e.to_string()))?;
    zip.write_all(&bytes)
        .map_err(|e| read_error(e.to_string()))?;
    let cursor = zip.finish().map_err(|e| read_error(e.to_string()))?;
    Ok(cursor.into_inner())
}

/// Upload `body` under a content-addressed key unless it is already there; returns the key.
async fn upload(
    target: &Target,
    bucket: &str,
    prefix: &str,
    name: &str,
    extension: &str,
    body: Vec<u8>,
) -> Result<String, PackageError> {
    let key = format!(
        "{prefix}/{name}-{}.{extension}",
        inventory_format::manifest::md5_hex(&body)
    );
    let s3 = target.s3();
    if s3
        .head_object()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .is_ok()
    {
        return Ok(key);
    }
    s3.put_object()
        .bucket(bucket)
        .key(&key)
        .body(body.into())
        .send()
        .await
        .map_err(|e| PackageError::Upload {
            bucket: bucket.into(),
            key: key.clone(),
            message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
        })?;
    Ok(key)
}

/// Build, zip and upload every function and state machine definition of `template` into `bucket`,
/// and return the template pointing at them.
pub async fn package(
    workspace: &Workspace,
    template: &Value,
    target: &Target,
    bucket: &str,
    options: BuildOptions,
) -> Result<Value, PackageError> {
    let mut packaged = template.clone();
    let functions = function_binaries(template)?;
    let binaries: BTreeSet<String> = functions.values().cloned().collect();
    let dir = build(workspace, &binaries, options)?;
    let mut uploaded = BTreeMap::new();
    for binary in &binaries {
        let zip = zip_bootstrap(&dir.join(binary))?;
        let key = upload(target, bucket, "lambdas", binary, "zip", zip).await?;
        uploaded.insert(binary.clone(), key);
    }
    for (id, binary) in &functions {
        packaged["Resources"][id]["Properties"]["CodeUri"] =
            Value::String(format!("s3://{bucket}/{}", uploaded[binary]));
    }
    let machines: Vec<(String, String)> = resources_of(template, "AWS::Serverless::StateMachine")
        .filter_map(|(id, r)| {
            r["Properties"]["DefinitionUri"]
                .as_str()
                .filter(|uri| !uri.starts_with("s3://"))
                .map(|uri| (id.clone(), uri.to_string()))
        })
        .collect();
    for (id, uri) in machines {
        let path = workspace.resolve(&uri);
        let text = std::fs::read(&path).map_err(|e| PackageError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        check_definition(&text).map_err(|message| PackageError::Read {
            path: path.clone(),
            message,
        })?;
        let key = upload(target, bucket, "statemachines", &id, "json", text).await?;
        packaged["Resources"][&id]["Properties"]["DefinitionUri"] =
            Value::String(format!("s3://{bucket}/{key}"));
    }
    Ok(packaged)
}

/// A definition is JSON once its `${...}` DefinitionSubstitutions are filled in (they may stand for
/// numbers, unquoted); check that, with every placeholder taken as `0`.
fn check_definition(text: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(text);
    let mut filled = String::with_capacity(text.len());
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("${") {
        filled.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                filled.push('0');
                rest = &rest[start + end + 1..];
            }
            None => return Err("unterminated ${ placeholder".into()),
        }
    }
    filled.push_str(rest);
    serde_json::from_str::<Value>(&filled)
        .map(|_| ())
        .map_err(|e| format!("not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn functions_name_their_binary() {
        let t = json!({"Resources": {
            "A": {"Type": "AWS::Serverless::Function", "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "a-bin"}}},
            "Q": {"Type": "AWS::SQS::Queue"}
        }});
        assert_eq!(
            function_binaries(&t).unwrap(),
            BTreeMap::from([("A".to_string(), "a-bin".to_string())])
        );
        let bad = json!({"Resources": {"B": {"Type": "AWS::Serverless::Function", "Metadata": {"BuildMethod": "go1.x"}}}});
        let err = function_binaries(&bad).unwrap_err().to_string();
        assert!(
            err.contains("function B") && err.contains("rust-cargolambda"),
            "{err}"
        );
    }

    #[test]
    fn definitions_may_hold_unquoted_placeholders() {
        assert!(check_definition(br#"{"a": ${N}, "b": "${Arn}"}"#).is_ok());
        assert!(check_definition(br#"{"a": ${N}"#)
            .unwrap_err()
            .contains("not JSON"));
        assert!(check_definition(br#"{"a": ${N"#)
            .unwrap_err()
            .contains("unterminated"));
    }

    #[test]
    fn bootstrap_zip_is_executable() {
        let dir = std::env::temp_dir().join(format!("offline-zip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("b");
        std::fs::write(&bin, b"#!/bin/sh\n").unwrap();
        let bytes = zip_bootstrap(&bin).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let file = archive.by_name("bootstrap").unwrap();
        assert_eq!(file.unix_mode().unwrap() & 0o777, 0o755);
        std::fs::remove_dir_all(dir).unwrap();
    }
}

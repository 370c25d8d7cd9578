//! What `sam build && sam package` do for our template: build each Lambda binary with cargo, zip it
//! as the `bootstrap` of a `provided.al2023` function, upload it and every state machine definition,
//! and point `CodeUri` / `DefinitionUri` at the uploaded objects.
//!
//! Functions are declared as `cargo lambda` expects under SAM (`Metadata.BuildMethod:
//! rust-cargolambda`, `Metadata.BuildProperties.Binary: <bin>`), so the same template builds with
//! `sam build` in AWS. Offline the binary is built for the host (x86_64 here) although the template
//! says `arm64`: the local AWS runs the bootstrap natively and does not look at the architecture.
//! Artefact keys carry the content's MD5, so an unchanged function is not updated by a redeploy.
//!
//! Relative paths in a template are resolved as SAM resolves them: relative to the template file's
//! directory. A function's `CodeUri` (or `Globals.Function.CodeUri`) is the cargo project cargo-lambda
//! builds in, so it must hold a `Cargo.toml`; cargo runs there, as `cargo lambda build --bin <bin>`
//! does under `sam build`. A state machine's `DefinitionUri` is the definition file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

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

/// `path` from a template in `base_dir`, as SAM resolves it: relative to the template's directory,
/// unless absolute.
pub fn resolve_in(base_dir: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.into()
    } else {
        base_dir.join(path)
    }
}

/// The cargo project each function is built in, by logical id: its `CodeUri` (else
/// `Globals.Function.CodeUri`) resolved against `base_dir`, the template's directory, as `sam build`
/// does. The directory must hold the `Cargo.toml` cargo-lambda builds from.
pub fn function_projects(
    template: &Value,
    base_dir: &Path,
) -> Result<BTreeMap<String, PathBuf>, PackageError> {
    let mut out = BTreeMap::new();
    for (id, resource) in resources_of(template, "AWS::Serverless::Function") {
        let declaration = |message: String| PackageError::Declaration {
            logical_id: id.clone(),
            message,
        };
        let code_uri = resource["Properties"]
            .get("CodeUri")
            .or_else(|| template["Globals"]["Function"].get("CodeUri"))
            .ok_or_else(|| declaration("no CodeUri (nor Globals.Function.CodeUri)".into()))?;
        let code_uri = code_uri
            .as_str()
            .filter(|uri| !uri.starts_with("s3://"))
            .ok_or_else(|| {
                declaration(format!(
                    "CodeUri {code_uri} is not a local directory; rust-cargolambda builds from one"
                ))
            })?;
        let dir = resolve_in(base_dir, code_uri);
        if !dir.join("Cargo.toml").is_file() {
            return Err(declaration(format!(
                "CodeUri {code_uri} is {}, relative to the template's directory, and holds no \
                 Cargo.toml for cargo-lambda to build from",
                dir.display()
            )));
        }
        let dir = dir.canonicalize().map_err(|e| PackageError::Read {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        out.insert(id.clone(), dir);
    }
    Ok(out)
}

/// Every state machine definition the template names by a local `DefinitionUri`, by logical id,
/// resolved against `base_dir`, the template's directory, as `sam package` does.
pub fn definition_files(template: &Value, base_dir: &Path) -> BTreeMap<String, PathBuf> {
    resources_of(template, "AWS::Serverless::StateMachine")
        .filter_map(|(id, r)| {
            r["Properties"]["DefinitionUri"]
                .as_str()
                .filter(|uri| !uri.starts_with("s3://"))
                .map(|uri| (id.clone(), resolve_in(base_dir, uri)))
        })
        .collect()
}

/// Cargo, run in `dir` as if from a shell.
fn cargo_in(dir: &Path) -> Command {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(dir);
    // Run from a test, we inherit the variables cargo sets for the crate under test; build scripts
    // that watch them (aws-lc-sys watches CARGO_MANIFEST_DIR, CARGO_PKG_NAME, ...) would rerun and
    // rebuild the whole TLS stack. Build as if from a shell.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if is_crate_variable(&name) {
            cargo.env_remove(name.as_ref());
        }
    }
    cargo
}

/// The target directory cargo builds into for the project in `dir` (its workspace's `target`, or
/// wherever `CARGO_TARGET_DIR` or the cargo configuration puts it).
fn target_directory(dir: &Path) -> Result<PathBuf, PackageError> {
    let out = cargo_in(dir)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| PackageError::Build(format!("cargo metadata: {e}")))?;
    if !out.status.success() {
        return Err(PackageError::Build(format!(
            "cargo metadata in {}: {}",
            dir.display(),
            out.status
        )));
    }
    serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|m| m["target_directory"].as_str().map(PathBuf::from))
        .ok_or_else(|| PackageError::Build("cargo metadata named no target_directory".into()))
}

/// Build `binaries` with cargo in the cargo project `dir` (what `cargo lambda build --bin` does in a
/// function's `CodeUri`); returns the directory holding them.
pub fn build(
    dir: &Path,
    binaries: &BTreeSet<String>,
    options: BuildOptions,
) -> Result<PathBuf, PackageError> {
    let profile = if options.release { "release" } else { "debug" };
    let target_dir = target_directory(dir)?;
    if binaries.is_empty() {
        return Ok(target_dir.join(profile));
    }
    let mut cargo = cargo_in(dir);
    cargo.arg("build").arg("--quiet");
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
pub(crate) async fn upload(
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
/// and return the template pointing at them. `base_dir` is the template's directory: relative
/// `CodeUri` and `DefinitionUri` paths are resolved against it, as SAM does.
pub async fn package(
    template: &Value,
    base_dir: &Path,
    target: &Target,
    bucket: &str,
    options: BuildOptions,
) -> Result<Value, PackageError> {
    let mut packaged = template.clone();
    let functions = function_binaries(template)?;
    let projects = function_projects(template, base_dir)?;
    // One cargo build per project, with every binary it holds.
    let mut by_project: BTreeMap<&PathBuf, BTreeSet<String>> = BTreeMap::new();
    for (id, binary) in &functions {
        by_project
            .entry(&projects[id])
            .or_default()
            .insert(binary.clone());
    }
    let mut uploaded = BTreeMap::new();
    for (project, binaries) in by_project {
        let dir = build(project, &binaries, options)?;
        for binary in binaries {
            let zip = zip_bootstrap(&dir.join(&binary))?;
            let key = upload(target, bucket, "lambdas", &binary, "zip", zip).await?;
            uploaded.insert((project, binary), key);
        }
    }
    for (id, binary) in &functions {
        let key = &uploaded[&(&projects[id], binary.clone())];
        packaged["Resources"][id]["Properties"]["CodeUri"] =
            Value::String(format!("s3://{bucket}/{key}"));
    }
    for (id, path) in definition_files(template, base_dir) {
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
    fn paths_are_relative_to_the_template_directory_as_in_sam() {
        let root = std::env::temp_dir().join(format!("offline-paths-{}", std::process::id()));
        let templates = root.join("tests/templates");
        std::fs::create_dir_all(&templates).unwrap();
        std::fs::write(root.join("Cargo.toml"), "[workspace]\n").unwrap();
        let function = |code_uri: Value| json!({"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": code_uri}});
        let t = json!({
            "Globals": {"Function": {"CodeUri": "../.."}},
            "Resources": {
                "Up": function(json!("../..")),
                "Absolute": function(json!(root.to_str().unwrap())),
                "FromGlobals": {"Type": "AWS::Serverless::Function", "Properties": {}},
                "M": {"Type": "AWS::Serverless::StateMachine", "Properties": {"DefinitionUri": "m.asl.json"}},
                "Up2": {"Type": "AWS::Serverless::StateMachine", "Properties": {"DefinitionUri": "../x.json"}},
                "Packaged": {"Type": "AWS::Serverless::StateMachine", "Properties": {"DefinitionUri": "s3://b/k"}}
            }
        });
        let canonical = root.canonicalize().unwrap();
        let projects = function_projects(&t, &templates).unwrap();
        assert_eq!(projects.len(), 3);
        assert!(projects.values().all(|p| p == &canonical), "{projects:?}");
        assert_eq!(
            definition_files(&t, &templates),
            BTreeMap::from([
                ("M".to_string(), templates.join("m.asl.json")),
                ("Up2".to_string(), templates.join("../x.json")),
            ])
        );

        // `.` beside a template outside the cargo project is not a project: SAM would fail too.
        let here = json!({"Resources": {"F": function(json!("."))}});
        let err = function_projects(&here, &templates)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("function F") && err.contains("Cargo.toml"),
            "{err}"
        );
        assert_eq!(function_projects(&here, &root).unwrap()["F"], canonical);
        let remote = json!({"Resources": {"F": function(json!("s3://b/k.zip"))}});
        assert!(function_projects(&remote, &root).is_err());
        let none =
            json!({"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {}}}});
        assert!(function_projects(&none, &root)
            .unwrap_err()
            .to_string()
            .contains("no CodeUri"));
        std::fs::remove_dir_all(root).unwrap();
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

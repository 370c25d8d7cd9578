//! Where things are: the workspace (templates, state machines, cargo) and the offline state directory.

use std::path::{Path, PathBuf};

/// The workspace checkout the CLI works on.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory holding the workspace `Cargo.toml` and `template.yaml`.
    pub root: PathBuf,
}

impl Workspace {
    /// `OFFLINE_ROOT` if set, else the nearest ancestor of the current directory whose `Cargo.toml`
    /// declares a `[workspace]`, else the checkout this binary was built from.
    pub fn locate() -> Self {
        if let Some(root) = std::env::var_os("OFFLINE_ROOT") {
            return Self { root: root.into() };
        }
        if let Ok(cwd) = std::env::current_dir() {
            for dir in cwd.ancestors() {
                if is_workspace_root(dir) {
                    return Self { root: dir.into() };
                }
            }
        }
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        Self {
            root: built_from.canonicalize().unwrap_or(built_from),
        }
    }

    /// The offline state directory: the virtualenv, the emulator's log and pid, build artefacts.
    /// `OFFLINE_STATE_DIR` overrides `<root>/.offline`.
    pub fn state_dir(&self) -> PathBuf {
        std::env::var_os("OFFLINE_STATE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join(".offline"))
    }

    /// The virtualenv of the local AWS, shared by every state directory: `OFFLINE_VENV` overrides
    /// `<root>/.offline/venv`.
    pub fn venv_dir(&self) -> PathBuf {
        std::env::var_os("OFFLINE_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join(".offline/venv"))
    }

    /// A path relative to the workspace root, unless already absolute.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        if path.is_absolute() {
            path.into()
        } else {
            self.root.join(path)
        }
    }
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .map(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        .unwrap_or(false)
}

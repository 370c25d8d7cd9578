# Shared by scripts/demo and scripts/test: check the machine, install what is missing, fail fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Pinned so CI is reproducible.
NEXTEST_VERSION=0.9.143

fail() { echo "$(basename "$0"): $*" >&2; exit 1; }

command -v cargo >/dev/null || fail "cargo is required: install Rust with rustup (https://rustup.rs)"
command -v python3 >/dev/null || fail "python3 (3.10 or newer) is required: the local AWS (ministack) runs on it"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || fail "python3 is $(python3 -V 2>&1); the local AWS needs 3.10 or newer"
python3 -c 'import venv, ensurepip' 2>/dev/null \
  || fail "python3 cannot create virtualenvs: install the venv module (Debian: apt-get install python3-venv)"

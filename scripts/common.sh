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

# Headless Chromium lays out report.html: the report layout test measures it, the demo takes its
# picture (report.png). Debian's package, installed when missing ($CHROMIUM names another browser).
# Not pinned to one build: Debian's security archive keeps only its newest build, so a pinned one
# would stop installing at the next update; the layout test prints the version it ran with. Installed
# with its recommended fonts: the layout depends on them.
ensure_chromium() {
  [ -n "${CHROMIUM:-}" ] && return 0
  command -v chromium >/dev/null && return 0
  command -v apt-get >/dev/null \
    || fail "Chromium is required (the report layout test, the demo's report.png): install it, or name its binary in CHROMIUM"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "$(basename "$0"): installing Debian's chromium" >&2
  { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; } \
    || fail "could not install Debian's chromium with apt-get (above)"
  command -v chromium >/dev/null || fail "apt-get installed chromium, but no chromium is on PATH"
}

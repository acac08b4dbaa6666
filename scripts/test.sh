#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine with the Rust toolchain:
# installs what the tests need (bubblewrap, git, Python test packages), checks formatting and
# lints, runs the Rust tests (unit, store conformance, integration against the real server with
# the Rust AWS SDK) and the Python tests (boto3 over JSON 1.1 and CBOR, the aws cli), and runs
# the benchmark in quick mode so it cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v git >/dev/null || missing+=(git)
command -v python3 >/dev/null || missing+=(python3 python3-pip python3-venv)
command -v pgrep >/dev/null || missing+=(procps)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== model is generated from the vendored botocore model"
python3 crates/model/codegen/generate.py --check

if ! command -v moto_server >/dev/null; then
  # The benchmark's baseline column; without it the column says n/a.
  echo "== installing moto's server (the benchmark's baseline)"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6' \
    || echo "could not install moto: the benchmark's moto column will say n/a"
fi

echo "== benchmark (quick mode, debug build: it checks the harness, not the figures)"
cargo build --quiet -p kiln -p kiln-bench
target/debug/kiln-bench --quick

echo "== python tests"
bash tests/python/run.sh

echo "== browser tests (web console in headless Chromium; skip only with KILN_SKIP_BROWSER_TESTS=1)"
if [ "${KILN_SKIP_BROWSER_TESTS:-0}" = 1 ]; then
  echo "skipped: KILN_SKIP_BROWSER_TESTS=1"
else
  browser_missing=()
  [ -x /usr/bin/chromium ] || browser_missing+=(chromium)
  command -v npm >/dev/null || browser_missing+=(nodejs npm)
  if [ ${#browser_missing[@]} -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${browser_missing[@]}" >/dev/null
  fi
  (cd tests/browser && npm ci --no-audit --no-fund --silent && npm test)
  echo "screenshots: tests/browser/screenshots/"
fi

echo "== rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

echo "== fuzz (each target 10 s over its committed corpus; skip only with KILN_SKIP_FUZZ=1)"
if [ "${KILN_SKIP_FUZZ:-0}" = 1 ]; then
  echo "skipped: KILN_SKIP_FUZZ=1"
else
  fuzz/run.sh 10
fi

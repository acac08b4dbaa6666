#!/usr/bin/env bash
# Runs every fuzz target for a bounded time over its committed corpus (fuzz/corpus/<target>/).
# New inputs go to a scratch directory, so a run leaves the corpus as committed; a crash is
# saved under fuzz/artifacts/<target>/ and fails the run. Installs nightly and cargo-fuzz
# when missing. Usage: fuzz/run.sh [seconds per target, default 10] [target...]
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode_json decode_cbor sigv4 buildspec webhook pattern)

# libfuzzer-sys compiles libFuzzer, which is C++.
if ! command -v c++ >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cargo +nightly fuzz build -O
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s"
  mkdir -p "$scratch/$target"
  # -rss_limit_mb and -malloc_limit_mb make unbounded allocation a failure, not just slowness.
  rc=0
  cargo +nightly fuzz run -O "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=65536 \
    >"$scratch/$target.log" 2>&1 || rc=$?
  grep -E '^Done|ERROR|panicked|SUMMARY|Test unit written' "$scratch/$target.log" || true
  if [ "$rc" != 0 ]; then
    tail -40 "$scratch/$target.log"
    echo "fuzz: $target failed (exit $rc); the input is under fuzz/artifacts/$target/"
    exit 1
  fi
done

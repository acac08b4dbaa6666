#!/usr/bin/env bash
# Kiln's black-box Python suite: a real `kiln serve` driven by boto3 (AWS JSON 1.1 and Smithy
# RPC v2 CBOR) and the aws cli. Installs the Python packages it lacks, builds the server
# (unless KILN_BIN names one, or KILN_SKIP_BUILD=1), then runs pytest. Extra arguments go to
# pytest, e.g. `tests/python/run.sh -k docs_story -x`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-python3}"

# botocore >= 1.36 carries the RPC v2 CBOR serializer the CBOR client needs; the machine's
# boto3 1.43 has it, so no separate venv is needed.
if ! "$py" -c 'import pytest, cbor2, requests, boto3; from botocore.serialize import RpcV2CBORSerializer' \
    2>/dev/null || ! command -v aws >/dev/null; then
  echo "run.sh: installing the suite's Python packages" >&2
  "$py" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

# `aws logs tail` exists only in awscli v2: Debian's `awscli` package, which the suite runs from
# /usr/lib/python3/dist-packages (kilntest/cli.py AwsCliV2). This comes after pip: a pip install
# over the python3-* packages apt brings along can fail to uninstall them. When it cannot be
# installed, its test fails and says so (KILN_SKIP_AWSCLI_V2=1 makes it skip instead).
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [[ "${KILN_SKIP_AWSCLI_V2:-0}" != 1 && ! -f /usr/lib/python3/dist-packages/awscli/clidriver.py ]]; then
  echo "run.sh: installing awscli v2 (Debian's awscli package)" >&2
  if ! command -v apt-get >/dev/null \
      || ! { as_root apt-get update -qq \
             && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null; }; then
    echo "run.sh: could not install awscli v2; the aws logs tail test will fail" >&2
  fi
fi

if [[ -z "${KILN_BIN:-}" && "${KILN_SKIP_BUILD:-0}" != 1 ]]; then
  (cd "$root" && cargo build --quiet -p kiln)
fi

cd "$here"
exec "$py" -m pytest -q "$@"

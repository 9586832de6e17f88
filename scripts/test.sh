#!/usr/bin/env bash
# The test suite: sets everything up, then runs pytest (Triton kernels under the interpreter on CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export TRITON_INTERPRET="${TRITON_INTERPRET:-1}"
python -m pytest -q "$@"

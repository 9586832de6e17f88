#!/usr/bin/env bash
# The main job: sets everything up, then compiles the standard library, checks every routine
# against CPython in hard and soft mode, saves the library and writes listings and traces.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
nclib check-stdlib --out out/stdlib-check "$@"

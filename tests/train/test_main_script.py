"""The README's main job, `bash scripts/main.sh`, run as written from the repository root, on the
tiny model: both trainings, the three-model evaluation and the no-call check, each a fresh
process of the `nclib` entry point (MAIN_OUT / MAIN_SET / MAIN_EVAL / MAIN_ZERO_SHOT only make
it small and put its outputs in a temporary folder)."""

from __future__ import annotations

import json

import pytest
from as_user import run_as_user

pytestmark = pytest.mark.slow  # slow: the second lane of scripts/test.sh

TINY = ["model=tiny", "steps=2", "n_train=24", "n_test=8", "batch_size=4", "threads=1", "checkpoint_every=0",
        "lora={r: 4, alpha: 8, dropout: 0.0, target_modules: [q_proj, v_proj], last_layers: 0}"]


def test_main_script_runs_end_to_end_on_the_tiny_model(tmp_path):
    out = tmp_path / "main"
    env = {"MAIN_OUT": str(out), "MAIN_SET": "\n".join(TINY), "MAIN_ZERO_SHOT": "tiny",
           "MAIN_EVAL": "--n 2 --no-call 3 --no-call-reference zero-shot --threads 1"}
    res = run_as_user(["bash", "scripts/main.sh"], timeout=900, extra_env=env)
    assert "main job:" in res.stdout
    for run in ("augmented", "baseline"):
        with open(out / run / "final" / "config.json") as f:
            assert json.load(f)["model_type"] == ("ncllama" if run == "augmented" else "llama")
    table = (out / "eval" / "table.md").read_text()
    assert all(name in table for name in ("augmented", "lora-baseline", "zero-shot"))
    assert (out / "eval" / "nocall.md").is_file() and (out / "eval" / "accuracy_by_size.png").is_file()

"""The README walkthrough "Teach the model your own routine", step by step as written, on the tiny
model: generate the JSONL, train with the walkthrough's config (answers only), evaluate, load the
result with AutoModelForCausalLM and generate -- each step a fresh process started from the
repository root, as a user runs it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from as_user import readme_block, run_as_user

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "train" / "configs" / "smollm2_inversions.yaml"

pytestmark = [pytest.mark.usefixtures("one_thread"), pytest.mark.slow]  # slow: the second lane of scripts/test.sh


def test_walkthrough_on_the_tiny_model(tmp_path):
    """The walkthrough's bash block line by line from the repository root (data, `nclib train` with
    the tiny model's overrides, outputs in tmp_path), then its "Use it" snippet verbatim in a fresh
    interpreter from the root, on the trained model."""
    block = readme_block("bash", "bash scripts/setup.sh && . .venv/bin/activate")
    make_data, train = block.splitlines()[1:3]
    assert make_data == "python examples/inversions/make_data.py --out out/inversions/data.jsonl --n 3000"
    assert train == "nclib train train/configs/smollm2_inversions.yaml"
    cfg = yaml.safe_load(CONFIG.read_text())
    assert cfg["supervision"] == "answers" and cfg["dataset"]["path"] == "out/inversions/data.jsonl"
    assert cfg["output_dir"] == "out/inversions/augmented"

    data = tmp_path / "data.jsonl"
    run_as_user(make_data.replace("out/inversions/data.jsonl", str(data)).replace("3000", "60").split())
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    assert len(rows) == 60 and all(set(r) == {"prompt", "answer", "size"} for r in rows)
    out = tmp_path / "out" / "inversions" / "augmented"
    run_as_user([*train.split(), "--set", "model=tiny", "steps=2", "threads=1", "final_eval_n=4", "checkpoint_every=0",
                 "lora={r: 4, alpha: 8, dropout: 0.0, target_modules: [q_proj, v_proj], last_layers: 0}",
                 f"output_dir={out}", f"dataset={{path: {data}, name: inversions, size_column: size, test_fraction: 0.1}}"],
                timeout=600)
    table = (out / "eval" / "table.md").read_text()
    assert "| inversions | test |" in table
    with open(out / "final" / "config.json") as f:
        config = json.load(f)
    assert [r["name"] for r in config["nc_routines"]] == ["count_inversions"] and config["nc_machine_mode"] == "worlds"

    snippet = readme_block("python", "import nclib")
    assert snippet.count('"out/inversions/augmented/final"') == 2
    res = run_as_user([sys.executable, "-c", snippet.replace("out/inversions/augmented/final", str(out / "final"))])
    assert "custom code" not in res.stderr

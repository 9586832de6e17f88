"""The README walkthrough "Teach the model your own routine", step by step as written, on the tiny
model: generate the JSONL, train with the walkthrough's config (answers only), evaluate, load the
result with AutoModelForCausalLM and generate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

ROOT = Path(__file__).parents[2]
CONFIG = ROOT / "train" / "configs" / "smollm2_inversions.yaml"

pytestmark = pytest.mark.usefixtures("one_thread")


def test_walkthrough_on_the_tiny_model(tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nclib.train.finetune import recipe_main

    readme = (ROOT / "README.md").read_text()
    for line in ("python examples/inversions/make_data.py", "nclib train train/configs/smollm2_inversions.yaml"):
        assert line in readme, f"the README walkthrough no longer says {line!r}"
    monkeypatch.chdir(ROOT)  # the config names the routine's source relative to the repository root
    data = tmp_path / "data.jsonl"
    subprocess.run([sys.executable, "examples/inversions/make_data.py", "--out", str(data), "--n", "60"], check=True)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    assert len(rows) == 60 and all(set(r) == {"prompt", "answer", "size"} for r in rows)
    cfg = yaml.safe_load(CONFIG.read_text())
    assert cfg["supervision"] == "answers" and cfg["dataset"]["path"] == "out/inversions/data.jsonl"
    out = tmp_path / "run"
    recipe_main([str(CONFIG), "--set", "model=tiny", "steps=2", "threads=1", "final_eval_n=4", "checkpoint_every=0",
                 "lora={r: 4, alpha: 8, dropout: 0.0, target_modules: [q_proj, v_proj], last_layers: 0}",
                 f"output_dir={out}", f"dataset={{path: {data}, name: inversions, size_column: size, test_fraction: 0.1}}"])
    table = (out / "eval" / "table.md").read_text()
    assert "| inversions | test |" in table
    model = AutoModelForCausalLM.from_pretrained(out / "final").eval()
    tok = AutoTokenizer.from_pretrained(out / "final")
    assert [r["name"] for r in model.config.nc_routines] == ["count_inversions"]
    assert model.config.nc_machine_mode == "worlds"
    ids = tok("How many inversions does the list 3, 1, 2 have? Answer: ", return_tensors="pt")
    with torch.no_grad():
        gen = model.generate(**ids, max_new_tokens=3, do_sample=False)
    assert gen.shape[1] > ids["input_ids"].shape[1]

"""A library and a tiny model saved before the restructuring (issue 23, commit 929c07b;
tests/fixtures/make_saved_before.py) load with today's code and give the same results: the
library's runs, the model's greedy predictions and logits; the old module names still import."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import torch

import nclib

SAVED = Path(__file__).resolve().parents[1] / "fixtures" / "saved_before_23"
EXPECTED = json.loads((SAVED / "expected.json").read_text())

pytestmark = pytest.mark.usefixtures("one_thread")


def test_library_saved_before_loads_and_runs_the_same():
    lib = nclib.Library.load(SAVED / "library")
    assert sorted(lib.names) == EXPECTED["routines"]
    args = {"add": (17, 25), "fib": (9,), "gcd": (84, 36), "insertion_sort": ([5, 3, 9, 1],)}
    for name, want in EXPECTED["runs"].items():
        assert lib[name](*args[name]) == want, name


def test_model_saved_before_loads_and_predicts_the_same():
    from nclib.model import NCLlamaForCausalLM, load_llama32_tokenizer
    model = NCLlamaForCausalLM.from_pretrained(SAVED / "model").eval()
    tok = load_llama32_tokenizer()
    tok.pad_token = tok.pad_token or tok.eos_token
    enc = tok(EXPECTED["prompts"], return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(input_ids=enc.input_ids, attention_mask=enc.attention_mask).logits.float()
    assert logits.argmax(-1).tolist() == EXPECTED["argmax"]
    assert logits.sum().item() == pytest.approx(EXPECTED["logit_sum"], rel=1e-4)


@pytest.mark.parametrize("old", sorted(nclib.MOVED))
def test_old_module_names_import_the_moved_module(old):
    assert importlib.import_module(old) is importlib.import_module(nclib.MOVED[old])

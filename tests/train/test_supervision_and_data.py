"""The recipe's pieces without a model: what each supervision implies (decided in
nclib.train.supervision), the step sampler's share of each global batch, and the collate function."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from nclib.tasks.task_model import Encoded
from nclib.train.config import SUPERVISION, RecipeConfig
from nclib.train.data import Collate, StepSampler, batch_indices
from nclib.train.supervision import Supervision

TINY = Path(__file__).parents[2] / "train" / "configs" / "tiny_augmented.yaml"


def test_supervision_values_are_the_config_values():
    assert SUPERVISION == ("answers", "labels")
    assert [Supervision(v) for v in SUPERVISION] == [Supervision.ANSWERS, Supervision.LABELS]


def test_each_supervision_decides_its_consequences():
    assert Supervision.ANSWERS.machine_fields(7) == {"nc_machine_mode": "worlds", "nc_worlds_top_k": 7}
    assert Supervision.LABELS.machine_fields(7) == {"nc_machine_mode": "hard"}
    assert not Supervision.ANSWERS.reads_labels and Supervision.LABELS.reads_labels


@pytest.mark.parametrize("variant, supervision, want", [
    ("augmented", "answers", Supervision.ANSWERS), ("augmented", "labels", Supervision.LABELS), ("baseline", "labels", None),
])
def test_the_config_carries_the_call_supervision(variant, supervision, want):
    raw = {**asdict(RecipeConfig.from_yaml(TINY)), "variant": variant, "supervision": supervision}
    cfg = RecipeConfig.from_dict(raw)
    assert cfg.call_supervision is want
    assert asdict(cfg)["supervision"] == supervision and type(asdict(cfg)["supervision"]) is str  # saved as written


@pytest.mark.parametrize("world", [1, 2, 3])
def test_the_ranks_share_each_global_batch(world):
    """Every rank takes every world-th row of the global batch: task rows from batch_indices(seed),
    then passages (indices after the task rows) from batch_indices(seed + 1)."""
    n_rows, n_text, bs, ratio, seed = 10, 7, 6, 1 / 3, 5
    samplers = [StepSampler(n_rows, n_text, bs, ratio, seed, start=2, steps=6, rank=r, world=world) for r in range(world)]
    assert [len(s) for s in samplers] == [4] * world
    for step, shares in zip(range(2, 6), zip(*samplers)):
        rows, text = batch_indices(step, 4, n_rows, seed), batch_indices(step, 2, n_text, seed + 1)
        for rank, share in enumerate(shares):
            assert share == rows[rank::world] + [n_rows + i for i in text[rank::world]]


def test_collate_gives_the_call_of_the_supervision():
    rows = [Encoded([5, 6, 7], [8, 2], "add", [[0], [2]]), Encoded([9], [10, 11], None, [], text=True)]
    config = SimpleNamespace(nc_routines=[{"name": "sort"}, {"name": "add"}], nc_max_args=3, nc_max_list_len=4)
    plain = Collate(0, None)(rows)
    assert set(plain) == {"input_ids", "attention_mask", "labels"}
    assert plain["input_ids"].tolist() == [[5, 6, 7, 8, 2], [9, 10, 11, 0, 0]]
    assert plain["labels"].tolist() == [[-100, -100, -100, 8, 2], [-100, 10, 11, -100, -100]]
    answers = Collate(0, Supervision.ANSWERS, config)(rows)
    assert set(answers["nc_call"]) == {"trigger"} and answers["nc_call"]["trigger"].tolist() == [2, -1]
    labels = Collate(0, Supervision.LABELS, config)(rows)["nc_call"]
    assert labels["routine"].tolist() == [1, -1]
    assert torch.equal(labels["args"][0, :2, :1], torch.tensor([[0], [2]])) and (labels["args"][1] == -1).all()

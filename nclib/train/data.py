"""The training data as the recipe feeds it: every row encoded once before training (a list of
`Encoded`, task rows then prose passages, is the map-style dataset), `StepSampler` choosing the
rows of each step, and `Collate` padding them into the model's batch; a `torch.utils.data.DataLoader`
joins the three.

The batch of a step is a pure function of (seed, step), so a resumed run continues with exactly
the batches of the uninterrupted one: the task rows are consecutive slices of per-epoch
permutations (`batch_indices`), the prose rows (`text_ratio`) likewise with seed + 1, and with
several processes each rank takes every world-th row of the global batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nclib.tasks.task_model import Encoded, collate
from nclib.train.supervision import Supervision

__all__ = ["Collate", "StepSampler", "batch_indices"]


def batch_indices(step: int, batch_size: int, n: int, seed: int) -> list[int]:
    """Rows of global batch `step`: consecutive slices of per-epoch permutations seeded by
    (seed, epoch), so any step's batch is known without replaying the ones before it."""
    out = []
    pos = step * batch_size
    while len(out) < batch_size:
        epoch, offset = divmod(pos, n)
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        perm = torch.randperm(n, generator=g)
        take = min(batch_size - len(out), n - offset)
        out += perm[offset: offset + take].tolist()
        pos += take
    return out


class StepSampler(torch.utils.data.Sampler):
    """Batch sampler over the encoded rows (`n_rows` task rows, then `n_text` passages): for each
    step from `start` to `steps`, this rank's share of the global batch, task rows first."""

    def __init__(self, n_rows: int, n_text: int, batch_size: int, text_ratio: float, seed: int, start: int, steps: int,
                 rank: int = 0, world: int = 1):
        self.n_rows, self.n_text, self.seed = n_rows, n_text, seed
        self.per_text = round(batch_size * text_ratio)  # prose passages per global batch
        self.per_rows = batch_size - self.per_text
        self.start, self.steps, self.rank, self.world = start, steps, rank, world

    def batch(self, step: int) -> list[int]:
        """Indices into the encoded rows of this rank's share of global batch `step`."""
        share = slice(self.rank, None, self.world)
        rows = batch_indices(step, self.per_rows, self.n_rows, self.seed)[share]
        if not self.per_text:
            return rows
        text = batch_indices(step, self.per_text, self.n_text, self.seed + 1)[share]
        return rows + [self.n_rows + i for i in text]

    def __iter__(self):
        for step in range(self.start, self.steps):
            yield self.batch(step)

    def __len__(self) -> int:
        return max(0, self.steps - self.start)


@dataclass
class Collate:
    """Encoded rows -> the model's keyword arguments: right-padded input_ids, attention_mask and
    labels (the answer tokens; every token after the first for a passage), and the call the
    supervision gives (`nc_call`; none for the baseline): answers, only the trigger (the prompt's
    last token; -1 for a passage); labels, also the routine and the arguments' token positions."""

    pad_id: int
    supervision: Supervision | None  # None: the baseline
    config: object = None  # the model's config: with labels, its routines (nc_routines), nc_max_args and nc_max_list_len

    def __call__(self, rows: list[Encoded]) -> dict:
        if self.supervision is Supervision.LABELS:
            config = self.config
            batch = collate(rows, self.pad_id, [r["name"] for r in config.nc_routines], config.nc_max_args,
                            config.nc_max_list_len)
        else:
            batch = collate(rows, self.pad_id)
        if self.supervision is Supervision.ANSWERS:
            batch["nc_call"] = {"trigger": batch["trigger"]}
        batch.pop("prompt_len")
        batch.pop("trigger")
        return batch

"""The tape renderer: a routine's output -> the answer tokens the writer mixes in.

Exact outputs (hard mode, and each world of worlds mode) render to one token sequence each:
the elements' digit (or label) tokens joined by the separator, then the end tokens. Soft outputs
render to a distribution per answer slot (`render_distribution`)."""

from __future__ import annotations

import torch

from ..tokens import NumberVocab


def render_exact(vocab: NumberVocab, spec: dict, values: list, lengths: list, bad: list, K: int):
    """values: per run an int or a list of ints; lengths: per run the list length; bad: per run
    True when the run faulted. -> (tokens [m, K] int64 candidate indices, -1 past the end;
    tape_len [m]; bad [m] bool, also True for an output without a rendering (e.g. no label))."""
    m = len(values)
    tokens = torch.full((m, K), -1, dtype=torch.long)
    tape_len = torch.zeros(m, dtype=torch.long)
    failed = torch.tensor(bad, dtype=torch.bool).clone() if m else torch.zeros(0, dtype=torch.bool)
    for i in range(m):
        if bad[i]:
            continue
        elems = values[i][: lengths[i]] if isinstance(values[i], list) else [values[i]]
        ids = []
        try:
            for k, v in enumerate(elems):
                ids += (vocab.separator_ids if k else []) + vocab.render_value(v, spec["lo"], spec.get("labels"))
        except ValueError:
            failed[i] = True
            continue
        ids = (ids + vocab.end_ids)[:K]
        tokens[i, : len(ids)] = torch.tensor([vocab.candidate_index[t] for t in ids], dtype=torch.long)
        tape_len[i] = len(ids)
    return tokens, tape_len, failed


def render_distribution(vocab: NumberVocab, table: torch.Tensor, rlen: torch.Tensor, value: torch.Tensor,
                        lengths: torch.Tensor | None, K: int):
    """Soft output -> (tape [n, K, C], tape_len [n]).

    table [V, D], rlen [V]: `NumberVocab.render_table` of the routine's window. value: [n, V] or
    [n, L, V]. Each element's slots are laid out by the render length of its most likely value;
    slot d of an element holds sum_v p(v) [render(v)[d] = token]. Exact for one-hot outputs; for
    soft outputs, mass on values with a different render length is dropped (a mean-field choice).
    """
    dev = value.device
    C = len(vocab.candidate_ids)
    if value.dim() == 2:
        value = value[:, None]  # [n, 1, V]
        lengths = torch.ones(value.shape[0], dtype=torch.long, device=dev)
    n, L, V = value.shape
    D = table.shape[1]
    idx = torch.where(table >= 0, table, C).t()  # [D, V], C is a dump column
    elem = torch.zeros(n, L, D, C + 1, device=dev, dtype=value.dtype)
    elem.scatter_add_(3, idx[None, None].expand(n, L, D, V), value.unsqueeze(2).expand(n, L, D, V))
    elem = elem[..., :C].reshape(n, L * D, C)
    hard_len = rlen[value.argmax(-1)]  # [n, L]
    sep = [vocab.candidate_index[t] for t in vocab.separator_ids]
    end = [vocab.candidate_index[t] for t in vocab.end_ids]
    # Layout: per example a list of source rows, index < L*D = element slot, else a fixed token.
    fixed = torch.eye(C, device=dev, dtype=value.dtype)
    src = torch.cat([elem, fixed[None].expand(n, C, C)], 1)  # [n, L*D + C, C]
    layout = torch.zeros((n, K), dtype=torch.long, device=dev)
    tape_len = torch.zeros(n, dtype=torch.long, device=dev)
    hard_len_l, lengths_l = hard_len.tolist(), lengths.tolist()
    for b in range(n):
        rows = []
        for i in range(min(int(lengths_l[b]), L)):
            if i:
                rows += [L * D + s for s in sep]
            rows += [i * D + d for d in range(hard_len_l[b][i])]
        rows += [L * D + e for e in end]
        rows = rows[:K]
        layout[b, : len(rows)] = torch.tensor(rows, dtype=torch.long)
        tape_len[b] = len(rows)
    tape = src.gather(1, layout[..., None].expand(n, K, C))  # [n, K, C]
    return tape, tape_len


__all__ = ["render_distribution", "render_exact"]

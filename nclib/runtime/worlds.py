"""Worlds: exact inference by enumeration over the most probable joint argument assignments.

A soft call's arguments are independent choices: one categorical per scalar, one per list
element, optionally one Bernoulli per list element's membership. A *world* is one joint
assignment; its weight is the product of the chosen probabilities. `top_worlds` finds the K most
probable worlds of such a factorized distribution with a beam over the variables, which is exact
for independent factors: a world in the top K of the first i + 1 variables has its prefix in the
top K of the first i (otherwise K better prefixes, each extended by the same value, would beat it).

Each world then runs exactly in hard mode, so the result `sum_k w_k onehot(f(x_k))` is correct at
any depth and window, and differentiable in every input probability through the weights
`w_k = prod_i p_i[x_ik]` (the enumeration itself is a discrete, piecewise-constant choice).
Worlds beyond the enumerated K carry the mass `1 - covered`; nothing is renormalized.
Derivation and contract: docs/design.md §2.4, docs/machine.md ("Worlds mode").
"""

from __future__ import annotations

import torch

__all__ = ["top_worlds"]


def top_worlds(factors: list[torch.Tensor], k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k most probable joint assignments of independent categorical variables.

    factors: per variable a [B, n_i] tensor of probabilities (rows need not sum to 1: a row that sums
        to s < 1 leaves 1 - s of its mass outside every world).
    Returns (index [B, k', n_vars] int64 with the chosen entry of each variable, weight [B, k'] the
    product of the chosen probabilities, differentiable in `factors`), with k' = min(k, number of
    joint assignments), sorted by weight (descending). Zero-probability assignments may fill the
    beam when fewer than k' have positive mass; their weight is exactly 0.
    """
    if k < 1:
        raise ValueError(f"top_k must be >= 1, got {k}")
    if not factors:
        raise ValueError("top_worlds needs at least one variable")
    B = factors[0].shape[0]
    dev = factors[0].device
    bad = [tuple(f.shape) for f in factors if f.dim() != 2 or f.shape[0] != B or f.shape[1] < 1]
    if bad:
        raise ValueError(f"every factor must be [B={B}, n >= 1], got shapes {bad}")
    score = torch.zeros(B, 1, dtype=torch.float64, device=dev)  # [B, k] log-weight of each partial world
    index = torch.zeros(B, 1, 0, dtype=torch.long, device=dev)  # [B, k, i]
    for f in factors:
        p = f.detach().double()
        m = min(k, p.shape[1])
        top_p, top_i = p.topk(m, dim=1)  # a top-k world only uses a top-k value of each variable
        cand = score[:, :, None] + top_p.clamp_min(0).log()[:, None, :]  # [B, k, m]
        n = min(k, cand.shape[1] * m)
        score, flat = cand.flatten(1).topk(n, dim=1)  # [B, n]
        parent, choice = flat // m, flat % m
        index = torch.cat([index.gather(1, parent[..., None].expand(-1, -1, index.shape[2])),
                           top_i.gather(1, choice)[..., None]], 2)
    weight = torch.ones(B, index.shape[1], dtype=factors[0].dtype, device=dev)
    for i, f in enumerate(factors):
        weight = weight * f.gather(1, index[:, :, i])  # differentiable in the probabilities
    return index, weight


def _check_distribution(name: str, x: torch.Tensor, V: int, what: str) -> None:
    if not x.is_floating_point():
        raise TypeError(f"argument {name}: worlds mode takes float probabilities, got {x.dtype}")
    if V and x.shape[-1] != V:
        raise ValueError(f"argument {name}: last dimension must be V={V}, got {x.shape[-1]}")
    d = x.detach()
    if not bool(torch.isfinite(d).all()) or bool((d < 0).any()):
        raise ValueError(f"argument {name}: {what} must be finite and >= 0, got a value {float(d[~torch.isfinite(d) | (d < 0)][0])}")
    if V and bool((d.sum(-1) > 1 + 1e-4).any()):
        raise ValueError(f"argument {name}: a distribution sums to {float(d.sum(-1).max()):.6g} > 1")
    if not V and bool((d > 1 + 1e-6).any()):
        raise ValueError(f"argument {name}: a membership probability is {float(d.max()):.6g} > 1")


def worlds_factors(prog, args) -> tuple[list[torch.Tensor], list[tuple], int]:
    """The independent variables of a worlds-mode call: (factors, layout, B).

    layout: per parameter ("int", var) or ("list", first element var, L, lengths [B], member var or None)."""
    factors, layout, sizes = [], [], set()
    for name, kind, arg in zip(prog.params, prog.param_kinds, args):
        if kind == "list":
            if isinstance(arg, torch.Tensor):
                arg = (arg, None)
            if not (isinstance(arg, (tuple, list)) and len(arg) in (2, 3) and isinstance(arg[0], torch.Tensor)):
                raise TypeError(f"argument {name} of {prog.name} is a list: pass (values [B, L, V], lengths [B]"
                                f"[, member [B, L]]), got {type(arg).__name__}")
            values, lengths, member = (tuple(arg) + (None,))[:3]
            if values.dim() != 3:
                raise ValueError(f"argument {name}: list values must be [B, L, V], got shape {tuple(values.shape)}")
            _check_distribution(name, values, prog.V, "probabilities")
            B, L, _ = values.shape
            if lengths is None:
                lengths = torch.full((B,), L, dtype=torch.int64, device=values.device)
            lengths = torch.as_tensor(lengths, device=values.device).long()
            if lengths.shape != (B,) or bool(((lengths < 0) | (lengths > L)).any()):
                raise ValueError(f"argument {name}: lengths must be [B] within [0, {L}], got {lengths.tolist()}")
            pad = torch.arange(L, device=values.device)[None, :] >= lengths[:, None]  # [B, L]
            first = len(factors)
            off = torch.zeros_like(values[:, 0])
            off[:, 0] = 1  # past the length: one certain (unused) value, weight 1
            for j in range(L):
                factors.append(torch.where(pad[:, j, None], off, values[:, j]))
            member_var = None
            if member is not None:
                if member.shape != (B, L):
                    raise ValueError(f"argument {name}: member must be [B, L] = {[B, L]}, got {tuple(member.shape)}")
                _check_distribution(name, member, 0, "membership probabilities")
                member_var = len(factors)
                for j in range(L):
                    two = torch.stack([1 - member[:, j], member[:, j]], 1)  # [B, 2]: out, in
                    factors.append(torch.where(pad[:, j, None], torch.tensor([1.0, 0.0], dtype=two.dtype, device=two.device), two))
            layout.append(("list", first, L, lengths, member_var))
        else:
            if not isinstance(arg, torch.Tensor) or arg.dim() != 2:
                raise ValueError(f"argument {name} of {prog.name}: worlds mode takes a [B, V] distribution, got "
                                 f"{tuple(arg.shape) if isinstance(arg, torch.Tensor) else type(arg).__name__}")
            _check_distribution(name, arg, prog.V, "probabilities")
            B = arg.shape[0]
            layout.append(("int", len(factors)))
            factors.append(arg)
        sizes.add(B)
    if len(sizes) > 1:
        raise ValueError(f"arguments of {prog.name} have different batch sizes {sorted(sizes)}")
    B = sizes.pop() if sizes else 1
    return factors, layout, B


def world_arguments(prog, layout, index: torch.Tensor) -> list:
    """index [B, K, n_vars] -> the hard-mode arguments of the B * K worlds (row b * K + k)."""
    B, K, _ = index.shape
    out = []
    for item in layout:
        if item[0] == "int":
            out.append((index[:, :, item[1]] + prog.lo).reshape(B * K))
            continue
        _, first, L, lengths, member_var = item
        vals = index[:, :, first:first + L] + prog.lo  # [B, K, L]
        keep = torch.arange(L, device=index.device)[None, None, :] < lengths[:, None, None]  # [B, 1, L]
        if member_var is not None:
            keep = keep & (index[:, :, member_var:member_var + L] == 1)
        keep = keep.expand(B, K, L)
        order = torch.where(keep, torch.arange(L, device=index.device), L + torch.arange(L, device=index.device)).argsort(-1)
        vals = torch.where(keep.gather(2, order), vals.gather(2, order), prog.lo)  # members first, in order
        out.append((vals.reshape(B * K, L), keep.sum(-1).reshape(B * K)))
    return out


def execute_worlds(prog, args, top_k: int, max_steps: int):
    """`Program.execute(mode="worlds")`: see the module docstring and `ExecResult`."""
    from nclib.runtime.program import ExecResult

    if len(args) == 0:
        raise ValueError(f"{prog.name} has no arguments: run it in hard mode")
    factors, layout, B = worlds_factors(prog, args)
    index, weight = top_worlds(factors, top_k)  # [B, K, n], [B, K]
    K = index.shape[1]
    res = prog.execute(*world_arguments(prog, layout, index), mode="hard", max_steps=max_steps)
    bad = ((res.fault != 0) | (res.overflow_line >= 0) | (res.halted < 0.5)).view(B, K)
    ok = weight * (~bad).to(weight.dtype)  # [B, K]
    V, lo = prog.V, prog.lo

    def mixture(values: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """values [B * K, L] ints, present [B * K, L] -> sum_k ok_k onehot(values) [B, L, V]."""
        L = values.shape[1]
        idx = (values - lo).clamp(0, V - 1).view(B, K, L).transpose(1, 2)  # [B, L, K]
        w = (ok[:, None, :] * present.view(B, K, L).transpose(1, 2).to(ok.dtype))  # [B, L, K]
        return ok.new_zeros(B, L, V).scatter_add(2, idx, w)

    def length_mixture(lengths: torch.Tensor) -> torch.Tensor:
        return mixture(lengths[:, None], torch.ones_like(lengths[:, None], dtype=torch.bool))[:, 0]  # [B, V]

    value = lengths = length_probs = None
    if prog.returns == "int":
        value = mixture(res.value[:, None], torch.ones_like(res.value[:, None], dtype=torch.bool))[:, 0]
    elif prog.returns == "list":
        L_out = res.value.shape[1]
        value = mixture(res.value, torch.arange(L_out, device=index.device)[None, :] < res.lengths[:, None])
        length_probs = length_mixture(res.lengths)
        lengths = length_probs.argmax(-1) + lo
    lists, list_lengths = [], []
    for final, n in zip(res.lists, res.list_lengths):
        lists.append(mixture(final, torch.arange(final.shape[1], device=index.device)[None, :] < n[:, None]))
        list_lengths.append(length_mixture(n).argmax(-1) + lo)
    w = weight
    halted = (w * res.halted.view(B, K).to(w.dtype)).sum(1)
    return ExecResult(value=value, steps=(w * res.steps.view(B, K).to(w.dtype)).sum(1), halted=halted,
                      remainder=1 - halted, lists=lists, list_lengths=list_lengths, lengths=lengths,
                      length_probs=length_probs, fault=(w * bad.to(w.dtype)).sum(1), covered=w.sum(1),
                      world_weight=w, world_result=res)

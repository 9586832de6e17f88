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

The front end is shared: `Program.execute(mode="worlds")` and the model's reader both describe
their arguments as `Choice` (a scalar) and `ListChoice` (a list: element distributions, or given
elements, and membership probabilities), and `enumerate_worlds` turns them into `Worlds` (the
chosen entries, each argument's value in each world, and the weights); each caller then runs
the worlds its own way. Derivation and contract: docs/design.md §2.4, docs/machine.md ("Worlds mode").
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from nclib.runtime.result import ExecResult

__all__ = ["Choice", "ListChoice", "Worlds", "enumerate_worlds", "top_worlds"]


class Choice(NamedTuple):
    """A scalar argument of a batch of worlds calls: one categorical variable."""

    probs: torch.Tensor  # [B, n] probability of each choice (a row may sum to less than 1)

    def variables(self) -> list[torch.Tensor]:
        return [self.probs]


class ListChoice(NamedTuple):
    """A list argument of a batch of worlds calls: L ordered slots. Slot j is an element when it is
    present and, with `member`, drawn in (one Bernoulli variable per slot); its element is drawn
    from `probs` (one categorical variable per slot) or, without `probs`, given in `elements`.
    The list is its elements in slot order."""

    present: torch.Tensor  # [B, L] bool: the slot exists (within the list's length, or a candidate)
    probs: torch.Tensor | None = None  # [B, L, n] each slot's element distribution
    member: torch.Tensor | None = None  # [B, L] probability that the slot is an element
    elements: torch.Tensor | None = None  # [B, L] int64 given elements (when `probs` is None)

    def variables(self) -> list[torch.Tensor]:
        """Element variables (slot order), then membership variables [out, in]; an absent slot's
        variables are certain (weight 1) so that it leaves every world's weight alone."""
        absent = ~self.present  # [B, L]
        out = []
        if self.probs is not None:
            off = torch.zeros_like(self.probs[:, 0])  # [B, n]
            off[:, 0] = 1
            out += [torch.where(absent[:, j, None], off, self.probs[:, j]) for j in range(absent.shape[1])]
        if self.member is not None:
            certain = torch.tensor([1.0, 0.0], dtype=self.member.dtype, device=self.member.device)
            out += [torch.where(absent[:, j, None], certain, torch.stack([1 - self.member[:, j], self.member[:, j]], 1))
                    for j in range(absent.shape[1])]
        return out


class Worlds(NamedTuple):
    """The K most probable worlds (joint assignments) of a batch of worlds calls."""

    index: torch.Tensor  # [B, K, n_vars] int64 chosen entry of every variable
    weight: torch.Tensor  # [B, K] probability of each world, differentiable in the arguments' probabilities
    first: list  # per argument, the index of its first variable

    def choice(self, j: int) -> torch.Tensor:
        """[B, K] the chosen entry of scalar argument j (a `Choice`)."""
        return self.index[:, :, self.first[j]]

    def members(self, j: int, arg: ListChoice, fill: int) -> tuple[torch.Tensor, torch.Tensor]:
        """List argument j (`arg`) in each world: (elements [B, K, L], the chosen entries or given
        elements of its members in slot order, then `fill`; lengths [B, K])."""
        B, K, _ = self.index.shape
        L = arg.present.shape[1]
        v = self.first[j]
        if arg.probs is not None:
            elements = self.index[:, :, v:v + L]
            v += L
        else:
            elements = arg.elements[:, None].expand(B, K, L)
        keep = arg.present[:, None]  # [B, 1, L]
        if arg.member is not None:
            keep = keep & (self.index[:, :, v:v + L] == 1)
        keep = keep.expand(B, K, L)
        ar = torch.arange(L, device=self.index.device)
        order = torch.where(keep, ar, L + ar).argsort(-1)  # members first, in slot order
        return torch.where(keep.gather(2, order), elements.gather(2, order), fill), keep.sum(-1)

    def clean(self, bad: torch.Tensor) -> torch.Tensor:
        """[B, K] the weight of the worlds whose run did not fail (`bad` [B, K] bool)."""
        return self.weight * (~bad).to(self.weight.dtype)


def enumerate_worlds(arguments: list, k: int) -> Worlds:
    """The k most probable worlds of independent arguments (`Choice` / `ListChoice`, all [B, ...]):
    the one front end of worlds mode, for `Program.execute(mode="worlds")` and the model's reader."""
    variables, first = [], []
    for arg in arguments:
        first.append(len(variables))
        variables += arg.variables()
    index, weight = top_worlds(variables, k)
    return Worlds(index, weight, first)


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


def worlds_arguments(prog, args) -> tuple[list, int]:
    """A worlds-mode call's arguments, checked, as independent choices: (per parameter a `Choice`
    or `ListChoice`, B)."""
    arguments, sizes = [], set()
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
            if member is not None:
                if member.shape != (B, L):
                    raise ValueError(f"argument {name}: member must be [B, L] = {[B, L]}, got {tuple(member.shape)}")
                _check_distribution(name, member, 0, "membership probabilities")
            present = torch.arange(L, device=values.device)[None, :] < lengths[:, None]  # [B, L]
            arguments.append(ListChoice(present, probs=values, member=member))
        else:
            if not isinstance(arg, torch.Tensor) or arg.dim() != 2:
                raise ValueError(f"argument {name} of {prog.name}: worlds mode takes a [B, V] distribution, got "
                                 f"{tuple(arg.shape) if isinstance(arg, torch.Tensor) else type(arg).__name__}")
            _check_distribution(name, arg, prog.V, "probabilities")
            B = arg.shape[0]
            arguments.append(Choice(arg))
        sizes.add(B)
    if len(sizes) > 1:
        raise ValueError(f"arguments of {prog.name} have different batch sizes {sorted(sizes)}")
    B = sizes.pop() if sizes else 1
    return arguments, B


def world_arguments(prog, arguments: list, worlds: Worlds) -> list:
    """The hard-mode arguments of the B * K worlds (row b * K + k)."""
    B, K, _ = worlds.index.shape
    out = []
    for j, (kind, arg) in enumerate(zip(prog.param_kinds, arguments)):
        if kind == "list":
            values, lengths = worlds.members(j, arg, fill=0)  # [B, K, L] chosen entries, [B, K]
            out.append(((values + prog.lo).reshape(B * K, values.shape[-1]), lengths.reshape(B * K)))
        else:
            out.append((worlds.choice(j) + prog.lo).reshape(B * K))
    return out


def execute_worlds(prog, args, top_k: int, max_steps: int):
    """`Program.execute(mode="worlds")`: see the module docstring and `ExecResult`."""
    if len(args) == 0:
        raise ValueError(f"{prog.name} has no arguments: run it in hard mode")
    arguments, B = worlds_arguments(prog, args)
    worlds = enumerate_worlds(arguments, top_k)
    index, weight = worlds.index, worlds.weight  # [B, K, n], [B, K]
    K = index.shape[1]
    res = prog.execute(*world_arguments(prog, arguments, worlds), mode="hard", max_steps=max_steps)
    bad = ((res.fault != 0) | (res.overflow_line >= 0) | (res.halted < 0.5)).view(B, K)
    ok = worlds.clean(bad)  # [B, K]
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

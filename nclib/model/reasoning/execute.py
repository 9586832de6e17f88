"""Running one routine for the calls that chose it, in each machine mode, into a `CallResult`."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nclib.runtime.worlds import enumerate_worlds

from .render import render_distribution, render_exact
from .state import CallStatus, ListArg, most_likely, take_rows


@dataclass
class CallResult:
    """The outcome of m calls of one routine (row i of every field is call i).

    status: [m] CALLED, NOT_HALTED or FAULT; steps, remainder: [m]; tape_len: [m];
    tape: [m, K, C] (soft) or None; world_tokens: [m, W, K] and world_mass: [m, W] (hard: W = 1,
    mass 1; worlds: the enumerated assignments, mass 0 for faulted ones) or None;
    values: [m, L, V] soft output for the value-head writer, or None; args: per call the Python
    arguments (worlds: of the most probable world)."""

    status: torch.Tensor
    steps: torch.Tensor
    remainder: torch.Tensor
    tape_len: torch.Tensor
    tape: torch.Tensor | None = None
    world_tokens: torch.Tensor | None = None
    world_mass: torch.Tensor | None = None
    values: torch.Tensor | None = None
    args: list | None = None


def _python_args(args: list, n: int) -> list:
    """Batched hard arguments of n calls ([n] tensors or `ListArg`s) -> per call a list of Python values."""
    cols = [a.tolist() for a in args]
    return [list(c) for c in zip(*cols)] if cols else [[] for _ in range(n)]


def _exact_worlds(library, vocab, spec, r, args, K, max_steps, extra_bad=None):
    """Run hard arguments (m runs) and render them: (tokens [m, K], tape_len [m], bad [m], steps [m])."""
    res = library.execute_hard(r, args, max_steps=max_steps)
    bad = res["fault"] if extra_bad is None else res["fault"] | extra_bad
    values, lengths = res["value"].tolist(), res["lengths"].tolist()
    tokens, tape_len, bad = render_exact(vocab, spec, values, lengths, bad.tolist(), K)
    return tokens, tape_len, bad, res["steps"].long()


def run_hard(library, vocab, spec, r: int, args: list, K: int, max_steps: int, device) -> CallResult:
    """Exact run of the pointed-at (or forced) integer arguments: one world of mass 1."""
    tokens, tape_len, bad, steps = _exact_worlds(library, vocab, spec, r, args, K, max_steps)
    status = torch.where(bad, int(CallStatus.FAULT), int(CallStatus.CALLED))
    mass = (~bad).float()[:, None]
    return CallResult(status=status.to(device), steps=steps.to(device), remainder=bad.float().to(device),
                      tape_len=torch.where(bad, 0, tape_len).to(device), world_tokens=tokens[:, None].to(device),
                      world_mass=mass.to(device), args=_python_args(args, len(status)))


def run_worlds(library, vocab, spec, r: int, factors: list, val: torch.Tensor, in_window: torch.Tensor, top_k: int,
               K: int, max_list: int, max_steps: int) -> CallResult:
    """The top_k most probable joint argument assignments, each run exactly; differentiable in the
    reader's probabilities through the world masses.

    factors: `Arguments.factors` of the m calls (the runtime's worlds front end enumerates them);
    val, in_window: [m, T] (numbers, candidates)."""
    m, T = val.shape
    dev = val.device
    lo = spec["lo"]
    worlds = enumerate_worlds(factors, top_k)  # index [m, W, n_vars], weight [m, W]
    W = worlds.index.shape[1]
    args, too_long = [], torch.zeros(m, W, dtype=torch.bool, device=dev)
    for j, (kind, factor) in enumerate(zip(spec["args"], factors)):
        if kind == "int":
            pos = worlds.choice(j)  # [m, W] column pointed at
            ok = in_window.gather(1, pos)
            args.append(torch.where(ok, val.gather(1, pos), lo).reshape(m * W))  # zero-mass worlds may point anywhere
            continue
        cols, lengths = worlds.members(j, factor, fill=-1)  # [m, W, Lc] members' columns in text order, [m, W]
        Lc = cols.shape[2]
        elems = torch.where(cols >= 0, val.gather(1, cols.clamp_min(0).view(m, W * Lc)).view(m, W, Lc), lo)[..., :max_list]
        too_long |= lengths > max_list
        width = max(1, elems.shape[-1])
        args.append(ListArg(torch.nn.functional.pad(elems, (0, width - elems.shape[-1]), value=lo).reshape(m * W, width),
                            lengths.clamp(max=max_list).reshape(m * W)))
    tokens, tape_len, bad, steps = _exact_worlds(library, vocab, spec, r, args, K, max_steps,
                                                 extra_bad=too_long.reshape(m * W).cpu())
    bad = bad.view(m, W).to(dev)
    mass = worlds.clean(bad)  # [m, W]
    tape_len = torch.where(bad, 0, tape_len.view(m, W).to(dev))
    status = torch.where(bad.all(1), int(CallStatus.FAULT), int(CallStatus.CALLED))
    top = [k * W for k in range(m)]  # the beam is sorted: world 0 is the most probable
    py = _python_args([take_rows(a, top) for a in args], m)
    return CallResult(status=status, steps=steps.view(m, W)[:, 0].to(dev), remainder=(worlds.weight * bad).sum(1).detach(),
                      tape_len=tape_len.max(1).values, world_tokens=tokens.view(m, W, K).to(dev), world_mass=mass, args=py)


def run_soft(library, vocab, spec, r: int, args: list, table, rlen, K: int, max_steps: int, eps: float,
             max_remainder: float) -> CallResult:
    """Mean-field run on value distributions (gradients into the arguments and the program)."""
    res = library.execute(r, args, max_steps=max_steps, eps=eps)
    remainder = res["remainder"].float()
    status = torch.where(remainder > max_remainder, int(CallStatus.NOT_HALTED), int(CallStatus.CALLED))
    tape, tape_len = render_distribution(vocab, table, rlen, res["value"], res.get("lengths"), K)
    values = res["value"] if res["value"].dim() == 3 else res["value"][:, None]
    py = _python_args([most_likely(a, spec["lo"]) for a in args], remainder.shape[0])
    return CallResult(status=status, steps=res["steps"].long(), remainder=remainder, tape_len=tape_len, tape=tape,
                      values=values, args=py)


__all__ = ["CallResult", "run_hard", "run_soft", "run_worlds"]

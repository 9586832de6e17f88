"""The argument reader: which numbers of the prompt are each argument of the chosen routine.

`NCReader` scores candidate positions (numbers inside the routine's window, at or before the
trigger); `read_arguments` turns the scores into what each machine mode runs on: the pointed-at
integers (hard), value distributions (soft), or independent choices over positions (worlds: one
categorical over candidates per scalar argument, one Bernoulli per candidate for a list)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nclib.runtime.worlds import Choice, ListChoice

from ..configuration_ncllama import MachineMode, NCLlamaConfig
from .state import CallStatus, ListArg


class NCReader(nn.Module):
    """Pointer attention from the trigger's hidden state to number positions, one query per
    (routine, argument) slot, plus a learned score per ordinal position of the candidate (k-th
    number from the start, k-th from the end, the last ORDINALS - 1 buckets shared): "the first
    number" stays the first number however long the numbers are. Scalar arguments: softmax over
    candidates. List arguments: each candidate is a member with probability sigmoid(score + bias),
    elements in text order."""

    ORDINALS = 8

    def __init__(self, config: NCLlamaConfig):
        super().__init__()
        self.n_routines = len(config.nc_routines)
        self.n_args = config.nc_max_args
        self.dim = config.nc_pointer_dim
        slots = max(self.n_routines, 1) * self.n_args
        self.key = nn.Linear(config.hidden_size, self.dim, bias=False)
        self.query = nn.Linear(config.hidden_size, slots * self.dim)
        self.list_bias = nn.Parameter(torch.zeros(slots))
        self.ordinal_first = nn.Parameter(torch.zeros(slots, self.ORDINALS))
        self.ordinal_last = nn.Parameter(torch.zeros(slots, self.ORDINALS))
        self.std = config.initializer_range
        self.list_prior = config.nc_list_prior_bias

    def reset_parameters(self):
        nn.init.normal_(self.key.weight, std=self.std)
        nn.init.normal_(self.query.weight, std=self.std)
        nn.init.zeros_(self.query.bias)
        nn.init.constant_(self.list_bias, self.list_prior)
        nn.init.zeros_(self.ordinal_first)
        nn.init.zeros_(self.ordinal_last)

    def scores(self, h_trigger: torch.Tensor, hidden: torch.Tensor, routine: int, arg: int, candidates: torch.Tensor):
        """h_trigger: [n, H]; hidden: [n, T, H]; candidates: [n, T] bool -> (scores [n, T], list bias [])."""
        slot = routine * self.n_args + arg
        q = self.query(h_trigger).view(-1, max(self.n_routines, 1) * self.n_args, self.dim)[:, slot]  # [n, d]
        k = self.key(hidden)  # [n, T, d]
        scores = torch.einsum("nd,ntd->nt", q, k) / math.sqrt(self.dim)
        first = candidates.long().cumsum(1) - 1  # [n, T] rank among the candidates, from the start
        last = candidates.long().sum(1, keepdim=True) - 1 - first  # from the end
        K = self.ORDINALS - 1
        ordinal = self.ordinal_first[slot][first.clamp(0, K)] + self.ordinal_last[slot][last.clamp(0, K)]
        return scores + ordinal.to(scores.dtype) * candidates, self.list_bias[slot]


@dataclass
class Arguments:
    """The read arguments of n calls to one routine, in the form the machine mode runs on.

    mode: how they run: the machine mode, except that worlds mode with forced arguments (or none)
        runs its one world in hard mode.
    values: per argument — hard: [n] int64 or a `ListArg` ([n, L] int64, [n]); soft: [n, V] or a
        `ListArg` ([n, L, V], [n]); worlds: None (see `factors`).
    factors: worlds mode, per argument a `Choice` (p [n, T] over positions) or a `ListChoice`
        (elements: [n, Lc] candidate columns, -1 padded, in text order; member: [n, Lc] membership
        probabilities); the runtime's worlds front end enumerates them.
    status: [n] CallStatus after reading; losses: the reader's supervised losses (forced calls).
    """

    mode: MachineMode
    values: list
    factors: list
    status: torch.Tensor
    losses: list


def read_arguments(reader: NCReader, spec: dict, r: int, h_trig, h_all, val, in_window, upto, forced,
                   mode: MachineMode, max_list: int) -> Arguments:
    """Read routine r's arguments for n calls.

    h_trig [n, H], h_all [n, T, H]; val [n, T] numbers at their last token; in_window [n, T] pointer
    candidates; upto [n, T] positions at or before the trigger; forced [n, n_args, L] columns or None.
    Forced arguments are exact (hard) or one-hot (soft); worlds mode with forced arguments runs the
    one forced world."""
    n, T = val.shape
    dev = val.device
    col = torch.arange(T, device=dev)
    lo, V = spec["lo"], spec["V"]
    onehot_idx = (val - lo).clamp(0, V - 1)
    status = torch.full((n,), int(CallStatus.CALLED), device=dev)
    if mode is MachineMode.WORLDS and (forced is not None or not spec["args"]):
        mode = MachineMode.HARD  # nothing to enumerate: the one world runs exactly
    values, factors, losses = [], [], []
    for j, kind in enumerate(spec["args"]):
        scores, list_bias = reader.scores(h_trig, h_all, r, j, in_window)  # [n, T]
        scores, list_bias = scores.float(), list_bias.float()  # pointer and machine run in float32
        masked = scores.masked_fill(~in_window, float("-inf"))
        f = forced[:, j] if forced is not None else None  # [n, L]
        has = in_window.any(1)
        if kind == "int":
            if f is not None:
                pos = f[:, 0]
                ok = (pos >= 0) & in_window.gather(1, pos.clamp_min(0)[:, None])[:, 0]
                status = torch.where(ok, status, int(CallStatus.OUT_OF_WINDOW))
                if bool(ok.any()):
                    losses.append(F.cross_entropy(masked[ok], pos[ok]))
                w = F.one_hot(pos.clamp_min(0), T).float() * ok[:, None]
            else:
                status = torch.where(has, status, int(CallStatus.NO_ARGUMENT))
                # rows without a candidate get finite logits first: a softmax of all -inf is NaN,
                # and NaN * 0 in its backward would poison the reader's gradient
                safe = torch.where(has[:, None], masked, torch.zeros_like(masked))
                w = safe.softmax(-1) * has[:, None]  # [n, T]
            if mode is MachineMode.WORLDS:
                factors.append(Choice(w * in_window))
                values.append(None)
            elif mode is MachineMode.HARD:
                values.append(val.gather(1, w.argmax(1, keepdim=True))[:, 0])  # [n] the pointed-at number
            else:
                values.append(torch.zeros(n, V, device=dev).scatter_add(1, onehot_idx, w * in_window))  # [n, V]
            continue
        member_logit = scores + list_bias  # [n, T]
        if f is not None:
            member = torch.zeros_like(in_window)
            okpos = f >= 0
            member.scatter_(1, f.clamp_min(0), okpos)
            member &= upto
            bad = (member & ~in_window).any(1) | (okpos.sum(1) != member.sum(1))
            status = torch.where(bad, int(CallStatus.OUT_OF_WINDOW), status)
            good = ~bad
            if bool(good.any()):
                cand = in_window[good]
                losses.append(F.binary_cross_entropy_with_logits(member_logit[good][cand], member[good][cand].float()))
        elif mode is MachineMode.WORLDS:
            status = torch.where(has, status, int(CallStatus.NO_ARGUMENT))
            Lc = max(1, int(in_window.sum(1).max()))
            cand = torch.where(in_window, col[None], T).sort(1).values[:, :Lc]  # [n, Lc] candidate columns in text order
            present = cand < T
            q = torch.sigmoid(member_logit.gather(1, cand.clamp(max=T - 1))) * present  # [n, Lc]
            factors.append(ListChoice(present, member=q, elements=torch.where(present, cand, -1)))
            values.append(None)
            continue
        else:
            member = (member_logit > 0) & in_window
        lengths = member.sum(1)
        status = torch.where(lengths > max_list, int(CallStatus.LIST_TOO_LONG), status)
        status = torch.where(lengths == 0, int(CallStatus.NO_ARGUMENT), status)
        order = torch.where(member, col[None], T).sort(1).values[:, :max_list]  # [n, L] element k = k-th member in text order
        present = order < T
        at = order.clamp(max=T - 1)
        if mode is MachineMode.HARD:
            ints = torch.where(present, val.gather(1, at), 0)  # [n, L'] numbers in text order
            values.append(ListArg(F.pad(ints, (0, max(0, max_list - ints.shape[1]))), lengths.clamp(max=max_list)))
            continue
        # straight-through 1 so the membership scores get a gradient through the soft machine;
        # a forced list is exact (the reader learns from its BCE), so no graph through the run
        sig = torch.sigmoid(member_logit.gather(1, at))
        factor = torch.ones_like(sig) if f is not None else sig - sig.detach() + 1.0  # [n, L]
        cells = F.one_hot(onehot_idx.gather(1, at), V).float() * (factor * present)[..., None]  # [n, L, V]
        if cells.shape[1] < max_list:
            cells = F.pad(cells, (0, 0, 0, max_list - cells.shape[1]))
        values.append(ListArg(cells, lengths.clamp(max=max_list)))
    return Arguments(mode, values, factors, status, losses)


__all__ = ["Arguments", "NCReader", "read_arguments"]

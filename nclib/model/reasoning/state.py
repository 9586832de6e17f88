"""What the reasoning module carries: the machine mode, call outcomes, teacher-forced calls, the
read arguments' list type, the per-sequence call state (kept between generation steps) and the
write plan of one forward call."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

import torch

from ..configuration_ncllama import MachineMode


class ListArg(NamedTuple):
    """A list argument of a batch of n calls, as the machine takes it (a (values, lengths) pair)."""

    values: torch.Tensor  # [n, L] int64 elements (hard) or [n, L, V] their distributions (soft)
    lengths: torch.Tensor  # [n] int64 number of elements

    def tolist(self) -> list[list]:
        """Per call its elements as Python values (hard)."""
        return [row[:n] for row, n in zip(self.values.tolist(), self.lengths.tolist())]


def take_rows(arg, idx):
    """Rows `idx` of a batched argument: a tensor, or each field of a NamedTuple of tensors
    (`ListArg`, a worlds `Choice` / `ListChoice`; None fields stay None)."""
    if isinstance(arg, tuple):
        return type(arg)(*(take_rows(t, idx) for t in arg))
    return None if arg is None else arg[idx]


def most_likely(arg, lo: int):
    """A soft argument ([n, V] or a `ListArg` of [n, L, V]) -> its most likely values (hard form)."""
    if isinstance(arg, ListArg):
        return ListArg(arg.values.argmax(-1) + lo, arg.lengths)
    return arg.argmax(-1) + lo


class CallStatus(enum.IntEnum):
    """Per-example outcome of the reasoning module (`NCLlamaOutput.nc_status`)."""

    NO_CALL = 0  # the router chose "no call" (or there is no routine)
    CALLED = 1  # the routine ran and its result is written
    NO_ARGUMENT = 2  # a scalar argument had no in-window number to point at, or a list argument none
    OUT_OF_WINDOW = 3  # a forced argument was not a number inside the routine's value window
    LIST_TOO_LONG = 4  # a list argument had more than nc_max_list_len elements
    NOT_HALTED = 5  # the machine's unhalted remainder exceeded nc_max_remainder
    NO_INPUT_IDS = 6  # called with inputs_embeds only: there are no tokens to read numbers from
    FAULT = 7  # hard / worlds mode: the run (every world of it) faulted (index error, value left the window, step limit)


@dataclass
class NCCall:
    """A teacher-forced call (training, or a test that fixes routing and arguments).

    trigger: [B] column of the position that predicts the first answer token (-1: no call).
    routine: [B] index into `config.nc_routines` (-1: no call), or None: the router chooses at the
        trigger (answers-only training: every routine runs, weighted by the router's probability).
    args: [B, n_args, L] columns of the last token of each argument's numbers (-1 padded); a scalar
        argument uses slot 0, a list argument slots 0..len-1 in order. None: the reader points.
    """

    trigger: torch.Tensor
    routine: torch.Tensor | None = None
    args: torch.Tensor | None = None

    @property
    def answers_only(self) -> bool:
        """Only the trigger is given (answers-only training): every routine runs, its worlds weighted
        by the router's probability of it, and the reader points."""
        return self.routine is None


@dataclass
class CallState:
    """What generation carries between steps (all [B, ...]); also returned by a plain forward.

    The call's result is held as worlds: W token tapes with their probability mass (hard mode: one
    world of mass 1; worlds mode: the enumerated argument assignments of every routine that ran).
    Soft mode holds a distribution per answer slot instead (`tape`); `mode` says which."""

    mode: MachineMode  # how the machine runs, fixed for the sequence
    hidden: torch.Tensor  # [B, T, H] last hidden states seen so far
    ids: torch.Tensor  # [B, T] token ids (-1 where unknown)
    valid: torch.Tensor  # [B, T] bool, False for padding
    trigger: torch.Tensor  # [B] column of the trigger, -1 until the module fires
    routine: torch.Tensor  # [B] (the most probable routine when the router chose among all)
    weight: torch.Tensor  # [B] w_route
    status: torch.Tensor  # [B] CallStatus
    steps: torch.Tensor  # [B] machine steps (worlds: of the most probable world)
    remainder: torch.Tensor  # [B] unhalted mass
    tape: torch.Tensor  # [B, K, C] soft mode: distribution over the writer's candidate tokens per answer slot
    world_tokens: torch.Tensor  # [B, W, K] hard / worlds mode: candidate index of each world's answer token (-1: past its end)
    world_mass: torch.Tensor  # [B, W] probability of each world (0 for faulted or unused ones)
    tape_len: torch.Tensor  # [B] answer slots written
    values: torch.Tensor  # [B, Lmax, Vmax] the machine's output (value-head writer; [B, 0, 0] otherwise)
    fired: torch.Tensor  # [B] times the router fired on its own (kept or dropped calls; forced calls not counted)
    kept: torch.Tensor  # [B] bool: the token after the trigger confirmed the call (or it was forced)
    not_before: torch.Tensor  # [B] first column where the router may fire (after a dropped call)
    args: list  # per example the (most probable world's) arguments as Python values, or None (no call)
    route_hidden: torch.Tensor | None = None  # [B, T, H] the router's hidden states so far (nc_router_layer), else None


@dataclass
class WritePlan:
    """Where and how the module writes, for the new positions of one forward call:
    p(token) = (1 - gate) * softmax(lm_logits) + tape_mass[token] at the written positions."""

    mask: torch.Tensor  # [B, T] bool: positions written
    gate: torch.Tensor  # [B, T] total written mass (0 where not written)
    tape_rows: torch.Tensor | None  # [B, T, C] written mass per candidate token (sums to gate)
    hidden_delta: torch.Tensor | None  # [B, T, H] value-head writer's addition to the hidden state


__all__ = ["CallState", "CallStatus", "ListArg", "NCCall", "WritePlan", "most_likely", "take_rows"]

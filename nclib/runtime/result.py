"""`ExecResult`: what a run of a program gives, in every mode (hard, soft, worlds). Its own module
so that the worlds front end (`nclib.runtime.worlds`) and `Program` (`nclib.runtime.program`) can
both build one without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ExecResult:
    """What `Program.execute` returns.

    value:   scalar routine: [B] int64 (hard) or [B, V] distribution (soft);
             list routine: [B, L_out] / [B, L_out, V]; None for a routine without a return value.
    lengths: list routine: [B] int64 lengths of the returned lists (soft: most likely length).
    length_probs: list routine, soft: [B, V] distribution of the length.
    lists:   the final contents of each list argument ([B, L] / [B, L, V]), like Python's in-place
             mutation; list_lengths: their lengths ([B] each).
    steps:   [B] steps until halt (hard: int64 count; soft: expected count sum_t (1 - halted_t)).
    halted:  [B] halted probability mass (hard: 1.0 or 0.0).
    remainder: [B] 1 - halted, the ACT-style remainder that belongs in a training loss.
    fault, fault_line, overflow_line, overflow_value: hard mode: [B] fault code (0 = none; 7 = the
             routine's own raise / failed assert, raised as nclib.RoutineError), the line where it
             happened, the first line whose result left the value window (-1 = none)
             and that unwrapped result.
    Soft mode: fault is [B] float, the mass that stopped on a fault line (a raise / failed assert,
    or a function ending without its value); like the remainder, it is not part of value.
    Worlds mode (`mode="worlds"`): value / lists / length_probs are the mixtures
    sum_k w_k onehot(f(x_k)) over the worlds that ran cleanly (they sum to covered - fault);
    covered: [B] enumerated mass sum_k w_k; fault: [B] float, the mass of enumerated worlds that
    faulted, left the window or did not halt; steps / halted: sum_k w_k steps_k / halted_k;
    world_weight: [B, K] w_k; world_result: the hard-mode ExecResult of all B * K worlds
    (batch index b * K + k).
    """

    value: torch.Tensor | None
    steps: torch.Tensor
    halted: torch.Tensor
    remainder: torch.Tensor
    lists: list[torch.Tensor]
    list_lengths: list[torch.Tensor] | None = None
    lengths: torch.Tensor | None = None
    length_probs: torch.Tensor | None = None
    fault: torch.Tensor | None = None
    fault_line: torch.Tensor | None = None
    overflow_line: torch.Tensor | None = None
    overflow_value: torch.Tensor | None = None
    trace: list | None = None
    registers: torch.Tensor | None = None  # hard mode: [B, R] final registers (the values of a RoutineError message)
    covered: torch.Tensor | None = None
    world_weight: torch.Tensor | None = None
    world_result: "ExecResult | None" = None

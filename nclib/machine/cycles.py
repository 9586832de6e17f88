"""The cycle detector: a hard-mode element whose whole state repeats never halts.

The hard machine is deterministic and its next state depends only on (regs, mem, stack_regs,
stack_ret, sp, ip), so an element whose state repeats loops forever. The rule, the same for every
backend (`backend.py`), written once here:

- schedule: the state is saved after `stride` * 2^k steps (k = 0, 1, ...; `snapshot_due`); every
  `stride` steps after that it is compared with the saved one (Brent's scheme). An element that
  entered a cycle of period p after m steps is caught within about 2 max(m, stride p) + stride p
  steps; checking every `stride` steps only keeps the cost on halting runs small;
- comparison: first cheaply on (sp, ip) (`state_key`) and the registers, then on memory and call
  stack;
- verdict: a caught element is replayed through one round of its cycle (a multiple of its period)
  to find the lowest (stack depth, source line, machine line) it visits (`state_key`, with the
  line ranks of `line_ranks`): the loop of the outermost frame in the cycle. It gets fault code
  FAULT_NO_HALT at that machine line (`loop_line`) and stops (ip = HALT_LINE), like any fault;
  `Program` reports it as not halted and a call raises NonHaltingError naming the source loop
  (`enclosing_loop`).

Two drivers apply the rule: `CycleDetector` to a batch of torch tensors stepped together (the torch
step, any device), and the per-element loop (`interp.run_batch`, compiled by numba) to one element
at a time, inside the loop, calling `snapshot_due`, `state_key` and `loop_line` from here (numba
compiles them into the loop; `loop_cache.LOOP_SOURCES` lists this file among the loop's sources).
tests/machine/test_compiled.py checks that both catch the same elements at the same steps and lines.

This module imports neither torch nor numba at import (a single call needs neither).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Callable

import numpy as np

from nclib.machine.isa import FAULT_NO_HALT, HALT_LINE

if TYPE_CHECKING:
    import torch

    from nclib.machine.state import HardState

STRIDE = 8  # steps between two comparisons


def line_ranks(asm) -> tuple[np.ndarray, int]:
    """(rank [P] int64, span): each line's rank, by source line (lines without one last), then
    machine line; span exceeds every rank, so a deeper frame ranks after every line of a shallower one."""
    P = asm.n_lines
    source = np.array([ln.loc[0] if ln.loc[0] > 0 else 1 << 30 for ln in asm.lines], dtype=np.int64)
    rank = source * P + np.arange(P, dtype=np.int64)
    return rank, int(rank.max()) + 1


def state_key(sp, ip, rank, span: int):
    """Equal keys <=> equal (sp, ip); lower keys are shallower frames, then earlier lines.
    sp, ip: ints or [B] arrays / tensors (rank of the same kind)."""
    return sp * span + rank[ip]


def snapshot_due(taken: int, saved_at: int, stride: int) -> bool:
    """Whether the state after step `taken` is saved (steps stride * 2^k), the last save being at `saved_at` (0: none)."""
    return taken == stride * max(2 * saved_at // stride, 1)


def loop_line(lowest, span: int, P: int):
    """The machine line of the lowest key a cycle visits (the line its fault is reported at)."""
    return lowest % span % P


def enclosing_loop(source: str, line: int) -> int:
    """The header line of the innermost `while` / `for` of `source` that contains source line
    `line` (the line itself when none does, or when the source does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return line
    headers = [node.lineno for node in ast.walk(tree)
               if isinstance(node, (ast.While, ast.For)) and node.lineno <= line <= (node.end_lineno or node.lineno)]
    return max(headers, default=line)


class CycleDetector:
    """The rule above over a batch of torch states stepped together (the torch backend): the
    snapshot is one tensor per field, compared on (sp, ip) and the registers [B, R + C] first,
    then on memory and call stack for the few elements where those match."""

    def __init__(self, asm, device: torch.device, stride: int = STRIDE):
        import torch

        rank, self.span = line_ranks(asm)
        self.rank = torch.from_numpy(rank).to(device)  # [P]
        self.P = asm.n_lines
        self.stride = stride
        self.saved_at = 0
        self.snapshot: tuple | None = None  # regs, mem, stack_regs, stack_ret, key (-1: halted)

    def key(self, state: HardState) -> torch.Tensor:
        """[B]: `state_key` of every element."""
        return state_key(state.sp, state.ip, self.rank, self.span)

    def update(self, taken: int, state: HardState, step: Callable[[HardState], HardState]) -> HardState:
        """Called after step number `taken` (1, 2, ...); `step` advances a state by one step.
        Returns the state, with the elements found cycling faulted (FAULT_NO_HALT at their loop's
        line) and stopped."""
        import torch

        if taken % self.stride:
            return state
        key = self.key(state)
        if self.snapshot is not None:
            s_regs, s_mem, s_stack_regs, s_stack_ret, s_key = self.snapshot
            same = (key == s_key) & (state.regs == s_regs).all(1)
            if bool(same.any()):
                idx = same.nonzero()[:, 0]
                whole = ((state.mem[idx] == s_mem[idx]).all(1) & (state.stack_regs[idx] == s_stack_regs[idx]).flatten(1).all(1)
                         & (state.stack_ret[idx] == s_stack_ret[idx]).all(1))
                found = idx[whole]
                if found.numel():
                    state = self.stop(state, found, taken - self.saved_at, step)
        if snapshot_due(taken, self.saved_at, self.stride):
            halted = state.ip == HALT_LINE
            self.snapshot = (state.regs.clone(), state.mem.clone(), state.stack_regs.clone(), state.stack_ret.clone(),
                             torch.where(halted, -1, key))
            self.saved_at = taken
        return state

    def stop(self, state: HardState, found: torch.Tensor, rounds: int, step: Callable[[HardState], HardState]) -> HardState:
        """Fault and stop the elements `found` [n], whose state repeats every `rounds` steps (a
        multiple of their period): replay them that many steps to find their loop's line."""
        import torch

        sub = type(state)(*(x[found] for x in state))
        lowest = self.key(sub)
        for _ in range(rounds - 1):
            sub = step(sub)
            lowest = torch.minimum(lowest, self.key(sub))
        return state._replace(fault=state.fault.index_fill(0, found, FAULT_NO_HALT),
                              fault_line=state.fault_line.index_copy(0, found, loop_line(lowest, self.span, self.P)),
                              ip=state.ip.index_fill(0, found, HALT_LINE))

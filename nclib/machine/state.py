"""The machine's state as named types, for both modes, and the starting state from one placement
of the entry's arguments.

`HardState`: one int64 array per field (HARD_FIELDS), batch first: torch tensors for the torch
step (`hard.py`), numpy arrays for the per-element loop (`interp.py`, compiled by `compiled.py`)
and one call (`nclib/runtime/call.py`). `SoftState`: the same machine with every value a
distribution over the V window entries and ip / sp distributions (`soft.py`). Both are
NamedTuples, so the step functions take and return one value with named fields, and a state still
unpacks and splats where a flat list is needed (numba's loop, autograd's segments). All are built from `list_layout` and
`place_arguments`, so no two of them can disagree about where an argument goes: a scalar in its
parameter register; a list at its base cell (the length, then the elements) with the base address
in the parameter register; the heap pointer past the last list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nclib.machine.isa import HP

if TYPE_CHECKING:  # torch is imported where a tensor state is built: numpy callers never load it
    import torch


class HardState(NamedTuple):
    """The hard machine's state: int64 torch tensors or int64 numpy arrays, batch first."""

    regs: Any  # [B, R + C] int64; the last C columns hold the constants
    mem: Any  # [B, A] int64
    stack_regs: Any  # [B, K, R] int64: the registers each frame saved
    stack_ret: Any  # [B, K] int64: each frame's return line
    sp: Any  # [B] int64: frames on the stack
    ip: Any  # [B] int64: the line each element is on
    steps: Any  # [B] int64: steps taken before halting
    fault: Any  # [B] int64: first fault code (overflow is recorded but does not stop)
    fault_line: Any  # [B] int64: the line of that fault
    overflow_line: Any  # [B] int64: first line whose result left the window, -1 if none
    overflow_value: Any  # [B] int64: the unwrapped result at that line

    def to_numpy(self) -> HardState:
        """A copy as contiguous int64 numpy arrays on the CPU (what the per-element loop changes in place)."""
        import torch

        return HardState(*(x.detach().to("cpu", torch.int64).contiguous().numpy().copy() for x in self))

    def to_torch(self) -> HardState:
        """The numpy arrays as torch tensors (sharing their memory)."""
        import torch

        return HardState(*(torch.from_numpy(x) for x in self))


HARD_FIELDS = HardState._fields


class SoftState(NamedTuple):
    """The soft machine's state: distributions (float tensors) over values, lines and depths."""

    regs: torch.Tensor  # [B, R, V]
    mem: torch.Tensor  # [B, A, V]
    stack: torch.Tensor  # [B, K, R*V + P]: each frame's saved registers, then its return-line distribution
    sp: torch.Tensor  # [B, K + 1]: distribution of the stack depth
    ip: torch.Tensor  # [B, P]: distribution of the line
    ponder: torch.Tensor  # [B]: expected steps taken before halting


@dataclass
class Placement:
    registers: list  # (register, int | tensor): scalar arguments as given ([B] values or [B, V] distributions), list bases, HP
    blocks: list  # (base cell, lengths [B] int64, values [B, L] or [B, L, V]): each list argument's cells


def list_layout(asm, widths: list[int]) -> tuple[list[int], int]:
    """(the base cell of each list argument, the first free cell) for list arguments holding
    `widths` element cells each: in order from cell 0, each its length cell then its elements.
    ValueError naming the need when they do not fit the memory."""
    layout, offset = [], 0
    for width in widths:
        layout.append(offset)
        offset += width + 1
    if offset > asm.memory:
        raise ValueError(f"{asm.entry}: the list arguments need {offset} memory cells (lengths + elements) but "
                         f"memory={asm.memory}; compile with a larger memory= (and a value window reaching it)")
    return layout, offset


def place_arguments(param_registers: list[int], param_kinds: list[str], parsed: list, layout: list[int], heap: int) -> Placement:
    """Where the entry's arguments go (parsed: per parameter a scalar tensor or (values, lengths);
    layout: the base cell of each list argument, in order; heap: the first free cell)."""
    registers, blocks = [], []
    bases = iter(layout)
    for reg, kind, arg in zip(param_registers, param_kinds, parsed):
        if kind == "list":
            base = next(bases)
            values, lengths = arg
            blocks.append((base, lengths, values))
            registers.append((reg, base))
        else:
            registers.append((reg, arg))
    registers.append((HP, heap))
    return Placement(registers, blocks)


def initial_hard_state(asm, placement: Placement, B: int, device) -> HardState:
    """Registers [B, R + C] (constants in the last C columns), memory [B, A], empty stack, ip 0."""
    import torch  # (here, not at the top: `place_arguments` and HARD_FIELDS serve torch-free callers too)

    from nclib.machine.memory import check_hard_run

    check_hard_run(asm, B, device)  # before anything of size memory= is allocated
    R, A, K = asm.n_regs, asm.memory, asm.stack
    consts = torch.tensor(asm.consts, dtype=torch.int64, device=device)
    regs = torch.cat([torch.zeros(B, R, dtype=torch.int64, device=device), consts.expand(B, -1)], 1)
    mem = torch.zeros(B, A, dtype=torch.int64, device=device)
    for base, lengths, values in placement.blocks:
        L = values.shape[1]
        keep = torch.arange(L, device=device)[None, :] < lengths[:, None]
        mem[:, base] = lengths
        mem[:, base + 1:base + 1 + L] = torch.where(keep, values.long(), 0)
    for reg, value in placement.registers:
        regs[:, reg] = value.long() if torch.is_tensor(value) else value
    zeros = torch.zeros(B, dtype=torch.int64, device=device)
    return HardState(regs, mem, torch.zeros(B, K, R, dtype=torch.int64, device=device), torch.zeros(B, K, dtype=torch.int64, device=device),
                     zeros.clone(), zeros.clone(), zeros.clone(), zeros.clone(), zeros.clone(), zeros - 1, zeros.clone())


def initial_soft_state(asm, placement: Placement, B: int, device, dtype) -> SoftState:
    """The soft state of the placement: the hard state's values as one-hot rows, except scalar and list-element arguments given as
    distributions, which keep their autograd graph."""
    import torch

    R, A, K, V, lo, P = asm.n_regs, asm.memory, asm.stack, asm.V, asm.lo, asm.n_lines

    def onehot(value) -> torch.Tensor:
        """A window value (int or [B] tensor) -> its one-hot row [V] / [B, V] (no V x V identity)."""
        return torch.nn.functional.one_hot(torch.as_tensor(value, device=device) - lo, V).to(dtype)

    zero = onehot(0)
    mem = zero.expand(B, A, V).clone()
    pieces, cursor = [], 0
    for base, lengths, values in sorted(placement.blocks, key=lambda block: block[0]):
        L = values.shape[1]
        keep = (torch.arange(L, device=device)[None, :] < lengths[:, None]).unsqueeze(-1)
        cells = torch.cat([onehot(lengths).unsqueeze(1), torch.where(keep, values.to(dtype), zero)], 1)  # [B, L + 1, V]
        pieces += [mem[:, cursor:base], cells]
        cursor = base + L + 1
    if pieces:
        mem = torch.cat(pieces + [mem[:, cursor:]], 1)  # keeps the graph to the inputs
    rows = {reg: (value.to(dtype) if torch.is_tensor(value) else onehot(value).expand(B, V)) for reg, value in placement.registers}
    regs = torch.stack([rows.get(r, zero.expand(B, V)) for r in range(R)], 1)
    stack = torch.zeros(B, K, R * V + P, dtype=dtype, device=device)
    sp = torch.zeros(B, K + 1, dtype=dtype, device=device)
    sp[:, 0] = 1
    ip = torch.zeros(B, P, dtype=dtype, device=device)
    ip[:, 0] = 1
    return SoftState(regs, mem, stack, sp, ip, torch.zeros(B, dtype=dtype, device=device))


def initial_state(asm, args: list) -> tuple[HardState, list[int]]:
    """(the numpy state of a batch of one, each list argument's base cell) for checked `args`: the
    layout `Program.execute` uses (lists in order from cell 0, then the heap)."""
    from nclib.machine.memory import check_hard_run

    check_hard_run(asm, 1)  # before anything of size memory= is allocated
    parsed = [(np.array([list(arg) or [0]], dtype=np.int64), np.array([len(arg)], dtype=np.int64)) if kind == "list"
              else int(arg) for kind, arg in zip(asm.param_kinds, args)]  # an empty list keeps one unused cell, as in execute
    layout, offset = list_layout(asm, [p[0].shape[1] for kind, p in zip(asm.param_kinds, parsed) if kind == "list"])
    placement = place_arguments(asm.param_registers, list(asm.param_kinds), parsed, layout, offset)
    R, A, K = asm.n_regs, asm.memory, asm.stack
    regs = np.zeros((1, R + len(asm.consts)), dtype=np.int64)
    regs[0, R:] = asm.consts
    mem = np.zeros((1, A), dtype=np.int64)
    for base, lengths, values in placement.blocks:
        n = int(lengths[0])
        mem[0, base] = n
        mem[0, base + 1:base + 1 + n] = values[0, :n]
    for reg, value in placement.registers:
        regs[0, reg] = value
    zeros = [np.zeros(1, dtype=np.int64) for _ in range(7)]
    sp, ip, steps, fault, fault_line, overflow_line, overflow_value = zeros
    overflow_line -= 1
    state = HardState(regs, mem, np.zeros((1, K, R), dtype=np.int64), np.zeros((1, K), dtype=np.int64),
                      sp, ip, steps, fault, fault_line, overflow_line, overflow_value)
    return state, layout

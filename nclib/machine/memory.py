"""How much memory soft mode needs, estimated from the program's shape before anything is allocated.

Soft mode holds every register, memory cell and stack frame as a distribution over the V values
of the window, and its ALU builds V x V intermediates: each add / sub line (and the address
arithmetic of load, store and alloc) materialises one [V, V] float window per batch element
(`nclib/kernels/alu/naive.py`, `_circular_corr`), and mul / floordiv / mod an outer product of V * V
floats plus a [V, V] int64 result table per op. Memory therefore grows with V squared: a window
of 70,000 values needs about 18 GiB for one item and one add line. Time grows the same way:
soft windows of a few thousand values cost about a minute per item (measured at values=(-1024,
1024)). Hard mode (exact int64, any window) and worlds mode (exact per enumerated world) need
none of this: their state is int64 registers, memory cells and stack frames per item
(`hard_state_bytes`), checked the same way before it is allocated (`check_hard_run`), which
matters only for a huge `memory=` or batch.

This module imports torch only when asked about a CUDA device or a torch dtype, so the
torch-free hard call (`nclib.runtime.call`, `nclib run`) can check memory too.

The estimate counts the tables, the program tensors, the machine state and one step's
temporaries: what the run needs before its first step completes. A run with gradients keeps one
more state per checkpointed segment (without checkpointing, one per step), so the real peak of
a long run is higher; a refusal is therefore never wrong, and a run that passes can still grow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nclib.compiler.assemble import F_OP, OPCODES, Assembly
from nclib.errors import MemoryLimitError

if TYPE_CHECKING:
    import torch

__all__ = ["SoftEstimate", "available_bytes", "check_bytes", "check_hard_run", "check_soft_run", "check_soft_window",
           "hard_state_bytes", "soft_estimate",
           "table_bytes", "parameter_bytes", "SAFETY", "GiB"]

GiB = 1024 ** 3
# A run is refused when its estimate exceeds this fraction of the memory available now.
SAFETY = 0.8
# Estimates below this are not checked (reading the available memory is not free, and nothing
# this small can exhaust a machine).
SMALL = 64 * 1024 ** 2
# What a model whose routine does not fit soft mode should use instead.
MODEL_ALTERNATIVE = "use nc_machine_mode='hard' or 'worlds' (exact, any window)"
# Ops whose soft form builds a [V, V] float intermediate per line and batch element.
SQUARE_OPS = ("add", "sub", "load", "store", "alloc", "mul", "floordiv", "mod")
TABLE_OPS = ("mul", "floordiv", "mod")
# Operands each op reads (operand distributions [B, lines, V] are cached per step).
OPERANDS = {"halt": 0, "jmp": 0, "push": 0, "ret": 0, "fault": 0, "mov": 1, "alloc": 1, "jz": 1, "jnz": 1, "store": 3}


def available_bytes(device: torch.device | str = "cpu") -> int:
    """Memory a new allocation can take now: the CUDA device's free memory (plus what PyTorch's
    caching allocator holds unused), or on the CPU the kernel's MemAvailable, lowered to the room
    left under a cgroup memory limit when there is one."""
    if str(device).startswith("cuda"):  # "cuda", "cuda:1" or a torch.device of them
        import torch

        device = torch.device(device)
        free, _ = torch.cuda.mem_get_info(device)
        return int(free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device))
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current") as f:
            used = int(f.read().strip())
        if limit != "max":
            avail = min(avail, int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(0, avail)


@dataclass
class SoftEstimate:
    """Bytes a soft run needs, by part (see the module docstring)."""

    tables: int  # [V, V] int64 result tables of mul / floordiv / mod, built once per device
    parameters: int  # the program tensors (selectors, successors, constants [C, V]), stored and cast
    state: int  # registers, memory, stack, stack pointer, instruction pointer of every batch element
    step: int  # one step's temporaries: operand and result distributions, the [V, V] intermediates
    square: int  # the largest [V, V] intermediate alone (part of `step`)

    @property
    def total(self) -> int:
        return self.tables + self.parameters + self.state + self.step

    def describe(self) -> str:
        parts = [("V x V intermediates", self.square), ("tables", self.tables), ("machine state", self.state)]
        return ", ".join(f"{what} {_gib(n)}" for what, n in parts if n)


def _gib(n: int) -> str:
    return f"{n / GiB:.3g} GiB" if n >= GiB / 1000 else f"{n / 1024 ** 2:.3g} MiB"


def _line_counts(asm: Assembly) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in asm.table[:, F_OP].tolist():
        counts[OPCODES[o]] = counts.get(OPCODES[o], 0) + 1
    return counts


def table_bytes(asm: Assembly) -> int:
    """The [V, V] int64 result tables soft mode builds for the mul / floordiv / mod the program uses."""
    counts = _line_counts(asm)
    return 8 * asm.V * asm.V * sum(1 for op in TABLE_OPS if counts.get(op))


def parameter_bytes(asm: Assembly, itemsize: int = 4) -> int:
    """The program tensors of `machine.soft_parameters`: sel_a/b/c [P, R + C], dst [P, R],
    jump/next [P, P], consts [C, V]."""
    P, R, C, V = asm.n_lines, asm.n_regs, len(asm.consts), asm.V
    return itemsize * (3 * P * (R + C) + P * R + 2 * P * P + C * V)


def soft_estimate(asm: Assembly, batch: int = 1, dtype: torch.dtype | None = None, grad: bool = False,
                  segment: int = 32) -> SoftEstimate:
    """Bytes a soft run of `asm` on `batch` items in `dtype` (default float32) needs before its
    first step completes (with `grad`: plus one checkpointed segment of `segment` steps)."""
    s = 4 if dtype is None else dtype.itemsize
    P, R, C, A, K, V, B = asm.n_lines, asm.n_regs, len(asm.consts), asm.memory, asm.stack, asm.V, batch
    counts = _line_counts(asm)
    state = s * B * (R * V + A * V + K * (R * V + P) + (K + 1) + P + 1)
    operands = sum(n * OPERANDS.get(op, 2) for op, n in counts.items())
    vectors = s * B * V * ((R + C) + operands + 2 * P + 2 * R)  # full, operands, results, new registers
    square = s * B * V * V * max([counts.get(op, 0) for op in SQUARE_OPS] + [0])
    # the next state is built beside the current one (the stack is copied by push, pop and the
    # return-address update)
    step = vectors + square + state + 2 * s * B * K * (R * V + P)
    if grad:
        step += segment * (state + vectors)
    return SoftEstimate(tables=table_bytes(asm), parameters=parameter_bytes(asm) + parameter_bytes(asm, s),
                        state=state, step=step, square=square)


HARD_OR_WORLDS = "run it in hard mode (exact, any window) or worlds mode (mode='worlds')"


def _refuse_message(what: str, window: tuple[int, int], need: int, avail: int, device: torch.device, detail: str,
                    alternative: str) -> str:
    lo, hi = window
    return (f"{what} over the value window [{lo}, {hi}) (V={hi - lo}) needs about {_gib(need)}"
            f"{f' ({detail})' if detail else ''}, more than {SAFETY:.0%} of the {_gib(avail)} available on {device}; "
            f"soft mode grows with V squared (a window of a few thousand values also takes "
            f"about a minute per item): {alternative}, or use a smaller window or batch")


def check_bytes(need: int, what: str, window: tuple[int, int], device: torch.device | str = "cpu",
                detail: str = "", alternative: str = HARD_OR_WORLDS) -> None:
    """Raise MemoryLimitError when `need` bytes exceed SAFETY of the memory available on `device`."""
    if need < SMALL:
        return
    avail = available_bytes(device)
    if need > SAFETY * avail:
        raise MemoryLimitError(_refuse_message(what, window, need, avail, device, detail, alternative))


def check_soft_run(asm: Assembly, batch: int, dtype: torch.dtype, device: torch.device | str, grad: bool = False,
                   segment: int = 32, tables_built: bool = False, alternative: str = HARD_OR_WORLDS) -> SoftEstimate:
    """Refuse (MemoryLimitError) a soft run that cannot fit; returns the estimate otherwise.
    tables_built: the tables already exist on `device` and are not counted again."""
    est = soft_estimate(asm, batch, dtype, grad, segment)
    need = est.total - (est.tables if tables_built else 0)
    check_bytes(need, f"{asm.entry}: a soft-mode run of {batch} item{'s' if batch != 1 else ''}",
                (asm.lo, asm.lo + asm.V), device, est.describe(), alternative)
    return est


def check_soft_window(name: str, lo: int, V: int, device: torch.device | str = "cpu") -> None:
    """Refuse a soft-mode routine whose window cannot run even one item: any add, sub, load or
    store line builds a [V, V] float32 intermediate per item."""
    check_bytes(4 * V * V, f"{name}: soft mode (nc_machine_mode='soft')", (lo, lo + V), device,
                "one V x V float32 intermediate per item and line", MODEL_ALTERNATIVE)


def hard_state_bytes(asm: Assembly, batch: int) -> int:
    """Bytes of the hard machine's int64 state for `batch` items: registers and constants [R + C],
    memory [A], the stack's frames [K, R] and return lines [K], seven counters and flags."""
    R, C, A, K = asm.n_regs, len(asm.consts), asm.memory, asm.stack
    return 8 * batch * (R + C + A + K * R + K + 7)


def check_hard_run(asm: Assembly, batch: int, device: torch.device | str = "cpu", copies: int = 1) -> None:
    """Refuse (MemoryLimitError, naming memory= and the batch) a hard or worlds run whose state
    (`copies` of it: the compiled loop works on a copy) cannot fit in what is available now."""
    need = copies * hard_state_bytes(asm, batch)
    if need < SMALL:
        return
    avail = available_bytes(device)
    if need > SAFETY * avail:
        per_item = hard_state_bytes(asm, 1)
        raise MemoryLimitError(
            f"{asm.entry}: a hard-mode run of {batch:,} item{'s' if batch != 1 else ''} with memory={asm.memory:,} cells "
            f"and stack={asm.stack} needs about {_gib(need)} of machine state ({per_item:,} bytes per item), more than "
            f"{SAFETY:.0%} of the {_gib(avail)} available on {device}; compile with a smaller memory= or run a smaller batch")

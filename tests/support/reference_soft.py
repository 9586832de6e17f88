"""FROZEN REFERENCE: nclib/machine/soft.py as of commit 959bd96 (before the fast paths of issue 14
part 3: constant-b shifts, address correlations restricted to the A cells, grouped-convolution
correlations on the CPU). tests/machine/test_soft_fast_paths.py compares the current soft step
against this copy (values and gradients). Do not edit it except to follow an intended change of
the soft semantics; it is not imported by nclib.

Original docstring: Soft mode: every register and memory cell is a distribution over the V window
entries, the instruction pointer is a distribution over the P lines, and one step is the convex
mixture of what every line would do, weighted by the instruction pointer (docs/design.md §2.2). With
one-hot inputs the soft machine follows exactly the hard machine's path. Derivations: docs/machine.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch.utils.checkpoint import checkpoint

from nclib import kernels
from nclib.compiler.assemble import Assembly
from nclib.machine.isa import (ALU_UNARY, COMPARISONS, F_IMM, F_OP, F_TARGET, F_A, F_B, F_C, F_DST, HALT_LINE, HP,
                               OPCODES, RV, WRITES_REGISTER, check_implemented, python_op)
from nclib.machine.memory import check_bytes, parameter_bytes, table_bytes

# Binary ops computed in soft mode through a [V, V] result table (`binary_table`).
TABLE_OPS = ("mul", "floordiv", "mod")


class SoftTables:
    """Constant index tensors of one program for soft execution on one device."""

    def __init__(self, asm: Assembly, device: torch.device):
        table = torch.from_numpy(asm.table)
        ops = table[:, F_OP].tolist()
        self.groups: dict[str, torch.Tensor] = {}
        for name in OPCODES:
            idx = [i for i, o in enumerate(ops) if OPCODES[o] == name]
            if idx:
                self.groups[name] = torch.tensor(idx, device=device)
        self.imm = table[:, F_IMM].to(device)
        lo, V, A = asm.lo, asm.V, asm.memory
        values = list(range(lo, lo + V))

        def index(x: int) -> int:
            return (x - lo) % V

        check_bytes(table_bytes(asm), f"{asm.entry}: the soft-mode result tables (mul, floordiv, mod)", (lo, lo + V), device,
                    "one [V, V] int64 table per op")
        self.binary_tables = {name: binary_table(name, lo, V, device) for name in TABLE_OPS if name in self.groups}
        self.unary_tables = {name: torch.tensor([index(python_op(name, a)) for a in values], device=device)
                             for name in ALU_UNARY if name in self.groups}
        self.addr_index = {}
        for name in ("load", "store"):
            if name in self.groups:
                imm = self.imm[self.groups[name]]  # [n]
                idx = torch.arange(A, device=device)[None, :] - imm[:, None] - lo  # [n, A]
                self.addr_index[name] = (idx.clamp(0, V - 1), ((idx >= 0) & (idx < V)))
        restore = torch.ones(asm.n_regs, device=device)
        restore[RV] = 0
        restore[HP] = 0
        self.restore = restore


@dataclass
class _Lines:
    """What a value rule of SOFT_VALUE reads for the lines of one opcode group (n lines)."""

    name: str
    operand: Callable[[str, str], torch.Tensor]  # (which, group) -> [B, n, V]
    address_of: Callable[[str], torch.Tensor]  # group -> [B, n, A]
    tab: "SoftTables"
    mem: torch.Tensor  # [B, A, V]
    hp: torch.Tensor  # [B, V]
    lo: int

    def a(self) -> torch.Tensor:
        return self.operand("a", self.name)

    def b(self) -> torch.Tensor:
        return self.operand("b", self.name)


# The value each line writes to its destination register, per opcode: [B, n, V] for the n lines of
# the group. The opcodes in SOFT_OTHER write no register value and are handled in `soft_step` by
# name (memory writes, the instruction pointer, the call stack); together they must cover the ISA.
SOFT_VALUE: dict[str, Callable[[_Lines], torch.Tensor]] = {
    "mov": lambda x: x.a(),
    "add": lambda x: kernels.dist_add(x.a(), x.b(), x.lo),
    "sub": lambda x: kernels.dist_sub(x.a(), x.b(), x.lo),
    **{name: (lambda x: kernels.dist_compare(x.a(), x.b(), x.name, x.lo)) for name in COMPARISONS},
    "min": lambda x: kernels.dist_min(x.a(), x.b()),
    "max": lambda x: kernels.dist_max(x.a(), x.b()),
    **{name: (lambda x: kernels.dist_binary_table(x.a(), x.b(), x.tab.binary_tables[x.name])) for name in TABLE_OPS},
    **{name: (lambda x: kernels.dist_unary_table(x.a(), x.tab.unary_tables[x.name])) for name in ALU_UNARY},
    "load": lambda x: kernels.soft_read(x.address_of(x.name), x.mem),
    "alloc": lambda x: x.hp.unsqueeze(1).expand(-1, x.a().shape[1], -1),
}
SOFT_OTHER = ("halt", "store", "jmp", "jz", "jnz", "push", "ret", "fault")
check_implemented("nclib.machine.soft", (*SOFT_VALUE, *SOFT_OTHER))
check_implemented("nclib.machine.soft (register writes)", SOFT_VALUE, WRITES_REGISTER)


def binary_table(name: str, lo: int, V: int, device: torch.device | str = "cpu", rows: int = 1024) -> torch.Tensor:
    """[V, V] int64: the window index of `python_op(name, a, b)` for every pair of window values,
    computed in blocks of `rows` rows so that building it needs little beyond the table itself.
    torch's floor division and remainder follow Python's signs; division by zero gives 0."""
    values = torch.arange(lo, lo + V, dtype=torch.int64, device=device)
    b = values[None, :]  # [1, V]
    safe_b = torch.where(b == 0, torch.ones_like(b), b)
    out = torch.empty(V, V, dtype=torch.int64, device=device)
    for start in range(0, V, rows):
        a = values[start:start + rows, None]  # [rows, 1]
        if name == "mul":
            result = a * b
        elif name == "floordiv":
            result = torch.where(b == 0, 0, torch.div(a, safe_b, rounding_mode="floor"))
        elif name == "mod":
            result = torch.where(b == 0, 0, torch.remainder(a, safe_b))
        else:
            raise ValueError(f"no binary table for op {name!r}")
        out[start:start + rows] = torch.remainder(result - lo, V)
    return out


def soft_parameters(asm: Assembly, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """The program as float tensors (one-hot rows): operand selectors, destinations, successors,
    constants. Soft execution reads the program only through these, so they can be trained.
    Refuses (MemoryLimitError) a window whose constants [C, V] alone would not fit."""
    P, R, C, V = asm.n_lines, asm.n_regs, len(asm.consts), asm.V
    check_bytes(parameter_bytes(asm, dtype.itemsize), f"{asm.entry}: the soft-mode program tensors (constants [C={C}, V])",
                (asm.lo, asm.lo + V), "cpu", "only soft mode reads them; hard mode needs none")
    t = torch.from_numpy(asm.table)
    eye_ops = torch.eye(R + C, dtype=dtype)
    ops = [OPCODES[o] for o in t[:, F_OP].tolist()]
    dst = torch.zeros(P, R, dtype=dtype)
    jump = torch.zeros(P, P, dtype=dtype)
    nxt = torch.zeros(P, P, dtype=dtype)
    for line, name in enumerate(ops):
        if name in WRITES_REGISTER:
            dst[line, t[line, F_DST]] = 1
        if name in ("jmp", "jz", "jnz", "push"):
            jump[line, t[line, F_TARGET]] = 1
        if name in ("halt", "fault"):
            nxt[line, line] = 1  # absorbing
        elif name != "ret" and line + 1 < P:
            nxt[line, line + 1] = 1
    consts = torch.zeros(C, V, dtype=dtype)
    consts[torch.arange(C), torch.tensor(asm.consts) - asm.lo] = 1
    return {
        "sel_a": eye_ops[t[:, F_A]], "sel_b": eye_ops[t[:, F_B]], "sel_c": eye_ops[t[:, F_C]],
        "dst": dst, "jump": jump, "next": nxt, "consts": consts,
    }


def prune_mass(dist: torch.Tensor, threshold: float) -> torch.Tensor:
    """Zero the entries of `dist` [B, N] below `threshold` and scale the rest back to the row's
    total mass (normally 1). The mask is computed on detached values and the largest entry of each
    row is always kept; the scale is a differentiable ratio of sums. Where nothing is below the
    threshold (e.g. a one-hot row) the result equals `dist` exactly (mask 1, scale 1.0)."""
    value = dist.detach()
    keep = (value >= threshold) | (value == value.amax(-1, keepdim=True))
    kept = dist * keep
    total, kept_total = dist.sum(-1, keepdim=True), kept.sum(-1, keepdim=True)
    return kept * (total / kept_total.clamp_min(torch.finfo(dist.dtype).tiny))


def soft_step(asm: Assembly, tab: SoftTables, prm: dict[str, torch.Tensor], state, prune: float = 0.0):
    """One soft step. state: regs [B, R, V], mem [B, A, V], stack [B, K, R*V + P], sp [B, K+1], ip [B, P], ponder [B].

    prune > 0: after the step, instruction-pointer and stack-pointer mass below `prune` is zeroed
    and the rest renormalized (`prune_mass`; docs/machine.md, "Pruning")."""
    regs, mem, stack, sp, ip, ponder = state
    B, R, V = regs.shape
    P, lo, A = ip.shape[1], asm.lo, asm.memory
    g = tab.groups
    full = torch.cat([regs, prm["consts"].unsqueeze(0).expand(B, -1, -1)], 1)  # [B, R + C, V]
    hp = regs[:, HP]  # [B, V]
    index, pieces = [], []
    cache: dict[tuple[str, str], torch.Tensor] = {}

    def operand(which: str, name: str) -> torch.Tensor:
        """[B, n, V]: operand `which` (a, b or c) of the lines of group `name`."""
        if (which, name) not in cache:
            cache[which, name] = torch.matmul(prm["sel_" + which][g[name]], full)  # [n, R+C] @ [B, R+C, V]
        return cache[which, name]

    def produce(name: str, value: torch.Tensor) -> None:
        index.append(g[name])
        pieces.append(value)

    def address(name: str) -> torch.Tensor:
        """[B, n, A]: distribution of the cell a + b + imm for the lines of group `name`."""
        idx, valid = tab.addr_index[name]
        total = kernels.dist_add(operand("a", name), operand("b", name), lo)  # [B, n, V]
        return total.gather(-1, idx.unsqueeze(0).expand(B, -1, -1)) * valid

    for name in g:
        if name in SOFT_VALUE:
            produce(name, SOFT_VALUE[name](_Lines(name, operand, address, tab, mem, hp, lo)))
    vals = regs.new_zeros(B, P, V).index_copy(1, torch.cat(index), torch.cat(pieces, 1)) if index else regs.new_zeros(B, P, V)

    # Registers: convex mixture of the lines' writes, the heap pointer, and ret's restore.
    w = ip.unsqueeze(-1) * prm["dst"]  # [B, P, R]
    new_regs = regs * (1 - w.sum(1)).unsqueeze(-1) + torch.bmm(w.transpose(1, 2), vals)
    mem_w, mem_v = [], []
    if "alloc" in g:
        gate = ip[:, g["alloc"]]  # [B, n]
        size = operand("a", "alloc")  # [B, n, V]
        if lo < 0:  # a negative size allocates nothing (the hard machine clamps it at 0)
            size = torch.cat([torch.zeros_like(size[..., :-lo]), size[..., -lo:-lo + 1] + size[..., :-lo].sum(-1, keepdim=True),
                              size[..., -lo + 1:]], -1)
        grown = torch.roll(kernels.dist_add(hp.unsqueeze(1).expand_as(size), size, lo), 1, -1)  # hp + size + 1
        delta = torch.einsum("bn,bnv->bv", gate, grown - hp.unsqueeze(1))
        hp_row = torch.zeros(R, 1, dtype=regs.dtype, device=regs.device)
        hp_row[HP] = 1
        new_regs = new_regs + hp_row * delta.unsqueeze(1)
        mem_w.append(gate.unsqueeze(-1) * hp[:, -lo:-lo + A].unsqueeze(1))
        mem_v.append(size)
    g_ret = ip[:, g["ret"]].sum(1) if "ret" in g else ip.new_zeros(B)
    frame, sp_pop = kernels.stack_pop(stack, sp, g_ret)
    saved, ret_ip = frame[:, :R * V].view(B, R, V), frame[:, R * V:]
    new_regs = new_regs + (g_ret.view(B, 1, 1) * tab.restore.view(1, R, 1)) * (saved - regs)
    g_push = ip[:, g["push"]]  # [B, n]
    push_gate = g_push.sum(1)
    ret_mix = g_push @ prm["jump"][g["push"]]  # [B, P]
    # The frame's registers are pushed with the total push gate; the return address part is
    # added as sp (x) ret_mix, which equals gate * sp (x) (ret_mix / gate) without dividing.
    pushed = torch.cat([regs.reshape(B, R * V), ret_mix.new_zeros(B, P)], 1)
    new_stack, sp_push = kernels.stack_push(stack, sp, pushed, push_gate)
    ret_part = sp[:, :-1].unsqueeze(-1) * ret_mix.unsqueeze(1)  # [B, K, P]
    new_stack = new_stack + torch.nn.functional.pad(ret_part, (R * V, 0))
    new_sp = sp_push + sp_pop - sp
    # Memory.
    if "store" in g:
        mem_w.append(ip[:, g["store"]].unsqueeze(-1) * address("store"))
        mem_v.append(operand("c", "store"))
    new_mem = kernels.soft_write(mem, torch.cat(mem_w, 1), torch.cat(mem_v, 1)) if mem_w else mem
    # Instruction pointer: taken branches follow `jump`, the rest `next`, ret pops its address.
    taken = ip.new_zeros(B, P)
    if "jmp" in g:
        taken = taken.index_fill(1, g["jmp"], 1.0)
    if "jz" in g:
        taken = taken.index_copy(1, g["jz"], operand("a", "jz")[..., -lo])
    if "jnz" in g:
        a = operand("a", "jnz")
        taken = taken.index_copy(1, g["jnz"], a.sum(-1) - a[..., -lo])
    ip_taken = ip * taken
    new_ip = ip_taken @ prm["jump"] + (ip - ip_taken) @ prm["next"] + g_ret.unsqueeze(-1) * ret_ip
    new_ponder = ponder + (1 - ip[:, HALT_LINE])
    if prune > 0:
        new_ip, new_sp = prune_mass(new_ip, prune), prune_mass(new_sp, prune)
    return new_regs, new_mem, new_stack, new_sp, new_ip, new_ponder


def run_soft(asm: Assembly, tab: SoftTables, prm: dict[str, torch.Tensor], state: tuple, max_steps: int, eps: float,
             use_checkpoint: bool, segment: int, trace: list | None = None, prune: float = 0.0) -> tuple[tuple, int]:
    """Adaptive recurrence: run segments of `segment` steps until every element's halted mass is
    at least 1 - eps or max_steps steps were taken. With use_checkpoint, each segment is
    recomputed in backward, so memory grows with the number of segments, not steps.
    prune > 0: every step prunes instruction-pointer / stack-pointer mass below it (`soft_step`)."""
    if not 0.0 <= prune < 1.0:
        raise ValueError(f"prune must be a threshold in [0, 1), got {prune!r}")

    def run_segment(n: int, *s):
        for _ in range(n):
            s = soft_step(asm, tab, prm, s, prune=prune)
            if trace is not None:
                trace.append((s[4].detach().clone(), s[0].detach().clone()))
        return s

    taken = 0
    # fault lines are absorbing like halt: mass there is final (reported as fault mass), so the run
    # stops once halted + faulted mass reaches 1 - eps
    final = torch.tensor([HALT_LINE] + tab.groups["fault"].tolist() if "fault" in tab.groups else [HALT_LINE],
                         device=state[4].device)
    while taken < max_steps:
        if bool((state[4][:, final].sum(1) >= 1 - eps).all()):
            break
        n = min(segment, max_steps - taken)
        if use_checkpoint and torch.is_grad_enabled() and trace is None:
            state = checkpoint(run_segment, n, *state, use_reentrant=False)
        else:
            state = run_segment(n, *state)
        taken += n
    return state, taken

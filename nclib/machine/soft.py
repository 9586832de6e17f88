"""Soft mode: every register and memory cell is a distribution over the V window entries, the
instruction pointer is a distribution over the P lines, and one step is the convex mixture of
what every line would do, weighted by the instruction pointer (docs/design.md §2.2). With one-hot
inputs the soft machine follows exactly the hard machine's path. Derivations: docs/machine.md.

Fast paths (docs/machine.md, "Soft step: fast paths"), each giving the values and gradients of
the plain formulation: lines whose operand b is a compiled constant shift instead of correlating
(only while the program tensors are the compiled one-hot ones and not trained, `SoftPlan`);
addresses are correlated for the A memory cells only; on the CPU the circular correlations are
grouped convolutions and the push is one batched matmul.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import torch

from nclib import kernels
from nclib.compiler.assemble import Assembly
from nclib.machine.isa import (ALU_UNARY, BY_NAME, COMPARISONS, F_IMM, F_OP, F_TARGET, F_A, F_B, F_C, F_DST, HALT_LINE, HP,
                               OPCODES, RV, WRITES_REGISTER, check_implemented, python_op)
from nclib.machine.state import SoftState
from nclib.machine.memory import check_bytes, parameter_bytes, table_bytes

# Binary ops computed in soft mode through a [V, V] result table (`binary_table`).
TABLE_OPS = ("mul", "floordiv", "mod")
# Ops whose operand b enters a circular correlation (a + b, a - b, the address a + b + imm): a
# constant b makes it a shift (`SoftTables.n_const`, `SoftPlan.exact_constants`).
CONST_B_OPS = ("add", "sub", "load", "store")
OPERANDS = ("a", "b", "c")


def _local_path(t: torch.Tensor) -> bool:
    """Whether the step computes its correlations and the push itself (`_gather_corr`, one
    baddbmm) rather than through `kernels`: where the kernels would run their PyTorch reference,
    i.e. CPU tensors unless the Triton kernels are forced. On CUDA the kernels stay (a convolution
    there may pick an FFT, Winograd or TF32 algorithm, which is not exact on one-hot inputs)."""
    return t.device.type == "cpu" and kernels.get_backend() != "triton"


def _conv_corr(a: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """a [N, V], f [N, L] -> [N, L - V + 1]: out[n, t] = sum_i a[n, i] f[n, t + i], one grouped
    conv1d (N groups, a as the kernels; a direct convolution on the CPU, no FFT, so 0/1 inputs give
    exact sums)."""
    return torch.nn.functional.conv1d(f.unsqueeze(0), a.unsqueeze(1), groups=a.shape[0])[0]


class _WindowCorr(torch.autograd.Function):
    """Differentiable `_conv_corr` whose backward is two more forward convolutions:
    grad_a[i] = sum_t g[t] f[t + i] = conv_corr(g, f)[i] and grad_f[u] = sum_t g[t] a[u - t] =
    conv_corr(flip(a), pad(g, V - 1 both sides))[u]. (autograd's convolution_backward for N
    groups measured several times slower than this.)"""

    @staticmethod
    def forward(ctx, a, f):
        ctx.save_for_backward(a, f)
        return _conv_corr(a, f)

    @staticmethod
    def backward(ctx, grad):
        a, f = ctx.saved_tensors
        V = a.shape[-1]
        grad_a = _conv_corr(grad.contiguous(), f) if ctx.needs_input_grad[0] else None
        grad_f = _conv_corr(a.flip(-1), torch.nn.functional.pad(grad, (V - 1, V - 1))) if ctx.needs_input_grad[1] else None
        return grad_a, grad_f


class _StackStep(torch.autograd.Function):
    """The call stack's step on the CPU path, fused. stack [B, K, F] with F = R*V + P (saved
    registers, return line), weights [B, K] (push gate times the push depth `top`), top [B, K],
    regs [B, R*V], ret [B, P] (the pushed return-line mixture), pop [B, K] (the top-frame depths):

        new_stack = stack * (1 - weights) + [weights (x) regs, top (x) ret]   (kernels.stack_push + the return line)
        frame     = pop @ stack                                                (kernels.stack_pop's frame)

    Forward and backward each make one [B, K, F] tensor plus in-place updates of it (autograd made
    five)."""

    @staticmethod
    def forward(ctx, stack, weights, top, regs, ret, pop):
        ctx.save_for_backward(stack, weights, top, regs, ret, pop)
        RV = regs.shape[1]
        new_stack = stack * (1 - weights).unsqueeze(-1)
        new_stack[:, :, :RV].addcmul_(weights.unsqueeze(-1), regs.unsqueeze(1))
        new_stack[:, :, RV:].addcmul_(top.unsqueeze(-1), ret.unsqueeze(1))
        frame = torch.bmm(pop.unsqueeze(1), stack).squeeze(1)
        return new_stack, frame

    @staticmethod
    def backward(ctx, g_new, g_frame):
        stack, weights, top, regs, ret, pop = ctx.saved_tensors
        RV = regs.shape[1]
        g_new = g_new.contiguous()  # autograd passes zeros for an unused output
        g_regs, g_ret = g_new[:, :, :RV], g_new[:, :, RV:]
        need = ctx.needs_input_grad
        grad_stack = grad_weights = grad_top = grad_regs = grad_ret = grad_pop = None
        if need[0]:
            grad_stack = g_new * (1 - weights).unsqueeze(-1)
            grad_stack.addcmul_(pop.unsqueeze(-1), g_frame.unsqueeze(1))
        # Row-wise dot products as vecdot: a batched matrix-vector bmm measured about 6x slower.
        if need[1]:
            grad_weights = torch.linalg.vecdot(g_regs, regs.unsqueeze(1)) - torch.linalg.vecdot(g_new, stack)
        if need[2]:
            grad_top = torch.linalg.vecdot(g_ret, ret.unsqueeze(1))
        if need[3]:
            grad_regs = torch.bmm(weights.unsqueeze(1), g_regs).squeeze(1)
        if need[4]:
            grad_ret = torch.bmm(top.unsqueeze(1), g_ret).squeeze(1)
        if need[5]:
            grad_pop = torch.linalg.vecdot(stack, g_frame.unsqueeze(1))
        return grad_stack, grad_weights, grad_top, grad_regs, grad_ret, grad_pop


def _gather_corr(a: torch.Tensor, b: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """a, b [B, n, V], index [n, L] (or [L]) -> [B, n, L - V + 1]: out[t] = sum_i a_i b[index[t + i]].
    With index[u] = (c - u) mod V this is out[t] = sum_i a_i b[(c - t - i) mod V], the distribution
    of a + b at c - t: the callers pick c so that out, reversed, is a + b (+ imm) at the values
    they need (docs/machine.md)."""
    B, n, V = a.shape
    L = index.shape[-1]
    if a.numel() == 0:
        return a.new_zeros(B, n, L - V + 1)
    f = b.gather(-1, index.expand(B, n, L))
    return _WindowCorr.apply(a.reshape(B * n, V), f.reshape(B * n, L)).view(B, n, L - V + 1)


_CORR_INDEX: dict = {}


def _corr_index(V: int, lo: int, sign: int, device: torch.device) -> torch.Tensor:
    """[2V - 1]: the `_gather_corr` index for a + b (sign 1) or a - b (sign -1) over the window,
    out reversed (k = V - 1 - t): a + b at lo + k is sum_i a_i b[(k - lo - i) mod V], index
    (V - 1 - lo - u) mod V; a - b at lo + k is sum_i a_i b[(i - k - lo) mod V], index (u + 1 - lo) mod V."""
    key = (V, lo, sign, str(device))
    if key not in _CORR_INDEX:
        u = torch.arange(2 * V - 1, device=device)
        _CORR_INDEX[key] = (V - 1 - lo - u) % V if sign > 0 else (u + 1 - lo) % V
    return _CORR_INDEX[key]


def dist_add_sub(a: torch.Tensor, b: torch.Tensor, lo: int, sign: int) -> torch.Tensor:
    """The distribution of a + b (sign 1) or a - b (sign -1), a, b [B, n, V]: `kernels.dist_add` /
    `dist_sub`, or on the CPU path the same correlation as a grouped convolution (`_gather_corr`)."""
    if not _local_path(a):
        return kernels.dist_add(a, b, lo) if sign > 0 else kernels.dist_sub(a, b, lo)
    a, b = torch.broadcast_tensors(a, b)
    return _gather_corr(a, b, _corr_index(a.shape[-1], lo, sign, a.device)).flip(-1)


@dataclass
class SoftPlan:
    """What the steps of one run read from the program tensors, prepared once per run
    (`SoftTables.plan`); the tensors keep their graph to the program tensors.

    exact_selectors: sel_a, sel_b, sel_c are the compiled one-hot rows and not trained, so the
    operands are gathered (`select` holds columns of [registers | constants]) instead of
    multiplied (`select` holds the selector rows). exact_constants: additionally the constants
    that constant-b lines read are the compiled one-hot rows and not trained, so those lines shift
    (`n_const`). slots: the (operand, group, part) of each piece of the step's operand block, in
    order, with sizes: part "all" is every line of the group, "const" / "reg" its first n_const
    lines / the rest (only where n_const > 0; operand b then has no "const" part)."""

    exact_selectors: bool
    exact_constants: bool
    n_const: dict[str, int]
    slots: list[tuple[str, str, str]]
    sizes: list[int]
    select: torch.Tensor  # [M] int64 or [M, R + C]
    dst_writers: torch.Tensor  # [n_writers, R]: dst rows of the lines that write a register value
    jump_push: torch.Tensor  # [n_push, P]: jump rows of the push lines (their return line)


class SoftTables:
    """Constant index tensors of one program for soft execution on one device."""

    def __init__(self, asm: Assembly, device: torch.device):
        table = torch.from_numpy(asm.table)
        ops = table[:, F_OP].tolist()
        R, lo, V, A = asm.n_regs, asm.lo, asm.V, asm.memory
        self.n_regs, self.n_cols = R, R + len(asm.consts)
        b_col, imms = table[:, F_B].tolist(), table[:, F_IMM].tolist()
        self.columns = {which: table[:, f].to(device) for which, f in zip(OPERANDS, (F_A, F_B, F_C))}  # [P] each
        self.groups: dict[str, torch.Tensor] = {}
        # add, sub, load and store lines whose operand b is a constant come first in their group
        # (n_const of them): with exact one-hot constants their value is a shift, not a correlation.
        self.n_const: dict[str, int] = {}
        const_lines: list[int] = []
        for name in OPCODES:
            idx = [i for i, o in enumerate(ops) if OPCODES[o] == name]
            if idx and name in CONST_B_OPS:
                const = [i for i in idx if b_col[i] >= R]
                idx = const + [i for i in idx if b_col[i] < R]
                self.n_const[name] = len(const)
                const_lines += const
            if idx:
                self.groups[name] = torch.tensor(idx, device=device)
        self.imm = table[:, F_IMM].to(device)
        k_v, k_a = torch.arange(V), torch.arange(A)
        # add / sub of the constant c: out[k] = a[(k - c) mod V] / a[(k + c) mod V]      [n_const, V]
        # load / store at a + c + imm: cell k = a[(k - imm - lo - c) mod V]               [n_const, A]
        self.shift_index: dict[str, torch.Tensor] = {}
        for name, n in self.n_const.items():
            const = [(asm.consts[b_col[i] - R], imms[i]) for i in self.groups[name][:n].tolist()]
            if not const:
                continue
            if name in ("add", "sub"):
                sign = 1 if name == "add" else -1
                rows = [(k_v - sign * c) % V for c, _ in const]
            else:
                rows = [(k_a - imm - lo - c) % V for c, imm in const]
            self.shift_index[name] = torch.stack(rows).to(device)
        # Register b, CPU path (`_gather_corr`): cell k = sum_i a_i b[(k - imm - 2 lo - i) mod V], computed
        # for the A cells only, as out[t] = sum_i a_i F[t + i] with F[u] = b[(A - 1 - imm - 2 lo - u) mod V]
        # and k = A - 1 - t.                                                                [n, A + V - 1]
        u = torch.arange(A + V - 1)
        self.addr_corr_index = {name: torch.stack([(A - 1 - imms[i] - 2 * lo - u) % V for i in self.groups[name].tolist()]).to(device)
                                for name in ("load", "store") if name in self.groups}
        # The constant-b lines' operand b: its column of [registers | constants] and its window index.
        self.const_lines = torch.tensor(const_lines, dtype=torch.int64, device=device)
        self.const_cols = torch.tensor([b_col[i] for i in const_lines], dtype=torch.int64, device=device)
        self.const_values = torch.tensor([asm.consts[b_col[i] - R] - lo for i in const_lines], dtype=torch.int64, device=device)
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
        # The lines that write a register value, in the order soft_step produces their values.
        writers = [idx for name, idx in self.groups.items() if name in SOFT_VALUE]
        self.writers = torch.cat(writers) if writers else torch.zeros(0, dtype=torch.int64, device=device)
        restore = torch.ones(asm.n_regs, device=device)
        restore[RV] = 0
        restore[HP] = 0
        self.restore = restore

    def exact_selectors(self, prm: dict[str, torch.Tensor]) -> bool:
        """Whether sel_a, sel_b and sel_c are exactly the compiled one-hot rows and none requires grad."""
        for which in OPERANDS:
            sel = prm["sel_" + which]
            if sel.requires_grad or sel.shape != (len(self.columns[which]), self.n_cols):
                return False
            if not torch.equal(sel, torch.nn.functional.one_hot(self.columns[which], self.n_cols).to(sel)):
                return False
        return True

    def exact_constants(self, prm: dict[str, torch.Tensor]) -> bool:
        """Whether operand b of every constant-b line (`n_const`) is exactly the compiled one-hot
        constant and no gradient is wanted for it: sel_b picks the constant's column and its row of
        `consts` is one-hot, and neither tensor requires grad. Only then may `soft_step` replace those
        lines' correlations by shifts (same values, same gradients w.r.t. everything else)."""
        if not len(self.const_lines):
            return False
        sel, consts = prm["sel_b"], prm["consts"]
        if sel.requires_grad or consts.requires_grad:
            return False
        rows = sel[self.const_lines]  # [m, R + C]: one 1 at the constant's column, zeros elsewhere
        c = consts[self.const_cols - self.n_regs]  # [m, V]: one 1 at the constant's window index
        return (bool((rows.gather(1, self.const_cols[:, None]) == 1).all()) and bool(((rows != 0).sum(1) == 1).all())
                and bool((c.gather(1, self.const_values[:, None]) == 1).all()) and bool(((c != 0).sum(1) == 1).all()))

    def plan(self, prm: dict[str, torch.Tensor]) -> SoftPlan:
        """Check the program tensors and gather what the steps read from them (`SoftPlan`)."""
        exact_sel, exact_const = self.exact_selectors(prm), self.exact_constants(prm)
        n_const = self.n_const if exact_const else {}
        slots, rows = [], []
        for name, lines in self.groups.items():
            nc = n_const.get(name, 0)
            for which in OPERANDS[:BY_NAME[name].inputs]:
                if not nc or which == "c":
                    parts = [("all", lines)]
                else:
                    parts = ([("const", lines[:nc])] if which == "a" else []) + [("reg", lines[nc:])]
                for part, idx in parts:
                    if len(idx):
                        slots.append((which, name, part))
                        rows.append((which, idx))
        if exact_sel:
            select = torch.cat([self.columns[w][lines] for w, lines in rows]) if rows else self.writers.new_zeros(0)
        else:
            select = torch.cat([prm["sel_" + w][lines] for w, lines in rows]) if rows else prm["sel_a"][:0]
        return SoftPlan(exact_selectors=exact_sel, exact_constants=exact_const, n_const=n_const, slots=slots,
                        sizes=[len(idx) for _, idx in rows], select=select,
                        dst_writers=prm["dst"][self.writers], jump_push=prm["jump"][self.groups["push"]])


@dataclass
class _Lines:
    """What a value rule of SOFT_VALUE reads for the lines of one opcode group (n lines)."""

    name: str
    operand: Callable[..., torch.Tensor]  # (which, group, part="all") -> [B, n, V] (SoftPlan.slots)
    address_of: Callable[[str], torch.Tensor]  # group -> [B, n, A]
    tab: "SoftTables"
    mem: torch.Tensor  # [B, A, V]
    hp: torch.Tensor  # [B, V]
    lo: int
    n_const: int  # the group's first n_const lines add / subtract an exact one-hot constant (0: none or not exact)

    def a(self) -> torch.Tensor:
        return self.operand("a", self.name)

    def b(self) -> torch.Tensor:
        return self.operand("b", self.name)

    def add_sub(self, sign: int) -> torch.Tensor:
        """a + b (sign 1) or a - b (sign -1): a shift of a for the constant-b lines, a correlation for the rest."""
        nc, n = self.n_const, len(self.tab.groups[self.name])
        if not nc:
            return dist_add_sub(self.a(), self.b(), self.lo, sign)
        a = self.operand("a", self.name, "const")
        shifted = a.gather(-1, self.tab.shift_index[self.name].expand(a.shape[0], -1, -1))
        if nc == n:
            return shifted
        rest = dist_add_sub(self.operand("a", self.name, "reg"), self.operand("b", self.name, "reg"), self.lo, sign)
        return torch.cat([shifted, rest], 1)


# The value each line writes to its destination register, per opcode: [B, n, V] for the n lines of
# the group. The opcodes in SOFT_OTHER write no register value and are handled in `soft_step` by
# name (memory writes, the instruction pointer, the call stack); together they must cover the ISA.
SOFT_VALUE: dict[str, Callable[[_Lines], torch.Tensor]] = {
    "mov": lambda x: x.a(),
    "add": lambda x: x.add_sub(1),
    "sub": lambda x: x.add_sub(-1),
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


def soft_step(asm: Assembly, tab: SoftTables, prm: dict[str, torch.Tensor], state: SoftState, prune: float = 0.0,
              plan: SoftPlan | None = None) -> SoftState:
    """One soft step of every batch element: the next state (out of place).

    prune > 0: after the step, instruction-pointer and stack-pointer mass below `prune` is zeroed
    and the rest renormalized (`prune_mass`; docs/machine.md, "Pruning").
    plan: `tab.plan(prm)`, built here when None (`run_soft` builds it once per run)."""
    regs, mem, stack, sp, ip, ponder = state
    B, R, V = regs.shape
    P, lo, A = ip.shape[1], asm.lo, asm.memory
    g = tab.groups
    if plan is None:
        plan = tab.plan(prm)
    local = _local_path(regs)
    full = torch.cat([regs, prm["consts"].unsqueeze(0).expand(B, -1, -1)], 1)  # [B, R + C, V]
    # Every operand of every line in one block [B, M, V], split into the pieces SoftPlan.slots names
    # (one split: backward concatenates the pieces' gradients once instead of a zero block per slice).
    block = full.index_select(1, plan.select) if plan.exact_selectors else torch.matmul(plan.select, full)
    operands = dict(zip(plan.slots, block.split(plan.sizes, 1))) if plan.sizes else {}
    hp = regs[:, HP]  # [B, V]
    pieces = []

    def operand(which: str, name: str, part: str = "all") -> torch.Tensor:
        """[B, n, V]: operand `which` (a, b or c) of the lines of group `name` (`part`: SoftPlan.slots)."""
        return operands[which, name, part]

    def address(name: str) -> torch.Tensor:
        """[B, n, A]: distribution of the cell a + b + imm for the lines of group `name`."""
        idx, valid = tab.addr_index[name]
        nc, n = plan.n_const.get(name, 0), len(g[name])
        parts = []
        if nc:  # b is the constant c: cell k is a at (k - imm - lo - c) mod V
            parts.append(operand("a", name, "const").gather(-1, tab.shift_index[name].expand(B, -1, -1)) * valid[:nc])
        if nc < n:
            a, b = (operand("a", name, "reg"), operand("b", name, "reg")) if nc else (operand("a", name), operand("b", name))
            if local:  # only the A cells of the correlation, reversed (SoftTables.addr_corr_index)
                total = _gather_corr(a, b, tab.addr_corr_index[name][nc:]).flip(-1)
            else:
                total = kernels.dist_add(a, b, lo).gather(-1, idx[nc:].unsqueeze(0).expand(B, -1, -1))
            parts.append(total * valid[nc:])
        return parts[0] if len(parts) == 1 else torch.cat(parts, 1)

    for name in g:
        if name in SOFT_VALUE:
            pieces.append(SOFT_VALUE[name](_Lines(name, operand, address, tab, mem, hp, lo, plan.n_const.get(name, 0))))

    # Registers: convex mixture of the lines' writes, the heap pointer, and ret's restore. Lines
    # without a value (jumps, stores, ...) would add a zero row, so only the writers' rows are mixed.
    new_regs = regs * (1 - ip @ prm["dst"]).unsqueeze(-1)
    if pieces:
        w = ip[:, tab.writers].unsqueeze(-1) * plan.dst_writers  # [B, n, R]
        new_regs = new_regs + torch.bmm(w.transpose(1, 2), torch.cat(pieces, 1))
    mem_w, mem_v = [], []
    if "alloc" in g:
        gate = ip[:, g["alloc"]]  # [B, n]
        size = operand("a", "alloc")  # [B, n, V]
        if lo < 0:  # a negative size allocates nothing, as in hard mode (`[x] * n` with n < 0 is [])
            neg = size[..., :-lo].sum(-1, keepdim=True)  # the mass on sizes < 0 moves to size 0
            size = torch.cat([torch.zeros_like(size[..., :-lo]), size[..., -lo:-lo + 1] + neg, size[..., -lo + 1:]], -1)
        grown = torch.roll(dist_add_sub(hp.unsqueeze(1).expand_as(size), size, lo, 1), 1, -1)  # hp + size + 1
        delta = torch.einsum("bn,bnv->bv", gate, grown - hp.unsqueeze(1))
        hp_row = torch.zeros(R, 1, dtype=regs.dtype, device=regs.device)
        hp_row[HP] = 1
        new_regs = new_regs + hp_row * delta.unsqueeze(1)
        mem_w.append(gate.unsqueeze(-1) * hp[:, -lo:-lo + A].unsqueeze(1))
        mem_v.append(size)
    g_ret = ip[:, g["ret"]].sum(1) if "ret" in g else ip.new_zeros(B)
    g_push = ip[:, g["push"]]  # [B, n] (line 0 is a push)
    push_gate = g_push.sum(1)
    ret_mix = g_push @ plan.jump_push  # [B, P]
    # The frame's registers are pushed with the total push gate; the return address part is
    # added as sp (x) ret_mix, which equals gate * sp (x) (ret_mix / gate) without dividing.
    if local:
        # kernels.stack_pop, kernels.stack_push and the return-address part fused (`_StackStep`).
        top = sp[:, :-1]  # [B, K]: the depth a push writes
        new_stack, frame = _StackStep.apply(stack, push_gate.unsqueeze(-1) * top, top, regs.reshape(B, R * V), ret_mix, sp[:, 1:])
        up = torch.cat([sp.new_zeros(B, 1), sp[:, :-2], sp[:, -2:-1] + sp[:, -1:]], 1)  # depth d -> d + 1, kept at K
        down = torch.cat([sp[:, 1:2] + sp[:, :1], sp[:, 2:], sp.new_zeros(B, 1)], 1)  # depth d -> d - 1, kept at 0
        sp_push = sp + push_gate.unsqueeze(-1) * (up - sp)
        sp_pop = sp + g_ret.unsqueeze(-1) * (down - sp)
    else:
        frame, sp_pop = kernels.stack_pop(stack, sp, g_ret)
        pushed = torch.cat([regs.reshape(B, R * V), ret_mix.new_zeros(B, P)], 1)
        new_stack, sp_push = kernels.stack_push(stack, sp, pushed, push_gate)
        ret_part = sp[:, :-1].unsqueeze(-1) * ret_mix.unsqueeze(1)  # [B, K, P]
        new_stack = new_stack + torch.nn.functional.pad(ret_part, (R * V, 0))
    new_sp = sp_push + sp_pop - sp
    saved, ret_ip = frame[:, :R * V].view(B, R, V), frame[:, R * V:]
    new_regs = new_regs + (g_ret.view(B, 1, 1) * tab.restore.to(regs.dtype).view(1, R, 1)) * (saved - regs)
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
    return SoftState(new_regs, new_mem, new_stack, new_sp, new_ip, new_ponder)


class _Segment(torch.autograd.Function):
    """`n` soft steps as one autograd node that keeps only its inputs: forward runs the steps
    without building a graph, backward runs them again with gradients enabled and differentiates
    that recomputation (torch.utils.checkpoint's reentrant scheme). Every tensor the steps read
    that may need a gradient is an explicit input (the state and the program tensors, `_segment_inputs`),
    so the gradients w.r.t. all of them are exact; no double backward."""

    @staticmethod
    def forward(ctx, run, n_state, *tensors):
        ctx.run, ctx.n_state = run, n_state
        ctx.save_for_backward(*tensors)
        return tuple(run(tensors[:n_state], tensors[n_state:]))

    @staticmethod
    def backward(ctx, *grads):
        if torch.is_grad_enabled():  # backward(create_graph=True): the recomputation is detached from the inputs
            raise RuntimeError("soft mode's checkpointed segments do not support double backward; "
                               "run with checkpoint=False")
        tensors = ctx.saved_tensors
        need = ctx.needs_input_grad[2:]
        inputs = [t.detach().requires_grad_(bool(want)) for t, want in zip(tensors, need)]
        with torch.enable_grad():
            outputs = ctx.run(inputs[:ctx.n_state], inputs[ctx.n_state:])
        pairs = [(o, g) for o, g in zip(outputs, grads) if o.requires_grad and g is not None]
        wanted = [x for x in inputs if x.requires_grad]
        got = iter(torch.autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs], allow_unused=True)
                   if pairs and wanted else [None] * len(wanted))
        return (None, None, *[next(got) if x.requires_grad else None for x in inputs])


def run_soft(asm: Assembly, tab: SoftTables, prm: dict[str, torch.Tensor], state: SoftState, max_steps: int, eps: float,
             use_checkpoint: bool, segment: int, trace: list | None = None, prune: float = 0.0) -> tuple[SoftState, int]:
    """Adaptive recurrence: run segments of `segment` steps until every element's halted mass is
    at least 1 - eps or max_steps steps were taken. With use_checkpoint (and gradients enabled),
    each segment is one `_Segment` node: its forward builds no graph and keeps only the segment's
    input state, and backward recomputes the segment, so memory grows with the number of segments
    plus one segment's activations, not with the steps. Returns (the final state, the steps taken).
    prune > 0: every step prunes instruction-pointer / stack-pointer mass below it (`soft_step`)."""
    if not 0.0 <= prune < 1.0:
        raise ValueError(f"prune must be a threshold in [0, 1), got {prune!r}")

    plan = tab.plan(prm)
    keys = list(prm)
    # Explicit inputs of a checkpointed segment besides the state: the program tensors and the
    # plan's tensors derived from them (their gradients flow on to the program tensors).
    program = [prm[k] for k in keys] + [plan.select, plan.dst_writers, plan.jump_push]

    def steps(n: int, s: SoftState, p, pl) -> SoftState:
        for _ in range(n):
            s = soft_step(asm, tab, p, s, prune=prune, plan=pl)
            if trace is not None:
                trace.append((s.ip.detach().clone(), s.regs.detach().clone()))
        return s

    def segment_of(n: int):
        def run(s, extra):
            p = dict(zip(keys, extra[:len(keys)]))
            select, dst_writers, jump_push = extra[len(keys):]
            return steps(n, SoftState(*s), p, replace(plan, select=select, dst_writers=dst_writers, jump_push=jump_push))
        return run

    state = SoftState(*state)
    taken = 0
    # fault lines are absorbing like halt: mass there is final (reported as fault mass), so the run
    # stops once halted + faulted mass reaches 1 - eps
    final = torch.tensor([HALT_LINE] + tab.groups["fault"].tolist() if "fault" in tab.groups else [HALT_LINE],
                         device=state.ip.device)
    while taken < max_steps:
        if bool((state.ip[:, final].sum(1) >= 1 - eps).all()):
            break
        n = min(segment, max_steps - taken)
        if use_checkpoint and torch.is_grad_enabled() and trace is None:
            state = SoftState(*_Segment.apply(segment_of(n), len(state), *state, *program))
        else:
            state = steps(n, state, prm, plan)
        taken += n
    return state, taken

"""The register/memory machine that runs an `Assembly`, in hard mode and in soft mode.

Hard mode: int64 values, exact, batched (each batch element has its own instruction pointer).
Soft mode: every register and memory cell is a distribution over the V window entries, the
instruction pointer is a distribution over the P lines, and one step is the convex mixture of
what every line would do, weighted by the instruction pointer (DESIGN.md §2). With one-hot
inputs the soft machine follows exactly the hard machine's path. Derivations: docs/machine.md.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import torch
from torch.utils.checkpoint import checkpoint

from nclib import kernels
from nclib.compiler.assemble import (F_A, F_B, F_C, F_CHECK, F_DST, F_IMM, F_OP, F_TARGET, HALT_LINE, OP, OPCODES,
                                     WRITES_REGISTER, Assembly)
from nclib.compiler.ir import ALU_BINARY, ALU_UNARY, COMPARISONS
from nclib.compiler.regalloc import HP, RV
from nclib.memory import check_bytes, parameter_bytes, table_bytes

# Fault codes of hard mode (0 = none).
FAULT_OVERFLOW, FAULT_INDEX, FAULT_MEMORY, FAULT_STACK, FAULT_DIVZERO, FAULT_NO_RETURN, FAULT_RAISE = 1, 2, 3, 4, 5, 6, 7
FAULT_NAMES = {
    FAULT_OVERFLOW: "result outside the value window",
    FAULT_INDEX: "list index out of range",
    FAULT_MEMORY: "out of memory (the lists do not fit in the machine's memory cells)",
    FAULT_STACK: "call stack overflow (recursion deeper than the stack)",
    FAULT_DIVZERO: "division or modulo by zero",
    FAULT_NO_RETURN: "function ended without returning a value",
    FAULT_RAISE: "the routine raised an error (raise or a failed assert)",
}
# Not a step's fault: set by `CycleDetector` when an element's whole state repeats (it never halts).
FAULT_NO_HALT = 8
FAULT_NAMES[FAULT_NO_HALT] = "does not halt (the machine returned to an earlier state, so it loops forever)"
ARITHMETIC = ("add", "sub", "mul", "floordiv", "mod", "neg", "abs")
# Windows lie within +-2**62 (Program checks), so a product whose float value exceeds 2**62 is out of
# every window; its int64 product may have wrapped, so it is recorded as +-2**62 and reported as such.
INT64_GUARD_INT = 2**62
INT64_GUARD = float(INT64_GUARD_INT)


def python_op(name: str, a: int, b: int = 0) -> int:
    """The integer semantics of each ALU op, as CPython computes it (used to build soft tables)."""
    return {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
        "floordiv": lambda: a // b if b else 0, "mod": lambda: a % b if b else 0,
        "lt": lambda: int(a < b), "le": lambda: int(a <= b), "gt": lambda: int(a > b), "ge": lambda: int(a >= b),
        "eq": lambda: int(a == b), "ne": lambda: int(a != b), "min": lambda: min(a, b), "max": lambda: max(a, b),
        "neg": lambda: -a, "abs": lambda: abs(a), "not": lambda: int(a == 0),
    }[name]()


@dataclass
class HardState:
    regs: torch.Tensor  # [B, R + C] int64; the last C columns hold the constants
    mem: torch.Tensor  # [B, A]
    stack_regs: torch.Tensor  # [B, K, R]
    stack_ret: torch.Tensor  # [B, K]
    sp: torch.Tensor  # [B]
    ip: torch.Tensor  # [B]
    steps: torch.Tensor  # [B]
    fault: torch.Tensor  # [B] first fault code (overflow is recorded but does not stop)
    fault_line: torch.Tensor  # [B]
    overflow_line: torch.Tensor  # [B] first line whose result left the window, -1 if none
    overflow_value: torch.Tensor  # [B] the unwrapped result at that line


HARD_FIELDS = ("regs", "mem", "stack_regs", "stack_ret", "sp", "ip", "steps", "fault", "fault_line", "overflow_line", "overflow_value")


def hard_step(table, writes_tab, arith_tab, regs, mem, stack_regs, stack_ret, sp, ip, steps, fault_code, fault_line,
              overflow_line, overflow_value, *, R: int, A: int, K: int, lo: int, V: int, used: frozenset, stack_step: bool):
    """One hard step of every batch element, out of place.

    Each element executes the line its own instruction pointer is on; every op the program uses
    is computed for all elements and selected by opcode. Shapes: regs [B, R + C], mem [B, A],
    stack_regs [B, K, R], stack_ret/sp/ip/... [B]. With stack_step False the push/ret traffic is
    skipped (the caller knows no element is on such a line)."""
    B = ip.shape[0]
    row = table[ip]  # [B, 8]
    op = row[:, F_OP]
    va = regs.gather(1, row[:, F_A, None])[:, 0]
    vb = regs.gather(1, row[:, F_B, None])[:, 0]
    steps = steps + (ip != HALT_LINE).long()
    fault = torch.zeros_like(ip)
    val = va  # mov
    divisor = vb
    if used & {"floordiv", "mod"}:
        divisor = torch.where(vb == 0, torch.ones_like(vb), vb)
        fault = torch.where(((op == OP["floordiv"]) | (op == OP["mod"])) & (vb == 0), FAULT_DIVZERO, fault)
    for name in sorted(used & set(ALU_BINARY + ALU_UNARY)):
        result = {
            "add": lambda: va + vb, "sub": lambda: va - vb, "mul": lambda: va * vb,
            "floordiv": lambda: torch.div(va, divisor, rounding_mode="floor"), "mod": lambda: torch.remainder(va, divisor),
            "lt": lambda: (va < vb).long(), "le": lambda: (va <= vb).long(), "gt": lambda: (va > vb).long(),
            "ge": lambda: (va >= vb).long(), "eq": lambda: (va == vb).long(), "ne": lambda: (va != vb).long(),
            "min": lambda: torch.minimum(va, vb), "max": lambda: torch.maximum(va, vb),
            "neg": lambda: -va, "abs": lambda: va.abs(), "not": lambda: (va == 0).long(),
        }[name]()
        val = torch.where(op == OP[name], result, val)
    if used & set(ARITHMETIC):
        wrapped = torch.remainder(val - lo, V) + lo
        left = wrapped != val
        if "mul" in used:  # a product beyond int64 wraps silently: compare with the float product
            beyond = (op == OP["mul"]) & ((va.double() * vb.double()).abs() > INT64_GUARD)
            left = left | beyond
            val = torch.where(beyond, torch.where((va < 0) != (vb < 0), -INT64_GUARD_INT, INT64_GUARD_INT), val)
        first_over = arith_tab[op] & left & (overflow_line < 0)
        overflow_line = torch.where(first_over, ip, overflow_line)
        overflow_value = torch.where(first_over, val, overflow_value)
        val = wrapped
    addr = va
    is_store = torch.zeros_like(op, dtype=torch.bool)
    if used & {"load", "store"}:
        addr = va + vb + row[:, F_IMM]
        bad = (addr < 0) | (addr >= A)
        length = mem.gather(1, va.clamp(0, A - 1)[:, None])[:, 0]
        bad = bad | ((row[:, F_CHECK] == 1) & ((vb < 0) | (vb >= length)))
        addr = addr.clamp(0, A - 1)
        is_load, is_store = op == OP["load"], op == OP["store"]
        fault = torch.where((is_load | is_store) & bad, FAULT_INDEX, fault)
        val = torch.where(is_load, mem.gather(1, addr[:, None])[:, 0], val)
    hp = regs[:, HP]
    if "alloc" in used:
        is_alloc = op == OP["alloc"]
        size = va.clamp_min(0)
        new_hp = hp + size + 1
        fault = torch.where(is_alloc & (new_hp > A), FAULT_MEMORY, fault)
        val = torch.where(is_alloc, hp, val)
    if "fault" in used:
        # a fault line with imm 1 is a raise / failed assert of the source (nclib.RoutineError)
        fault = torch.where(op == OP["fault"], torch.where(row[:, F_IMM] == 1, FAULT_RAISE, FAULT_NO_RETURN), fault)
    is_push, is_ret = op == OP["push"], op == OP["ret"]
    fault = torch.where(is_push & (sp >= K), FAULT_STACK, fault)
    ok = fault == 0
    # Memory writes (store, and the length cell of a new list).
    if used & {"store", "alloc"}:
        vc = regs.gather(1, row[:, F_C, None])[:, 0]
        w_addr, w_val, do_write = addr, vc, is_store
        if "alloc" in used:
            w_addr = torch.where(is_alloc, hp.clamp(0, A - 1), w_addr)
            w_val = torch.where(is_alloc, size, w_val)
            do_write = do_write | is_alloc
        do_write = do_write & ok
        old = mem.gather(1, w_addr[:, None])[:, 0]
        mem = mem.scatter(1, w_addr[:, None], torch.where(do_write, w_val, old)[:, None])
    # Call stack: push saves the registers before this step's writes; ret reads the top frame.
    if stack_step:
        top = (sp - 1).clamp_min(0)
        frame = stack_regs.gather(1, top.view(B, 1, 1).expand(B, 1, R))[:, 0]
        ret_addr = stack_ret.gather(1, top[:, None])[:, 0]
        do_push = is_push & ok
        slot = sp.clamp(0, K - 1)[:, None]
        slot_regs = slot.view(B, 1, 1).expand(B, 1, R)
        old_frame = stack_regs.gather(1, slot_regs)[:, 0]
        stack_regs = stack_regs.scatter(1, slot_regs, torch.where(do_push[:, None], regs[:, :R], old_frame)[:, None])
        old_ret = stack_ret.gather(1, slot)[:, 0]
        stack_ret = stack_ret.scatter(1, slot, torch.where(do_push, row[:, F_TARGET], old_ret)[:, None])
        sp = sp + do_push.long() - is_ret.long()
    # Register writes: the destination, the heap pointer, and the frame restored by ret.
    write = writes_tab[op] & ok
    old = regs.gather(1, row[:, F_DST, None])[:, 0]
    regs = regs.scatter(1, row[:, F_DST, None], torch.where(write, val, old)[:, None])
    if "alloc" in used:
        regs = torch.cat([regs[:, :HP], torch.where(is_alloc & ok, new_hp, hp)[:, None], regs[:, HP + 1:]], 1)
    if stack_step:
        keep = torch.zeros(regs.shape[1], dtype=torch.bool, device=regs.device)
        keep[R:] = True
        keep[RV] = True
        keep[HP] = True
        frame_full = torch.cat([frame, regs[:, R:]], 1)
        regs = torch.where(is_ret[:, None] & ~keep, frame_full, regs)
    # Next instruction.
    taken = (op == OP["jmp"]) | ((op == OP["jz"]) & (va == 0)) | ((op == OP["jnz"]) & (va != 0))
    nxt = torch.where(taken, row[:, F_TARGET], ip + 1)
    if stack_step:
        nxt = torch.where(is_ret, ret_addr, nxt)
    nxt = torch.where(op == OP["halt"], ip, nxt)
    first = (fault != 0) & (fault_code == 0)
    fault_code = torch.where(first, fault, fault_code)
    fault_line = torch.where(first, ip, fault_line)
    ip = torch.where(fault != 0, torch.full_like(nxt, HALT_LINE), nxt)
    return regs, mem, stack_regs, stack_ret, sp, ip, steps, fault_code, fault_line, overflow_line, overflow_value


class CycleDetector:
    """Brent-style cycle detection over the full hard state of every batch element.

    The hard machine is deterministic and its next state depends only on (regs, mem, stack_regs,
    stack_ret, sp, ip), so an element whose state repeats never halts. The state is saved after
    `stride` * 2^k steps (k = 0, 1, ...); every `stride` steps after that it is compared with the
    saved one, first cheaply on (sp, ip) and the registers [B, R + C], then on memory and call
    stack for the few elements where those match. An element that entered a cycle of period p
    after m steps is caught within about 2 max(m, stride p) + stride p steps; checking every
    `stride` steps only keeps the cost on halting runs small. A caught element is replayed
    through one round of its cycle (a multiple of p steps) to find the lowest (stack depth,
    source line, machine line) it visits: the loop of the outermost frame in the cycle. It gets
    fault code FAULT_NO_HALT at that machine line and stops (ip = HALT_LINE), like any fault;
    `Program` reports it as not halted (ExecResult.halted 0)."""

    def __init__(self, asm: Assembly, device: torch.device, stride: int = 8):
        P = asm.n_lines
        # [P]: a line's rank, by source line (lines without one last), then machine line
        source = torch.tensor([ln.loc[0] if ln.loc[0] > 0 else 1 << 30 for ln in asm.lines], dtype=torch.int64)
        self.rank = (source * P + torch.arange(P)).to(device)
        self.span = int(self.rank.max()) + 1  # a deeper frame ranks after every line of a shallower one
        self.P = P
        self.stride = stride
        self.saved_at = 0
        self.snapshot: list[torch.Tensor] | None = None  # regs, mem, stack_regs, stack_ret, key (-1: halted)

    def key(self, sp: torch.Tensor, ip: torch.Tensor) -> torch.Tensor:
        """[B]: equal keys <=> equal (sp, ip); lower keys are shallower frames, then earlier lines."""
        return sp * self.span + self.rank[ip]

    def update(self, taken: int, tensors: list[torch.Tensor], step) -> list[torch.Tensor]:
        """Called after step number `taken` (1, 2, ...) with the state list of `run_hard`; `step`
        advances such a list by one step. Returns the list, with the elements found cycling
        faulted (FAULT_NO_HALT at their loop's line) and stopped."""
        if taken % self.stride:
            return tensors
        regs, mem, stack_regs, stack_ret, sp, ip = tensors[:6]
        key = self.key(sp, ip)
        if self.snapshot is not None:
            s_regs, s_mem, s_stack_regs, s_stack_ret, s_key = self.snapshot
            same = (key == s_key) & (regs == s_regs).all(1)
            if bool(same.any()):
                idx = same.nonzero()[:, 0]
                whole = ((mem[idx] == s_mem[idx]).all(1) & (stack_regs[idx] == s_stack_regs[idx]).flatten(1).all(1)
                         & (stack_ret[idx] == s_stack_ret[idx]).all(1))
                found = idx[whole]
                if found.numel():
                    tensors = self.stop(tensors, found, taken - self.saved_at, step)
        if taken == self.stride * (2 * self.saved_at // self.stride or 1):
            halted = tensors[5] == HALT_LINE
            self.snapshot = [regs.clone(), mem.clone(), stack_regs.clone(), stack_ret.clone(), torch.where(halted, -1, key)]
            self.saved_at = taken
        return tensors

    def stop(self, tensors: list[torch.Tensor], found: torch.Tensor, rounds: int, step) -> list[torch.Tensor]:
        """Fault and stop the elements `found` [n], whose state repeats every `rounds` steps (a
        multiple of their period): replay them that many steps to find their loop's line."""
        sub = [x[found] for x in tensors]
        lowest = self.key(sub[4], sub[5])
        for _ in range(rounds - 1):
            sub = step(sub)
            lowest = torch.minimum(lowest, self.key(sub[4], sub[5]))
        tensors = list(tensors)
        tensors[7] = tensors[7].index_fill(0, found, FAULT_NO_HALT)
        tensors[8] = tensors[8].index_copy(0, found, lowest % self.span % self.P)
        tensors[5] = tensors[5].index_fill(0, found, HALT_LINE)
        return tensors


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


def run_hard(asm: Assembly, state: HardState, max_steps: int, trace: list | None = None, cycles: bool = True) -> HardState:
    """Run until every element halted (or faulted) or max_steps steps were taken. Steps where no
    element is on a push or ret line skip the call-stack traffic. With `cycles`, an element whose
    full state repeats is stopped with fault FAULT_NO_HALT at its loop's line (`CycleDetector`).

    (torch.compile of `hard_step` was tried for large batches: on this 2-core CPU the compiled
    step took 39 ms against 2.4 ms eager at B=4096, after a 29 s compile, so the eager path stays.)"""
    table = asm.table.to(state.regs.device)
    used = frozenset(OPCODES[o] for o in asm.table[:, F_OP].unique().tolist())
    writes_tab = torch.tensor([name in WRITES_REGISTER for name in OPCODES], device=table.device)
    arith_tab = torch.tensor([name in ARITHMETIC for name in OPCODES], device=table.device)
    static = dict(R=asm.n_regs, A=asm.memory, K=asm.stack, lo=asm.lo, V=asm.V, used=used)
    tensors = [getattr(state, name) for name in HARD_FIELDS]
    push_ret = torch.tensor([OP["push"], OP["ret"]], device=table.device)
    detector = CycleDetector(asm, table.device) if cycles else None

    def step_all(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
        return list(hard_step(table, writes_tab, arith_tab, *tensors, **static, stack_step=True))

    for step in range(max_steps):
        ip = tensors[5]
        if step % 16 == 0 and bool((ip == HALT_LINE).all()):
            break
        stack_step = bool(torch.isin(table[ip, F_OP], push_ret).any())
        tensors = list(hard_step(table, writes_tab, arith_tab, *tensors, **static, stack_step=stack_step))
        if trace is not None:
            trace.append((ip.clone(), tensors[0][:, :asm.n_regs].clone()))
        if detector is not None:
            tensors = detector.update(step + 1, tensors, step_all)
    return HardState(*tensors)


class SoftTables:
    """Constant index tensors of one program for soft execution on one device."""

    def __init__(self, asm: Assembly, device: torch.device):
        table = asm.table
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
        self.binary_tables = {name: binary_table(name, lo, V, device) for name in ("mul", "floordiv", "mod") if name in self.groups}
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
    t = asm.table
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


def soft_step(asm: Assembly, tab: SoftTables, prm: dict[str, torch.Tensor], regs, mem, stack, sp, ip, ponder,
              prune: float = 0.0):
    """One soft step. regs [B, R, V], mem [B, A, V], stack [B, K, R*V + P], sp [B, K+1], ip [B, P], ponder [B].

    prune > 0: after the step, instruction-pointer and stack-pointer mass below `prune` is zeroed
    and the rest renormalized (`prune_mass`; docs/machine.md, "Pruning")."""
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
        if name == "mov":
            produce(name, operand("a", name))
        elif name == "add":
            produce(name, kernels.dist_add(operand("a", name), operand("b", name), lo))
        elif name == "sub":
            produce(name, kernels.dist_sub(operand("a", name), operand("b", name), lo))
        elif name in COMPARISONS:
            produce(name, kernels.dist_compare(operand("a", name), operand("b", name), name, lo))
        elif name in ("min", "max"):
            produce(name, (kernels.dist_min if name == "min" else kernels.dist_max)(operand("a", name), operand("b", name)))
        elif name in tab.binary_tables:
            produce(name, kernels.dist_binary_table(operand("a", name), operand("b", name), tab.binary_tables[name]))
        elif name in tab.unary_tables:
            produce(name, kernels.dist_unary_table(operand("a", name), tab.unary_tables[name]))
        elif name == "load":
            produce(name, kernels.soft_read(address(name), mem))
        elif name == "alloc":
            produce(name, hp.unsqueeze(1).expand(-1, len(g[name]), -1))
    vals = regs.new_zeros(B, P, V).index_copy(1, torch.cat(index), torch.cat(pieces, 1)) if index else regs.new_zeros(B, P, V)

    # Registers: convex mixture of the lines' writes, the heap pointer, and ret's restore.
    w = ip.unsqueeze(-1) * prm["dst"]  # [B, P, R]
    new_regs = regs * (1 - w.sum(1)).unsqueeze(-1) + torch.bmm(w.transpose(1, 2), vals)
    mem_w, mem_v = [], []
    if "alloc" in g:
        gate = ip[:, g["alloc"]]  # [B, n]
        size = operand("a", "alloc")  # [B, n, V]
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
            s = soft_step(asm, tab, prm, *s, prune=prune)
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

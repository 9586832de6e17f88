"""Hard mode: int64 values, exact, batched (each batch element has its own instruction pointer).

`hard_step` is the device-agnostic torch step (every op the program uses is computed for all
elements and selected by opcode); `run_hard` runs it, or, on the CPU, hands the whole run to the
compiled interpreter (`compiled.py`), which gives the same state element by element.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import torch

from nclib.machine.isa import (ALU_BINARY, ALU_UNARY, ARITHMETIC, F_A, F_B, F_C, F_CHECK, F_DST, F_IMM, F_OP, F_TARGET,
                               FAULT_DIVZERO, FAULT_INDEX, FAULT_MEMORY, FAULT_NO_HALT, FAULT_NO_RETURN, FAULT_RAISE,
                               FAULT_STACK, HALT_LINE, HP, INT64_GUARD, INT64_GUARD_INT, OP, OPCODES, RV,
                               WRITES_REGISTER, check_implemented)
from nclib.runtime.call import enclosing_loop, hard_choice  # noqa: F401  (enclosing_loop: exported as nclib.machine.enclosing_loop)
from nclib.machine.state import HARD_FIELDS, HardState

if TYPE_CHECKING:
    from nclib.compiler.assemble import Assembly

# The ALU ops on int64 tensors [B] (a, b, b with zeros replaced by 1). The rest of the opcodes are
# handled in `hard_step` by name, listed in HARD_OTHER; together they must cover the ISA.
HARD_ALU = {
    "add": lambda a, b, d: a + b, "sub": lambda a, b, d: a - b, "mul": lambda a, b, d: a * b,
    "floordiv": lambda a, b, d: torch.div(a, d, rounding_mode="floor"), "mod": lambda a, b, d: torch.remainder(a, d),
    "lt": lambda a, b, d: (a < b).long(), "le": lambda a, b, d: (a <= b).long(), "gt": lambda a, b, d: (a > b).long(),
    "ge": lambda a, b, d: (a >= b).long(), "eq": lambda a, b, d: (a == b).long(), "ne": lambda a, b, d: (a != b).long(),
    "min": lambda a, b, d: torch.minimum(a, b), "max": lambda a, b, d: torch.maximum(a, b),
    "neg": lambda a, b, d: -a, "abs": lambda a, b, d: a.abs(), "not": lambda a, b, d: (a == 0).long(),
}
HARD_OTHER = ("halt", "mov", "load", "store", "alloc", "jmp", "jz", "jnz", "push", "ret", "fault")
check_implemented("nclib.machine.hard", (*HARD_ALU, *HARD_OTHER))
check_implemented("nclib.machine.hard (ALU)", HARD_ALU, ALU_BINARY + ALU_UNARY)

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
        val = torch.where(op == OP[name], HARD_ALU[name](va, vb, divisor), val)
    # mov and ALU results are written wrapped into the window (a no-op for in-window values);
    # only arithmetic results are recorded as overflow (comparisons are 0 / 1)
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




def hard_backend(device: torch.device, trace: list | None) -> str:
    """"compiled" or "torch" for a run on `device`. NCLIB_HARD=auto (default) picks the compiled
    loop on the CPU when no per-step trace is asked for (in a process that has not loaded it yet,
    its first steps run interpreted, `nclib.runtime.call.run_arrays`: the results are the same; a
    non-halting element's step count then depends on where the cycle detector restarted);
    NCLIB_HARD=torch forces the torch
    step (the reference, and the path on GPUs); NCLIB_HARD=compiled refuses what it cannot run."""
    choice = hard_choice()
    if choice == "torch":
        return "torch"
    have_numba = importlib.util.find_spec("numba") is not None  # (without importing it: 0.2 s)
    usable = torch.device(device).type == "cpu" and trace is None and have_numba
    if choice == "compiled" and not usable:
        why = "numba is not installed" if not have_numba else "a trace was asked for" if trace is not None else f"the state is on {device}"
        raise ValueError(f"NCLIB_HARD=compiled: the compiled hard machine cannot run this ({why}); use NCLIB_HARD=torch or auto")
    return "compiled" if usable else "torch"


def run_hard(asm: Assembly, state: HardState, max_steps: int, trace: list | None = None, cycles: bool = True) -> HardState:
    """Run until every element halted (or faulted) or max_steps steps were taken. Steps where no
    element is on a push or ret line skip the call-stack traffic. With `cycles`, an element whose
    full state repeats is stopped with fault FAULT_NO_HALT at its loop's line (`CycleDetector`).
    On the CPU (without a trace) the whole run is one call of the compiled interpreter
    (`compiled.run_compiled`, the same results element by element); see `hard_backend`.

    (torch.compile of `hard_step` was tried for large batches: on this 2-core CPU the compiled
    step took 39 ms against 2.4 ms eager at B=4096, after a 29 s compile, so the eager path stays.)"""
    if hard_backend(state.regs.device, trace) == "compiled":
        from nclib.runtime.call import run_arrays  # the interpreted loop first when the compiled one is not loaded

        arrays = [getattr(state, name).detach().to("cpu", torch.int64).contiguous().numpy().copy() for name in HARD_FIELDS]
        run_arrays(asm, arrays, max_steps, cycles=cycles)
        return HardState(*(torch.from_numpy(a) for a in arrays))
    return _run_torch(asm, state, max_steps, trace, cycles)




def _run_torch(asm: Assembly, state: HardState, max_steps: int, trace: list | None, cycles: bool) -> HardState:
    table = torch.as_tensor(asm.table, device=state.regs.device)
    used = frozenset(OPCODES[o] for o in set(asm.table[:, F_OP].tolist()))
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


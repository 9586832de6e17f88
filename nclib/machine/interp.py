"""The hard machine as a loop over steps per batch element: plain Python that numba compiles.

`run_batch` runs every element of a batch to its end, one `step` at a time, on numpy arrays: the
registers, memory and call stack of each element, and its scalars (sp, ip, steps, first fault and
its line, first overflow record). Two ways to run it, the same code:

- compiled (`compiled.py`): numba compiles `alu` and `step` into `run_batch` (LLVM), which runs the
  batch over the CPU cores (`prange`); this is the CPU hard machine;
- interpreted: called from Python as it is (`prange` is `range`), about 3 us per step. This needs
  neither numba nor torch, so a single call (`nclib run`, `Program.__call__`) starts at once; a
  long one moves on to the compiled loop (`backend.py`).

It computes exactly what `hard.hard_step` computes, element by element: values, memory, call stack,
step counts, first fault and its line, the first overflow record, and the cycle detector's verdict
(the rule of `cycles.py`, applied to one element inside the loop: `snapshot_due`, `state_key`,
`loop_line`). Which of the two ways runs is `backend.py`'s choice. tests/machine/test_compiled.py
checks both ways against the torch machine on random programs, tests/machine/test_opcodes.py every
opcode against the reference semantics.
"""

from __future__ import annotations

import numpy as np

from nclib.machine.cycles import STRIDE, line_ranks, loop_line, snapshot_due, state_key
from nclib.machine.isa import (F_A, F_B, F_C, F_CHECK, F_DST, F_IMM, F_OP, F_TARGET, FAULT_DIVZERO, FAULT_INDEX,
                               FAULT_MEMORY, FAULT_NO_HALT, FAULT_NO_RETURN, FAULT_RAISE, FAULT_STACK, HALT_LINE, HP,
                               INT64_GUARD, INT64_GUARD_INT, OP, OPCODES, RV, ARITHMETIC, check_implemented)
from nclib.machine.state import HardState

# Opcode numbers as module constants: numba folds them into the compiled switch.
HALT, MOV, ADD, SUB, MUL, FLOORDIV, MOD = (OP[n] for n in ("halt", "mov", "add", "sub", "mul", "floordiv", "mod"))
LT, LE, GT, GE, EQ, NE, MIN, MAX = (OP[n] for n in ("lt", "le", "gt", "ge", "eq", "ne", "min", "max"))
NEG, ABS, NOT, LOAD, STORE, ALLOC = (OP[n] for n in ("neg", "abs", "not", "load", "store", "alloc"))
JMP, JZ, JNZ, PUSH, RET, FAULT = (OP[n] for n in ("jmp", "jz", "jnz", "push", "ret", "fault"))
IMPLEMENTED = ("halt", "mov", "add", "sub", "mul", "floordiv", "mod", "lt", "le", "gt", "ge", "eq", "ne", "min", "max",
               "neg", "abs", "not", "load", "store", "alloc", "jmp", "jz", "jnz", "push", "ret", "fault")
check_implemented("nclib.machine.interp", IMPLEMENTED)

# The batch loop's range: `range` when interpreted; compiled.py binds numba.prange here before it
# compiles run_batch (numba reads globals at compile time), which splits the batch over threads.
prange = range


def alu(op, va, vb):
    """(value, fault) of an ALU op; floordiv/mod by zero compute with divisor 1 and fault."""
    if op == ADD:
        return va + vb, 0
    if op == SUB:
        return va - vb, 0
    if op == LT:
        return np.int64(va < vb), 0
    if op == MUL:
        return va * vb, 0
    if op == FLOORDIV:
        return (va // vb, 0) if vb != 0 else (va, FAULT_DIVZERO)
    if op == MOD:
        return (va % vb, 0) if vb != 0 else (va % 1, FAULT_DIVZERO)
    if op == LE:
        return np.int64(va <= vb), 0
    if op == GT:
        return np.int64(va > vb), 0
    if op == GE:
        return np.int64(va >= vb), 0
    if op == EQ:
        return np.int64(va == vb), 0
    if op == NE:
        return np.int64(va != vb), 0
    if op == MIN:
        return (va if va < vb else vb), 0
    if op == MAX:
        return (va if va > vb else vb), 0
    if op == NEG:
        return -va, 0
    if op == ABS:
        return (va if va >= 0 else -va), 0
    return np.int64(va == 0), 0  # NOT


def step(regs, mem, stack_regs, stack_ret, sp, ip, steps, fault_code, fault_line, ovl, ovv,
          table, arith, R, A, K, lo, V, uses_alloc):
    """One step of one element, in place on its arrays; returns the new scalars.
    regs [R + C], mem [A], stack_regs [K, R], stack_ret [K]. Each opcode's branch does all of its
    work (one dispatch per step); the effects are those of `hard.hard_step`."""
    op = table[ip, F_OP]
    if ip != HALT_LINE:
        steps += 1
    fault = 0
    nxt = ip + 1
    if op == JZ:
        if regs[table[ip, F_A]] == 0:
            nxt = table[ip, F_TARGET]
    elif op == JNZ:
        if regs[table[ip, F_A]] != 0:
            nxt = table[ip, F_TARGET]
    elif op == JMP:
        nxt = table[ip, F_TARGET]
    elif op == MOV:
        dst = table[ip, F_DST]
        if not (uses_alloc and dst == HP):  # hard_step keeps HP unless an alloc sets it
            val = regs[table[ip, F_A]]
            if val < lo or val >= lo + V:  # mov and ALU results are written wrapped into the window
                val = (val - lo) % V + lo
            regs[dst] = val
    elif op == LOAD or op == STORE:
        va = regs[table[ip, F_A]]
        vb = regs[table[ip, F_B]]
        addr = va + vb + table[ip, F_IMM]
        bad = addr < 0 or addr >= A
        if table[ip, F_CHECK] == 1:
            length = mem[min(max(va, 0), A - 1)]
            bad = bad or vb < 0 or vb >= length
        if bad:
            fault = FAULT_INDEX
        elif op == LOAD:
            dst = table[ip, F_DST]
            if not (uses_alloc and dst == HP):
                regs[dst] = mem[addr]
        else:
            mem[addr] = regs[table[ip, F_C]]
    elif op >= ADD and op <= NOT:
        va = regs[table[ip, F_A]]
        vb = regs[table[ip, F_B]]
        val, fault = alu(op, va, vb)
        left = val < lo or val >= lo + V
        wrapped = val
        if left:  # the modulo (a division) only off the common path
            wrapped = (val - lo) % V + lo
        if arith[op]:  # only arithmetic results are recorded as overflow (comparisons are 0 / 1)
            if op == MUL and abs(float(va) * float(vb)) > INT64_GUARD:
                left = True
                val = -INT64_GUARD_INT if (va < 0) != (vb < 0) else INT64_GUARD_INT
            if left and ovl < 0:
                ovl = ip
                ovv = val
        val = wrapped
        dst = table[ip, F_DST]
        if fault == 0 and not (uses_alloc and dst == HP):
            regs[dst] = val
    elif op == PUSH:
        if sp >= K:
            fault = FAULT_STACK
        else:
            slot = max(sp, 0)
            for r in range(R):
                stack_regs[slot, r] = regs[r]
            stack_ret[slot] = table[ip, F_TARGET]
            sp += 1
    elif op == RET:
        top = max(sp - 1, 0)
        nxt = stack_ret[top]
        for r in range(R):
            if r != RV and r != HP:
                regs[r] = stack_regs[top, r]
        sp -= 1
    elif op == ALLOC:
        va = regs[table[ip, F_A]]
        hp = regs[HP]
        size = max(va, 0)
        new_hp = hp + size + 1
        if new_hp > A:
            fault = FAULT_MEMORY
        else:
            mem[min(max(hp, 0), A - 1)] = size
            regs[table[ip, F_DST]] = hp
            regs[HP] = new_hp
    elif op == HALT:
        nxt = ip
    elif op == FAULT:
        fault = FAULT_RAISE if table[ip, F_IMM] == 1 else FAULT_NO_RETURN
    if fault != 0:
        if fault_code == 0:
            fault_code = fault
            fault_line = ip
        nxt = HALT_LINE
    return sp, nxt, steps, fault_code, fault_line, ovl, ovv


def run_batch(regs, mem, stack_regs, stack_ret, sp, ip, steps, fault_code, fault_line, ovl, ovv,
         table, arith, R, A, K, lo, V, uses_alloc, max_steps, cycles, stride, rank, span, P):
    """Run every element to the end, the batch split over numba's threads. (Measured: this prange
    version runs 10x faster per step than the same loop under a plain nogil njit, even on one thread.)"""
    B = regs.shape[0]
    for b in prange(B):
        r_b, m_b, sr_b, st_b = regs[b], mem[b], stack_regs[b], stack_ret[b]
        s_sp, s_ip, s_steps, s_fc, s_fl, s_ovl, s_ovv = sp[b], ip[b], steps[b], fault_code[b], fault_line[b], ovl[b], ovv[b]
        snap_regs, snap_mem, snap_sr, snap_st = np.empty_like(r_b), np.empty_like(m_b), np.empty_like(sr_b), np.empty_like(st_b)
        snap_key = np.int64(-1)
        saved_at = 0
        countdown = stride
        for t in range(max_steps):
            if s_ip == HALT_LINE:
                break
            s_sp, s_ip, s_steps, s_fc, s_fl, s_ovl, s_ovv = step(
                r_b, m_b, sr_b, st_b, s_sp, s_ip, s_steps, s_fc, s_fl, s_ovl, s_ovv,
                table, arith, R, A, K, lo, V, uses_alloc)
            countdown -= 1
            if countdown != 0 or not cycles:
                continue
            countdown = stride
            taken = t + 1
            key = state_key(s_sp, s_ip, rank, span)
            if saved_at > 0 and s_ip != HALT_LINE and key == snap_key and np.array_equal(r_b, snap_regs) \
                    and np.array_equal(m_b, snap_mem) and np.array_equal(sr_b, snap_sr) and np.array_equal(st_b, snap_st):
                # replay one round (taken - saved_at steps, a multiple of the period) on copies
                c_r, c_m, c_sr, c_st = r_b.copy(), m_b.copy(), sr_b.copy(), st_b.copy()
                c_sp, c_ip, c_steps, c_fc, c_fl, c_ovl, c_ovv = s_sp, s_ip, s_steps, s_fc, s_fl, s_ovl, s_ovv
                lowest = key
                for _ in range(taken - saved_at - 1):
                    c_sp, c_ip, c_steps, c_fc, c_fl, c_ovl, c_ovv = step(
                        c_r, c_m, c_sr, c_st, c_sp, c_ip, c_steps, c_fc, c_fl, c_ovl, c_ovv,
                        table, arith, R, A, K, lo, V, uses_alloc)
                    lowest = min(lowest, state_key(c_sp, c_ip, rank, span))
                s_fc = FAULT_NO_HALT
                s_fl = loop_line(lowest, span, P)
                s_ip = HALT_LINE
                break
            if snapshot_due(taken, saved_at, stride):
                snap_regs[:] = r_b
                snap_mem[:] = m_b
                snap_sr[:] = sr_b
                snap_st[:] = st_b
                snap_key = np.int64(-1) if s_ip == HALT_LINE else key
                saved_at = taken
        sp[b], ip[b], steps[b], fault_code[b], fault_line[b], ovl[b], ovv[b] = s_sp, s_ip, s_steps, s_fc, s_fl, s_ovl, s_ovv


def batch_args(asm, state: HardState, max_steps: int, cycles: bool = True, stride: int = STRIDE) -> tuple:
    """The flat arguments of `run_batch` (numba takes arrays and scalars, not a NamedTuple): the
    fields of `state` (int64 numpy, batch first), then what the loop reads of `asm`."""
    table = np.ascontiguousarray(asm.table, dtype=np.int64)
    arith = np.array([name in ARITHMETIC for name in OPCODES], dtype=np.bool_)
    rank, span = line_ranks(asm)
    uses_alloc = bool((table[:, F_OP] == ALLOC).any())
    return (*state, table, arith, asm.n_regs, asm.memory, asm.stack, asm.lo, asm.V, uses_alloc,
            int(max_steps), bool(cycles), int(stride), rank, span, asm.n_lines)


def run_interpreted(asm, state: HardState, max_steps: int, cycles: bool = True, stride: int = STRIDE) -> None:
    """`run_batch` as plain Python on `state` (int64 numpy arrays, changed in place). int64
    arithmetic wraps silently, as in the compiled loop."""
    with np.errstate(over="ignore"):
        run_batch(*batch_args(asm, state, max_steps, cycles, stride))

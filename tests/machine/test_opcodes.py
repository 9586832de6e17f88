"""Every opcode of the ISA on every backend against the reference semantics.

For each opcode a program whose lines (3 .. P-3) all hold that opcode, with random operands,
targets, offsets and bounds checks, and a batch of random states, each element on one of those
lines. One step on each backend must give exactly the state `reference_step` gives: the hard
backends (torch step, compiled numba loop, interpreted loop; `backend.MACHINES`) field by field,
faults and overflow records included; soft mode, from the same state as one-hot distributions,
the same registers, memory, call stack, stack pointer and line as argmax with all the mass there,
wherever the hard step does not fault (soft mode has no faults; a `fault` line keeps its mass).
A backend that lacks an opcode or handles it as another one (an unhandled control op read as
`mov`) fails here, naming the opcode and the backend.
"""

from __future__ import annotations

import copy
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from nclib.machine import backend, isa
from nclib.machine.isa import (F_A, F_B, F_DST, F_OP, F_TARGET, FAULT_DIVZERO, FAULT_INDEX,
                               FAULT_MEMORY, FAULT_NO_RETURN, FAULT_RAISE, FAULT_STACK, HALT_LINE, HP, RV)
from nclib.machine.soft import SoftTables, soft_parameters, soft_step
from nclib.machine.state import HardState, SoftState

LO, V = -8, 24  # a signed window holding every address 0..A
R, C, A, K, P, B = 5, 3, 6, 3, 12, 96


def wrap(x: int) -> int:
    return (x - LO) % V + LO


def reference_step(asm, s: dict) -> dict:
    """One hard step of one element (Python ints and lists), straight from the ISA's documentation
    (isa.ISA's `doc` and docs/machine.md); the ALU ops through `isa.python_op`, their one definition."""
    s = copy.deepcopy(s)
    ip = s["ip"]
    op, dst, a_col, b_col, c_col, imm, target, check = (int(x) for x in asm.table[ip])
    name = isa.OPCODES[op]
    regs, mem = s["regs"], s["mem"]
    a, b, c = regs[a_col], regs[b_col], regs[c_col]
    nxt, fault = ip + 1, 0
    if ip != HALT_LINE:
        s["steps"] += 1
    if name == "halt":
        nxt = ip
    elif name == "mov":
        regs[dst] = wrap(a)
    elif isa.BY_NAME[name].alu:
        if name in ("floordiv", "mod") and b == 0:
            fault = FAULT_DIVZERO
        else:
            value = isa.python_op(name, a, b)
            if isa.BY_NAME[name].arithmetic and not LO <= value < LO + V and s["overflow_line"] < 0:
                s["overflow_line"], s["overflow_value"] = ip, value
            regs[dst] = wrap(value)
    elif name in ("load", "store"):
        addr = a + b + imm
        bad = not 0 <= addr < A or (check == 1 and not 0 <= b < mem[min(max(a, 0), A - 1)])
        if bad:
            fault = FAULT_INDEX
        elif name == "load":
            regs[dst] = mem[addr]
        else:
            mem[addr] = c
    elif name == "alloc":
        hp, size = regs[HP], max(a, 0)
        if hp + size + 1 > A:
            fault = FAULT_MEMORY
        else:
            mem[hp] = size
            regs[dst] = hp
            regs[HP] = hp + size + 1
    elif name == "jmp":
        nxt = target
    elif name == "jz":
        nxt = target if a == 0 else nxt
    elif name == "jnz":
        nxt = target if a != 0 else nxt
    elif name == "push":
        if s["sp"] >= K:
            fault = FAULT_STACK
        else:
            s["stack_regs"][s["sp"]] = regs[:R]
            s["stack_ret"][s["sp"]] = target
            s["sp"] += 1
    elif name == "ret":
        top = max(s["sp"] - 1, 0)
        for r in range(R):
            if r not in (RV, HP):
                regs[r] = s["stack_regs"][top][r]
        nxt = s["stack_ret"][top]
        s["sp"] -= 1
    elif name == "fault":
        fault = FAULT_RAISE if imm == 1 else FAULT_NO_RETURN
    else:
        raise AssertionError(f"the reference has no semantics for opcode {name!r}")
    if fault:
        s["fault"], s["fault_line"], nxt = fault, ip, HALT_LINE
    s["ip"] = nxt
    return s


def program(name: str, rng: random.Random):
    """Lines 0-2 as every assembly (push the entry frame, jump, halt), lines 3 .. P-3 `name`, line
    P-2 a load (the torch step clamps addresses only when the program loads or stores), line P-1 a
    jump to the halt line (no line falls off the table). Destinations avoid HP (only alloc writes it)."""
    table = np.zeros((P, isa.N_FIELDS), dtype=np.int64)
    table[0, [F_OP, F_TARGET]] = isa.OP["push"], HALT_LINE
    table[1, [F_OP, F_TARGET]] = isa.OP["jmp"], 3
    for i in range(3, P - 2):
        table[i] = [isa.OP[name], rng.choice([r for r in range(R) if r != HP]), rng.randrange(R + C), rng.randrange(R + C),
                    rng.randrange(R + C), rng.randrange(-2, 3), rng.randrange(P), rng.randrange(2)]
    table[P - 2, [F_OP, F_DST, F_A, F_B]] = isa.OP["load"], RV, RV, RV
    table[P - 1, [F_OP, F_TARGET]] = isa.OP["jmp"], HALT_LINE
    consts = [0, 1, rng.randrange(LO, LO + V)]
    lines = [SimpleNamespace(loc=(i, 0)) for i in range(P)]
    return SimpleNamespace(table=table, n_regs=R, memory=A, stack=K, lo=LO, V=V, lines=lines, n_lines=P, consts=consts,
                           entry=f"only_{name}")


def random_states(asm, rng: random.Random) -> list[dict]:
    """B elements, each on one of the opcode's lines; values in the window (small ones often, so
    that zero tests, divisions by zero, addresses and bounds checks both pass and fail)."""
    def value():
        return rng.choice([0, 1, 2, -1, rng.randrange(LO, LO + V)])

    states = []
    for _ in range(B):
        regs = [value() for _ in range(R)] + list(asm.consts)
        regs[HP] = rng.randrange(0, A + 1)
        states.append(dict(regs=regs, mem=[rng.randrange(0, A + 1) if rng.random() < 0.7 else value() for _ in range(A)],
                           stack_regs=[[value() for _ in range(R)] for _ in range(K)],
                           stack_ret=[rng.randrange(P) for _ in range(K)], sp=rng.randrange(0, K + 1),
                           ip=rng.randrange(3, P - 2), steps=0, fault=0, fault_line=0, overflow_line=-1, overflow_value=0))
    return states


def batch(states: list[dict]) -> HardState:
    return HardState(*(np.array([s[f] for s in states], dtype=np.int64) for f in HardState._fields))


def one_hot(x, n: int, lo: int = 0) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.as_tensor(x) - lo, n).double()


def soft_state(state: HardState) -> SoftState:
    regs = one_hot(state.regs[:, :R], V, LO)
    stack = torch.cat([one_hot(state.stack_regs, V, LO).flatten(2), one_hot(state.stack_ret, P)], 2)
    return SoftState(regs, one_hot(state.mem, V, LO), stack, one_hot(state.sp, K + 1), one_hot(state.ip, P),
                     torch.zeros(len(state.ip), dtype=torch.float64))


def test_the_test_covers_the_isa():
    assert len(isa.OPCODES) == len(isa.ISA) and set(backend.MACHINES) == {"torch", "compiled", "interpreted"}


@pytest.mark.parametrize("name", isa.OPCODES)
def test_opcode_on_every_backend(name):
    rng = random.Random(f"opcode {name}")
    asm = program(name, rng)
    states = random_states(asm, rng)
    want = batch([reference_step(asm, s) for s in states])
    start = batch(states)
    for machine in backend.MACHINES:
        got = HardState(*(x.copy() for x in start))
        backend.run_machine(machine, asm, got, 1, cycles=False)
        for field in HardState._fields:
            bad = np.nonzero((getattr(got, field) != getattr(want, field)).reshape(B, -1).any(1))[0]
            assert not len(bad), (f"opcode {name} on the {machine} backend: field {field} differs from the reference for "
                                  f"element {bad[0]} (line {asm.table[start.ip[bad[0]]].tolist()}): got "
                                  f"{getattr(got, field)[bad[0]]}, want {getattr(want, field)[bad[0]]}")
    # soft mode on the same states as one-hot distributions, where the hard step does not fault
    # (a fault line keeps its mass: soft mode reports it as fault mass)
    out = soft_step(asm, SoftTables(asm, torch.device("cpu")), soft_parameters(asm, torch.float64), soft_state(start))
    on_fault_line = np.full(B, name == "fault")
    keep = (want.fault == 0) | on_fault_line
    keep &= ~((start.sp == 0) & (name == "ret"))  # popping an empty stack: soft mode restores nothing
    assert keep.sum() >= B // 4, f"opcode {name}: too few non-faulting elements to test soft mode"
    expect = want._replace(ip=np.where(on_fault_line, start.ip, want.ip), regs=want.regs[:, :R])
    parts = {"regs": out.regs, "mem": out.mem, "stack_regs": out.stack[..., :R * V].unflatten(-1, (R, V)),
             "stack_ret": out.stack[..., R * V:], "sp": out.sp, "ip": out.ip}
    offsets = {"regs": LO, "mem": LO, "stack_regs": LO}
    for field, dist in parts.items():
        value = dist.argmax(-1).numpy() + offsets.get(field, 0)
        mass = dist.max(-1).values.numpy()
        ok = (value == getattr(expect, field)) & (np.abs(mass - 1) < 1e-9)
        bad = np.nonzero(keep & ~ok.reshape(B, -1).all(1))[0]
        assert not len(bad), (f"opcode {name} in soft mode: {field} differs from the reference for element {bad[0]} "
                              f"(line {asm.table[start.ip[bad[0]]].tolist()}): got {value[bad[0]]} (mass {mass[bad[0]]}), "
                              f"want {getattr(expect, field)[bad[0]]}")
    assert torch.equal(out.ponder[torch.from_numpy(keep)], torch.ones(int(keep.sum()), dtype=torch.float64))

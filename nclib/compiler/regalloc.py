"""Allocate registers: map each function's virtual registers to physical registers.

Liveness analysis over the function's control-flow graph, then greedy colouring of the
interference graph. Every function's registers start at FIRST_FREE: a call saves all registers
in its stack frame, so functions may share physical registers. Registers 0..2 are reserved:
RV (return value), HP (heap pointer) and SCRATCH (breaks cycles in argument moves).

Takes one lowered `IRFunction`; fills its `phys` (virtual -> physical register) in place and
gives the number of registers it needs. Rejects nothing.
"""

from __future__ import annotations

from nclib.compiler.ir import Instr, IRFunction, Label

from nclib.machine.isa import FIRST_FREE, HP, RV, SCRATCH  # noqa: E402  (reserved registers)
PINNED = {"%hp": HP}  # virtual registers that name a reserved register (read only in the IR)


def successors(body: list) -> list[list[int]]:
    labels = {item.name: i for i, item in enumerate(body) if isinstance(item, Label)}
    succ = []
    for i, item in enumerate(body):
        nxt = [i + 1] if i + 1 < len(body) else []
        if isinstance(item, Instr):
            if item.op == "jmp":
                nxt = [labels[item.target]]
            elif item.op in ("jz", "jnz"):
                nxt = nxt + [labels[item.target]]
            elif item.op in ("ret", "fault"):
                nxt = []
        succ.append(nxt)
    return succ


def remove_unreachable(fn: IRFunction) -> None:
    """Drop instructions that no path from the function's start reaches (e.g. code after return)."""
    succ = successors(fn.body)
    seen, todo = set(), [0] if fn.body else []
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            todo += succ[i]
    fn.body = [item for i, item in enumerate(fn.body) if i in seen or isinstance(item, Label)]


def liveness(fn: IRFunction) -> tuple[list[set[str]], list[set[str]]]:
    """(live_in, live_out): virtual registers whose value is needed before / after instruction i."""
    body = fn.body
    succ = successors(body)
    uses = [set(item.uses()) if isinstance(item, Instr) else set() for item in body]
    defs = [set(item.defs()) if isinstance(item, Instr) else set() for item in body]
    live_in = [set() for _ in body]
    live_out = [set() for _ in body]
    changed = True
    while changed:
        changed = False
        for i in reversed(range(len(body))):
            out = set().union(*(live_in[s] for s in succ[i])) if succ[i] else set()
            inn = uses[i] | (out - defs[i])
            if out != live_out[i] or inn != live_in[i]:
                live_out[i], live_in[i] = out, inn
                changed = True
    return live_in, live_out


def allocate(fn: IRFunction) -> int:
    """Fill fn.phys; return the number of physical registers the function needs."""
    remove_unreachable(fn)
    live_in, live_out = liveness(fn)
    live_at_entry = live_in[0] if fn.body else set()
    neighbours: dict[str, set[str]] = {}
    order: list[str] = []

    def note(v: str) -> None:
        if v not in neighbours:
            neighbours[v] = set()
            order.append(v)

    for p in fn.params:
        note(p)
    for p in fn.params:
        neighbours[p] |= set(fn.params) - {p}
    # Variables read before any assignment (Python would raise UnboundLocalError) are live at
    # entry; they interfere with the parameters so they cannot clobber an argument.
    for v in sorted(live_at_entry - set(fn.params) - PINNED.keys()):
        note(v)
        for p in fn.params:
            neighbours[v].add(p)
            neighbours[p].add(v)
    for item, out in zip(fn.body, live_out):
        if not isinstance(item, Instr):
            continue
        for v in item.uses() + item.defs():
            if v not in PINNED:
                note(v)
        for d in item.defs():
            for v in out - {d} - PINNED.keys():
                note(v)
                neighbours[d].add(v)
                neighbours[v].add(d)
    colour: dict[str, int] = {}
    for v in order:
        taken = {colour[n] for n in neighbours[v] if n in colour}
        c = 0
        while c in taken:
            c += 1
        colour[v] = c
    fn.phys = {v: FIRST_FREE + c for v, c in colour.items()} | PINNED
    return FIRST_FREE + (max(colour.values()) + 1 if colour else 0)

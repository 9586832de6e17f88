"""Assemble: lay out the register-allocated IR as machine lines and build the program tensors.

Line 0 pushes a frame whose return address is line 2, line 1 jumps to the entry function and
line 2 is the absorbing HALT; the entry's parameters are loaded into its registers before the
first step. A call expands to PUSH (save every register, return address = the line after the
jump), the argument moves into the callee's parameter registers, JMP; the line after it copies
RV into the destination. `ret a` expands to MOV RV, a; RET (RET restores every register but RV
and HP from the frame and jumps to its return address).

Takes the lowered, register-allocated functions (`lower`, then `regalloc.allocate`) and the
machine's options; gives the `Assembly` (line table, constants, entry metadata). Rejects a
constant outside the value window [lo, lo + V) (a CompileError naming each line that uses one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nclib.compiler.ir import Const, Instr, IRFunction, Label
from nclib.compiler.regalloc import HP, RV, SCRATCH
from nclib.errors import CompileError, Problem
from nclib.machine.isa import (BY_NAME, F_A, F_CHECK, F_DST, F_IMM, F_OP, F_TARGET, HALT_LINE, JUMPS, N_FIELDS, OP,  # noqa: F401
                               OPCODES, WRITES_REGISTER)

# The opcodes, line-table columns and HALT_LINE are the instruction set's (nclib/machine/isa.py).


@dataclass
class AsmLine:
    op: str
    dst: int = 0
    a: object = 0  # ("r", i) | ("c", value) | 0
    b: object = 0
    c: object = 0
    imm: int = 0
    target: object = 0  # label name, function name or line number
    check: bool = False
    loc: tuple[int, int] = (0, 0)
    function: str = ""
    note: str = ""
    values: tuple = ()  # fault lines of a routine error: the operands formatted into `note`


@dataclass
class Assembly:
    """Everything the machine needs to run a compiled entry function."""

    entry: str
    params: list[str]
    param_kinds: list[str]  # "int" | "list" per parameter
    param_registers: list[int]
    returns: str  # "int" | "list" | "none"
    table: np.ndarray  # [P, N_FIELDS] int64 (numpy: compiling and hard runs need no torch)
    consts: list[int]  # operand index n_regs + k holds consts[k]
    n_regs: int
    lines: list[AsmLine]
    source: str
    file: str
    lo: int
    V: int
    memory: int
    stack: int
    functions: dict[str, int] = field(default_factory=dict)  # name -> first line
    defaults: list[int | None] = field(default_factory=list)  # values of the last len(defaults) parameters when omitted
    none_flags: dict[str, int] = field(default_factory=dict)  # parameter with default None -> register of its flag (1: a value, 0: None)
    returns_tuple: bool = False  # the entry returns a tuple (stored like a list; Program returns a Python tuple)

    @property
    def n_lines(self) -> int:
        return self.table.shape[0]

    def operand_name(self, index: int) -> str:
        if index >= self.n_regs:
            return f"#{self.consts[index - self.n_regs]}"
        return {RV: "rv", HP: "hp", SCRATCH: "tmp"}.get(index, f"r{index}")

    def listing(self) -> str:
        """Assembly text: one machine line per row with the source line it came from."""
        src = self.source.splitlines()
        rows = [f"; {self.entry}: {self.n_lines} lines, {self.n_regs} registers, {len(self.consts)} constants, "
                f"values [{self.lo}, {self.lo + self.V}), memory {self.memory}, stack {self.stack}"]
        starts = {line: name for name, line in self.functions.items()}
        for i, row in enumerate(self.table.tolist()):
            if i in starts:
                rows.append(f"{starts[i]}:")
            op = OPCODES[row[F_OP]]
            parts = []
            if op in WRITES_REGISTER:
                parts.append(self.operand_name(row[F_DST]))
            parts += [self.operand_name(row[F_A + k]) for k in range(BY_NAME[op].inputs)]
            if op in JUMPS:
                parts.append(f"@{row[F_TARGET]}")
            text = f"{op:<8} {', '.join(parts)}"
            if op in ("load", "store") and row[F_IMM]:
                text += f" +{row[F_IMM]}"
            if row[F_CHECK]:
                text += " [checked]"
            line = self.lines[i]
            comment = f"line {line.loc[0]}: {src[line.loc[0] - 1].strip()}" if 0 < line.loc[0] <= len(src) else ""
            if line.note:
                comment = f"{comment} ({line.note})" if comment else line.note
            rows.append(f"  {i:4d}  {text:<34}" + (f"; {comment}" if comment else ""))
        return "\n".join(rows)


def _parallel_moves(moves: list[tuple[int, tuple]]) -> list[tuple[int, tuple]]:
    """Order simultaneous register moves dst <- src so that no source is overwritten before it is
    read, breaking cycles through SCRATCH."""
    pending = [(d, s) for d, s in moves if s != ("r", d)]
    ordered = []
    while pending:
        for i, (d, s) in enumerate(pending):
            if not any(other == ("r", d) for j, (_, other) in enumerate(pending) if j != i):
                ordered.append((d, s))
                pending.pop(i)
                break
        else:
            d, _ = pending[0]
            ordered.append((SCRATCH, ("r", d)))
            pending = [(dd, ("r", SCRATCH) if ss == ("r", d) else ss) for dd, ss in pending]
    return ordered


def _operand(fn: IRFunction, x) -> tuple:
    return ("c", x.value) if isinstance(x, Const) else ("r", fn.phys[x])


def reachable_functions(functions: dict[str, IRFunction], entry: str) -> list[str]:
    """The entry function and every function it can call, entry first."""
    order, todo = [], [entry]
    while todo:
        name = todo.pop(0)
        if name not in order:
            order.append(name)
            todo += [i.target for i in functions[name].body if isinstance(i, Instr) and i.op == "call"]
    return order


def assemble(functions: dict[str, IRFunction], entry: str, n_regs: int, source: str, file: str,
             lo: int, V: int, memory: int, stack: int) -> Assembly:
    order = reachable_functions(functions, entry)
    lines = [AsmLine("push", target=HALT_LINE), AsmLine("jmp", target=("fn", entry)), AsmLine("halt")]
    starts: dict[str, int] = {}
    for name in order:
        fn = functions[name]
        starts[name] = len(lines)
        labels: dict[str, int] = {}
        fixups: list[AsmLine] = []
        pending_labels: list[str] = []
        for item in fn.body:
            if isinstance(item, Label):
                pending_labels.append(item.name)
                continue
            first = len(lines)
            for lab in pending_labels:
                labels[lab] = first
            pending_labels = []
            lines.extend(_expand(fn, item, functions, lines, fixups))
        for lab in pending_labels:
            labels[lab] = len(lines)
        for line in fixups:
            line.target = labels[line.target]
    for line in lines:
        if isinstance(line.target, tuple):
            line.target = starts[line.target[1]]
    problems = []
    consts = sorted({x[1] for line in lines for x in (line.a, line.b, line.c) if isinstance(x, tuple) and x[0] == "c"} | {0})
    for line in lines:
        for x in (line.a, line.b, line.c):
            if isinstance(x, tuple) and x[0] == "c" and not lo <= x[1] < lo + V:
                problems.append(Problem(file, line.loc[0], line.loc[1], f"constant {x[1]}",
                                        f"it is outside the value window [{lo}, {lo + V}); widen values=(lo, hi) or rewrite (e.g. reversed(range(n)) instead of range(n - 1, -1, -1))"))
    if problems:
        raise CompileError(sorted(set(problems), key=lambda p: (p.line, p.col)))
    const_index = {v: n_regs + k for k, v in enumerate(consts)}

    def index(x) -> int:
        if isinstance(x, tuple):
            return x[1] if x[0] == "r" else const_index[x[1]]
        return const_index[0]

    table = np.array([[OP[line.op], line.dst, index(line.a), index(line.b), index(line.c), line.imm,
                       line.target if isinstance(line.target, int) else 0, int(line.check)] for line in lines],
                     dtype=np.int64).reshape(len(lines), N_FIELDS)
    fn = functions[entry]
    visible = [p for p in fn.params if p not in fn.hidden]  # the flags of parameters with default None are set by the runtime
    return Assembly(entry=entry, params=visible, param_kinds=[fn.kinds[p] for p in visible],
                    param_registers=[fn.phys[p] for p in visible], returns=fn.returns, table=table,
                    consts=consts, n_regs=n_regs, lines=lines, source=source, file=file, lo=lo, V=V,
                    memory=memory, stack=stack, functions=starts,
                    defaults=[fn.defaults[p] for p in visible if p in fn.defaults], returns_tuple=fn.returns_tuple,
                    none_flags={p: fn.phys[f"{p}.set"] for p in visible if f"{p}.set" in fn.hidden})


def _expand(fn: IRFunction, ins: Instr, functions: dict[str, IRFunction], lines: list[AsmLine], fixups: list[AsmLine]) -> list[AsmLine]:
    loc = dict(loc=ins.loc, function=fn.name)
    op = ins.op
    if op in ("jmp", "jz", "jnz"):
        line = AsmLine(op, a=_operand(fn, ins.args[0]) if ins.args else 0, target=ins.target, **loc)
        fixups.append(line)
        return [line]
    if op == "call":
        callee = functions[ins.target]
        moves = _parallel_moves([(callee.phys[p], _operand(fn, a)) for p, a in zip(callee.params, ins.args)])
        base = len(lines)
        out = [AsmLine("push", target=base + 2 + len(moves), **loc)]
        out += [AsmLine("mov", dst=d, a=s, **loc) for d, s in moves]
        out.append(AsmLine("jmp", target=("fn", ins.target), **loc))
        if ins.dst is not None:
            out.append(AsmLine("mov", dst=fn.phys[ins.dst], a=("r", RV), **loc))
        return out
    if op == "ret":
        return [AsmLine("mov", dst=RV, a=_operand(fn, ins.args[0]), **loc), AsmLine("ret", **loc)]
    if op == "fault":
        return [AsmLine("fault", imm=ins.imm, note=ins.note, values=tuple(_operand(fn, a) for a in ins.args), **loc)]
    args = [_operand(fn, a) for a in ins.args] + [0, 0, 0]
    dst = fn.phys[ins.dst] if ins.dst is not None else 0
    if op == "mov" and args[0] == ("r", dst):
        return []  # the allocator coalesced both sides into one register
    return [AsmLine(op, dst=dst, a=args[0], b=args[1], c=args[2], imm=ins.imm, check=ins.check, **loc)]

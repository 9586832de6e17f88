"""The instruction set: one record per opcode, and everything else every part of the machine shares.

The compiler (assembly and listing), the hard machine (torch and compiled), the soft machine and
the memory estimates all read the opcodes from `ISA`; none defines its own list. Each record says
what the op reads and writes (`inputs`, `writes_register`, `target`), whether its result is
checked against the value window (`arithmetic`), and, for the ALU ops, its reference semantics on
Python integers (`python`). The hard and soft implementations live in `hard.py`, `compiled.py` and
`soft.py`; each checks at import that it implements every opcode of this table, so an opcode added
here without an implementation is an import error there, not a silent loss of mass.

Line table: one int64 row per machine line with the columns F_OP .. F_CHECK below. Operands index
the register file [R registers | C constants] (constants are read-only registers after the R
machine registers). Derivations of the soft semantics: docs/machine.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Op:
    name: str
    inputs: int  # operands read from the register file: a, a b, or a b c
    writes_register: bool = False  # the result goes to the F_DST register
    arithmetic: bool = False  # the result is checked against the value window (overflow record, then wrapped)
    target: bool = False  # F_TARGET holds a line (jump target or pushed return address)
    python: Callable[..., int] | None = None  # ALU ops: the result on Python ints (CPython's semantics)
    doc: str = ""

    @property
    def alu(self) -> bool:
        return self.python is not None

    @property
    def code(self) -> int:
        return OP[self.name]


def _div(a: int, b: int) -> int:
    return a // b if b else 0  # b == 0 faults before the result is used; 0 fills the soft table


def _mod(a: int, b: int) -> int:
    return a % b if b else 0


ISA: tuple[Op, ...] = (
    Op("halt", 0, doc="stay on this line (absorbing); the entry returns through HALT_LINE"),
    Op("mov", 1, writes_register=True, doc="dst = a"),
    Op("add", 2, True, True, python=lambda a, b: a + b),
    Op("sub", 2, True, True, python=lambda a, b: a - b),
    Op("mul", 2, True, True, python=lambda a, b: a * b),
    Op("floordiv", 2, True, True, python=_div, doc="fault DIVZERO when b == 0"),
    Op("mod", 2, True, True, python=_mod, doc="fault DIVZERO when b == 0"),
    Op("lt", 2, True, python=lambda a, b: int(a < b)),
    Op("le", 2, True, python=lambda a, b: int(a <= b)),
    Op("gt", 2, True, python=lambda a, b: int(a > b)),
    Op("ge", 2, True, python=lambda a, b: int(a >= b)),
    Op("eq", 2, True, python=lambda a, b: int(a == b)),
    Op("ne", 2, True, python=lambda a, b: int(a != b)),
    Op("min", 2, True, python=min),
    Op("max", 2, True, python=max),
    Op("neg", 1, True, True, python=lambda a: -a),
    Op("abs", 1, True, True, python=abs),
    Op("not", 1, True, python=lambda a: int(a == 0)),
    Op("load", 2, True, doc="dst = mem[a + b + imm]; with F_CHECK, fault INDEX unless 0 <= b < mem[a] (the list's length)"),
    Op("store", 3, doc="mem[a + b + imm] = c; checked like load"),
    Op("alloc", 1, True, doc="dst = hp; mem[hp] = max(a, 0) (the length cell); hp += max(a, 0) + 1; fault MEMORY past A"),
    Op("jmp", 0, target=True),
    Op("jz", 1, target=True, doc="jump when a == 0"),
    Op("jnz", 1, target=True, doc="jump when a != 0"),
    Op("push", 0, target=True, doc="save registers 0..R-1 and the return address F_TARGET; fault STACK when full"),
    Op("ret", 0, doc="restore every register but RV and HP from the top frame and jump to its return address"),
    Op("fault", 0, doc="stop with fault RAISE (imm 1: raise / failed assert) or NO_RETURN (imm 0)"),
)

OPCODES: tuple[str, ...] = tuple(op.name for op in ISA)
OP: dict[str, int] = {name: i for i, name in enumerate(OPCODES)}
BY_NAME: dict[str, Op] = {op.name: op for op in ISA}
ALU_BINARY = tuple(op.name for op in ISA if op.alu and op.inputs == 2)
ALU_UNARY = tuple(op.name for op in ISA if op.alu and op.inputs == 1)
COMPARISONS = ("lt", "le", "gt", "ge", "eq", "ne")
ARITHMETIC = tuple(op.name for op in ISA if op.arithmetic)
WRITES_REGISTER = tuple(op.name for op in ISA if op.writes_register)
JUMPS = tuple(op.name for op in ISA if op.target)

# Columns of the line table [P, N_FIELDS] (int64).
F_OP, F_DST, F_A, F_B, F_C, F_IMM, F_TARGET, F_CHECK = range(8)
N_FIELDS = 8
# Line 0 pushes the entry's frame (return address HALT_LINE), line 1 jumps to the entry, line 2 halts.
HALT_LINE = 2

# Reserved registers: RV (return value), HP (heap pointer), SCRATCH (breaks cycles in argument moves).
RV, HP, SCRATCH = 0, 1, 2
FIRST_FREE = 3

# Fault codes of hard mode (0 = none); soft mode reports fault *mass* on fault lines.
FAULT_OVERFLOW, FAULT_INDEX, FAULT_MEMORY, FAULT_STACK, FAULT_DIVZERO, FAULT_NO_RETURN, FAULT_RAISE = 1, 2, 3, 4, 5, 6, 7
FAULT_NO_HALT = 8  # not a step's fault: set by the cycle detector when an element's whole state repeats
FAULT_NAMES = {
    FAULT_OVERFLOW: "result outside the value window",
    FAULT_INDEX: "list index out of range",
    FAULT_MEMORY: "out of memory (the lists do not fit in the machine's memory cells)",
    FAULT_STACK: "call stack overflow (recursion deeper than the stack)",
    FAULT_DIVZERO: "division or modulo by zero",
    FAULT_NO_RETURN: "function ended without returning a value",
    FAULT_RAISE: "the routine raised an error (raise or a failed assert)",
    FAULT_NO_HALT: "does not halt (the machine returned to an earlier state, so it loops forever)",
}

# Windows lie within +-2**62 (Program checks), so a product whose float value exceeds 2**62 is out of
# every window; its int64 product may have wrapped, so it is recorded as +-2**62 and reported as such.
INT64_GUARD_INT = 2**62
INT64_GUARD = float(INT64_GUARD_INT)


def python_op(name: str, a: int, b: int = 0) -> int:
    """The integer semantics of ALU op `name`, as CPython computes it (the reference every machine
    is tested against, and what the soft tables are built from)."""
    op = BY_NAME.get(name)
    if op is None or not op.alu:
        raise ValueError(f"{name!r} is not an ALU op (ALU ops: {', '.join(ALU_BINARY + ALU_UNARY)})")
    return op.python(a, b) if op.inputs == 2 else op.python(a)


def check_implemented(backend: str, implemented, wanted=None) -> None:
    """Raise ImportError unless `implemented` covers `wanted` (default: every opcode)."""
    wanted = set(OPCODES if wanted is None else wanted)
    missing = sorted(wanted - set(implemented))
    if missing:
        raise ImportError(f"{backend}: no implementation for opcode(s) {', '.join(missing)} of nclib.machine.isa.ISA")

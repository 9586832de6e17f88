"""The intermediate representation, documented in one place.

Three-address code with labels, one list of instructions per function. What each pass adds:

- `lower` produces `IRFunction`s whose operands are virtual registers (the Python variable
  name, or `%tN` for temporaries) or `Const(value)`; calls are still the high-level `call`.
- `regalloc` maps every virtual register of a function to a physical register (`IRFunction.phys`).
- `assemble` expands `call`/`ret` into the machine's PUSH / MOV / JMP / RET sequence, lays every
  function out after a three-line prologue, pools constants, and builds the tensors.

IR instructions (`Instr.op`):

    mov   dst, a            dst = a
    <alu> dst, a[, b]       dst = a <op> b   (alu ops: see ALU_BINARY / ALU_UNARY)
    load  dst, a, b, imm    dst = mem[a + b + imm]; with check: 0 <= b < mem[a] (list bounds)
    store a, b, c, imm      mem[a + b + imm] = c; with check as for load
    alloc dst, a            dst = new list of length a (header cell holds the length)
    jmp   L                 go to label L
    jz    a, L / jnz a, L   go to L if a == 0 / a != 0
    call  dst, f, args...   dst = f(args...)
    ret   a                 return a
    fault msg               stop with a runtime fault (e.g. a function ended without its value);
                            imm 1: a routine error (raise, failed assert), msg "Type: text"; its
                            args are the values of an f-string message, in order
    %hp                     a read-only virtual register naming the heap pointer (list append)

Lists live in memory as [length, e0, e1, ...]; a list value is the address of its length cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nclib.machine.isa import ALU_BINARY, ALU_UNARY, COMPARISONS  # noqa: E402  (the one instruction set)


@dataclass(frozen=True)
class Const:
    value: int

    def __str__(self) -> str:
        return f"#{self.value}"


@dataclass
class Label:
    name: str

    def __str__(self) -> str:
        return f"{self.name}:"


@dataclass
class Instr:
    op: str
    dst: str | None = None
    args: tuple = ()
    target: str | None = None  # label for jumps, function name for call
    imm: int = 0
    check: bool = False
    loc: tuple[int, int] = (0, 0)  # (line, col) of the source construct
    note: str = ""  # fault message

    def uses(self) -> list[str]:
        return [a for a in self.args if isinstance(a, str)]

    def defs(self) -> list[str]:
        return [self.dst] if self.dst is not None else []

    def __str__(self) -> str:
        parts = [str(x) for x in ([self.dst] if self.dst else []) + list(self.args)]
        if self.target:
            parts.append(self.target)
        text = f"{self.op:<8} {', '.join(parts)}"
        if self.imm:
            text += f" +{self.imm}"
        if self.check:
            text += " [checked]"
        if self.note:
            text += f" ; {self.note}"
        return text


@dataclass
class IRFunction:
    name: str
    params: list[str]
    kinds: dict[str, str]  # variable -> "int" | "list"
    returns: str  # "int" | "list" | "none"
    body: list = field(default_factory=list)  # Instr | Label
    phys: dict[str, int] = field(default_factory=dict)  # filled by regalloc
    hidden: list[str] = field(default_factory=list)  # the x.set flags of parameters with default None (the runtime sets them)
    defaults: dict[str, int | None] = field(default_factory=dict)  # parameter -> its default (an int, or None)
    returns_tuple: bool = False  # every return is a tuple (stored like a list)

    def listing(self) -> str:
        lines = [f"def {self.name}({', '.join(self.params)}) -> {self.returns}"]
        for item in self.body:
            lines.append(f"  {item}" if isinstance(item, Instr) else str(item))
        return "\n".join(lines)

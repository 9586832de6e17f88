"""The lowering's output side: fresh temporaries and labels, emitting instructions at a source location.

Every other part of the lowering (statements, loops, expressions, calls, lists, arithmetic) writes
its code through these methods, so each instruction carries the (line, column) of the construct
it came from (`at`), and temporaries (`%tN`) and labels (`.hintN`) are numbered in emission order.
"""

from __future__ import annotations

import ast

from nclib.compiler.infer_kinds import expr_kind
from nclib.compiler.ir import Const, Instr, Label


class Emitter:
    """Instruction output of one function: `body`, the temporaries' kinds, the current location."""

    def temp(self, kind: str = "int") -> str:
        self.n_temps += 1
        name = f"%t{self.n_temps}"
        self.kinds[name] = kind
        return name

    def label(self, hint: str) -> str:
        self.n_labels += 1
        return f".{hint}{self.n_labels}"

    def emit(self, op: str, dst=None, args=(), target=None, imm=0, check=False, note="") -> None:
        self.body.append(Instr(op, dst, tuple(args), target, imm, check, self.loc, note))

    def place(self, label: str) -> None:
        self.body.append(Label(label))

    def at(self, node: ast.AST) -> None:
        if hasattr(node, "lineno"):
            self.loc = (node.lineno, node.col_offset + 1)

    def kind(self, node: ast.AST) -> str:
        return expr_kind(self.kinds, self.all_kinds.returns, node)

    def out(self, dst: str | None, kind: str = "int") -> str:
        return dst if dst is not None else self.temp(kind)

    def expr_result(self, value, dst):
        if dst is not None:
            self.emit("mov", dst, [value])
            return dst
        return value

    def guard(self, ok, message: str) -> None:
        """Stop with a routine error carrying `message` unless `ok` is nonzero."""
        fine = self.label("ok")
        self.emit("jnz", args=[ok], target=fine)
        self.emit("fault", imm=1, note=message)
        self.place(fine)

    def counted_loop(self, start, stop, body) -> None:
        """for i in range(start, stop): body(i) -- `body` emits the loop body given the counter."""
        i, test = self.temp(), self.temp()
        top, end = self.label("copy"), self.label("endcopy")
        self.emit("mov", i, [start])
        self.place(top)
        self.emit("lt", test, [i, stop])
        self.emit("jz", args=[test], target=end)
        body(i)
        self.emit("add", i, [i, Const(1)])
        self.emit("jmp", target=top)
        self.place(end)

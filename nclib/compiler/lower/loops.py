"""Lowering of loops: while, for over range / reversed(range) / a list, break and continue.

A `for` over `range(start, P - N)` keeps the counter compared as `counter + N < P`, so a loop
Python does not run never forms a negative value (an unsigned window does not overflow).
"""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const
from nclib.compiler.language import const_int, is_range


class LoopLowering:
    """Loops push (continue label, break label) on `self.loops` for break and continue."""

    def stmt_While(self, node: ast.While) -> None:
        top, end = self.label("while"), self.label("endwhile")
        self.place(top)
        self.at(node.test)
        self.cond(node.test, end)
        self.loop_body(node.body, top, end)
        self.emit("jmp", target=top)
        self.place(end)

    def loop_body(self, body: list[ast.stmt], cont: str, brk: str) -> None:
        self.loops.append((cont, brk))
        for s in body:
            self.stmt(s)
        self.loops.pop()

    def stmt_Break(self, node: ast.Break) -> None:
        self.emit("jmp", target=self.loops[-1][1])

    def stmt_Continue(self, node: ast.Continue) -> None:
        self.emit("jmp", target=self.loops[-1][0])

    def stmt_For(self, node: ast.For) -> None:
        var = node.target.id
        self.defined(var)  # before the loop: Python leaves the name unbound when the loop does not run
        it = node.iter
        top, end = self.label("for"), self.label("endfor")
        counter = self.temp()
        if is_range(it) or (isinstance(it, ast.Call) and it.func.id == "reversed"):
            self.range_head(it, var, counter, top, end)
        else:
            self.list_head(it, var, counter, top, end)
        self.loop_body(node.body, top, end)
        self.emit("jmp", target=top)
        self.place(end)

    def range_head(self, it: ast.Call, var: str, counter: str, top: str, end: str) -> None:
        """The head of `for var in range(...)` or `reversed(range(...))`: the bounds evaluated once,
        then at label `top` the test that leaves for `end`, `var` set and the counter stepped."""
        rev = not is_range(it)
        call = it.args[0] if rev else it
        args = call.args
        step = const_int(args[2]) if len(args) == 3 else 1
        start = self.expr(args[0]) if len(args) >= 2 else Const(0)
        stop_node = args[1] if len(args) >= 2 else args[0]
        # A stop written as P - N (e.g. len(a) - 1) is kept as the two sums P and N, and the
        # counter is compared as counter + N < P: when Python's loop does not run (P < N) no
        # negative value is ever formed, so an unsigned window does not overflow.
        pos, neg = _terms(stop_node) if step > 0 else ([stop_node], [])
        shift = None
        if neg:
            stop, shift = self.sum_of(pos), self.sum_of(neg)
            kept = self.temp()
            self.emit("mov", kept, [shift])
            shift = kept
        else:
            stop = self.expr(stop_node)
        limit = self.temp()  # range() is evaluated once, so later writes to `stop` do not matter
        if rev:
            # counter runs from P down to start + N + 1; the element is counter - N - 1, so the
            # counter never leaves [start + N, P] (no spurious overflow below start).
            self.emit("mov", counter, [stop])
            if shift is not None:
                self.emit("add", limit, [start, shift])
            else:
                self.emit("mov", limit, [start])
            self.place(top)
            test = self.temp()
            self.emit("gt", test, [counter, limit])
            self.emit("jz", args=[test], target=end)
            self.emit("sub", counter, [counter, Const(1)])
            if shift is not None:
                self.emit("sub", var, [counter, shift])
            else:
                self.emit("mov", var, [counter])
        else:
            self.emit("mov", counter, [start])
            self.emit("mov", limit, [stop])
            self.place(top)
            test = self.temp()
            if shift is not None:
                self.emit("add", test, [counter, shift])
                self.emit("lt", test, [test, limit])
            else:
                self.emit("lt" if step > 0 else "gt", test, [counter, limit])
            self.emit("jz", args=[test], target=end)
            self.emit("mov", var, [counter])
            self.emit("add" if step > 0 else "sub", counter, [counter, Const(abs(step))])

    def list_head(self, it: ast.AST, var: str, counter: str, top: str, end: str) -> None:
        """The head of `for var in <list>`: the list evaluated once; its length read at every
        iteration (as Python's list iterator does)."""
        base = self.temp("list")
        self.emit("mov", base, [self.expr(it)])
        self.emit("mov", counter, [Const(0)])
        self.place(top)
        length, test = self.temp(), self.temp()
        self.emit("load", length, [base, Const(0)])
        self.emit("lt", test, [counter, length])
        self.emit("jz", args=[test], target=end)
        self.emit("load", var, [base, counter], imm=1)
        self.emit("add", counter, [counter, Const(1)])

    def sum_of(self, terms: list[ast.AST]):
        """The operand holding the sum of `terms` (left to right)."""
        acc = self.expr(terms[0])
        for term in terms[1:]:
            value = self.expr(term)
            out = self.temp()
            self.emit("add", out, [acc, value])
            acc = out
        return acc


def _terms(node: ast.AST) -> tuple[list[ast.AST], list[ast.AST]]:
    """An expression of + and - as (terms added, terms subtracted): a - (b - c) + d -> [a, c, d], [b]."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        lp, ln = _terms(node.left)
        rp, rn = _terms(node.right)
        return (lp + rp, ln + rn) if isinstance(node.op, ast.Add) else (lp + rn, ln + rp)
    return [node], []

"""Lowering of list operations: displays, [x] * n, concatenation, ==, slices, copies, sort, methods.

Lists live in memory as [length, e0, e1, ...] (see `ir.py`); a new list is an `alloc` of its
length. `x.append(v)` grows the list in place when it is the last block of memory, and otherwise
moves it to a fresh block (`check_kinds` ensures no other name holds the old address).
"""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const
from nclib.compiler.language import const_int


class ListLowering:
    """List operations; `method_<name>` lowers `x.<name>(...)`."""

    def expr_List(self, node: ast.List, dst):
        values = [self.expr(e) for e in node.elts]
        self.at(node)
        out = self.out(dst, "list")
        self.emit("alloc", out, [Const(len(values))])
        for i, v in enumerate(values):
            self.emit("store", None, [out, Const(i), v], imm=1)
        return out

    def expr_Tuple(self, node: ast.Tuple, dst):
        return self.expr_List(node, dst)

    def repeat(self, element: ast.AST, count: ast.AST, dst):
        value, n = self.expr(element), self.expr(count)
        self.at(count)
        out = self.out(dst, "list")
        self.emit("alloc", out, [n])
        if not (isinstance(value, Const) and value.value == 0):  # fresh memory already holds 0
            i, test, length = self.temp(), self.temp(), self.temp()
            top, end = self.label("fill"), self.label("endfill")
            self.emit("load", length, [out, Const(0)])
            self.emit("mov", i, [Const(0)])
            self.place(top)
            self.emit("lt", test, [i, length])
            self.emit("jz", args=[test], target=end)
            self.emit("store", None, [out, i, value], imm=1)
            self.emit("add", i, [i, Const(1)])
            self.emit("jmp", target=top)
            self.place(end)
        return out

    def concatenate(self, a, b, dst):
        """a + b of two lists: a new list holding a's elements, then b's."""
        na, nb, size, value, j = (self.temp() for _ in range(5))
        self.emit("load", na, [a, Const(0)])
        self.emit("load", nb, [b, Const(0)])
        self.emit("add", size, [na, nb])
        out = self.temp("list")
        self.emit("alloc", out, [size])

        def first(i):
            self.emit("load", value, [a, i], imm=1)
            self.emit("store", None, [out, i, value], imm=1)

        def second(i):
            self.emit("load", value, [b, i], imm=1)
            self.emit("add", j, [i, na])
            self.emit("store", None, [out, j, value], imm=1)

        self.counted_loop(Const(0), na, first)
        self.counted_loop(Const(0), nb, second)
        return self.expr_result(out, dst)

    def list_equality(self, a, b, dst):
        """1 when lists a and b have the same length and elements (Python's == on lists), else 0."""
        out, n, i, x, y, test = (self.temp() for _ in range(6))
        top, end = self.label("listeq"), self.label("endlisteq")
        self.emit("load", n, [a, Const(0)])
        self.emit("load", x, [b, Const(0)])
        self.emit("eq", out, [n, x])
        self.emit("jz", args=[out], target=end)
        self.emit("mov", i, [Const(0)])
        self.place(top)
        self.emit("lt", test, [i, n])
        self.emit("jz", args=[test], target=end)
        self.emit("load", x, [a, i], imm=1)
        self.emit("load", y, [b, i], imm=1)
        self.emit("eq", out, [x, y])
        self.emit("jz", args=[out], target=end)
        self.emit("add", i, [i, Const(1)])
        self.emit("jmp", target=top)
        self.place(end)
        return self.expr_result(out, dst)

    def slice(self, node: ast.Subscript, dst):
        """a[i:j] as a new list, with Python's clamping: a negative literal counts from the end, bounds
        are clipped to [0, len(a)], and an empty list results when i >= j. a[::-1]: a reversed copy."""
        sl = node.slice
        base = self.expr(node.value)
        n = self.temp()
        self.emit("load", n, [base, Const(0)])
        if sl.step is not None:  # a[::-1]
            out, value, j, last = self.temp("list"), self.temp(), self.temp(), self.temp()
            self.emit("alloc", out, [n])

            def body(i):
                self.emit("load", value, [base, i], imm=1)
                self.emit("sub", j, [last, i])
                self.emit("store", None, [out, j, value], imm=1)

            self.emit("max", last, [n, Const(1)])
            self.emit("sub", last, [last, Const(1)])
            self.counted_loop(Const(0), n, body)
            return self.expr_result(out, dst)

        def bound(part, default):
            if part is None:
                return default
            literal = const_int(part)
            value = self.temp()
            if literal is not None and literal < 0:  # max(n, k) - k: len - k clipped at 0, never negative
                self.emit("max", value, [n, Const(-literal)])
                self.emit("sub", value, [value, Const(-literal)])
                return value
            # a negative bound counts from the end (Python: x + len, then clipped to [0, len])
            negative, from_end = self.temp(), self.label("bound")
            self.emit("mov", value, [self.expr(part)])
            self.emit("lt", negative, [value, Const(0)])
            self.emit("jz", args=[negative], target=from_end)
            self.emit("add", value, [value, n])
            self.place(from_end)
            self.emit("max", value, [value, Const(0)])
            self.emit("min", value, [value, n])
            return value

        start = bound(sl.lower, Const(0))
        stop = bound(sl.upper, n)
        if sl.lower is not None:
            clipped = self.temp()
            self.emit("max", clipped, [stop, start])
            stop = clipped
        return self.expr_result(self.copy_list(base, start, stop, None), dst)

    def copy_list(self, src, start, stop, dst, extra: int = 0):
        """A new list holding src[start:stop] (0 <= start <= stop <= len(src)), with `extra` more
        cells at its end; returns its address."""
        n = self.temp()
        self.emit("sub", n, [stop, start])
        size = n
        if extra:
            size = self.temp()
            self.emit("add", size, [n, Const(extra)])
        out = self.temp("list")  # not dst: src or the bounds may be read from it
        self.emit("alloc", out, [size])
        value, j = self.temp(), self.temp()

        def body(i):
            self.emit("load", value, [src, i], imm=1)
            self.emit("sub", j, [i, start])
            self.emit("store", None, [out, j, value], imm=1)

        self.counted_loop(start, stop, body)
        return out

    def insertion_sort(self, lst: str, n) -> None:
        """Sort list `lst` of length n in place (stable, ascending): sorted()'s copy."""
        key, j, prev, test, jm1 = (self.temp() for _ in range(5))
        inner, placed = self.label("isort"), self.label("placed")

        def body(i):
            self.emit("load", key, [lst, i], imm=1)
            self.emit("mov", j, [i])
            self.place(inner)
            self.emit("gt", test, [j, Const(0)])
            self.emit("jz", args=[test], target=placed)
            self.emit("sub", jm1, [j, Const(1)])
            self.emit("load", prev, [lst, jm1], imm=1)
            self.emit("gt", test, [prev, key])
            self.emit("jz", args=[test], target=placed)
            self.emit("store", None, [lst, j, prev], imm=1)
            self.emit("mov", j, [jm1])
            self.emit("jmp", target=inner)
            self.place(placed)
            self.emit("store", None, [lst, j, key], imm=1)

        self.counted_loop(Const(1), n, body)

    def method_append(self, owner: str, args: list, dst):
        """owner.append(v): when the list is the last block of memory (its end is the heap pointer)
        it grows in place by one cell; otherwise it moves to a fresh block one cell longer (the name
        is rebound; check_kinds ensures no other name holds the old address)."""
        value = args[0]
        n, end, test = self.temp(), self.temp(), self.temp()
        moved, done = self.label("grow"), self.label("appended")
        self.emit("load", n, [owner, Const(0)])
        self.emit("add", end, [owner, n])
        self.emit("add", end, [end, Const(1)])
        self.emit("eq", test, [end, "%hp"])
        self.emit("jz", args=[test], target=moved)
        self.emit("alloc", self.temp(), [Const(0)])  # reserves the cell at the heap pointer
        self.emit("store", None, [owner, n, value], imm=1)
        self.emit("add", n, [n, Const(1)])
        self.emit("store", None, [owner, Const(0), n])
        self.emit("jmp", target=done)
        self.place(moved)
        new = self.copy_list(owner, Const(0), n, None, extra=1)
        self.emit("store", None, [new, n, value], imm=1)
        self.emit("mov", owner, [new])
        self.place(done)
        return Const(0)

    def method_pop(self, owner: str, args: list, dst):
        """owner.pop() / owner.pop(i): the element, and the later elements move down one cell."""
        n, out = self.temp(), self.temp()
        self.emit("load", n, [owner, Const(0)])
        if not args or (isinstance(args[0], Const) and args[0].value == -1):
            ok = self.temp()
            self.emit("gt", ok, [n, Const(0)])
            self.guard(ok, "IndexError: pop from empty list")
            self.emit("sub", n, [n, Const(1)])
            self.emit("load", out, [owner, n], imm=1)
            self.emit("store", None, [owner, Const(0), n])
            return out
        index = args[0]
        self.emit("load", out, [owner, index], imm=1, check=True)
        value, j = self.temp(), self.temp()

        def body(i):
            self.emit("add", j, [i, Const(1)])
            self.emit("load", value, [owner, j], imm=1)
            self.emit("store", None, [owner, i, value], imm=1)

        self.emit("sub", n, [n, Const(1)])
        self.counted_loop(index, n, body)
        self.emit("store", None, [owner, Const(0), n])
        return out

    def method_copy(self, owner: str, args: list, dst):
        n = self.temp()
        self.emit("load", n, [owner, Const(0)])
        return self.copy_list(owner, Const(0), n, dst)

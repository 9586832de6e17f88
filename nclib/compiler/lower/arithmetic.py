"""Lowering of arithmetic the machine has no single instruction for: ** & | ^ << >>, int(a / b), isqrt.

Each becomes a short loop of ALU instructions whose intermediate values stay inside the value
window when the result does; a negative exponent, shift count or square-root operand stops the
run with Python's ValueError.
"""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const
from nclib.compiler.language import BINOPS


class ArithmeticLowering:
    """Arithmetic as loops of ALU instructions."""

    def binary(self, op: ast.operator, a, b, out: str) -> None:
        """out = a <op> b: one ALU op, or for ** & | ^ << >> a short loop of them."""
        if type(op) in BINOPS:
            self.emit(BINOPS[type(op)], out, [a, b])
            return
        x, y, result, count, test, bit = (self.temp() for _ in range(6))
        top, end = self.label("loop"), self.label("endloop")
        self.emit("mov", x, [a])
        self.emit("mov", y, [b])
        if isinstance(op, (ast.Pow, ast.LShift, ast.RShift)):
            # x ** y: multiply y times; x << y: double y times; x >> y: halve (floor) y times
            ok = self.temp()
            self.emit("ge", ok, [y, Const(0)])
            self.guard(ok, "ValueError: negative exponent" if isinstance(op, ast.Pow) else "ValueError: negative shift count")
            self.emit("mov", result, [Const(1) if isinstance(op, ast.Pow) else x])
            self.emit("mov", count, [y])
            self.place(top)
            self.emit("gt", test, [count, Const(0)])
            self.emit("jz", args=[test], target=end)
            if isinstance(op, ast.Pow):
                self.emit("mul", result, [result, x])
            elif isinstance(op, ast.LShift):
                self.emit("add", result, [result, result])
            else:
                self.emit("floordiv", result, [result, Const(2)])
            self.emit("sub", count, [count, Const(1)])
            self.emit("jmp", target=top)
            self.place(end)
        else:
            # & | ^ of non-negative ints, bit by bit from the lowest: bit = 2**k while x or y has bits left
            ok, both, xb, yb, one, more = (self.temp() for _ in range(6))
            self.emit("min", ok, [x, y])
            self.emit("ge", ok, [ok, Const(0)])
            self.guard(ok, "ValueError: the bitwise operators & | ^ are compiled for non-negative numbers only")
            self.emit("mov", result, [Const(0)])
            self.emit("mov", bit, [Const(1)])
            self.place(top)
            self.emit("max", test, [x, y])
            self.emit("gt", test, [test, Const(0)])
            self.emit("jz", args=[test], target=end)
            self.emit("mod", xb, [x, Const(2)])
            self.emit("mod", yb, [y, Const(2)])
            if isinstance(op, ast.BitAnd):
                self.emit("min", one, [xb, yb])
            elif isinstance(op, ast.BitOr):
                self.emit("max", one, [xb, yb])
            else:
                self.emit("ne", one, [xb, yb])
            skip = self.label("nobit")
            self.emit("jz", args=[one], target=skip)
            self.emit("add", result, [result, bit])
            self.place(skip)
            self.emit("floordiv", x, [x, Const(2)])
            self.emit("floordiv", y, [y, Const(2)])
            self.emit("max", more, [x, y])  # doubling bit only while another bit follows keeps it in the window
            self.emit("jz", args=[more], target=end)
            self.emit("add", bit, [bit, bit])
            self.emit("jmp", target=top)
            self.place(end)
        self.emit("mov", out, [result])

    def truncating_division(self, a, b, dst):
        """int(a / b) = a // b, plus 1 when the division is inexact and the signs differ (Python's //
        rounds down, int() of the quotient rounds toward zero)."""
        q, r, inexact, neg_a, neg_b, fix = (self.temp() for _ in range(6))
        self.emit("floordiv", q, [a, b])
        self.emit("mod", r, [a, b])
        self.emit("ne", inexact, [r, Const(0)])
        self.emit("lt", neg_a, [a, Const(0)])
        self.emit("lt", neg_b, [b, Const(0)])
        self.emit("ne", fix, [neg_a, neg_b])
        self.emit("min", fix, [fix, inexact])
        out = self.out(dst)
        self.emit("add", out, [q, fix])
        return out

    def integer_sqrt(self, n, dst):
        """The largest r with r * r <= n, counting up while r + 1 <= n // (r + 1) (never forms a
        product above n, so no window overflow); n < 0 stops with ValueError like math.sqrt."""
        ok, r, nxt, q, test = (self.temp() for _ in range(5))
        top, end = self.label("isqrt"), self.label("endisqrt")
        self.emit("ge", ok, [n, Const(0)])
        self.guard(ok, "ValueError: math domain error")
        self.emit("mov", r, [Const(0)])
        self.place(top)
        self.emit("add", nxt, [r, Const(1)])
        self.emit("floordiv", q, [n, nxt])
        self.emit("le", test, [nxt, q])
        self.emit("jz", args=[test], target=end)
        self.emit("mov", r, [nxt])
        self.emit("jmp", target=top)
        self.place(end)
        return self.expr_result(r, dst)

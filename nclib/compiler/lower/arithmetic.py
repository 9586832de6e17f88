"""Lowering of arithmetic the machine has no single instruction for: ** & | ^ << >>, int(a / b), isqrt.

Each becomes a short loop of ALU instructions whose intermediate values stay inside the value
window when the operands and the result do; a negative exponent, shift count or square-root
operand stops the run with Python's ValueError. & | ^ follow Python on negative operands too.
"""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const
from nclib.compiler.language import BINOPS

# the machine instruction giving the bit a <op> b of bits a, b in {0, 1}
_BIT_OPS = {ast.BitAnd: "min", ast.BitOr: "max", ast.BitXor: "ne"}


class ArithmeticLowering:
    """Arithmetic as loops of ALU instructions."""

    def binary(self, op: ast.operator, a, b, out: str) -> None:
        """out = a <op> b: one ALU op, or for ** & | ^ << >> a short loop of them."""
        if type(op) in BINOPS:
            self.emit(BINOPS[type(op)], out, [a, b])
            return
        x, y, result = (self.temp() for _ in range(3))
        self.emit("mov", x, [a])
        self.emit("mov", y, [b])
        if isinstance(op, (ast.Pow, ast.LShift, ast.RShift)):
            count, test = self.temp(), self.temp()
            top, end = self.label("loop"), self.label("endloop")
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
            self.bitwise(op, x, y, result)
        self.emit("mov", out, [result])

    def bitwise(self, op: ast.operator, x: str, y: str, result: str) -> None:
        """result = x & y, x | y or x ^ y with Python's semantics (two's complement, infinitely many
        sign bits), destroying x and y. Non-negative operands take the short loop (`bit_loop` with
        no sign); a negative operand takes the signed one, whose result's sign h = op(x < 0, y < 0)
        is known before the first bit."""
        signed, end = self.label("signedbits"), self.label("endbits")
        ok, sx, sy, h = (self.temp() for _ in range(4))
        self.emit("min", ok, [x, y])
        self.emit("ge", ok, [ok, Const(0)])
        self.emit("jz", args=[ok], target=signed)
        self.bit_loop(op, x, y, result, None, end)
        self.place(signed)
        self.emit("lt", sx, [x, Const(0)])
        self.emit("lt", sy, [y, Const(0)])
        self.emit(_BIT_OPS[type(op)], h, [sx, sy])
        self.bit_loop(op, x, y, result, h, end)
        self.place(end)

    def bit_loop(self, op: ast.operator, x: str, y: str, result: str, h, end: str) -> None:
        """The bits of x <op> y from the lowest, then a jump to `end`. h: None when x, y >= 0, else a
        register holding the result's sign bit (1: negative).

        The result starts as its sign fill f = -h (0 or -1) and gains `bit` = +2**k (h = 0) or -2**k
        (h = 1) for each bit k that differs from the fill, so every partial result lies between f and
        the result. `bit` is doubled only while the bits left (x, y halved k + 1 times) do not all
        give the fill (`bits_done`); then 2**(k+1) <= the result or a non-negative operand (h = 0),
        or -2**(k+1) > the result or a negative operand (h = 1). So no value leaves the window when
        the operands and the result are in it (in [-128, 128) as in [0, 256))."""
        top, skip = self.label("bits"), self.label("nobit")
        bit, xb, yb, one = (self.temp() for _ in range(4))
        if h is None:
            self.emit("mov", result, [Const(0)])
            self.emit("mov", bit, [Const(1)])
        else:
            self.emit("neg", result, [h])
            self.emit("sub", bit, [Const(1), h])
            self.emit("sub", bit, [bit, h])
        self.bits_done(op, x, y, h, end)
        self.place(top)
        self.emit("mod", xb, [x, Const(2)])
        self.emit("mod", yb, [y, Const(2)])
        self.emit(_BIT_OPS[type(op)], one, [xb, yb])
        if h is not None:
            self.emit("ne", one, [one, h])  # this bit differs from the fill
        self.emit("jz", args=[one], target=skip)
        self.emit("add", result, [result, bit])
        self.place(skip)
        self.emit("floordiv", x, [x, Const(2)])
        self.emit("floordiv", y, [y, Const(2)])
        self.bits_done(op, x, y, h, end)
        self.emit("add", bit, [bit, bit])
        self.emit("jmp", target=top)

    def bits_done(self, op: ast.operator, x: str, y: str, h, end: str) -> None:
        """Jump to `end` when every bit x <op> y has left equals the fill -h: for x, y >= 0 when both
        are 0; for ^ when x == y (h = 0) or x + y == -1 (h = 1, signs differ, so the sum is between
        them); for & and | when x and/or y is the fill: & needs one operand at 0 (h = 0) or both at
        -1 (h = 1), | both at 0 (h = 0) or one at -1 (h = 1)."""
        if h is None:
            done = self.temp()
            self.emit("max", done, [x, y])
            self.emit("jz", args=[done], target=end)
            return
        done = self.temp()
        if isinstance(op, ast.BitXor):
            same, test = self.label("xorsame"), self.label("xortest")
            self.emit("jz", args=[h], target=same)
            self.emit("add", done, [x, y])
            self.emit("add", done, [done, Const(1)])
            self.emit("eq", done, [done, Const(0)])
            self.emit("jmp", target=test)
            self.place(same)
            self.emit("eq", done, [x, y])
            self.place(test)
        else:
            fill, ex, ey, either = (self.temp() for _ in range(4))
            self.emit("neg", fill, [h])
            self.emit("eq", ex, [x, fill])
            self.emit("eq", ey, [y, fill])
            self.emit("max", either, [ex, ey])
            self.emit("min", done, [ex, ey])
            # one operand at the fill is enough for & when h = 0 and for | when h = 1
            enough = h
            if isinstance(op, ast.BitAnd):
                enough = self.temp()
                self.emit("not", enough, [h])
            self.emit("min", either, [either, enough])
            self.emit("max", done, [done, either])
        self.emit("jnz", args=[done], target=end)

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

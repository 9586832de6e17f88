"""Lowering of expressions: operands, conditions with short-circuit jumps, arithmetic, comparisons.

`expr` returns the operand holding the value (a name, a temporary or a `Const`); with `dst` the
value is written there. Calls are in `lower.calls`, list displays and list operations in `lower.lists`.
"""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const
from nclib.compiler.language import CMPOPS, const_int, is_none


class ExpressionLowering:
    """One `expr_<Node>` method per accepted expression, plus conditions (`cond`, `truth`)."""

    def expr(self, node: ast.AST, dst: str | None = None):
        """Lower an expression; return its operand. With `dst`, the result is written there."""
        self.at(node)
        if isinstance(node, ast.Constant):
            result = Const(int(node.value))
        elif isinstance(node, ast.Name):
            result = Const(int(node.id == "True")) if node.id in ("True", "False") else node.id
        else:
            result = getattr(self, "expr_" + type(node).__name__)(node, dst)
            if result == dst:
                return dst
        if dst is not None and result != dst:
            self.emit("mov", dst, [result])
            return dst
        return result

    def cond(self, node: ast.AST, false_label: str) -> None:
        """Emit code that falls through when `node` is true and jumps to false_label otherwise,
        with Python's short-circuit evaluation."""
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for value in node.values:
                self.cond(value, false_label)
            return
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            true_label = self.label("or")
            for value in node.values[:-1]:
                self.emit("jnz", args=[self.truth(value)], target=true_label)
            self.cond(node.values[-1], false_label)
            self.place(true_label)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.emit("jnz", args=[self.truth(node.operand)], target=false_label)
            return
        if isinstance(node, ast.Constant):
            if not node.value:
                self.emit("jmp", target=false_label)
            return
        self.emit("jz", args=[self.truth(node)], target=false_label)

    def number(self, node: ast.AST):
        """An operand used as a number: a name that holds None stops with Python's TypeError."""
        if isinstance(node, ast.Name) and node.id in self.nullable:
            self.guard(f"{node.id}.set", f"TypeError: {node.id} is None here and cannot be used as a number or list")
        return self.expr(node)

    def truth(self, node: ast.AST):
        """An operand that is nonzero exactly when `node` is truthy (lists: when non-empty; None: never)."""
        value = self.expr(node)
        if self.kind(node) == "list" and isinstance(node, ast.Name) and node.id in self.nullable:
            length, skip = self.temp(), self.label("nonelist")
            self.emit("mov", length, [Const(0)])
            self.emit("jz", args=[f"{node.id}.set"], target=skip)
            self.emit("load", length, [value, Const(0)])
            self.place(skip)
            return length
        if self.kind(node) == "list":
            length = self.temp()
            self.emit("load", length, [value, Const(0)])
            return length
        return value

    def expr_BinOp(self, node: ast.BinOp, dst):
        if isinstance(node.op, ast.Mult) and (isinstance(node.left, ast.List) or isinstance(node.right, ast.List)):
            lst, count = (node.left, node.right) if isinstance(node.left, ast.List) else (node.right, node.left)
            return self.repeat(lst.elts[0], count, dst)
        if isinstance(node.op, ast.Add) and self.kind(node.left) == "list":
            return self.concatenate(self.number(node.left), self.number(node.right), dst)
        a, b = self.number(node.left), self.number(node.right)
        self.at(node)
        out = self.out(dst)
        self.binary(node.op, a, b, out)
        return out

    def expr_UnaryOp(self, node: ast.UnaryOp, dst):
        if isinstance(node.op, ast.UAdd):
            return self.expr(node.operand, dst)
        if isinstance(node.op, ast.USub):
            literal = const_int(node)
            if literal is not None:
                return Const(literal)
        if isinstance(node.op, ast.Invert):  # ~x == -x - 1
            out = self.out(dst)
            self.emit("neg", out, [self.number(node.operand)])
            self.emit("sub", out, [out, Const(1)])
            return out
        a = self.truth(node.operand) if isinstance(node.op, ast.Not) else self.number(node.operand)
        out = self.out(dst)
        self.emit("not" if isinstance(node.op, ast.Not) else "neg", out, [a])
        return out

    def expr_Compare(self, node: ast.Compare, dst):
        sides = [node.left, node.comparators[0]]
        if getattr(node, "_bool_is", False):  # x is True / x is False: x only ever holds True / False
            out = self.out(dst)
            op = "eq" if isinstance(node.ops[0], ast.Is) else "ne"
            self.emit(op, out, [self.expr(sides[0]), self.expr(sides[1])])
            return out
        if any(is_none(x) for x in sides):  # x is None / x is not None (check_language: x is a name)
            name = next(x for x in sides if not is_none(x)).id
            out = self.out(dst)
            negate = isinstance(node.ops[0], (ast.Is, ast.Eq))
            self.emit("not" if negate else "mov", out, [f"{name}.set"])
            return out
        if self.kind(node.left) == "list":  # check_kinds allows only list == list and list != list
            a, b = self.expr(node.left), self.expr(node.comparators[0])
            if isinstance(node.ops[0], ast.Eq):
                return self.list_equality(a, b, dst)
            out = self.out(dst)
            self.emit("not", out, [self.list_equality(a, b, None)])
            return out
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)) and any(
                isinstance(x, ast.Name) and x.id in self.nullable for x in sides):
            return self.none_equality(node, dst)
        left = self.number(node.left)
        if len(node.ops) == 1:
            right = self.number(node.comparators[0])
            out = self.out(dst)
            self.emit(CMPOPS[type(node.ops[0])], out, [left, right])
            return out
        out, end = self.temp(), self.label("chain")
        for i, (op, comparator) in enumerate(zip(node.ops, node.comparators)):
            right = self.number(comparator)
            if isinstance(right, str) and not right.startswith("%"):
                copy = self.temp()
                self.emit("mov", copy, [right])
                right = copy
            self.emit(CMPOPS[type(op)], out, [left, right])
            if i < len(node.ops) - 1:
                self.emit("jz", args=[out], target=end)
            left = right
        self.place(end)
        return out

    def none_equality(self, node: ast.Compare, dst):
        """x == y / x != y where a side may hold None: None equals only None (no TypeError), so
        equal = (both hold values and the values are equal) or (both hold None)."""
        flags = [f"{x.id}.set" if isinstance(x, ast.Name) and x.id in self.nullable else Const(1)
                 for x in (node.left, node.comparators[0])]
        same, both, neither, out = self.temp(), self.temp(), self.temp(), self.out(dst)
        self.emit("eq", same, [self.expr(node.left), self.expr(node.comparators[0])])
        self.emit("mul", both, [flags[0], flags[1]])
        self.emit("mul", same, [same, both])
        self.emit("add", neither, [flags[0], flags[1]])
        self.emit("eq", neither, [neither, Const(0)])
        self.emit("max", out, [same, neither])
        if isinstance(node.ops[0], ast.NotEq):
            self.emit("not", out, [out])
        return out

    def expr_BoolOp(self, node: ast.BoolOp, dst):
        out, end = self.temp(), self.label("bool")
        jump = "jz" if isinstance(node.op, ast.And) else "jnz"
        for i, value in enumerate(node.values):
            self.expr(value, dst=out)
            if i < len(node.values) - 1:
                self.emit(jump, args=[out], target=end)
        self.place(end)
        return out

    def expr_IfExp(self, node: ast.IfExp, dst):
        out, else_label, end = self.temp(self.kind(node)), self.label("else"), self.label("endif")
        self.cond(node.test, else_label)
        self.expr(node.body, dst=out)
        self.emit("jmp", target=end)
        self.place(else_label)
        self.expr(node.orelse, dst=out)
        self.place(end)
        return out

    def expr_Subscript(self, node: ast.Subscript, dst):
        if isinstance(node.slice, ast.Slice):
            return self.slice(node, dst)
        base, index = self.number(node.value), self.number(node.slice)
        self.at(node)
        out = self.out(dst)
        self.emit("load", out, [base, index], imm=1, check=True)
        return out

"""Lowering of statements: assignments, augmented assignments, if, return, raise and assert.

Names that can hold None (`infer_kinds.nullable_names`) carry a companion flag `name.set`, kept
up to date at every assignment (`defined`). Loops are in `lower.loops`.
"""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const
from nclib.compiler.language import is_none


class StatementLowering:
    """One `stmt_<Node>` method per accepted statement."""

    def stmt(self, node: ast.stmt) -> None:
        self.at(node)
        method = getattr(self, "stmt_" + type(node).__name__)
        method(node)

    def stmt_Pass(self, node: ast.Pass) -> None:
        pass

    def stmt_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            return  # docstring or bare literal
        self.expr(node.value)

    def defined(self, name: str, value_is_none: bool = False) -> None:
        """After an assignment to `name`: a name that can hold None records whether it does."""
        if name in self.nullable:
            self.emit("mov", f"{name}.set", [Const(0 if value_is_none else 1)])
            if value_is_none and self.kinds.get(name) != "list":
                self.emit("mov", name, [Const(0)])  # None is falsy: `if x:` reads 0

    def stmt_Assign(self, node: ast.Assign) -> None:
        target = node.targets[0]
        if isinstance(target, ast.Name) and is_none(node.value):
            self.defined(target.id, value_is_none=True)
            return
        if isinstance(target, ast.Tuple) and not isinstance(node.value, ast.Tuple):
            # a, b = some_list: the length must match, as Python checks
            source = self.expr(node.value)
            n, ok = self.temp(), self.temp()
            self.emit("load", n, [source, Const(0)])
            self.emit("eq", ok, [n, Const(len(target.elts))])
            self.guard(ok, f"ValueError: the value unpacked into {len(target.elts)} names has another length")
            values = []
            for i in range(len(target.elts)):
                value = self.temp()
                self.emit("load", value, [source, Const(i)], imm=1)
                values.append(value)
            for t, v in zip(target.elts, values):
                self.assign(t, v)
            return
        if isinstance(target, ast.Tuple):
            values, flags = [], []
            for v in node.value.elts:  # evaluate every right-hand side before assigning any target
                operand = self.expr(v)
                if isinstance(operand, str) and not operand.startswith("%"):
                    copy = self.temp(self.kind(v))
                    self.emit("mov", copy, [operand])
                    operand = copy
                values.append(operand)
                flag = None
                if isinstance(v, ast.Name) and v.id in self.nullable:
                    flag = self.temp()
                    self.emit("mov", flag, [f"{v.id}.set"])
                flags.append(flag)
            for t, v, flag in zip(target.elts, values, flags):
                self.assign(t, v)
                if flag is not None and isinstance(t, ast.Name) and t.id in self.nullable:
                    self.emit("mov", f"{t.id}.set", [flag])
            return
        if isinstance(target, ast.Name) and isinstance(node.value, ast.Name) and node.value.id in self.nullable:
            self.expr(node.value, dst=target.id)  # x = y copies whether y holds None
            self.emit("mov", f"{target.id}.set", [f"{node.value.id}.set"])
            return
        if isinstance(target, ast.Name):
            self.expr(node.value, dst=target.id)
            self.defined(target.id)
        else:
            self.assign(target, self.expr(node.value))

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            if isinstance(node.target, ast.Name) and is_none(node.value):
                self.defined(node.target.id, value_is_none=True)
            elif isinstance(node.target, ast.Name):
                self.expr(node.value, dst=node.target.id)
                self.defined(node.target.id)
            else:
                self.assign(node.target, self.expr(node.value))

    def assign(self, target: ast.AST, value) -> None:
        self.at(target)
        if isinstance(target, ast.Name):
            self.emit("mov", target.id, [value])
            self.defined(target.id)
        else:
            base, index = self.expr(target.value), self.expr(target.slice)
            self.emit("store", None, [base, index, value], imm=1, check=True)

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.number(node.target)
            value = self.number(node.value)
            self.binary(node.op, node.target.id, value, node.target.id)
            return
        base, index = self.number(node.target.value), self.number(node.target.slice)
        old = self.temp()
        self.emit("load", old, [base, index], imm=1, check=True)
        value = self.number(node.value)
        self.binary(node.op, old, value, old)
        self.emit("store", None, [base, index, old], imm=1, check=True)

    def stmt_Raise(self, node: ast.Raise) -> None:
        exc = node.exc
        arg = exc.args[0] if isinstance(exc, ast.Call) and exc.args else None
        kind = exc.func if isinstance(exc, ast.Call) else exc
        self.routine_error(kind.attr if isinstance(kind, ast.Attribute) else kind.id, arg, node)

    def stmt_Assert(self, node: ast.Assert) -> None:
        fail, end = self.label("assertfail"), self.label("assertok")
        self.cond(node.test, fail)
        self.emit("jmp", target=end)
        self.place(fail)
        self.at(node)
        self.routine_error("AssertionError", node.msg, node)
        self.place(end)

    def routine_error(self, kind: str, message: ast.AST | None, node: ast.stmt) -> None:
        """A fault line that stops the batch element with nclib.RoutineError("file:line: kind: message").
        The note is a str.format template; the values of an f-string's fields are its operands."""
        text, values = "", []
        if isinstance(message, ast.Constant):
            text = str(message.value).replace("{", "{{").replace("}", "}}")
        elif isinstance(message, ast.JoinedStr):
            for part in message.values:
                if isinstance(part, ast.Constant):
                    text += str(part.value).replace("{", "{{").replace("}", "}}")
                else:
                    value = self.expr(part.value)
                    if isinstance(value, str) and not value.startswith("%"):
                        copy = self.temp()
                        self.emit("mov", copy, [value])
                        value = copy
                    values.append(value)
                    text += "{}"
        self.at(node)  # the error names the raise / assert statement's line
        self.emit("fault", args=values, imm=1, note=f"{kind}: {text}" if text else kind)

    def stmt_Return(self, node: ast.Return) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in self.nullable:
            self.guard(f"{node.value.id}.set", f"TypeError: {node.value.id} is None here, and a compiled routine cannot return None")
        value = Const(0) if node.value is None else self.expr(node.value)
        self.emit("ret", args=[value])

    def stmt_If(self, node: ast.If) -> None:
        else_label, end_label = self.label("else"), self.label("endif")
        self.cond(node.test, else_label)
        for s in node.body:
            self.stmt(s)
        if node.orelse:
            self.emit("jmp", target=end_label)
        self.place(else_label)
        for s in node.orelse:
            self.stmt(s)
        if node.orelse:
            self.place(end_label)

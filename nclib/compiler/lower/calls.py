"""Lowering of calls: builtins (len, abs, min, max, list, sorted, int, isinstance, isqrt) and module functions.

A call of a module function passes the given arguments, the defaults of the omitted ones, then
one flag per parameter whose default is None (1: holds a value, 0: None).
"""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const
from nclib.compiler.language import TYPE_NAMES, const_int, is_isqrt, is_none, square_root


class CallLowering:
    """Builtin and module-function calls."""

    def expr_Call(self, node: ast.Call, dst):
        if is_isqrt(node):
            return self.integer_sqrt(self.expr(node.args[0]), dst)
        if isinstance(node.func, ast.Attribute):
            owner = self.expr(node.func.value)
            args = [self.expr(a) for a in node.args]
            self.at(node)
            return getattr(self, "method_" + node.func.attr)(owner, args, dst)
        name = node.func.id
        if name == "isinstance":
            types = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            return Const(int(self.kind(node.args[0]) in {TYPE_NAMES[t.id] for t in types}))
        if name == "int" and square_root(node.args[0]) is not None:
            return self.integer_sqrt(self.expr(square_root(node.args[0])), dst)
        if name == "int":
            inner = node.args[0]
            if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Div):
                return self.truncating_division(self.expr(inner.left), self.expr(inner.right), dst)
            return self.expr(inner, dst)
        args = [self.expr(a) for a in node.args]
        self.at(node)
        if name in ("list", "sorted"):
            n = self.temp()
            self.emit("load", n, [args[0], Const(0)])
            out = self.copy_list(args[0], Const(0), n, None)
            if name == "sorted":
                self.insertion_sort(out, n)
            return self.expr_result(out, dst)
        if name == "len":
            out = self.out(dst)
            self.emit("load", out, [args[0], Const(0)])
            return out
        if name == "abs":
            out = self.out(dst)
            self.emit("abs", out, args)
            return out
        if name in ("min", "max"):
            acc = args[0]
            for i, other in enumerate(args[1:]):
                out = self.out(dst) if i == len(args) - 2 else self.temp()
                self.emit(name, out, [acc, other])
                acc = out
            return acc
        args = self.call_arguments(self.module.functions[name], node.args, args)
        out = self.out(dst, "list" if self.all_kinds.returns[name] == "list" else "int")
        self.emit("call", out, args, target=name)
        return out

    def call_arguments(self, callee: ast.FunctionDef, nodes: list[ast.AST], values: list) -> list:
        """The operands of a call: the given arguments, the defaults of the omitted ones, then for each
        parameter with default None whether it holds a value (1) or None (0)."""
        params = callee.args.args
        first = len(params) - len(callee.args.defaults)
        out, flags = [], []
        for i, param in enumerate(params):
            default = callee.args.defaults[i - first] if i >= first else None
            given = nodes[i] if i < len(nodes) else None
            if given is None or is_none(given):
                out.append(Const(0) if given is not None or is_none(default) else Const(const_int(default)))
            else:
                if isinstance(given, ast.Name) and given.id in self.nullable and not is_none(default):
                    self.guard(f"{given.id}.set", f"TypeError: {given.id} is None here, and parameter {param.arg} of "
                                                  f"{callee.name} never holds None")
                out.append(values[i])
            if i >= first and is_none(default):
                if given is None or is_none(given):
                    flags.append(Const(0))
                elif isinstance(given, ast.Name) and given.id in self.nullable:
                    flags.append(f"{given.id}.set")
                else:
                    flags.append(Const(1))
        return out + flags

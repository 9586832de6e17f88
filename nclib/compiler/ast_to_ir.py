"""Pass 2: lower each validated function to three-address IR (see `ir.py`)."""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const, Instr, IRFunction, Label
from nclib.compiler.validate import (BINOPS, CMPOPS, TYPE_NAMES, ModuleInfo, _const_int, _is_range, expr_kind, is_none,
                                     _square_root, is_isqrt,
                                     none_defaults, nullable_names)


class FunctionLowering:
    def __init__(self, fn: ast.FunctionDef, info: ModuleInfo):
        self.fn = fn
        self.info = info
        self.kinds = info.kinds[fn.name]
        self.body: list = []
        self.n_temps = 0
        self.n_labels = 0
        self.loops: list[tuple[str, str]] = []  # (continue label, break label)
        self.loc = (fn.lineno, fn.col_offset + 1)
        self.nullable = nullable_names(fn)
        for name in self.nullable:
            self.kinds[f"{name}.set"] = "int"

    # -- helpers ---------------------------------------------------------------------------
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
        return expr_kind(self.kinds, self.info.returns, node)

    # -- functions -------------------------------------------------------------------------
    def lower(self) -> IRFunction:
        hidden = none_defaults(self.fn)
        params = [a.arg for a in self.fn.args.args] + [f"{p}.set" for p in hidden]
        for stmt in self.fn.body:
            self.stmt(stmt)
        returns = self.info.returns[self.fn.name]
        self.loc = (self.fn.body[-1].end_lineno or self.fn.lineno, 1)
        if returns == "none":
            self.emit("ret", args=[Const(0)])
        else:
            self.emit("fault", note=f"{self.fn.name} reached its end without returning a value")
        args = self.fn.args
        defaults = {a.arg: _const_int(d) for a, d in zip(args.args[len(args.args) - len(args.defaults):], args.defaults) if not is_none(d)}
        return IRFunction(self.fn.name, params, self.kinds, returns, self.body, hidden=hidden + [f"{p}.set" for p in hidden],
                          defaults=defaults, returns_tuple=self.fn.name in self.info.tuples)

    # -- statements ------------------------------------------------------------------------
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
        if _is_range(it) or (isinstance(it, ast.Call) and it.func.id == "reversed"):
            rev = not _is_range(it)
            call = it.args[0] if rev else it
            args = call.args
            step = _const_int(args[2]) if len(args) == 3 else 1
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
        else:
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
        self.loop_body(node.body, top, end)
        self.emit("jmp", target=top)
        self.place(end)

    def sum_of(self, terms: list[ast.AST]):
        """The operand holding the sum of `terms` (left to right)."""
        acc = self.expr(terms[0])
        for term in terms[1:]:
            value = self.expr(term)
            out = self.temp()
            self.emit("add", out, [acc, value])
            acc = out
        return acc

    # -- conditions ------------------------------------------------------------------------
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

    # -- expressions -----------------------------------------------------------------------
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

    def out(self, dst: str | None, kind: str = "int") -> str:
        return dst if dst is not None else self.temp(kind)

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

    def expr_Tuple(self, node: ast.Tuple, dst):
        return self.expr_List(node, dst)

    def expr_List(self, node: ast.List, dst):
        values = [self.expr(e) for e in node.elts]
        self.at(node)
        out = self.out(dst, "list")
        self.emit("alloc", out, [Const(len(values))])
        for i, v in enumerate(values):
            self.emit("store", None, [out, Const(i), v], imm=1)
        return out

    def expr_UnaryOp(self, node: ast.UnaryOp, dst):
        if isinstance(node.op, ast.UAdd):
            return self.expr(node.operand, dst)
        if isinstance(node.op, ast.USub):
            literal = _const_int(node)
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

    def expr_result(self, value, dst):
        if dst is not None:
            self.emit("mov", dst, [value])
            return dst
        return value

    def expr_Compare(self, node: ast.Compare, dst):
        sides = [node.left, node.comparators[0]]
        if getattr(node, "_bool_is", False):  # x is True / x is False: x only ever holds True / False
            out = self.out(dst)
            op = "eq" if isinstance(node.ops[0], ast.Is) else "ne"
            self.emit(op, out, [self.expr(sides[0]), self.expr(sides[1])])
            return out
        if any(is_none(x) for x in sides):  # x is None / x is not None (validation: x is a name)
            name = next(x for x in sides if not is_none(x)).id
            out = self.out(dst)
            negate = isinstance(node.ops[0], (ast.Is, ast.Eq))
            self.emit("not" if negate else "mov", out, [f"{name}.set"])
            return out
        if self.kind(node.left) == "list":  # validation allows only list == list and list != list
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
            literal = _const_int(part)
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
        is rebound; validation ensures no other name holds the old address)."""
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

    def guard(self, ok, message: str) -> None:
        """Stop with a routine error carrying `message` unless `ok` is nonzero."""
        fine = self.label("ok")
        self.emit("jnz", args=[ok], target=fine)
        self.emit("fault", imm=1, note=message)
        self.place(fine)

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
        if name == "int" and _square_root(node.args[0]) is not None:
            return self.integer_sqrt(self.expr(_square_root(node.args[0])), dst)
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
        args = self.call_arguments(self.info.functions[name], node.args, args)
        out = self.out(dst, "list" if self.info.returns[name] == "list" else "int")
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
                out.append(Const(0) if given is not None or is_none(default) else Const(_const_int(default)))
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


def _terms(node: ast.AST) -> tuple[list[ast.AST], list[ast.AST]]:
    """An expression of + and - as (terms added, terms subtracted): a - (b - c) + d -> [a, c, d], [b]."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        lp, ln = _terms(node.left)
        rp, rn = _terms(node.right)
        return (lp + rp, ln + rn) if isinstance(node.op, ast.Add) else (lp + rn, ln + rp)
    return [node], []


def ast_to_ir(info: ModuleInfo) -> dict[str, IRFunction]:
    return {name: FunctionLowering(fn, info).lower() for name, fn in info.functions.items()}

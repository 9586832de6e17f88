"""Pass 2: lower each validated function to three-address IR (see `ir.py`)."""

from __future__ import annotations

import ast

from nclib.compiler.ir import Const, Instr, IRFunction, Label
from nclib.compiler.validate import BINOPS, CMPOPS, ModuleInfo, _const_int, _is_range


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
        if isinstance(node, ast.Name):
            return self.kinds.get(node.id, "int")
        if isinstance(node, ast.List) or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
                                          and (isinstance(node.left, ast.List) or isinstance(node.right, ast.List))):
            return "list"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.info.functions:
            return "list" if self.info.returns[node.func.id] == "list" else "int"
        if isinstance(node, ast.IfExp):
            return self.kind(node.body)
        return "int"

    # -- functions -------------------------------------------------------------------------
    def lower(self) -> IRFunction:
        params = [a.arg for a in self.fn.args.args]
        for stmt in self.fn.body:
            self.stmt(stmt)
        returns = self.info.returns[self.fn.name]
        self.loc = (self.fn.body[-1].end_lineno or self.fn.lineno, 1)
        if returns == "none":
            self.emit("ret", args=[Const(0)])
        else:
            self.emit("fault", note=f"{self.fn.name} reached its end without returning a value")
        return IRFunction(self.fn.name, params, self.kinds, returns, self.body)

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

    def stmt_Assign(self, node: ast.Assign) -> None:
        target = node.targets[0]
        if isinstance(target, ast.Tuple):
            values = []
            for v in node.value.elts:  # evaluate every right-hand side before assigning any target
                operand = self.expr(v)
                if isinstance(operand, str) and not operand.startswith("%"):
                    copy = self.temp(self.kind(v))
                    self.emit("mov", copy, [operand])
                    operand = copy
                values.append(operand)
            for t, v in zip(target.elts, values):
                self.assign(t, v)
            return
        if isinstance(target, ast.Name):
            self.expr(node.value, dst=target.id)
        else:
            self.assign(target, self.expr(node.value))

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            if isinstance(node.target, ast.Name):
                self.expr(node.value, dst=node.target.id)
            else:
                self.assign(node.target, self.expr(node.value))

    def assign(self, target: ast.AST, value) -> None:
        self.at(target)
        if isinstance(target, ast.Name):
            self.emit("mov", target.id, [value])
        else:
            base, index = self.expr(target.value), self.expr(target.slice)
            self.emit("store", None, [base, index, value], imm=1, check=True)

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        op = BINOPS[type(node.op)]
        if isinstance(node.target, ast.Name):
            value = self.expr(node.value)
            self.emit(op, node.target.id, [node.target.id, value])
            return
        base, index = self.expr(node.target.value), self.expr(node.target.slice)
        old = self.temp()
        self.emit("load", old, [base, index], imm=1, check=True)
        value = self.expr(node.value)
        self.emit(op, old, [old, value])
        self.emit("store", None, [base, index, old], imm=1, check=True)

    def stmt_Return(self, node: ast.Return) -> None:
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
        it = node.iter
        top, end = self.label("for"), self.label("endfor")
        counter = self.temp()
        if _is_range(it) or (isinstance(it, ast.Call) and it.func.id == "reversed"):
            rev = not _is_range(it)
            call = it.args[0] if rev else it
            args = call.args
            start = self.expr(args[0]) if len(args) >= 2 else Const(0)
            stop = self.expr(args[1] if len(args) >= 2 else args[0])
            step = _const_int(args[2]) if len(args) == 3 else 1
            limit = self.temp()  # range() is evaluated once, so later writes to `stop` do not matter
            if rev:
                # counter runs from stop down to start + 1; the element is counter - 1, so the
                # counter never leaves [start, stop] (no spurious overflow below start).
                self.emit("mov", counter, [stop])
                self.emit("mov", limit, [start])
                self.place(top)
                test = self.temp()
                self.emit("gt", test, [counter, limit])
                self.emit("jz", args=[test], target=end)
                self.emit("sub", counter, [counter, Const(1)])
                self.emit("mov", var, [counter])
            else:
                self.emit("mov", counter, [start])
                self.emit("mov", limit, [stop])
                self.place(top)
                test = self.temp()
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

    def truth(self, node: ast.AST):
        """An operand that is nonzero exactly when `node` is truthy (lists: when non-empty)."""
        value = self.expr(node)
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
        a, b = self.expr(node.left), self.expr(node.right)
        self.at(node)
        out = self.out(dst)
        self.emit(BINOPS[type(node.op)], out, [a, b])
        return out

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
        a = self.truth(node.operand) if isinstance(node.op, ast.Not) else self.expr(node.operand)
        out = self.out(dst)
        self.emit("not" if isinstance(node.op, ast.Not) else "neg", out, [a])
        return out

    def expr_Compare(self, node: ast.Compare, dst):
        left = self.expr(node.left)
        if len(node.ops) == 1:
            right = self.expr(node.comparators[0])
            out = self.out(dst)
            self.emit(CMPOPS[type(node.ops[0])], out, [left, right])
            return out
        out, end = self.temp(), self.label("chain")
        for i, (op, comparator) in enumerate(zip(node.ops, node.comparators)):
            right = self.expr(comparator)
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
        base, index = self.expr(node.value), self.expr(node.slice)
        self.at(node)
        out = self.out(dst)
        self.emit("load", out, [base, index], imm=1, check=True)
        return out

    def expr_Call(self, node: ast.Call, dst):
        name = node.func.id
        args = [self.expr(a) for a in node.args]
        self.at(node)
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
        out = self.out(dst, "list" if self.info.returns[name] == "list" else "int")
        self.emit("call", out, args, target=name)
        return out


def ast_to_ir(info: ModuleInfo) -> dict[str, IRFunction]:
    return {name: FunctionLowering(fn, info).lower() for name, fn in info.functions.items()}

"""Pass 1: check the source against the accepted subset and infer int / list kinds.

Every unsupported construct is collected (with line, column and what to write instead) before
anything is built; the user's code is only parsed, never executed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nclib.errors import CompileError, Problem

BUILTINS = {"len": 1, "abs": 1, "min": None, "max": None}

# Node types the lowering understands; anything else is reported with the hint below.
HINTS = {
    ast.ClassDef: "write plain functions over ints and lists",
    ast.Import: "remove the import; only the functions of this source can be called",
    ast.ImportFrom: "remove the import; only the functions of this source can be called",
    ast.Try: "remove the try; faults stop the machine and are reported by Program.__call__",
    ast.Raise: "return a sentinel value instead of raising",
    ast.With: "remove the with block",
    ast.Lambda: "define a named function with def",
    ast.Global: "pass the value as a parameter",
    ast.Nonlocal: "pass the value as a parameter",
    ast.Dict: "use a list indexed by small integers",
    ast.Set: "use a list of 0/1 flags indexed by value",
    ast.ListComp: "build the list with [0] * n and a for loop",
    ast.SetComp: "use a list of 0/1 flags and a for loop",
    ast.DictComp: "use a list indexed by small integers and a for loop",
    ast.GeneratorExp: "write an explicit for loop",
    ast.Yield: "return a list instead of yielding",
    ast.YieldFrom: "return a list instead of yielding",
    ast.Await: "write synchronous code",
    ast.AsyncFunctionDef: "write a plain def",
    ast.AsyncFor: "write a plain for loop",
    ast.AsyncWith: "remove the with block",
    ast.Delete: "overwrite the value instead of deleting it",
    ast.Assert: "check the condition with if and return a sentinel value",
    ast.Attribute: "use the builtins len/min/max/abs and indexing; methods such as append are not available (preallocate with [0] * n)",
    ast.Starred: "pass arguments one by one",
    ast.Slice: "index one element at a time in a loop",
    ast.JoinedStr: "return numbers, not strings",
    ast.NamedExpr: "assign on its own line",
    ast.Tuple: "tuples are only accepted on both sides of an assignment (a, b = b, a)",
    ast.Match: "use if / elif / else",
}
if hasattr(ast, "TryStar"):
    HINTS[ast.TryStar] = HINTS[ast.Try]

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.FloorDiv: "floordiv", ast.Mod: "mod"}
BINOP_HINTS = {
    ast.Div: "use // for integer division",
    ast.Pow: "multiply in a loop",
    ast.LShift: "multiply by a power of two",
    ast.RShift: "divide with // by a power of two",
    ast.BitAnd: "use % and // on the bits",
    ast.BitOr: "use + on disjoint bits",
    ast.BitXor: "use % 2 of the sum",
    ast.MatMult: "write the loops",
}
CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}


@dataclass
class ModuleInfo:
    """What later passes need to know about the validated source."""

    file: str
    functions: dict[str, ast.FunctionDef]
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)  # function -> variable -> kind
    returns: dict[str, str] = field(default_factory=dict)  # function -> "int" | "list" | "none"


def _construct(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return f"{type(node.value).__name__} literal {node.value!r}"
    return {ast.Lambda: "lambda", ast.ListComp: "list comprehension", ast.GeneratorExp: "generator expression",
            ast.Global: "global statement", ast.Try: "try statement", ast.ClassDef: "class definition"}.get(
        type(node), type(node).__name__)


class Validator(ast.NodeVisitor):
    def __init__(self, file: str, functions: dict[str, ast.FunctionDef]):
        self.file = file
        self.functions = functions
        self.problems: list[Problem] = []
        self.locals: set[str] = set()
        self.loop_depth = 0

    def report(self, node: ast.AST, construct: str, hint: str) -> None:
        self.problems.append(Problem(self.file, getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1, construct, hint))

    def generic_visit(self, node: ast.AST) -> None:
        if type(node) in HINTS and not (isinstance(node, ast.Tuple) and getattr(node, "_allowed", False)):
            self.report(node, _construct(node), HINTS[type(node)])
            return
        super().generic_visit(node)

    def check_function(self, fn: ast.FunctionDef) -> None:
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            self.report(fn, f"*args/**kwargs/keyword-only parameters of {fn.name}", "use plain positional parameters")
        if args.defaults:
            self.report(args.defaults[0], f"default parameter values of {fn.name}", "pass every argument explicitly")
        for dec in fn.decorator_list:
            self.report(dec, "decorator", "remove the decorator")
        self.locals = {a.arg for a in args.args} | _assigned_names(fn)
        self.loop_depth = 0
        body = fn.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body = body[1:]  # docstring
        for stmt in body:
            self.visit(stmt)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.report(node, f"nested function {node.name}", "define it at module level")

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a string used as a comment
        self.visit(node.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool) or type(node.value) is int:
            return
        hint = {str: "encode text as a list of integers", float: "scale to integers (fixed point)"}.get(
            type(node.value), "use an integer")
        self.report(node, _construct(node), hint)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("True", "False"):
            return
        if isinstance(node.ctx, ast.Load) and node.id not in self.locals:
            if node.id in self.functions or node.id in BUILTINS:
                self.report(node, f"function {node.id} used as a value", "call it directly")
            else:
                self.report(node, f"global name {node.id}", "pass it as a parameter or define it as a local variable")

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in BINOPS:
            self.report(node, f"operator {type(node.op).__name__}", BINOP_HINTS.get(type(node.op), "use + - * // %"))
        if isinstance(node.op, ast.Mult) and isinstance(node.left, ast.List):
            self.visit_List(node.left, repeat=True)
            self.visit(node.right)
            return
        self.generic_visit(node)

    def visit_List(self, node: ast.List, repeat: bool = False) -> None:
        for elt in node.elts:
            self.visit(elt)
        if repeat and len(node.elts) != 1:
            self.report(node, "repetition of a list of several elements", "write [x] * n with one element")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Invert):
            self.report(node, "operator ~", "write -x - 1")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op in node.ops:
            if type(op) not in CMPOPS:
                self.report(node, f"comparison {type(op).__name__}", "use < <= > >= == != (for membership, loop over the list)")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if node.keywords:
            self.report(node, "keyword arguments", "pass arguments by position")
        if not isinstance(node.func, ast.Name):
            self.report(node.func, "call of " + _construct(node.func), "call a function of this source or len/min/max/abs")
        else:
            name = node.func.id
            if name in ("range", "reversed"):
                self.report(node, f"{name}() outside a for statement", f"use {name}() only as `for x in {name}(...)`")
            elif name in BUILTINS:
                arity = BUILTINS[name]
                if arity is not None and len(node.args) != arity:
                    self.report(node, f"{name}() with {len(node.args)} arguments", f"{name} takes {arity}")
                if arity is None and len(node.args) < 2:
                    self.report(node, f"{name}() with {len(node.args)} argument(s)", f"{name} takes two or more ints (over a list, write a loop)")
            elif name in self.functions:
                expected = len(self.functions[name].args.args)
                if len(node.args) != expected:
                    self.report(node, f"call of {name} with {len(node.args)} arguments", f"{name} takes {expected}")
            else:
                self.report(node, f"call of unknown function {name}", "define it in the same source (only len, min, max, abs are built in)")
        for arg in node.args:
            self.visit(arg)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.slice, ast.Slice):
            self.report(node, "slice", HINTS[ast.Slice])
            return
        self.visit(node.value)
        self.visit(node.slice)

    def visit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            self.report(node, "chained assignment a = b = ...", "assign each variable on its own line")
        target = node.targets[0]
        if isinstance(target, ast.Tuple):
            target._allowed = True
            if not isinstance(node.value, ast.Tuple) or len(node.value.elts) != len(target.elts):
                self.report(node, "tuple unpacking of a non-tuple", "write a, b = x, y with the same number of items")
            else:
                node.value._allowed = True
            for elt in target.elts:
                self._check_target(elt)
        else:
            self._check_target(target)
        self.visit(node.value)

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            return
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            self.visit(target.value)
            self.visit(target.slice)
            return
        self.report(target, f"assignment to {_construct(target)}", "assign to a variable or to one list element x[i]")

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if type(node.op) not in BINOPS:
            self.report(node, f"augmented operator {type(node.op).__name__}=", BINOP_HINTS.get(type(node.op), "use += -= *= //= %="))
        self._check_target(node.target)
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        if node.value is not None:
            self.visit(node.value)

    def visit_While(self, node: ast.While) -> None:
        if node.orelse:
            self.report(node.orelse[0], "while ... else", "use a flag variable set before break")
        self.visit(node.test)
        self._loop_body(node.body)

    def visit_For(self, node: ast.For) -> None:
        if node.orelse:
            self.report(node.orelse[0], "for ... else", "use a flag variable set before break")
        if not isinstance(node.target, ast.Name):
            self.report(node.target, f"loop target {_construct(node.target)}", "loop over one variable")
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed":
            if len(it.args) != 1 or it.keywords:
                self.report(it, "reversed() with other than one argument", "write reversed(range(...))")
            elif not (_is_range(it.args[0])):
                self.report(it, "reversed() of something other than range", "write reversed(range(n)) or index the list backwards")
            else:
                self._check_range(it.args[0], reversed_=True)
        elif _is_range(it):
            self._check_range(it)
        else:
            self.visit(it)  # iteration over a list variable or expression
        self._loop_body(node.body)

    def _check_range(self, call: ast.Call, reversed_: bool = False) -> None:
        if call.keywords or not 1 <= len(call.args) <= 3:
            self.report(call, f"range() with {len(call.args)} arguments", "write range(stop), range(start, stop) or range(start, stop, step)")
            return
        if len(call.args) == 3:
            step = _const_int(call.args[2])
            if step is None or step == 0:
                self.report(call.args[2], "range() with a non-constant or zero step", "use a nonzero integer literal step, or a while loop")
            elif reversed_ and step != 1:
                self.report(call, "reversed(range()) with a step other than 1", "write range(start, stop, -step) with explicit bounds")
        for arg in call.args:
            self.visit(arg)

    def _loop_body(self, body: list[ast.stmt]) -> None:
        self.loop_depth += 1
        for stmt in body:
            self.visit(stmt)
        self.loop_depth -= 1

    def visit_Break(self, node: ast.Break) -> None:
        if self.loop_depth == 0:
            self.report(node, "break outside a loop", "use break only inside while/for")

    def visit_Continue(self, node: ast.Continue) -> None:
        if self.loop_depth == 0:
            self.report(node, "continue outside a loop", "use continue only inside while/for")


def _is_range(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"


def _const_int(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _const_int(node.operand)
        return None if inner is None else -inner
    return None


def _assigned_names(fn: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _annotation_kind(ann: ast.AST | None) -> str | None:
    if ann is None:
        return None
    text = ast.unparse(ann).replace(" ", "")
    if text in ("int", "bool"):
        return "int"
    if text in ("list", "list[int]", "List[int]", "typing.List[int]", "list[bool]"):
        return "list"
    return None


def infer_kinds(info: ModuleInfo, problems: list[Problem]) -> None:
    """Decide for every variable whether it holds an int or a list (a fixpoint over all functions)."""
    kinds = {name: {} for name in info.functions}
    returns = {name: "none" for name in info.functions}
    for name, fn in info.functions.items():
        for a in fn.args.args:
            kind = _annotation_kind(a.annotation)
            if kind:
                kinds[name][a.arg] = kind

    def expr_kind(fname: str, node: ast.AST) -> str:
        if isinstance(node, ast.Name):
            return kinds[fname].get(node.id, "int")
        if isinstance(node, ast.List):
            return "list"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)):
            return "list"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in info.functions:
            return "list" if returns[node.func.id] == "list" else "int"
        if isinstance(node, ast.IfExp):
            return expr_kind(fname, node.body)
        return "int"

    for _ in range(2 * len(info.functions) + 4):
        changed = False

        def mark(fname: str, var: str, kind: str) -> None:
            nonlocal changed
            if kind == "list" and kinds[fname].get(var) != "list":
                kinds[fname][var] = "list"
                changed = True

        for fname, fn in info.functions.items():
            for node in ast.walk(fn):
                if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                    mark(fname, node.value.id, "list")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    if node.func.id == "len" and node.args and isinstance(node.args[0], ast.Name):
                        mark(fname, node.args[0].id, "list")
                    callee = info.functions.get(node.func.id)
                    if callee is not None:
                        for param, arg in zip(callee.args.args, node.args):
                            if isinstance(arg, ast.Name):
                                if kinds[node.func.id].get(param.arg) == "list":
                                    mark(fname, arg.id, "list")
                                if kinds[fname].get(arg.id) == "list":
                                    mark(node.func.id, param.arg, "list")
                elif isinstance(node, ast.For) and isinstance(node.iter, ast.Name):
                    mark(fname, node.iter.id, "list")
                elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) else [(target, node.value)]
                        for t, v in pairs:
                            if isinstance(t, ast.Name):
                                if expr_kind(fname, v) == "list":
                                    mark(fname, t.id, "list")
                                if isinstance(v, ast.Name) and kinds[fname].get(t.id) == "list":
                                    mark(fname, v.id, "list")
                elif isinstance(node, ast.Return) and node.value is not None:
                    kind = expr_kind(fname, node.value)
                    if returns[fname] != "list" and (kind == "list" or returns[fname] == "none"):
                        if returns[fname] != kind:
                            returns[fname] = kind
                            changed = True
        if not changed:
            break

    for fname, fn in info.functions.items():
        for a in fn.args.args:
            kinds[fname].setdefault(a.arg, "int")
            declared = _annotation_kind(a.annotation)
            if declared == "int" and kinds[fname][a.arg] == "list":
                problems.append(Problem(info.file, a.lineno, a.col_offset + 1, f"parameter {a.arg} annotated int but used as a list",
                                        "annotate it list[int]"))
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                kinds[fname].setdefault(node.id, "int")
            if isinstance(node, ast.BinOp) and not (isinstance(node.op, ast.Mult) and isinstance(node.left, ast.List)):
                for side in (node.left, node.right):
                    if expr_kind(fname, side) == "list" and not isinstance(side, ast.List):
                        problems.append(Problem(info.file, node.lineno, node.col_offset + 1, "arithmetic on a list",
                                                "loop over the elements (list concatenation is not available)"))
    info.kinds = kinds
    info.returns = returns


def validate(tree: ast.Module, file: str) -> ModuleInfo:
    """Collect every problem in the module; raise CompileError listing all of them."""
    problems: list[Problem] = []
    functions: dict[str, ast.FunctionDef] = {}
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef):
            if stmt.name in functions:
                problems.append(Problem(file, stmt.lineno, stmt.col_offset + 1, f"second definition of {stmt.name}", "give each function one definition"))
            functions[stmt.name] = stmt
        else:
            construct = _construct(stmt) if type(stmt) in HINTS else f"module-level {type(stmt).__name__} statement"
            hint = HINTS.get(type(stmt), "move it into a function (module-level constants: pass them as parameters)")
            problems.append(Problem(file, stmt.lineno, stmt.col_offset + 1, construct, hint))
    validator = Validator(file, functions)
    for fn in functions.values():
        validator.check_function(fn)
    problems.extend(validator.problems)
    info = ModuleInfo(file, functions)
    if not problems:
        infer_kinds(info, problems)
        problems.extend(_check_recursion(info))
    if problems:
        problems.sort(key=lambda p: (p.line, p.col))
        raise CompileError(problems)
    return info


def _check_recursion(info: ModuleInfo) -> list[Problem]:
    """Report recursion that can never stop: a function whose every path calls itself (directly)
    before any return. Such a call chain always grows past the machine's call stack."""
    problems = []
    for name, fn in info.functions.items():
        if _always_recurses(fn.body, name):
            problems.append(Problem(info.file, fn.lineno, fn.col_offset + 1, f"recursion without a base case in {name}",
                                    "every path calls the function again, so it would recurse deeper than any stack; add a return that does not recurse"))
    return problems


def _calls(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name for n in ast.walk(node))


def _always_recurses(stmts: list[ast.stmt], name: str) -> bool:
    """True when executing `stmts` from the top surely reaches a call of `name` before any return
    that does not involve such a call."""
    for stmt in stmts:
        if isinstance(stmt, ast.Return):
            return stmt.value is not None and _calls(stmt.value, name)
        if isinstance(stmt, ast.If):
            if _calls(stmt.test, name):
                return True
            if _always_recurses(stmt.body, name) and _always_recurses(stmt.orelse, name):
                return True
            if any(isinstance(n, ast.Return) for s in stmt.body + stmt.orelse for n in ast.walk(s)):
                return False
            continue
        if isinstance(stmt, (ast.While, ast.For)):
            if isinstance(stmt, ast.While) and _calls(stmt.test, name):
                return True
            if any(isinstance(n, ast.Return) for n in ast.walk(stmt)):
                return False
            continue
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)) and _calls(stmt, name):
            return True
    return False

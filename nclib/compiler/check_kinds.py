"""Check kinds: every name, argument and return keeps one kind (int or list), and lists that grow have one name.

Takes the checked functions (`collect_functions.Module`) and their `Kinds` (`infer_kinds`); gives
a list of problems. Rejects a parameter annotated int but used as a list; a name holding a list on one
path and an int on another; an argument whose kind differs from its parameter's; a return whose
kind differs from the function's; arithmetic, comparison, and/or or a method call mixing the kinds;
lists inside lists. A list read as a number (or the reverse) would read an address as a value, so
each mismatch is refused at its line. Also refused, because `x.append(v)` may move a list to a new
block of memory: a second name for a list that is appended to, appending to a parameter, and passing
such a list to a function that may return it (`returns_argument`).
"""

from __future__ import annotations

import ast

from nclib.compiler.collect_functions import Module
from nclib.compiler.infer_kinds import Kinds, annotation_kind, expr_kind
from nclib.compiler.language import LIST_BUILTINS, is_isqrt, is_none, square_root
from nclib.errors import Problem


def check_kinds(module: Module, kinds: Kinds) -> list[Problem]:
    """Every kind problem: the parameters' annotations first, then each function's body in turn."""
    problems = []
    for fname, fn in module.functions.items():
        for a in fn.args.args:
            declared = annotation_kind(a.annotation)
            if declared == "int" and kinds.variables[fname][a.arg] == "list":
                problems.append(Problem(module.file, a.lineno, a.col_offset + 1, f"parameter {a.arg} annotated int but used as a list",
                                        "annotate it list[int]"))
    aliasing = returns_argument(module, kinds)
    for fname, fn in module.functions.items():
        problems.extend(KindChecker(module, kinds, fname, aliasing).run(fn))
    return problems


def returns_argument(module: Module, kinds: Kinds) -> set[str]:
    """Functions that may return one of their list arguments rather than a new list: `return a` of
    a parameter, of a name ever bound to something other than a new list, or of a call of such a
    function (to a fixed point). A list that the caller appends to must not be passed to them: the
    append may move the list to a new block, and the name holding the returned list would keep the
    old one (found by the differential fuzzer, tests/compiler/test_fuzz_regressions.py)."""
    result: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, fn in module.functions.items():
            if name in result or kinds.returns.get(name) != "list":
                continue
            values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
            if any(_may_be_argument(fn, v, result, module) for v in values):
                result.add(name)
                changed = True
    return result


def _may_be_argument(fn: ast.FunctionDef, value: ast.AST, aliasing: set[str], module: Module) -> bool:
    """The returned `value` may be a list `fn` was given (not surely a new one)."""
    if isinstance(value, ast.IfExp):
        return _may_be_argument(fn, value.body, aliasing, module) or _may_be_argument(fn, value.orelse, aliasing, module)
    if isinstance(value, ast.Name):
        if value.id in {a.arg for a in fn.args.args}:
            return True
        bound = [n.value for n in ast.walk(fn) if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name) and t.id == value.id]
        return any(not is_none(v) and not _new_list(v, aliasing, module) for v in bound)
    return not _new_list(value, aliasing, module)


def _new_list(node: ast.AST, aliasing: set[str], module: Module) -> bool:
    """A list expression that is surely a new list: `fresh_list`, or a call of a list-returning
    function not in `aliasing`."""
    if fresh_list(node):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in module.functions
            and node.func.id not in aliasing)


def fresh_list(node: ast.AST) -> bool:
    """A new list that no other name holds: a literal, [x] * n, a slice, a copy, or a list
    comprehension (desugared into a call of a helper that builds and returns a new list)."""
    return (getattr(node, "nc_fresh_list", False) or isinstance(node, (ast.List, ast.Tuple))
            or (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice))
            or (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)))
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "copy")
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LIST_BUILTINS))


class KindChecker(ast.NodeVisitor):
    """Every name holds one kind on every path, every argument matches its parameter's kind and every
    return matches the function's kind: a list where an int is expected (or the reverse) would read
    an address as a number, so each mismatch is a problem at its line."""

    def __init__(self, module: Module, kinds: Kinds, fname: str, aliasing: set[str] = frozenset()):
        self.module, self.all_kinds, self.fname, self.aliasing = module, kinds, fname, aliasing
        self.kinds = kinds.variables[fname]
        self.problems: list[Problem] = []

    def run(self, fn: ast.FunctionDef) -> list[Problem]:
        self.params = {a.arg for a in fn.args.args}
        self.grown = {n.func.value.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                      and n.func.attr == "append" and isinstance(n.func.value, ast.Name)}
        for stmt in fn.body:
            self.visit(stmt)
        return self.problems

    def fresh(self, node: ast.AST) -> bool:
        return fresh_list(node)

    def kind(self, node: ast.AST) -> str:
        return expr_kind(self.kinds, self.all_kinds.returns, node)

    def report(self, node: ast.AST, construct: str, hint: str) -> None:
        self.problems.append(Problem(self.module.file, node.lineno, node.col_offset + 1, construct, hint))

    @staticmethod
    def word(kind: str) -> str:
        return "a list" if kind == "list" else "an int"

    def target(self, target: ast.AST, value: ast.AST | None, kind: str) -> None:
        if value is not None and is_none(value):
            return
        if isinstance(target, ast.Name) and target.id in self.grown and value is not None and not self.fresh(value):
            self.report(value, f"{target.id} = {ast.unparse(value)}, a list that {target.id}.append(...) would also change",
                        f"append only to lists this function creates: write {target.id} = [] or {target.id} = {ast.unparse(value)}[:]")
        if isinstance(value, ast.Name) and value.id in self.grown and isinstance(target, ast.Name):
            self.report(value, f"a second name {target.id} for the list {value.id}, which is appended to",
                        f"use one name for the list, or copy it with {target.id} = {value.id}[:]")
        if isinstance(target, ast.Name) and self.kinds.get(target.id, "int") != kind:
            self.report(target, f"{target.id} holding {self.word(kind)} here and {self.word(self.kinds[target.id])} elsewhere",
                        "use a separate variable for each kind (a name keeps one kind: int or list)")
        elif isinstance(target, ast.Subscript) and kind == "list":
            self.report(target, "a list stored as a list element", "lists of lists are not available; store ints")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for t, v in zip(target.elts, node.value.elts):
                    self.target(t, v, self.kind(v))
                for v in node.value.elts:  # a, b = b, a assigns item by item: lists may be swapped
                    self.visit(v)
                return
            elif isinstance(target, ast.Tuple):
                for t in target.elts:
                    self.target(t, None, "int")
            else:
                self.target(target, node.value, self.kind(node.value))
        self.generic_visit(node)

    def visit_List(self, node: ast.AST) -> None:
        for elt in node.elts:
            if self.kind(elt) == "list":
                self.report(elt, "a list inside a list or tuple", "lists of lists are not available; keep separate lists")
        self.generic_visit(node)

    visit_Tuple = visit_List

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.target(node.target, node.value, self.kind(node.value))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self.kind(node.target) == "list" or self.kind(node.value) == "list":
            self.report(node, "augmented assignment on a list", "loop over the elements (list concatenation is not available; use append)")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        both = [self.kind(node.left), self.kind(node.right)]
        if isinstance(node.op, ast.Add) and both == ["list", "list"]:
            pass  # concatenation
        elif not (isinstance(node.op, ast.Mult) and (isinstance(node.left, ast.List) or isinstance(node.right, ast.List))):
            if "list" in both:
                self.report(node, "arithmetic on a list", "loop over the elements (list concatenation is not available)")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, ast.Not) and self.kind(node.operand) == "list":
            self.report(node, "arithmetic on a list", "loop over the elements")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left] + node.comparators
        kinds = [self.kind(x) for x in sides]
        if "list" in kinds and not any(is_none(x) for x in sides):
            if len(node.ops) > 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)) or kinds[0] != kinds[1]:
                self.report(node, "this comparison of a list", "compare two lists only with == or != (by value), or compare their elements in a loop")
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.condition(node.test)
        if self.kind(node.body) != self.kind(node.orelse):
            self.report(node, "a conditional expression giving a list on one branch and an int on the other",
                        "give both branches the same kind")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if "list" in [self.kind(v) for v in node.values] and not getattr(node, "_condition", False):
            self.report(node, "and/or giving a list", "test the list with len(x) > 0 and pick the value with if/else")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        want = self.all_kinds.returns[self.fname]
        if node.value is None:
            if want != "none":
                self.report(node, f"return without a value in {self.fname}, which returns a value elsewhere",
                            "return a value on every path (Python would return None here)")
        elif self.kind(node.value) != want:
            self.report(node, f"return of {self.word(self.kind(node.value))} in {self.fname}, which returns {self.word(want)} elsewhere",
                        "return one kind on every path")
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if isinstance(node.target, ast.Name) and self.kinds.get(node.target.id) == "list":
            self.report(node.target, f"loop variable {node.target.id} that holds a list elsewhere", "use a separate variable for the loop")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in self.aliasing:
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in self.grown:
                    self.report(arg, f"the list {arg.id}, which {self.fname} appends to, passed to {node.func.id}, which may "
                                f"return it (a second name for a list that moves when it grows)",
                                f"pass a copy, {node.func.id}(..., {arg.id}[:], ...), or make {node.func.id} return a new list")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "append" and node.func.value.id in self.params:
            self.report(node, f"{node.func.value.id}.append(...) on the parameter {node.func.value.id}",
                        "append only to lists this function creates (copy the parameter first: result = "
                        f"{node.func.value.id}[:]); the caller's list cannot grow")
        if is_isqrt(node) or square_root(node) is not None:
            self.generic_visit(node)
            return
        if isinstance(node.func, ast.Attribute) and self.kind(node.func.value) != "list":
            self.report(node, f"the method call {ast.unparse(node.func)}(...) on an int", "call list methods on lists")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "append" and self.kind(node.args[0]) == "list":
            self.report(node.args[0], "appending a list to a list", "lists of lists are not available; append ints")
        name = node.func.id if isinstance(node.func, ast.Name) else None
        callee = self.module.functions.get(name) if name else None
        if callee is not None:
            for param, arg in zip(callee.args.args, node.args):
                want = self.all_kinds.variables[name].get(param.arg, "int")
                if self.kind(arg) != want and not is_none(arg):
                    self.report(arg, f"argument {ast.unparse(arg)} ({self.word(self.kind(arg))}) for parameter {param.arg} of {name}, "
                                     f"which is {self.word(want)}", "pass the same kind at every call")
        elif name in ("abs", "min", "max"):
            for arg in node.args:
                if self.kind(arg) == "list":
                    self.report(arg, f"{name}() of a list", "loop over the elements")
        elif name in ("len",) + LIST_BUILTINS and node.args and self.kind(node.args[0]) != "list":
            self.report(node, f"{name}() of an int", f"{name} takes a list")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self.kind(node.value) != "list":
            self.report(node, "indexing a value that is not a list", "index only lists")
        if not isinstance(node.slice, ast.Slice) and self.kind(node.slice) == "list":
            self.report(node.slice, "a list used as an index", "index with an int")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        pass

    def condition(self, node: ast.AST) -> None:
        """Mark and/or/not in a condition: there a list operand is tested for being non-empty."""
        if isinstance(node, ast.BoolOp):
            node._condition = True
            for v in node.values:
                self.condition(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.condition(node.operand)

    def visit_If(self, node: ast.If) -> None:
        self.condition(node.test)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self.condition(node.test)
        self.generic_visit(node)

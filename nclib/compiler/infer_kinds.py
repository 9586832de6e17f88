"""Infer kinds: whether each name and each function's result holds an int, a list, or None.

Takes the checked functions (`collect_functions.Module`, after `check_language` found nothing);
gives `Kinds`: for every variable of every function "int" or "list" (a tuple is stored like a
list, as the address of its cells), each function's result kind ("int", "list" or "none" when it
never returns a value) and the functions whose every return is a tuple. Rejects nothing itself:
`check_kinds` reports a name, argument or return that mixes kinds, using the same `expr_kind`.

This module is the one definition of kinds: `expr_kind` (the kind of an expression), the
annotation kinds, and which names can hold None (`nullable_names`: each gets a companion flag
`name.set` in the lowering). `check_kinds` and `lower` read kinds only through it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nclib.compiler.collect_functions import Module
from nclib.compiler.language import LIST_BUILTINS, is_isqrt, is_none, square_root

LIST_METHODS_RETURNING_LIST = ("copy",)


@dataclass
class Kinds:
    """The kind of every value of the compiled functions."""

    variables: dict[str, dict[str, str]]  # function -> variable -> "int" | "list"
    returns: dict[str, str]  # function -> "int" | "list" | "none"
    tuples: set[str]  # functions whose every return is a tuple (the entry's result is decoded as one)


def infer_kinds(module: Module) -> Kinds:
    """Decide for every variable whether it holds an int or a list (a fixpoint over all functions):
    a name is a list once anything uses it as one (indexing, a method, len, a for loop over it, a
    list argument or result, == with a list), and ints otherwise."""
    kinds = {name: {} for name in module.functions}
    returns = {name: "none" for name in module.functions}
    params = {name: {a.arg for a in fn.args.args if annotation_kind(a.annotation) is None} for name, fn in module.functions.items()}
    for name, fn in module.functions.items():
        for a in fn.args.args:
            kind = annotation_kind(a.annotation)
            if kind:
                kinds[name][a.arg] = kind
    for _ in range(2 * len(module.functions) + 4):
        if not _propagate(module, kinds, returns, params):
            break
    tuples: set[str] = set()  # functions whose every return is a tuple (the entry's result is decoded as one)
    for _ in range(len(module.functions) + 1):
        for fname, fn in module.functions.items():
            values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
            if values and all(_is_tuple_value(v, tuples) for v in values):
                tuples.add(fname)
    for fname, fn in module.functions.items():
        for a in fn.args.args:
            kinds[fname].setdefault(a.arg, "int")
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                kinds[fname].setdefault(node.id, "int")
    return Kinds(kinds, returns, tuples)


def _propagate(module: Module, kinds: dict[str, dict[str, str]], returns: dict[str, str], params: dict[str, set[str]]) -> bool:
    """One round of the fixpoint: mark as lists the names each use shows to be lists, and widen the
    return kinds; True when anything changed."""
    changed = False

    def mark(fname: str, var: str, kind: str) -> None:
        nonlocal changed
        if kind == "list" and kinds[fname].get(var) != "list":
            kinds[fname][var] = "list"
            changed = True

    for fname, fn in module.functions.items():
        for node in ast.walk(fn):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                mark(fname, node.value.id, "list")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                if not is_isqrt(node) and square_root(node) is None:
                    mark(fname, node.func.value.id, "list")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in ("len",) + LIST_BUILTINS and node.args and isinstance(node.args[0], ast.Name):
                    mark(fname, node.args[0].id, "list")
                callee = module.functions.get(node.func.id)
                if callee is not None:
                    for param, arg in zip(callee.args.args, node.args):
                        if isinstance(arg, ast.Name):
                            if kinds[node.func.id].get(param.arg) == "list":
                                mark(fname, arg.id, "list")
                            if kinds[fname].get(arg.id) == "list":
                                mark(node.func.id, param.arg, "list")
                        elif expr_kind(kinds[fname], returns, arg) == "list":
                            mark(node.func.id, param.arg, "list")
            elif isinstance(node, ast.For) and isinstance(node.iter, ast.Name):
                mark(fname, node.iter.id, "list")
            elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
                pair = [node.left, node.comparators[0]]
                if any(expr_kind(kinds[fname], returns, x) == "list" for x in pair):
                    for x in pair:
                        if isinstance(x, ast.Name):
                            mark(fname, x.id, "list")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) else [(target, node.value)]
                    for t, v in pairs:
                        if isinstance(t, ast.Name):
                            if expr_kind(kinds[fname], returns, v) == "list":
                                mark(fname, t.id, "list")
                            if isinstance(v, ast.Name) and kinds[fname].get(t.id) == "list" and v.id in params[fname]:
                                mark(fname, v.id, "list")  # an unannotated parameter copied into a list name
            elif isinstance(node, ast.Return) and node.value is not None:
                kind = expr_kind(kinds[fname], returns, node.value)
                if returns[fname] != "list" and (kind == "list" or returns[fname] == "none"):
                    if returns[fname] != kind:
                        returns[fname] = kind
                        changed = True
    return changed


def expr_kind(kinds: dict[str, str], returns: dict[str, str], node: ast.AST) -> str:
    """"list" when expression `node` evaluates to a list (or tuple) address, else "int"."""
    if isinstance(node, ast.Name):
        return kinds.get(node.id, "int")
    if isinstance(node, (ast.List, ast.Tuple)):
        return "list"
    if isinstance(node, ast.Subscript):
        return "list" if isinstance(node.slice, ast.Slice) else "int"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)):
        return "list"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and expr_kind(kinds, returns, node.left) == "list":
        return "list"  # a + b of two lists: a new list
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in returns:
        return "list" if returns[node.func.id] == "list" else "int"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LIST_BUILTINS:
        return "list"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return "list" if node.func.attr in LIST_METHODS_RETURNING_LIST else "int"
    if isinstance(node, ast.IfExp):
        return "list" if "list" in (expr_kind(kinds, returns, node.body), expr_kind(kinds, returns, node.orelse)) else "int"
    if isinstance(node, ast.BoolOp):
        return "list" if any(expr_kind(kinds, returns, v) == "list" for v in node.values) else "int"
    return "int"


def _is_tuple_value(node: ast.AST, tuples: set[str]) -> bool:
    """A tuple display, or a call of a function whose every return is a tuple."""
    return isinstance(node, ast.Tuple) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in tuples)


def annotation_kind(ann: ast.AST | None) -> str | None:
    """The kind a parameter's annotation declares (int, bool -> int; list[int] -> list), or None."""
    if ann is None:
        return None
    text = ast.unparse(ann).replace(" ", "")
    if text in ("int", "bool"):
        return "int"
    if text in ("list", "list[int]", "List[int]", "typing.List[int]", "list[bool]"):
        return "list"
    return None


LIST_METHODS_RETURNING_LIST = ("copy",)


def none_defaults(fn: ast.FunctionDef) -> list[str]:
    """The parameters of `fn` whose default is None."""
    args = fn.args.args
    first = len(args) - len(fn.args.defaults)
    return [a.arg for a, d in zip(args[first:], fn.args.defaults) if is_none(d)]


def nullable_names(fn: ast.FunctionDef) -> set[str]:
    """Names that can hold None: parameters with default None, names assigned None, names tested
    with `is None`. Each gets a companion flag `name.set` (1: holds a value, 0: None)."""
    names = set(none_defaults(fn))
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and is_none(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            pair = [node.left, node.comparators[0]]
            if any(is_none(x) for x in pair):
                names |= {x.id for x in pair if isinstance(x, ast.Name)}
    copies = []  # (target, source) of x = y and of a, b = y, z
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value, ast.Name):
                    copies.append((target.id, node.value.id))
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    copies += [(t.id, v.id) for t, v in zip(target.elts, node.value.elts) if isinstance(t, ast.Name) and isinstance(v, ast.Name)]
    changed = True
    while changed:  # a name assigned from a name that can hold None can hold None too
        changed = False
        for target, source in copies:
            if source in names and target not in names:
                names.add(target)
                changed = True
    return names

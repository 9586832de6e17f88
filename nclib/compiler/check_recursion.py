"""Check recursion: report a function whose every path calls itself before it can return.

Takes the checked functions (`collect_functions.Module`, after `check_language` found nothing);
gives a list of problems. Rejects each function that recurses without a base case: such a call
chain always grows past the machine's call stack, so it is refused at compile time instead of
faulting at run time. Only direct self-calls are followed; a base case anywhere (a return or raise that a
path can reach first) accepts the function.
"""

from __future__ import annotations

import ast

from nclib.compiler.collect_functions import Module
from nclib.errors import Problem


def check_recursion(module: Module) -> list[Problem]:
    """Report recursion that can never stop: a function whose every path calls itself (directly)
    before any return. Such a call chain always grows past the machine's call stack."""
    problems = []
    for name, fn in module.functions.items():
        if _always_recurses(fn.body, name):
            problems.append(Problem(module.file, fn.lineno, fn.col_offset + 1, f"recursion without a base case in {name}",
                                    "every path calls the function again, so it would recurse deeper than any stack; add a return that does not recurse"))
    return problems


def _surely_calls(node: ast.AST, name: str) -> bool:
    """True when every evaluation of expression `node` calls `name`: the branches of a conditional
    expression and the operands after the first of and/or may be skipped, so they count only when
    every alternative calls it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
        return True
    if isinstance(node, ast.IfExp):
        return _surely_calls(node.test, name) or (_surely_calls(node.body, name) and _surely_calls(node.orelse, name))
    if isinstance(node, ast.BoolOp):
        return _surely_calls(node.values[0], name)
    if isinstance(node, ast.Compare):
        return _surely_calls(node.left, name) or _surely_calls(node.comparators[0], name)
    if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
        return False
    return any(_surely_calls(child, name) for child in ast.iter_child_nodes(node))


def _always_recurses(stmts: list[ast.stmt], name: str) -> bool:
    """True when executing `stmts` from the top surely reaches a call of `name` before any return
    that does not involve such a call."""
    for stmt in stmts:
        if isinstance(stmt, ast.Return):
            return stmt.value is not None and _surely_calls(stmt.value, name)
        if isinstance(stmt, ast.If):
            if _surely_calls(stmt.test, name):
                return True
            if _always_recurses(stmt.body, name) and _always_recurses(stmt.orelse, name):
                return True
            if any(isinstance(n, (ast.Return, ast.Raise)) for s in stmt.body + stmt.orelse for n in ast.walk(s)):
                return False
            continue
        if isinstance(stmt, (ast.While, ast.For)):
            if isinstance(stmt, ast.While) and _surely_calls(stmt.test, name):
                return True
            if isinstance(stmt, ast.For) and _surely_calls(stmt.iter, name):
                return True
            if any(isinstance(n, (ast.Return, ast.Raise)) for n in ast.walk(stmt)):
                return False
            continue
        if isinstance(stmt, ast.Raise):
            return False
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Assert)) and _surely_calls(stmt, name):
            return True
    return False

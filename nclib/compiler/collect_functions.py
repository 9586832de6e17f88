"""Collect the functions to compile: the entry and every module function it reaches.

Takes the rewritten tree (after `inline_messages`) and the entry's name; gives a `Module` holding
the entry and the functions it names, transitively, and the problems of the module's shape
(a function defined twice). Rejects an entry that the source does not define at once (a
CompileError with that one problem). Imports, docstrings and the `if __name__ == "__main__":`
block are ignored; other module statements only matter when a compiled function uses a name they
define: a name bound by an import is marked `_imported` (with the module's name) so that
`check_language` can say where it came from. Functions the entry does not reach are not compiled;
`warn_unreached` names the first construct that would stop each of them.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from nclib.compiler.check_language import check_functions
from nclib.errors import CompileError, Problem


@dataclass
class Module:
    """The functions a compile works on."""

    file: str
    functions: dict[str, ast.FunctionDef]  # the entry and the functions it reaches, in reach order (entry first)
    defined: dict[str, ast.FunctionDef]  # every module-level function (the last definition of a name), in source order
    entry: str


def collect_functions(tree: ast.Module, file: str, entry: str | None = None) -> tuple[Module, list[Problem]]:
    """The entry and the functions it reaches, and a problem per second definition of a name."""
    problems: list[Problem] = []
    functions: dict[str, ast.FunctionDef] = {}
    others: dict[str, ast.stmt] = {}  # name -> the module statement (not a def) that binds it
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            if stmt.name in functions:
                problems.append(Problem(file, stmt.lineno, stmt.col_offset + 1, f"second definition of {stmt.name}", "give each function one definition"))
            functions[stmt.name] = stmt
        elif not (_is_docstring(stmt) or _is_main_block(stmt)):
            for name in _defined_names(stmt):
                others.setdefault(name, stmt)
    if entry is None:
        entry = next(iter(functions), None)
    if entry not in functions:
        known = ", ".join(functions) or "none"
        raise CompileError([Problem(file, 1, 1, f"entry function {entry!r}", f"it is not defined in the source (defined: {known})")])
    reached = reached_functions(functions, entry)
    for name in reached:
        _mark_imported(functions[name], functions, others)
    return Module(file, {name: functions[name] for name in reached}, functions, entry), problems


def warn_unreached(module: Module) -> None:
    """A warning for each function the entry does not reach that would not compile, naming its first
    problem (it is not compiled, so the problem does not stop the compile). The warning points at the
    caller of `compile_source`."""
    for name in module.defined:
        if name not in module.functions:
            found = check_functions(module.file, module.defined, [name])
            if found:
                warnings.warn(f"{module.file}:{module.defined[name].lineno}: function {name} is not compiled (the entry {module.entry} "
                              f"does not call it); it could not be: {found[0]}", stacklevel=3)


def _mark_imported(fn: ast.FunctionDef, functions: dict[str, ast.FunctionDef], others: dict[str, ast.stmt]) -> None:
    """Mark each name `fn` reads that a module-level import binds with `_imported` (the module's name)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in others and node.id not in functions:
            stmt = others[node.id]
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                module = stmt.module if isinstance(stmt, ast.ImportFrom) else next(a.name for a in stmt.names if (a.asname or a.name).split(".")[0] == node.id)
                node._imported = module or "a module"


def _is_docstring(stmt: ast.stmt) -> bool:
    """A bare string statement."""
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_main_block(stmt: ast.stmt) -> bool:
    """`if __name__ == "__main__":` (either operand order)."""
    if not (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) and len(stmt.test.ops) == 1):
        return False
    sides = [stmt.test.left, stmt.test.comparators[0]]
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) and any(
        isinstance(x, ast.Constant) and x.value == "__main__" for x in sides)


def _defined_names(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement binds (imports, classes, assignments)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    if isinstance(stmt, ast.ClassDef):
        return {stmt.name}
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _referenced(fn: ast.FunctionDef) -> set[str]:
    """Every name `fn` reads."""
    return {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def reached_functions(functions: dict[str, ast.FunctionDef], entry: str) -> list[str]:
    """The entry and every module function its body names, transitively (entry first)."""
    order, todo = [], [entry]
    while todo:
        name = todo.pop(0)
        if name in order or name not in functions:
            continue
        order.append(name)
        todo += sorted(_referenced(functions[name]) & set(functions))
    return order

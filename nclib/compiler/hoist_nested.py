"""Hoist nested functions: a def inside another function's body becomes a module-level function.

Takes the desugared tree; gives the same tree (rewritten in place) where each function defined at
the top level of another function's body `outer` is a module-level function named `outer.inner`,
taking the names of `outer` it reads as extra parameters, and every call passes their current
values (what a closure would read at the call). Rejects nothing: a def nested deeper (inside an
if or a loop) is left in place, and `check_language` reports it.
"""

from __future__ import annotations

import ast
import copy

from nclib.compiler.language import assigned_names


def hoist_nested(tree: ast.Module) -> ast.Module:
    """Move each function defined at the top level of another function's body to module level as
    `outer.inner`, with the outer function's names it reads passed as extra parameters at every call
    (a call passes their current values, which is what a closure would read)."""
    for outer in [s for s in tree.body if isinstance(s, ast.FunctionDef)]:
        nested = [s for s in outer.body if isinstance(s, ast.FunctionDef)]
        if not nested:
            continue
        outer_names = {a.arg for a in outer.args.args} | {n.id for s in outer.body if not isinstance(s, ast.FunctionDef)
                                                           for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        names = {fn.name for fn in nested}
        captured = {}
        for fn in nested:
            own = {a.arg for a in fn.args.args} | assigned_names(fn)
            captured[fn.name] = sorted(n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                                       and n.id in outer_names and n.id not in own and n.id not in names)
        for _ in range(len(nested)):  # a nested function calling another passes that one's captures on
            for fn in nested:
                for n in ast.walk(fn):
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names and n.func.id != fn.name:
                        own = {a.arg for a in fn.args.args} | assigned_names(fn)
                        extra = [c for c in captured[n.func.id] if c not in captured[fn.name] and c not in own]
                        captured[fn.name] = sorted(set(captured[fn.name]) | set(extra))
        signature = {fn.name: (fn.args.args, fn.args.defaults) for fn in nested}
        for scope in [outer] + nested:
            for n in ast.walk(scope):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names:
                    params, defaults = signature[n.func.id]
                    missing = len(params) - len(n.args)  # omitted arguments get their defaults before the captures
                    if 0 < missing <= len(defaults):
                        n.args = n.args + [copy.deepcopy(d) for d in defaults[len(defaults) - missing:]]
                    n.args = n.args + [ast.Name(id=c, ctx=ast.Load(), lineno=n.lineno, col_offset=n.col_offset,
                                                end_lineno=n.end_lineno, end_col_offset=n.end_col_offset) for c in captured[n.func.id]]
                    n.func.id = f"{outer.name}.{n.func.id}"
        # a body of nothing but nested defs becomes `pass` (returns None, as Python does; an empty
        # body crashed the lowering: found by hypothesmith, tests/compiler/test_fuzz_regressions.py)
        outer.body = [s for s in outer.body if not isinstance(s, ast.FunctionDef)] or [
            ast.copy_location(ast.Pass(), nested[-1])]
        for fn in nested:
            if captured[fn.name]:
                fn.args.defaults = []  # every call now passes every argument (defaults filled in above)
            fn.args.args = fn.args.args + [ast.arg(arg=c, lineno=fn.lineno, col_offset=fn.col_offset) for c in captured[fn.name]]
            fn.name = f"{outer.name}.{fn.name}"
            tree.body.append(fn)
    return tree

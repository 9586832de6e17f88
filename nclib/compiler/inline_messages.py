"""Inline error messages: a name holding only a message string is replaced by the string at each raise.

Takes the tree after `hoist_nested`; gives the same tree (rewritten in place) where
`msg = f"..."` followed by `raise ValueError(msg)` (or `assert ok, msg`) reads
`raise ValueError(f"...")` and the assignment is `pass`, so the message's fields are read at the
raise and no variable holds a string. Rejects nothing: a string name used any other way is left
as it is, and `check_language` reports the string.
"""

from __future__ import annotations

import ast
import copy


def inline_messages(tree: ast.Module) -> ast.Module:
    """`msg = f"..."` followed by `raise ValueError(msg)`: a name assigned only strings and read only as
    raise / assert messages is replaced by its string at each raise (an f-string's fields are then
    read at the raise) and its assignments become `pass`."""
    for fn in [s for s in ast.walk(tree) if isinstance(s, ast.FunctionDef)]:
        messages: set[int] = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and len(node.exc.args) == 1:
                messages.add(id(node.exc.args[0]))
            elif isinstance(node, ast.Assert) and node.msg is not None:
                messages.add(id(node.msg))
        assigned: dict[str, list[ast.Assign]] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node)
        for name, stmts in assigned.items():
            if len(stmts) != 1 or not isinstance(stmts[0].value, ast.JoinedStr) and not (
                    isinstance(stmts[0].value, ast.Constant) and isinstance(stmts[0].value.value, str)):
                continue
            loads = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
            if not loads or any(id(n) not in messages for n in loads):
                continue
            value = stmts[0].value
            for parent in ast.walk(fn):
                if isinstance(parent, ast.Raise) and isinstance(parent.exc, ast.Call) and parent.exc.args and parent.exc.args[0] in loads:
                    parent.exc.args = [copy.deepcopy(value)]
                elif isinstance(parent, ast.Assert) and parent.msg in loads:
                    parent.msg = copy.deepcopy(value)
            stmt = stmts[0]
            for parent in ast.walk(fn):
                for field_name in ("body", "orelse"):
                    block = getattr(parent, field_name, None)
                    if isinstance(block, list) and stmt in block:
                        block[block.index(stmt)] = ast.copy_location(ast.Pass(), stmt)
    return tree

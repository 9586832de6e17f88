"""Which list indices are provably non-negative, so `a[i]` needs no wrap from the end.

Python reads `a[i]` with -len(a) <= i < 0 as `a[len(a) + i]`. The lowering emits that wrap
(`ListLowering.list_index`) only where this small, sound analysis cannot prove i >= 0. It finds
a lower bound of an expression (`lower_bound`): an int literal; `len(...)` and `abs(...)` >= 0;
a sum of bounded values; `e - k` for a literal k; a product or `//` of non-negative values; `x % m`
>= 0 for m >= 0 (Python's % takes the divisor's sign); `min` / `max` of bounded values; a name's
bound, from two sources:

- Names that always hold an int >= 0: not a parameter, and every binding (`x = e`, `x op= e`,
  `for x in range(start, ...)` / `reversed(range(...))` with a positive step: the value `start`)
  stores a value whose bound is >= 0 at that point. Found as the greatest fixed point (assume every
  candidate, drop one whose binding is not provably >= 0, repeat): sound by induction over the run,
  as each binding reads only values stored before it.
- Guards: where a condition `x > e`, `x >= e`, `e < x`, `e <= x`, `x == e` holds -- later operands
  of the same `and`, an `if` / `while` body and the branch of `x if test else y` -- x >= bound(e)
  (+1 when strict), until a statement that may rebind x (in a loop, anything the loop rebinds is
  forgotten at its head, which the back edge reaches).

`IndexFacts(fn)` runs the analysis once per function: `non_negative(subscript)` answers for one
`a[i]` of the function.
"""

from __future__ import annotations

import ast

from nclib.compiler.language import const_int, is_range

__all__ = ["IndexFacts", "lower_bound"]


def lower_bound(node: ast.AST, env: dict[str, int]) -> int | None:
    """An int that `node` is never below on a run where every name n of `env` holds >= env[n]
    (None: no bound known). An expression that raises instead has any bound."""
    literal = const_int(node)
    if literal is not None:
        return literal
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Mod):
            right = lower_bound(node.right, env)
            return 0 if right is not None and right >= 0 else None
        left = lower_bound(node.left, env)
        if isinstance(node.op, ast.Sub):
            k = const_int(node.right)
            return left - k if left is not None and k is not None else None
        right = lower_bound(node.right, env)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, (ast.Mult, ast.FloorDiv)) and left >= 0 and right >= 0:
            return left * right if isinstance(node.op, ast.Mult) else 0
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id in ("len", "abs"):
            return 0
        bounds = [lower_bound(a, env) for a in node.args]
        known = [b for b in bounds if b is not None]
        if node.func.id == "min" and bounds and len(known) == len(bounds):
            return min(known)
        if node.func.id == "max" and known:
            return max(known)
    return None


def _guards(test: ast.AST) -> list[tuple[str, ast.AST, int]]:
    """(x, e, strict) for each `x >= e + strict` that holds when `test` is true."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [g for value in test.values for g in _guards(value)]
    if not isinstance(test, ast.Compare):
        return []
    found = []
    sides = [test.left, *test.comparators]
    for left, op, right in zip(sides, test.ops, sides[1:]):
        if isinstance(op, (ast.Gt, ast.GtE, ast.Eq)) and isinstance(left, ast.Name):
            found.append((left.id, right, int(isinstance(op, ast.Gt))))
        if isinstance(op, (ast.Lt, ast.LtE, ast.Eq)) and isinstance(right, ast.Name):
            found.append((right.id, left, int(isinstance(op, ast.Lt))))
    return found


# expressions that bind names (or open a scope): a function holding one gets no facts
_OPAQUE = (ast.NamedExpr, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _at_least_zero(node, env: dict[str, int]) -> bool:
    bound = None if node is None else lower_bound(node, env)
    return bound is not None and bound >= 0


def _bound_names(node: ast.AST) -> set[str]:
    """The names a statement or expression may bind (not inside nested functions)."""
    return {n.id for n in _walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _walk(node: ast.AST):
    """ast.walk without descending into nested functions or lambdas."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in ast.iter_child_nodes(n) if not isinstance(c, (ast.FunctionDef, ast.Lambda)))


class IndexFacts:
    """The analysis of one function: its always-non-negative names and the guards at each `a[i]`."""

    def __init__(self, fn: ast.FunctionDef):
        self.at_subscript: dict[int, list] = {}  # id(subscript) -> the guards that hold there
        self.bindings: list[tuple[str, ast.AST | None, list]] = []  # (name, value stored or None, guards)
        self.names: set[str] = set()
        if any(isinstance(n, _OPAQUE) for n in ast.walk(fn)):
            return  # names bound inside expressions, or in scopes of their own: no facts at all
        self.block(fn.body, [])
        excluded = {a.arg for a in fn.args.args}
        excluded.update(n for node in ast.walk(fn) if isinstance(node, (ast.Global, ast.Nonlocal)) for n in node.names)
        names = {name for name, _, _ in self.bindings} - excluded
        while True:
            failed = {name for name, value, guards in self.bindings if name in names and not _at_least_zero(value, self.env(names, guards))}
            if not failed:
                break
            names -= failed
        self.names = names

    def non_negative(self, subscript: ast.Subscript) -> bool:
        """True when the index of this `a[i]` of the function is provably >= 0."""
        return _at_least_zero(subscript.slice, self.env(self.names, self.at_subscript.get(id(subscript), [])))

    @staticmethod
    def env(names: set[str], guards: list) -> dict[str, int]:
        """Name -> lower bound: 0 for the always-non-negative names, raised by the guards (each
        guard's expression bounded by the names alone)."""
        base = dict.fromkeys(names, 0)
        env = dict(base)
        for name, expr, strict in guards:
            bound = lower_bound(expr, base)
            if bound is not None:
                env[name] = max(env.get(name, bound + strict), bound + strict)
        return env

    # -- the walk: statements in order, with the guards that hold before each --------------------
    def block(self, body: list[ast.stmt], guards: list) -> None:
        for stmt in body:
            guards = self.statement(stmt, guards)

    def statement(self, stmt: ast.stmt, guards: list) -> list:
        """Record the subscripts and bindings of `stmt`; the guards that hold after it."""
        rebound = _bound_names(stmt)
        after = [g for g in guards if g[0] not in rebound]
        if isinstance(stmt, ast.If):
            self.expression(stmt.test, guards)
            self.block(stmt.body, guards + _guards(stmt.test))
            self.block(stmt.orelse, guards)
        elif isinstance(stmt, ast.While):
            self.expression(stmt.test, after)
            self.block(stmt.body, after + _guards(stmt.test))
            self.block(stmt.orelse, after)
        elif isinstance(stmt, ast.For):
            self.expression(stmt.iter, guards)
            self.bind(stmt.target, _range_start(stmt.iter), guards)
            self.block(stmt.body, after)
            self.block(stmt.orelse, after)
        elif isinstance(stmt, ast.FunctionDef):
            pass  # lowered (and analysed) on its own
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if stmt.value is not None:
                self.expression(stmt.value, guards)
            for target in targets:  # stored after the value, left to right: `i, a[i] = ...` uses the new i
                self.expression(target, after)
                self.bind(target, _stored(stmt, target), guards)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.stmt):
                    self.statement(child, after)
                else:
                    self.expression(child, after)
            self.bindings.extend((name, None, []) for name in rebound)
        return after

    def expression(self, node: ast.AST, guards: list) -> None:
        """Record the guards at each subscript of `node`, with those of an `and`'s earlier operands
        and of an `x if test else y`'s test for its first branch."""
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            held = list(guards)
            for value in node.values:
                self.expression(value, held)
                held = held + _guards(value)
            return
        if isinstance(node, ast.IfExp):
            self.expression(node.test, guards)
            self.expression(node.body, guards + _guards(node.test))
            self.expression(node.orelse, guards)
            return
        if isinstance(node, ast.Subscript):
            self.at_subscript[id(node)] = guards
        for child in ast.iter_child_nodes(node):
            self.expression(child, guards)

    def bind(self, target: ast.AST, value, guards: list) -> None:
        """Record `target = value` (value None: a binding never provably non-negative)."""
        if isinstance(target, ast.Name):
            self.bindings.append((target.id, value, guards))
        elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts) \
                and not any(isinstance(e, ast.Starred) for e in value.elts):
            for t, v in zip(target.elts, value.elts):  # a, b = x, y: every value is read before any store
                self.bind(t, v, guards)
        else:  # another tuple target, or a subscript (which binds no name)
            for name in _bound_names(target):
                self.bindings.append((name, None, []))


def _stored(stmt: ast.stmt, target: ast.AST):
    """The value an assignment statement stores into `target` (None when not known)."""
    if isinstance(stmt, ast.AugAssign):
        if isinstance(stmt.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
            return ast.BinOp(left=ast.Name(id=stmt.target.id, ctx=ast.Load()) if isinstance(stmt.target, ast.Name) else stmt.target,
                             op=stmt.op, right=stmt.value)
        return None
    return stmt.value


def _range_start(it: ast.AST):
    """For `for x in range(start, stop[, step])` (step > 0) or `reversed(range(...))`: the smallest
    value x takes, `start`; None for any other loop."""
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed" and it.args:
        it = it.args[0]
    if not is_range(it):
        return None
    args = it.args
    if len(args) == 3 and not (const_int(args[2]) or 0) > 0:
        return None
    return args[0] if len(args) >= 2 else ast.Constant(value=0)

"""Desugar: rewrite common Python idioms into the accepted subset (AST to AST, before the checks).

Each rewrite keeps Python's semantics exactly (evaluation order, short-circuiting, what a loop
sees when its body changes the list); a construct that cannot be rewritten that way is left as
it is, so `check_language` reports it. Every node built here carries the source location of the
construct it replaces, so compile errors, runtime faults and listings name the user's line.

    x in a / x not in a          a list: a loop helper `__nc_contains(x, a)` (added only when used);
                                 a tuple/list display: x == e0 or x == e1 ... (a helper taking x and
                                 every element as arguments when they are not plain names or
                                 constants, so each is evaluated once, in Python's order);
                                 range(n) / range(lo, hi): lo <= x < hi
    for i, x in enumerate(a, s)  an index loop; zip(a, b, ...) likewise (stops at the shorter list)
    min/max/sum/any/all(...)     over a list, a generator expression or a list comprehension: a
                                 helper function per use with the loop (min/max of nothing raise
                                 ValueError like Python)
    [e for x in a if c]          a helper building the list with [] and append; list(it) as
                                 [v for v in it] (list(range(n)), a copy of a list)
    a = b = v                    v evaluated once, then assigned to each target left to right
    MOD = 10**9 + 7              a module-level constant of int literals (or a tuple of them):
                                 inlined into functions; COLORS[1] of a tuple constant: the element
    a[-k]                        a[len(a) - k] for a literal k >= 1

Loops over enumerate/zip read the length of each list at every iteration (as Python's list
iterator does), so a body that appends to the list it walks sees the new elements, and one that
shortens it stops early, exactly as in Python. Helpers are module-level functions named
`__nc_<function>_<what>_<n>` (one shared `__nc_contains_<n>`), chosen not to collide with any
name in the source; the variables of the enclosing function that a generator expression reads are
passed as arguments (a generator expression cannot assign them, and lists are passed by
reference, as Python shares them).

Takes the parsed tree; gives the same tree rewritten in place, with the helper functions appended
to the module. Rejects only a module constant whose evaluation fails (e.g. a division by zero):
everything else it cannot rewrite is left for the checks.
"""

from __future__ import annotations

import ast
import copy
from typing import Iterator

from nclib.errors import CompileError, Problem

REDUCERS = ("min", "max", "sum", "any", "all")
LOOP_SOURCES = ("enumerate", "zip")
CONSTANT_BITS = 4096  # module constants beyond this many bits are refused (they would never fit a window)


def desugar(tree: ast.Module, file: str) -> ast.Module:
    """Rewrite `tree` in place into the accepted subset and return it (see the module docstring)."""
    fresh = FreshNames(tree)
    inline_constants(tree, file)
    rewriter = Rewriter(fresh)
    body = []
    for stmt in tree.body:
        body.append(rewriter.visit(stmt) if isinstance(stmt, ast.FunctionDef) else stmt)
    tree.body = body + rewriter.helpers
    return tree


class FreshNames:
    """Generated names `__nc_<base>_<n>` that no name of the source uses."""

    def __init__(self, tree: ast.Module):
        self.taken: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                self.taken.add(node.id)
            elif isinstance(node, ast.arg):
                self.taken.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.taken.add(node.name)
            elif isinstance(node, ast.alias):
                self.taken.add(node.asname or node.name.split(".")[0])
        self.count = 0

    def __call__(self, base: str) -> str:
        while True:
            self.count += 1
            name = f"__nc_{base}_{self.count}"
            if name not in self.taken:
                self.taken.add(name)
                return name


# -- small AST builders --------------------------------------------------------------------------
def _locate(node: ast.AST, source: ast.AST) -> ast.AST:
    """Give every node of `node` that has no location the location of `source` (nodes moved from
    the user's code keep their own)."""
    for n in ast.walk(node):
        if "lineno" in n._attributes and getattr(n, "lineno", None) is None:
            n.lineno, n.col_offset = source.lineno, source.col_offset
            n.end_lineno, n.end_col_offset = source.end_lineno, source.end_col_offset
    return node


def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _store(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Store())


def _const(value) -> ast.Constant:
    return ast.Constant(value=value)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_load(name), args=list(args), keywords=[])


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[_store(name)], value=value, type_comment=None)


def _compare(left: ast.expr, op: ast.cmpop, right: ast.expr) -> ast.Compare:
    return ast.Compare(left=left, ops=[op], comparators=[right])


def _if(test: ast.expr, body: list[ast.stmt], orelse: list[ast.stmt] | None = None) -> ast.If:
    return ast.If(test=test, body=body, orelse=orelse or [])


def _not(value: ast.expr) -> ast.UnaryOp:
    return ast.UnaryOp(op=ast.Not(), operand=value)


def _function(name: str, params: list[str], body: list[ast.stmt]) -> ast.FunctionDef:
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p, annotation=None, type_comment=None) for p in params],
                         vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    return ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None, type_comment=None)


def _simple(node: ast.expr) -> bool:
    """A plain name or a literal: evaluating it twice, or later, changes nothing."""
    return isinstance(node, (ast.Name, ast.Constant)) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _simple(node.operand)
        and not isinstance(node.operand, ast.Name))


def _negative_index(node: ast.expr) -> int | None:
    """k for the literal index -k (k >= 1), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and type(node.operand.value) is int and node.operand.value >= 1:
        return node.operand.value
    return None


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _loaded_names(nodes: list[ast.AST]) -> Iterator[str]:
    """Names read by `nodes` (in a fixed order), except the names of called functions."""
    called = {id(n.func) for root in nodes for n in ast.walk(root) if isinstance(n, ast.Call)}
    for root in nodes:
        for n in ast.walk(root):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in called:
                yield n.id


def _stored_names(nodes: list[ast.AST]) -> set[str]:
    return {n.id for root in nodes for n in ast.walk(root) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


# -- module-level integer constants --------------------------------------------------------------
def inline_constants(tree: ast.Module, file: str) -> None:
    """Replace reads of module-level integer constants (`MOD = 10**9 + 7`: int literals, earlier
    constants and arithmetic only, or a tuple display of those; bound exactly once in the module) by
    their value, and drop their assignments. A constant some function assigns (`global`) or uses as a local is not inlined
    there; anything that is not a literal expression is left for `check_language` to report."""
    bindings: dict[str, int] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings[stmt.name] = bindings.get(stmt.name, 0) + 1
        else:
            for name in _stored_names([stmt]) | {a.asname or a.name.split(".")[0] for a in ast.walk(stmt) if isinstance(a, ast.alias)}:
                bindings[name] = bindings.get(name, 0) + 1
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            for name in node.names:
                bindings[name] = bindings.get(name, 0) + 2  # assignable from a function: not a constant

    constants: dict[str, int] = {}
    body = []
    for stmt in tree.body:
        target, value = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None and stmt.simple:
            target, value = stmt.target.id, stmt.value
        if target is not None and bindings.get(target) == 1:
            try:
                result = _constant_value(value, constants)
            except _NotLiteral:
                result = None
            except (ArithmeticError, ValueError) as err:
                raise CompileError([Problem(file, stmt.lineno, stmt.col_offset + 1, f"module constant {target} = {ast.unparse(value)}",
                                            f"evaluating it fails ({err}); write its value as an integer literal")]) from None
            if result is not None:
                constants[target] = result
                continue
        body.append(stmt)
    if not constants:
        return
    tree.body = body
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            _inline_in_function(stmt, constants)


class _NotLiteral(Exception):
    pass


def _constant_value(node: ast.expr, constants: dict) -> int | tuple[int, ...]:
    """An int, or a tuple of ints written as a tuple display (`COLORS = (RED, WHITE, BLUE)`)."""
    if isinstance(node, ast.Tuple):
        return tuple(_literal_value(e, constants) for e in node.elts)
    return _literal_value(node, constants)


_CONST_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
                 ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b, ast.BitAnd: lambda a, b: a & b,
                 ast.BitOr: lambda a, b: a | b, ast.BitXor: lambda a, b: a ^ b}


def _literal_value(node: ast.expr, constants: dict[str, int]) -> int:
    """Python's own value of an expression of int literals and earlier constants (never executes
    anything else); ArithmeticError for a division by zero or a value beyond CONSTANT_BITS."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, bool):
        return node.value
    if isinstance(node, ast.Name) and isinstance(constants.get(node.id), int):
        return constants[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
        value = _literal_value(node.operand, constants)
        return {ast.USub: lambda v: -v, ast.UAdd: lambda v: +v, ast.Invert: lambda v: ~v}[type(node.op)](value)
    if isinstance(node, ast.BinOp):
        a, b = _literal_value(node.left, constants), _literal_value(node.right, constants)
        if isinstance(node.op, ast.Pow):
            if b < 0:
                raise _NotLiteral  # a float
            if abs(a) > 1 and b * abs(a).bit_length() > CONSTANT_BITS + 64:
                raise OverflowError(f"{a} ** {b} has more than {CONSTANT_BITS} bits")
            result = a ** b
        elif isinstance(node.op, (ast.LShift, ast.RShift)):
            if b < 0:
                raise ValueError(f"negative shift count {b}")
            if isinstance(node.op, ast.LShift) and b > CONSTANT_BITS:
                raise OverflowError(f"{a} << {b} has more than {CONSTANT_BITS} bits")
            result = a << b if isinstance(node.op, ast.LShift) else a >> b
        elif type(node.op) in _CONST_BINOPS:
            result = _CONST_BINOPS[type(node.op)](a, b)
        else:
            raise _NotLiteral
        if result.bit_length() > CONSTANT_BITS:
            raise OverflowError(f"the value has more than {CONSTANT_BITS} bits")
        return result
    raise _NotLiteral


def _inline_in_function(fn: ast.FunctionDef, constants: dict[str, int]) -> None:
    # Default values are evaluated in the module's scope; the body sees a constant only where no
    # parameter or assignment of the function (or of a function nested in it) binds the name.
    _replace_names(fn.args, constants)
    local = {a.arg for a in ast.walk(fn) if isinstance(a, ast.arg)} | _stored_names(fn.body)
    visible = {k: v for k, v in constants.items() if k not in local}
    for stmt in fn.body:
        _replace_names(stmt, visible)


def _replace_names(root: ast.AST, constants: dict) -> None:
    def literal(name: ast.Name) -> ast.expr:
        value = constants[name.id]
        node = ast.Tuple(elts=[_const(v) for v in value], ctx=ast.Load()) if isinstance(value, tuple) else _const(value)
        return _locate(node, name)

    for node in ast.walk(root):
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.Name) and isinstance(value.ctx, ast.Load) and value.id in constants:
                setattr(node, field, literal(value))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.Name) and isinstance(item.ctx, ast.Load) and item.id in constants:
                        value[i] = literal(item)


# -- the rewrites inside functions ---------------------------------------------------------------
class Rewriter(ast.NodeTransformer):
    """Bottom-up: the children of a node are rewritten before the node itself."""

    def __init__(self, fresh: FreshNames):
        self.fresh = fresh
        self.helpers: list[ast.FunctionDef] = []
        self.shared: dict[str, str] = {}  # helper kind -> name, for helpers that cannot fault
        self.function = ""  # the module-level function being rewritten: helper names start with it
        # Names local to each enclosing scope (function, then comprehensions), innermost last: a
        # generator expression's helper receives the ones it reads; any other name it reads (a
        # builtin such as int in isinstance(x, int), a function) means the same inside the helper.
        self.scopes: list[set[str]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef):
        outer = self.function
        self.function = outer or node.name
        self.scopes.append({a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)} | _stored_names(node.body))
        self.generic_visit(node)
        self.scopes.pop()
        self.function = outer
        return node

    def visit_comprehension_parts(self, comp: ast.GeneratorExp | ast.ListComp) -> None:
        """Rewrite inside a comprehension that becomes a helper, with its loop variables in scope."""
        self.scopes.append(_stored_names([g.target for g in comp.generators]))
        self.generic_visit(comp)
        self.scopes.pop()

    # -- statements ------------------------------------------------------------------------
    def visit_For(self, node: ast.For):
        self.generic_visit(node)
        return self.loop(node, _stored_names(node.body + [node.target]))

    def loop(self, node: ast.For, rebound: set[str]) -> list[ast.stmt]:
        """`for <targets> in enumerate(...)/zip(...)` as an index loop; any other loop unchanged.

            for i, x in enumerate(a, s):        __a = a; __s = s; __k = 0
                body                     ->     while __k < len(__a):
                                                    i = __k + __s; x = __a[__k]; __k += 1
                                                    body
        The counter moves before the body, so `continue` needs nothing special. A list named by a
        variable that the loop never assigns (not in `rebound`) is read through that name, which
        names the same list for the whole loop (and a list the body appends to keeps one name); any
        other is bound to a temporary first, as Python's iterator keeps the list it started with."""
        if node.orelse or _call_name(node.iter) not in LOOP_SOURCES:
            return [node]
        setup: list[ast.stmt] = []
        lists: list[str] = []
        counter = self.fresh("k")
        source = self._source(node.iter, setup, lists, rebound)
        if source is None:
            return [node]
        fetch = self._bind(node.target, source, counter)
        if fetch is None:
            return [node]
        test = ast.BoolOp(op=ast.And(), values=[_compare(_load(counter), ast.Lt(), _call("len", _load(a))) for a in lists]) \
            if len(lists) > 1 else _compare(_load(counter), ast.Lt(), _call("len", _load(lists[0])))
        step = ast.AugAssign(target=_store(counter), op=ast.Add(), value=_const(1))
        loop = ast.While(test=_locate(test, node.iter), body=[_locate(s, node.target) for s in fetch] + [_locate(step, node.target)] + node.body,
                         orelse=[])
        return [_locate(s, node) for s in setup + [_assign(counter, _const(0)), loop]]

    def _source(self, node: ast.expr, setup: list[ast.stmt], lists: list[str], rebound: set[str]):
        """The structure of an enumerate/zip iterable: ("list", temp) | ("count", start) |
        ("tuple", [parts]); its lists are bound to temporaries in evaluation order. None when it
        is not something this rewrite handles."""
        name = _call_name(node)
        if name in ("range", "reversed", "iter", "map", "filter", "sorted"):
            return None
        if name in LOOP_SOURCES:
            if any(isinstance(a, ast.Starred) for a in node.args):
                return None
            if name == "enumerate":
                keywords = {k.arg: k.value for k in node.keywords}
                if not (1 <= len(node.args) <= 2) or set(keywords) - {"start"} or (len(node.args) == 2 and keywords):
                    return None
                inner = self._source(node.args[0], setup, lists, rebound)
                if inner is None:
                    return None
                start = node.args[1] if len(node.args) == 2 else keywords.get("start")
                if start is not None and not (isinstance(start, ast.Constant) and type(start.value) is int):
                    temp = self.fresh("start")
                    setup.append(_locate(_assign(temp, start), start))
                    start = _load(temp)
                return ("tuple", [("count", start), inner])
            if node.keywords or not node.args:
                return None
            parts = [self._source(a, setup, lists, rebound) for a in node.args]
            return None if any(p is None for p in parts) else ("tuple", parts)
        if isinstance(node, ast.Name) and node.id not in rebound:
            lists.append(node.id)
            return ("list", node.id)
        temp = self.fresh("list")
        setup.append(_locate(_assign(temp, node), node))
        lists.append(temp)
        return ("list", temp)

    def _bind(self, target: ast.expr, source, counter: str) -> list[ast.stmt] | None:
        """Assignments of each loop variable (plain names only, so fetching an element cannot be
        affected by assigning an earlier one) from the counter; None when the shapes differ."""
        kind, what = source
        if kind == "tuple":
            if not isinstance(target, (ast.Tuple, ast.List)) or len(target.elts) != len(what):
                return None
            out = []
            for t, part in zip(target.elts, what):
                bound = self._bind(t, part, counter)
                if bound is None:
                    return None
                out += bound
            return out
        if not isinstance(target, ast.Name):
            return None
        if kind == "list":
            value = ast.Subscript(value=_load(what), slice=_load(counter), ctx=ast.Load())
        elif what is None or (isinstance(what, ast.Constant) and what.value == 0):
            value = _load(counter)
        else:
            value = ast.BinOp(left=_load(counter), op=ast.Add(), right=copy.deepcopy(what))
        return [ast.Assign(targets=[target], value=value, type_comment=None)]

    def visit_Assign(self, node: ast.Assign):
        self.generic_visit(node)
        if len(node.targets) == 1:
            return node
        # a = b = v: v once, then each target from left to right (later targets may read earlier ones).
        value = node.value
        out: list[ast.stmt] = []
        if not _simple(value):
            if isinstance(value, ast.Tuple) and all(isinstance(t, ast.Tuple) and len(t.elts) == len(value.elts) for t in node.targets):
                temps = [self.fresh("v") for _ in value.elts]
                out.append(ast.Assign(targets=[ast.Tuple(elts=[_store(t) for t in temps], ctx=ast.Store())], value=value, type_comment=None))
                value = ast.Tuple(elts=[_load(t) for t in temps], ctx=ast.Load())
            else:
                temp = self.fresh("v")
                out.append(_assign(temp, value))
                value = _load(temp)
        for target in node.targets:
            out.append(ast.Assign(targets=[target], value=copy.deepcopy(value), type_comment=None))
        return [_locate(s, node) for s in out]

    # -- expressions -----------------------------------------------------------------------
    def visit_Subscript(self, node: ast.Subscript):
        self.generic_visit(node)
        if isinstance(node.value, ast.Tuple) and isinstance(node.ctx, ast.Load) and all(
                isinstance(e, ast.Constant) for e in node.value.elts):
            # COLORS[1] of an inlined tuple constant: the element itself (as Python indexes it)
            elts, k = node.value.elts, _negative_index(node.slice)
            index = -k if k is not None else node.slice.value if isinstance(node.slice, ast.Constant) and type(node.slice.value) is int else None
            if index is not None and -len(elts) <= index < len(elts):
                return ast.copy_location(_const(elts[index].value), node)
            return node
        k = _negative_index(node.slice)
        if k is None:
            return node
        if isinstance(node.value, ast.Name):
            index = ast.BinOp(left=_call("len", _load(node.value.id)), op=ast.Sub(), right=_const(k))
            node.slice = _locate(index, node.slice)
            return node
        if not isinstance(node.ctx, ast.Load):
            return node  # f(x)[-1] = v: left for the checks / the bounds check
        # f(x)[-k]: evaluate the list once, in a helper, so its length and element agree.
        name, param = self.fresh(f"{self.function}_at"), self.fresh("a")
        read = ast.Subscript(value=_load(param), slice=ast.BinOp(left=_call("len", _load(param)), op=ast.Sub(), right=_const(k)),
                             ctx=ast.Load())
        self.helpers.append(_locate(_function(name, [param], [ast.Return(value=read)]), node))
        return _locate(_call(name, node.value), node)

    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.In, ast.NotIn)):
            return node
        negate = isinstance(node.ops[0], ast.NotIn)
        x, container = node.left, node.comparators[0]
        if isinstance(container, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in container.elts):
                return node
            test = self._in_display(node, x, container.elts)
        elif _call_name(container) == "range" and not container.keywords and 1 <= len(container.args) <= 2 \
                and not any(isinstance(a, ast.Starred) for a in container.args):
            test = self._in_range(node, x, container.args)
        elif _call_name(container) in ("range", "enumerate", "zip", "reversed"):
            return node
        else:
            helper = self._contains_helper(node)
            test = _call(helper, x, container)
        return _locate(_not(test) if negate else test, node)

    def _in_display(self, node: ast.Compare, x: ast.expr, elts: list[ast.expr]) -> ast.expr:
        """x in (e0, e1, ...): Python evaluates x, then every element, then compares in order."""
        if _simple(x) and all(_simple(e) for e in elts):
            if not elts:
                return _const(False)
            tests = [_compare(copy.deepcopy(x), ast.Eq(), e) for e in elts]
            return tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.Or(), values=tests)
        name = self.fresh(f"{self.function}_in")
        params = [self.fresh("x")] + [self.fresh("e") for _ in elts]
        tests = [_compare(_load(params[0]), ast.Eq(), _load(p)) for p in params[1:]]
        result = _const(False) if not tests else tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.Or(), values=tests)
        self.helpers.append(_locate(_function(name, params, [ast.Return(value=result)]), node))
        return _call(name, x, *elts)

    def _in_range(self, node: ast.Compare, x: ast.expr, args: list[ast.expr]) -> ast.expr:
        """x in range(n) / range(lo, hi): lo <= x < hi (x, lo, hi each evaluated once, x first)."""
        lo, hi = (args[0], args[1]) if len(args) == 2 else (_const(0), args[0])
        if _simple(x) and _simple(lo) and _simple(hi):
            return ast.Compare(left=lo, ops=[ast.LtE(), ast.Lt()], comparators=[x, hi])
        name, px, plo, phi = self.fresh(f"{self.function}_in_range"), self.fresh("x"), self.fresh("lo"), self.fresh("hi")
        test = ast.Compare(left=_load(plo), ops=[ast.LtE(), ast.Lt()], comparators=[_load(px), _load(phi)])
        self.helpers.append(_locate(_function(name, [px, plo, phi], [ast.Return(value=test)]), node))
        return _call(name, x, lo, hi)

    def _contains_helper(self, node: ast.AST) -> str:
        """def __nc_contains(x, a): for v in a: if v == x: return True; return False (cannot fault,
        so one helper serves every use)."""
        if "contains" not in self.shared:
            name, x, a, v = self.fresh("contains"), self.fresh("x"), self.fresh("a"), self.fresh("v")
            loop = ast.For(target=_store(v), iter=_load(a), body=[_if(_compare(_load(v), ast.Eq(), _load(x)), [ast.Return(value=_const(True))])],
                           orelse=[], type_comment=None)
            self.helpers.append(_locate(_function(name, [x, a], [loop, ast.Return(value=_const(False))]), node))
            self.shared["contains"] = name
        return self.shared["contains"]

    def visit_Call(self, node: ast.Call):
        name = _call_name(node)
        args = node.args
        if name == "list" and len(args) == 1 and not node.keywords and not isinstance(args[0], ast.Starred):
            # list(range(n)) / list(a): a new list of the items, built like [v for v in ...]
            v = self.fresh("v")
            comp = ast.ListComp(elt=_load(v), generators=[ast.comprehension(target=_store(v), iter=args[0], ifs=[], is_async=0)])
            return self.visit_ListComp(_locate(comp, node))
        reducer = name in REDUCERS and not node.keywords and not any(isinstance(a, ast.Starred) for a in args) and (
            len(args) == 1 or (name == "sum" and len(args) == 2))
        items = args[0] if args else None
        comprehension = isinstance(items, (ast.GeneratorExp, ast.ListComp))
        if reducer and comprehension and len(args) == 2 and any(isinstance(n, ast.Call) for n in ast.walk(args[1])):
            reducer = False  # Python evaluates the first iterable before start: a helper would swap them
        if not reducer or (comprehension and not self._rewritable(items)):
            self.generic_visit(node)
            return node
        if comprehension:
            self.visit_comprehension_parts(items)  # the comprehension itself becomes the helper's loops
        else:
            items = self.visit(items)
        start = self.visit(args[1]) if len(args) == 2 else None
        return self._reduce(node, name, items, start)

    def visit_ListComp(self, node: ast.ListComp):
        if not self._rewritable(node):
            self.generic_visit(node)
            return node
        self.visit_comprehension_parts(node)
        result = self.fresh("r")
        append = ast.Expr(value=ast.Call(func=ast.Attribute(value=_load(result), attr="append", ctx=ast.Load()), args=[node.elt], keywords=[]))
        call = self._helper(node, "list", node, [_assign(result, ast.List(elts=[], ctx=ast.Load()))], [append],
                            [ast.Return(value=_load(result))], extra=[])
        call.nc_fresh_list = True  # the helper returns the list it built: no other name holds it (check_kinds.fresh_list)
        return call

    @staticmethod
    def _rewritable(comp: ast.GeneratorExp | ast.ListComp) -> bool:
        # a walrus inside would assign the enclosing function's variable, which a helper cannot
        return not any(g.is_async for g in comp.generators) and not any(
            isinstance(n, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(comp))

    def _reduce(self, node: ast.Call, name: str, items: ast.expr, start: ast.expr | None) -> ast.expr:
        """min/max/sum/any/all of a list or a comprehension -> a call of a new helper holding the loop."""
        if isinstance(items, (ast.GeneratorExp, ast.ListComp)):
            comp, extra = items, []
        else:  # a list value: evaluated by the caller, walked by the helper
            lst, v = self.fresh("a"), self.fresh("v")
            comp = _locate(ast.GeneratorExp(elt=_load(v), generators=[ast.comprehension(target=_store(v), iter=_load(lst), ifs=[], is_async=0)]),
                           node)
            extra = [(lst, items)]
        eager = isinstance(items, ast.ListComp)  # a list comprehension evaluates every element before any/all look
        elt = comp.elt
        if name == "sum":
            acc = self.fresh("total")
            if start is not None:
                extra.append((self.fresh("start"), start))
            init = [_assign(acc, _load(extra[-1][0]) if start is not None else _const(0))]
            action = [ast.AugAssign(target=_store(acc), op=ast.Add(), value=elt)]
            final = [ast.Return(value=_load(acc))]
        elif name in ("any", "all"):
            hit = ast.Constant(value=name == "any")
            test = elt if name == "any" else _not(elt)
            if eager:
                flag = self.fresh("found")
                init = [_assign(flag, _const(not hit.value))]
                action = [_if(test, [_assign(flag, copy.deepcopy(hit))])]
                final = [ast.Return(value=_load(flag))]
            else:
                init = []
                action = [_if(test, [ast.Return(value=hit)])]
                final = [ast.Return(value=_const(not hit.value))]
        else:  # min / max: the first extreme element, ValueError when there is none
            found, best = self.fresh("found"), self.fresh("best")
            init = [_assign(found, _const(False))]
            action = []
            if not isinstance(elt, ast.Name):
                value = self.fresh("v")
                action.append(_assign(value, elt))
                elt = _load(value)
            better = _compare(copy.deepcopy(elt), ast.Lt() if name == "min" else ast.Gt(), _load(best))
            action.append(_if(ast.BoolOp(op=ast.Or(), values=[_not(_load(found)), better]),
                              [_assign(best, copy.deepcopy(elt)), _assign(found, _const(True))]))
            empty = ast.Raise(exc=_call("ValueError", _const(f"{name}() arg is an empty sequence")), cause=None)
            final = [_if(_not(_load(found)), [empty]), ast.Return(value=_load(best))]
        return self._helper(node, name, comp, init, action, final, extra)

    def _helper(self, node: ast.expr, what: str, comp: ast.GeneratorExp | ast.ListComp, init: list[ast.stmt],
                action: list[ast.stmt], final: list[ast.stmt], extra: list[tuple[str, ast.expr]]) -> ast.Call:
        """A helper `def __nc_<function>_<what>_<n>(<free variables>, <extra>): init; the loops
        around action; final`, and the call replacing `node`. The comprehension's loop variables
        are the helper's own."""
        for stmt in init + action + final:  # before the loops are built around them, which carry other locations
            _locate(stmt, node)
        gens = comp.generators
        bound = _stored_names([g.target for g in gens])
        free: list[str] = []
        local = set().union(*self.scopes)
        for n in list(_loaded_names([gens[0].iter])) + [n for n in _loaded_names(
                [comp.elt] + gens[0].ifs + [part for g in gens[1:] for part in [g.iter] + g.ifs]) if n not in bound]:
            if n in local and n not in free and n not in (p for p, _ in extra):
                free.append(n)
        body = action
        for gen in reversed(gens):
            for cond in reversed(gen.ifs):
                body = [_locate(_if(cond, body), cond)]
            loop = _locate(ast.For(target=gen.target, iter=gen.iter, body=body, orelse=[], type_comment=None), gen.iter)
            body = self.loop(loop, bound)
        name = self.fresh(f"{self.function}_{what}")
        self.helpers.append(_locate(_function(name, free + [p for p, _ in extra], init + body + final), node))
        return _locate(_call(name, *[_load(f) for f in free], *[value for _, value in extra]), node)

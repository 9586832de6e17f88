"""Ground-truth traces of graph searches, from CPython and from the compiled machine.

A trace is a list of events ``(kind, node)``: ``("read", u)`` when the search takes node ``u``
off its frontier (``u = queue[head]``, ``u = stack[top]``) and ``("mark", v)`` when it writes a
node's entry of its visited list (``seen[v] = 1``, ``dist[v] = dist[u] + 1``). The *visit
order* is the sequence of first reads: the order in which nodes are expanded (each node is read
once by BFS; the preorder DFS may pop a node again after it was visited, which is not a visit).

Which statements are events is given per function by `TraceSpec` (the frontier list and the
visited list); the default `TRACE_SPECS` covers the stdlib graph routines. Both traces come from
the same source text, the one the program was compiled from (`Program.source`):

* `reference_events` runs that source's functions in CPython with one logging call inserted
  after every event statement (an AST rewrite; the routines themselves stay plain functions).
  The source may come from a saved library, so only its top-level function definitions run,
  after a check that they reach nothing outside the compiler's language (no dunder names or
  attributes, no decorators, only list methods), with builtins limited to what that language
  calls (`reference_namespace`): the module's imports and statements are never executed;
* `machine_events` runs the compiled program in hard mode with ``trace=True`` and reads the
  events off the executed machine lines. An event statement is found by its source line: each
  machine line carries the (line, column) of the construct it came from
  (``Assembly.lines[i].loc``). A read is the last ``load`` of its line (the outer subscript is
  loaded after its index), its node is the load's destination register after the step; a mark
  is the last ``store`` of its line, its node is the store's index operand (a store writes no
  register, so the registers logged after the step still hold it). This relies on one event
  statement per source line, which `event_lines` checks.
"""

from __future__ import annotations

import ast
import builtins
import copy
import math
from dataclasses import dataclass

import torch

from nclib.compiler.language import BUILTINS, METHODS
from nclib.runtime.program import Program

__all__ = ["TraceSpec", "TRACE_SPECS", "Event", "visit_order", "event_lines", "reference_events",
           "machine_events", "machine_visit_orders"]

Event = tuple[str, int]


@dataclass(frozen=True)
class TraceSpec:
    """Which lists of a search function are its frontier (reads) and its visited marks."""

    frontier: str
    visited: str


TRACE_SPECS: dict[str, TraceSpec] = {
    "bfs_order": TraceSpec("queue", "seen"),
    "dfs_order": TraceSpec("stack", "seen"),
    "bfs_distances": TraceSpec("queue", "dist"),
    "bfs_distance": TraceSpec("queue", "dist"),
    "dfs_reachable": TraceSpec("stack", "seen"),
}


def visit_order(events: list[Event]) -> list[int]:
    """The nodes in order of their first read."""
    seen, order = set(), []
    for kind, node in events:
        if kind == "read" and node not in seen:
            seen.add(node)
            order.append(node)
    return order


def _event_statements(tree: ast.Module, specs: dict[str, TraceSpec]) -> list[tuple[str, ast.Assign, str]]:
    """(function, statement, kind) for every event statement of the functions in specs."""
    found = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef) or fn.name not in specs:
            continue
        spec = specs[fn.name]
        for node in ast.walk(fn):
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target, value = node.targets[0], node.value
            if (isinstance(target, ast.Name) and isinstance(value, ast.Subscript)
                    and isinstance(value.value, ast.Name) and value.value.id == spec.frontier):
                found.append((fn.name, node, "read"))
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == spec.visited:
                found.append((fn.name, node, "mark"))
    return found


def event_lines(prog: Program, specs: dict[str, TraceSpec] | None = None) -> dict[int, tuple[str, object]]:
    """Machine line -> (kind, operand) for the event statements of `prog`: kind "read" with the
    destination register, or "mark" with the index operand (("r", register) or ("c", value)).

    Raises ValueError when the program contains none of the spec's functions, or when a source
    line holds an event statement but no matching load/store (e.g. two statements on a line)."""
    specs = TRACE_SPECS if specs is None else specs
    asm = prog.asm
    statements = _event_statements(ast.parse(asm.source), specs)
    compiled = {line.function for line in asm.lines}
    statements = [s for s in statements if s[0] in compiled]
    if not statements:
        raise ValueError(f"{prog.name}: none of its functions ({', '.join(sorted(compiled - {''}))}) has a trace spec; "
                         f"known: {', '.join(sorted(specs))}")
    out: dict[int, tuple[str, object]] = {}
    for function, node, kind in statements:
        if sum(1 for _, other, _ in statements if other.lineno == node.lineno) > 1:
            raise ValueError(f"{prog.name}: line {node.lineno} holds more than one event statement; put each on its own line")
        op = "load" if kind == "read" else "store"
        lines = [i for i, line in enumerate(asm.lines)
                 if line.function == function and line.loc[0] == node.lineno and line.op == op]
        if not lines:
            raise ValueError(f"{prog.name}: no machine {op} for line {node.lineno} of {function} (`{ast.unparse(node)}`)")
        line = asm.lines[lines[-1]]
        out[lines[-1]] = ("read", line.dst) if kind == "read" else ("mark", line.b)
    return out


class _Instrument(ast.NodeTransformer):
    """Append `__events__.append((kind, node))` after every event statement."""

    def __init__(self, events: set[int]):
        self.events = events

    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse"):
            stmts = getattr(node, field, None)
            if not isinstance(stmts, list):
                continue
            new = []
            for stmt in stmts:
                new.append(stmt)
                if isinstance(stmt, ast.Assign) and id(stmt) in self.events:
                    target = stmt.targets[0]
                    kind, what = ("read", ast.Name(target.id, ast.Load())) if isinstance(target, ast.Name) \
                        else ("mark", copy.deepcopy(target.slice))
                    call = ast.parse(f"__events__.append(({kind!r}, 0))").body[0]
                    call.value.args[0].elts[1] = what
                    new.append(call)
            setattr(node, field, new)
        return node


# What the compiled language can call: the compiler's builtins and list methods, the calls
# desugar.py rewrites before validation (the reference runs the source as written), and
# math.isqrt / math.sqrt; plus the exceptions a routine raises. Nothing else is reachable.
_DESUGARED_BUILTINS = ("bool", "tuple", "range", "enumerate", "zip", "reversed", "sum", "any", "all", "divmod", "pow")
_REFERENCE_BUILTINS = (*BUILTINS, *_DESUGARED_BUILTINS)
_REFERENCE_METHODS = {*METHODS, "isqrt", "sqrt"}


def reference_namespace() -> dict:
    """Globals for running a routine's functions in CPython: the language's builtins, the builtin
    exception classes, `math`, and nothing that reaches files, imports or the interpreter."""
    allowed = {name: getattr(builtins, name) for name in _REFERENCE_BUILTINS}
    allowed.update({name: value for name, value in vars(builtins).items()
                    if isinstance(value, type) and issubclass(value, BaseException)})
    return {"__builtins__": allowed, "math": math}


def reference_functions(source: str, file: str) -> ast.Module:
    """The top-level function definitions of `source` as a module of their own, refusing (ValueError
    naming file and line) anything that could reach outside the routine's language."""
    tree = ast.parse(source, filename=file)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    for node in (n for fn in functions for n in ast.walk(fn)):
        bad = None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) and \
                getattr(node, "decorator_list", None):
            bad = "a decorator"
        elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.AsyncFunctionDef, ast.ClassDef,
                               ast.With, ast.AsyncWith, ast.Await, ast.Yield, ast.YieldFrom)):
            bad = f"`{type(node).__name__}`"
        elif isinstance(node, ast.Name) and node.id.startswith("__"):
            bad = f"the name {node.id!r}"
        elif isinstance(node, ast.Attribute) and node.attr not in _REFERENCE_METHODS:
            bad = f"the attribute {node.attr!r}"
        if bad:
            raise ValueError(f"{file}:{node.lineno}: the reference run does not execute {bad}")
    return ast.Module(body=functions, type_ignores=[])


def reference_events(prog: Program, args: tuple, specs: dict[str, TraceSpec] | None = None) -> tuple[list[Event], object]:
    """Run the program's own functions in CPython on `args` (Python ints and lists), logging the
    events; returns (events, the function's result). Only the source's function definitions run
    (`reference_functions`), with the language's builtins (`reference_namespace`)."""
    specs = TRACE_SPECS if specs is None else specs
    tree = reference_functions(prog.source, prog.asm.file)
    statements = _event_statements(tree, specs)
    tree = ast.fix_missing_locations(_Instrument({id(node) for _, node, _ in statements}).visit(tree))
    events: list[Event] = []
    namespace = reference_namespace() | {"__events__": events}
    exec(compile(tree, prog.asm.file, "exec"), namespace)  # function definitions only, checked above
    result = namespace[prog.name](*copy.deepcopy(list(args)))
    return [(kind, int(node)) for kind, node in events], result


def machine_events(prog: Program, calls: list[tuple], specs: dict[str, TraceSpec] | None = None,
                   max_steps: int = 100_000) -> list[list[Event]]:
    """Run `prog` in hard mode on a batch of calls (tuples of Python arguments, B of them) with
    trace=True; returns per call the events read off the executed lines.

    The trace holds, per step t, the executed line ip_t [B] and the registers after the step
    [B, R]; an event line contributes one event per batch element that executed it."""
    lines = event_lines(prog, specs)
    res = prog.execute(*prog.encode(calls), mode="hard", max_steps=max_steps, trace=True)
    for b in range(len(calls)):
        prog.raise_for_fault(res, b)
    ips = torch.stack([ip for ip, _ in res.trace])  # [T, B]
    regs = torch.stack([r for _, r in res.trace])  # [T, B, R]
    out: list[list[Event]] = [[] for _ in calls]
    hits = []
    for line, (kind, operand) in lines.items():
        t, b = (ips == line).nonzero(as_tuple=True)
        if kind == "read":
            nodes = regs[t, b, operand]
        elif operand[0] == "r":
            nodes = regs[t, b, operand[1]]
        else:
            nodes = torch.full_like(t, operand[1])
        hits += zip(t.tolist(), b.tolist(), [kind] * len(t), nodes.tolist())
    for _, b, kind, node in sorted(hits):
        out[b].append((kind, node))
    return out


def machine_visit_orders(prog: Program, calls: list[tuple], specs: dict[str, TraceSpec] | None = None) -> list[list[int]]:
    """The machine's visit order for each call (see `visit_order`)."""
    return [visit_order(ev) for ev in machine_events(prog, calls, specs)]

"""Differential check of one generated program: nclib (hard and soft mode) against CPython.

The comparison rules are the corpus check's (`nclib.fuzz.outcomes`: `verdict`, `Outcome`, `nclib_outcomes`):
a return must give the same value (bool as 0/1, a tuple as its items) and leave every list
argument with the same contents; a `raise` / `assert` must stop nclib with a RoutineError of the
same class on the same statement; any other CPython exception (IndexError, ZeroDivisionError,
ValueError of max([])) must stop nclib with an error on the same statement. Soft mode is checked
by argmax, on small inputs where the exact run stays inside the soft window (as the corpus does).

Python has no value window, so CPython runs an instrumented copy of the program
(`instrument`): every arithmetic result (`+ - * // % ** & | ^ << >>`, unary minus, `abs`, each
partial sum of `sum`) is checked against the window, and leaving it raises `WindowExceeded` on
that line. nclib must then stop with ValueRangeError on the same statement; a ValueRangeError
where the instrumented CPython stayed inside the window is a mismatch.

The machine's fixed resources are not Python's: running out of memory cells (the machine never
frees a list), a call stack deeper than `stack` frames, or more than `max_steps` steps are counted
as resource stops, by reason, not as mismatches (the generator keeps them rare).

CPython executes the generated text (`run_python`): it comes from `generate.py`, never from a
file or from data.
"""

from __future__ import annotations

import ast
import copy
import random
from collections import Counter
from dataclasses import dataclass, field

import nclib
from nclib.errors import CompileError, MemoryLimitError
from nclib.fuzz.generate import SOFT_WINDOW, GeneratedProgram, draw_arguments

from nclib.fuzz.outcomes import (Outcome, describe as _describe, hard_error as _hard_error, nclib_outcomes,
                                 python_outcome, same_statement, statement_spans, verdict)

HARD_INPUTS = 8  # inputs per program in hard mode (one batch)
SOFT_INPUTS = 2  # inputs per soft-checked program
SOFT_CANDIDATES = 12  # small inputs drawn to find SOFT_INPUTS that fit the soft window
SOFT_MAX_STEPS = 600  # soft inputs whose exact run takes more steps are skipped (soft cost grows with steps)
MAX_STEPS = 200_000  # hard mode; a generated program takes a few thousand at most
STACK = 16
RESOURCE_FAULTS = {"out of memory": "out of memory", "call stack overflow": "stack overflow"}


class WindowExceeded(ArithmeticError):
    """Raised by the instrumented CPython run when an arithmetic result leaves the value window."""


# -- CPython side -----------------------------------------------------------------------------
class _Instrument(ast.NodeTransformer):
    """Wraps every int-producing arithmetic node in `_nc_w(value)` and `sum(...)` in `_nc_sum(...)`;
    `a[i] op= e` becomes `_nc_tN = i; a[_nc_tN] = _nc_w(a[_nc_tN] op e)` (same evaluation order)."""

    def __init__(self):
        self.temps = 0

    def wrap(self, node: ast.expr) -> ast.expr:
        return ast.copy_location(ast.Call(ast.Name("_nc_w", ast.Load()), [node], []), node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return self.wrap(node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return self.wrap(node) if isinstance(node.op, ast.USub) else node

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "abs":
            return self.wrap(node)
        if isinstance(node.func, ast.Name) and node.func.id == "sum":
            node.func = ast.copy_location(ast.Name("_nc_sum", ast.Load()), node.func)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            load = ast.copy_location(ast.Name(node.target.id, ast.Load()), node.target)
            value = self.wrap(ast.copy_location(ast.BinOp(load, node.op, node.value), node))
            return ast.copy_location(ast.Assign([node.target], value), node)
        self.temps += 1
        temp = f"_nc_t{self.temps}"
        target = node.target
        setup = ast.copy_location(ast.Assign([ast.Name(temp, ast.Store())], target.slice), node)

        def item(ctx):
            return ast.copy_location(ast.Subscript(copy.deepcopy(target.value), ast.Name(temp, ast.Load()), ctx), target)

        value = self.wrap(ast.copy_location(ast.BinOp(item(ast.Load()), node.op, node.value), node))
        return [setup, ast.copy_location(ast.Assign([item(ast.Store())], value), node)]


def instrument(source: str) -> ast.Module:
    """The parsed source with the window checks of `_Instrument` (every line number kept)."""
    tree = _Instrument().visit(ast.parse(source))
    return ast.fix_missing_locations(tree)


def run_python(program: GeneratedProgram, window: tuple[int, int]):
    """The entry function of the generated program, defined by CPython from the instrumented
    parse with `window` = (lo, hi) checked. Generated text only (see the module docstring)."""
    lo, hi = window

    def check(value):
        if isinstance(value, int) and not lo <= value < hi:
            raise WindowExceeded(f"{value} is outside [{lo}, {hi})")
        return value

    def checked_sum(items, start=0):
        total = check(start)
        for x in items:
            total = check(total + x)
        return total

    namespace = {"_nc_w": check, "_nc_sum": checked_sum}
    exec(compile(instrument(program.source), program.name, "exec"), namespace)  # noqa: S102 -- generated text
    return namespace[program.entry]


def raise_lines(source: str) -> list[tuple[int, int]]:
    """(first line, last line) of every raise statement (asserts: see python_result)."""
    return [(n.lineno, n.end_lineno) for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Raise)]


def python_result(fn, args: tuple, file: str, raises: list[tuple[int, int]]) -> Outcome:
    """outcomes.python_outcome, except that an error is a "raise" only when a raise
    statement or a failing assert raised it: an IndexError from `assert a[5] > 0` is a fault of
    the indexing (nclib: MachineFault), not the assert's AssertionError (nclib: RoutineError)."""
    out = python_outcome(fn, args, file, raises)
    if out.error == "AssertionError":
        out.kind = "raise"
    return out


# -- one program ------------------------------------------------------------------------------
@dataclass
class Finding:
    """One input on which nclib and CPython disagree (or nclib crashed)."""

    program: str
    mode: str
    args: list
    verdict: str
    python: str
    nclib: str
    source: str


@dataclass
class ProgramReport:
    """What checking one program gave. `rejected`: the CompileError's first problem (construct);
    `resource`: hard inputs stopped by the machine's fixed memory / stack / steps, by reason."""

    name: str
    compiled: bool = False
    rejected: str = ""
    hard: int = 0  # hard inputs compared
    soft: int = 0  # soft inputs compared
    python_raised: int = 0
    window: int = 0  # inputs where the value left the window in both
    resource: Counter = field(default_factory=Counter)
    soft_refused: str = ""
    findings: list[Finding] = field(default_factory=list)
    crash: str = ""


def check_program(program: GeneratedProgram, n_hard: int = HARD_INPUTS, soft: bool = False,
                  n_soft: int = SOFT_INPUTS) -> ProgramReport:
    """Compile `program`, run it on n_hard seeded inputs in hard mode (and on n_soft small ones in
    soft mode when `soft`), and compare every run with CPython."""
    rep = ProgramReport(program.name)
    try:
        prog = nclib.compile(program.source, entry=program.entry, values=program.values, memory=program.memory,
                             stack=STACK, file=program.name)
    except CompileError as err:
        first = err.problems[0]
        rep.rejected = f"{first.construct}; {first.hint}"
        return rep
    except Exception as err:  # a compiler crash is a finding
        rep.crash = f"compile crashed: {type(err).__name__}: {err}"
        return rep
    rep.compiled = True
    rng = random.Random(f"nclib-fuzz-inputs:{program.seed}:{program.index}")
    spans, raises = statement_spans(program.source), raise_lines(program.source)
    fn = run_python(program, program.values)
    calls = [draw_arguments(program, rng) for _ in range(n_hard)]
    expected = [python_result(fn, c, program.name, raises) for c in calls]
    try:
        got = nclib_outcomes(prog, calls, "hard", MAX_STEPS)
    except Exception as err:
        rep.crash = f"hard run crashed: {type(err).__name__}: {err}"
        return rep
    for call, want, have in zip(calls, expected, got):
        outcome = judge(want, have, spans)
        if outcome.startswith("resource"):
            rep.resource[outcome.split(": ", 1)[1]] += 1
            continue
        rep.hard += 1
        rep.python_raised += want.error is not None and want.error != "WindowExceeded"
        rep.window += want.error == "WindowExceeded"
        if outcome != "exact":
            rep.findings.append(Finding(program.name, "hard", list(call), outcome, _describe(want), _describe(have),
                                        program.source))
    if soft:
        try:
            check_soft(program, rep, rng, spans, raises, n_soft)
        except MemoryLimitError as err:
            rep.soft_refused = f"soft run refused: {err}"
        except Exception as err:
            rep.crash = f"soft run crashed: {type(err).__name__}: {err}"
    return rep


def judge(want: Outcome, have: Outcome, spans) -> str:
    """"exact", "resource: <reason>", or the kind of mismatch ("silent", "wrong_error",
    "window" (nclib left the window where CPython did not), "window missed")."""
    if have.error is not None and have.kind == "fault":
        if have.error == "StepLimitError":
            return "resource: step limit"
        for text, reason in RESOURCE_FAULTS.items():
            if text in have.message:
                return f"resource: {reason}"
    if want.error == "WindowExceeded":
        if have.kind == "window" and same_statement(want.line, have.line, spans):
            return "exact"
        return "window missed"
    return verdict(want, have, spans)


def check_soft(program: GeneratedProgram, rep: ProgramReport, rng: random.Random, spans, raises, n_soft: int) -> None:
    """Soft mode on small inputs whose CPython run returns inside the soft window and whose exact
    run on the soft program is clean and short; each compared with CPython by argmax."""
    values, memory = SOFT_WINDOW
    try:
        prog = nclib.compile(program.source, entry=program.entry, values=values, memory=memory, stack=STACK,
                             file=program.name)
    except CompileError as err:
        rep.soft_refused = f"soft program does not compile: {err.problems[0]}"
        return
    fn = run_python(program, values)
    candidates = [draw_arguments(program, rng, small=True) for _ in range(SOFT_CANDIDATES)]
    returned = [c for c in candidates if python_result(fn, c, program.name, raises).error is None]
    if not returned:
        return
    res = prog.execute(*prog.encode(copy.deepcopy(returned), mode="hard"), mode="hard", max_steps=MAX_STEPS)
    picked = [c for b, c in enumerate(returned)
              if _hard_error(prog, res, b) is None and int(res.steps[b]) <= SOFT_MAX_STEPS][:n_soft]
    if not picked:
        return
    steps = max(int(res.steps[returned.index(c)]) for c in picked)
    want = [python_result(fn, c, program.name, raises) for c in picked]
    got = nclib_outcomes(prog, picked, "soft", steps + 8)
    for call, w, g in zip(picked, want, got):
        rep.soft += 1
        if verdict(w, g, spans) != "exact":
            rep.findings.append(Finding(program.name, "soft", list(call), "soft differs", _describe(w), _describe(g),
                                        program.source))

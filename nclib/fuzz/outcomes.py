"""One call's outcome in CPython and in nclib, and whether they agree: the comparison rules shared
by the textbook-corpus check (benchmarks/compile_corpus.py) and the differential fuzzer
(`nclib.fuzz.differential`).

An `Outcome` is a returned value (with the list arguments after the call) or an error (its class
name, source line, and kind: "raise" for a raise/assert statement, "fault" for anything else,
"window" for nclib's ValueRangeError). `verdict` compares CPython's with nclib's: "exact",
"silent" (a value that is not CPython's), "window" or "wrong_error"; an error's line may differ
within one statement (`statement_spans`).
"""

from __future__ import annotations

import ast
import copy
import traceback
from dataclasses import dataclass
from typing import Callable

from nclib.errors import MachineFault, RoutineError, ValueRangeError

__all__ = ["Outcome", "describe", "hard_error", "nclib_outcomes", "normal", "python_outcome", "raise_statements",
           "same_statement", "statement_spans", "verdict"]


@dataclass
class Outcome:
    """What one call did: returned `value` (with the final `lists` of the list arguments), or raised
    `error` (the exception class name) at source `line` (`kind`: "raise" for a raise/assert statement,
    "fault" for anything else, "window" for nclib's ValueRangeError), with `message`."""

    value: object = None
    lists: list | None = None
    error: str | None = None
    line: int = 0
    kind: str = ""
    message: str = ""


def normal(value):
    """bool -> int, tuple -> list, recursively (nclib has no bool and returns tuples as items)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple)):
        return [normal(v) for v in value]
    return value


def python_outcome(fn: Callable, args: tuple, path: str, raise_lines: list[tuple[int, int]]) -> Outcome:
    call_args = copy.deepcopy(args)
    try:
        value = fn(*call_args)
    except Exception as err:  # the oracle's own errors are what nclib must reproduce
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == path]
        line = frames[-1].lineno if frames else 0
        kind = "raise" if any(a <= line <= b for a, b in raise_lines) else "fault"
        return Outcome(error=type(err).__name__, line=line, kind=kind, message=str(err))
    return Outcome(value=normal(value), lists=[list(a) for a in call_args if isinstance(a, list)])


def raise_statements(source: str) -> list[tuple[int, int]]:
    """(first line, last line) of every raise and assert statement of the source."""
    return [(n.lineno, n.end_lineno) for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.Raise, ast.Assert))]


def statement_spans(source: str) -> list[tuple[int, int]]:
    """(first line, last line) of every simple statement, and of the header of every compound one
    (`while a[i] > 0 and` ... up to its body): an error of a statement spanning several lines may be
    reported on any of them."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt):
            body = getattr(node, "body", None)
            last = body[0].lineno - 1 if isinstance(body, list) and body else node.end_lineno
            spans.append((node.lineno, max(node.lineno, last)))
    return spans


def same_statement(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    """Lines a and b are the same line, or lines of the innermost statement (header) holding a."""
    if a == b:
        return True
    holding = [(hi - lo, lo, hi) for lo, hi in spans if lo <= a <= hi]
    if not holding:
        return False
    _, lo, hi = min(holding)
    return lo <= b <= hi


def nclib_outcomes(prog, calls: list[tuple], mode: str, max_steps: int) -> list[Outcome]:
    """Run every call in one batch; one Outcome per call (soft: argmax values, no faults)."""
    batch = prog.encode([copy.deepcopy(c) for c in calls], mode=mode)
    res = prog.execute(*batch, mode=mode, max_steps=max_steps)
    decoded = prog.decode(res, mode=mode)
    list_args = [k for k, kind in enumerate(prog.param_kinds) if kind == "list"]
    out = []
    for b, call in enumerate(calls):
        lists = []
        for j, k in enumerate(list_args):
            n = len(call[k])
            row = res.lists[j][b, :n]
            lists.append((row.argmax(-1) + prog.lo).tolist() if mode == "soft" else row.tolist())
        if mode == "hard":
            error = hard_error(prog, res, b)
            if error is not None:
                out.append(error)
                continue
        value = None if prog.returns == "none" else normal(decoded[b])
        out.append(Outcome(value=value, lists=lists))
    return out


def hard_error(prog, res, b: int) -> Outcome | None:
    try:
        prog.raise_for_fault(res, b)
    except ValueRangeError as err:
        return Outcome(error="ValueRangeError", line=prog.asm.lines[int(res.overflow_line[b])].loc[0], kind="window",
                       message=str(err))
    except RoutineError as err:
        # "file:line: ExceptionType: message"
        text = str(err).split(": ", 1)[1] if ": " in str(err) else str(err)
        name, _, message = text.partition(": ")
        return Outcome(error=name.strip(), line=prog.asm.lines[int(res.fault_line[b])].loc[0], kind="raise",
                       message=message.strip())
    except MachineFault as err:
        line = int(res.fault_line[b])
        return Outcome(error=type(err).__name__, line=prog.asm.lines[line].loc[0] if line >= 0 else 0, kind="fault",
                       message=str(err))
    return None


def verdict(expected: Outcome, got: Outcome, spans: list[tuple[int, int]] = ()) -> str:
    """"exact", "silent" (a value that is not CPython's), "window" or "wrong_error". `spans`: the
    statement spans of the source, within which an error's line may differ (statement_spans)."""
    if got.error is None:
        if expected.error is None and got.value == expected.value and got.lists == expected.lists:
            return "exact"
        return "silent"
    if got.kind == "window":
        return "window"
    if expected.error is None or not same_statement(expected.line, got.line, spans):
        return "wrong_error"
    if expected.kind == "raise":
        return "exact" if got.kind == "raise" and got.error == expected.error else "wrong_error"
    return "exact"


def describe(o: Outcome) -> str:
    if o.error is None:
        return f"returns {o.value!r}" + (f", lists {o.lists!r}" if o.lists else "")
    return f"{o.error} at line {o.line} ({o.kind}): {o.message[:120]}"

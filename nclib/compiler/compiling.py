"""The compiler pipeline: one function calling each pass in order."""

from __future__ import annotations

import ast
import re

from nclib.compiler.assemble import Assembly, assemble, reachable_functions
from nclib.compiler.desugar import desugar
from nclib.compiler.ast_to_ir import ast_to_ir
from nclib.compiler.regalloc import allocate
from nclib.compiler.validate import validate
from nclib.errors import ArgumentError, CompileError, Problem
from nclib.util.options import compile_options


def check_options(lo: int, V: int, memory: int, stack: int) -> None:
    """The machine's layout constraints, each a ValueError naming the bad value."""
    if V < 2:
        raise ValueError(f"values=({lo}, {lo + V}) holds fewer than two values")
    if not lo <= 0 and 1 < lo + V:
        raise ValueError(f"values=({lo}, {lo + V}) must contain 0 and 1 (false and true)")
    if memory < 1:
        raise ValueError(f"memory={memory} must be at least 1")
    if lo + V - 1 < memory:
        raise ValueError(f"values=({lo}, {lo + V}) cannot address memory={memory} cells: the window must reach {memory}")
    if stack < 1:
        raise ValueError(f"stack={stack} must be at least 1 frame")


def compile_text(source: str, entry: str | None = None, values=(0, 256), memory: int | None = None, stack: int = 16,
                 file: str = "<source>") -> Assembly:
    """`nclib.compile` on source text, without the Program around it (and without torch): the
    options checked (`nclib.util.options`), entry defaulting to the first function of the source."""
    values, memory, stack = compile_options(values, memory, stack)
    if entry is not None and not isinstance(entry, str):
        raise ArgumentError(f"entry={entry!r} must be the name of a function (a str)")
    if entry is None:
        try:
            names = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)] if source.strip() else []
        except SyntaxError:
            names = [""]  # compile_source reports the syntax error with its line
        if not names:
            raise ValueError("the source defines no function; pass entry= and a source with a def")
        entry = names[0]
    return compile_source(source, entry, values=tuple(values), memory=memory, stack=stack, file=file)


def compile_source(source: str, entry: str, values: tuple[int, int] = (0, 256), memory: int = 64, stack: int = 16,
                   file: str = "<source>") -> Assembly:
    """Python source -> validated AST -> IR -> registers -> Assembly (tensors + metadata)."""
    lo, hi = values
    if not (isinstance(lo, int) and isinstance(hi, int)) or hi <= lo:
        raise ValueError(f"values={values!r} must be a pair of ints (lo, hi) with lo < hi")
    check_options(lo, hi - lo, memory, stack)
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as err:
        raise CompileError([newer_syntax(source, file) or Problem(file, err.lineno or 0, err.offset or 0, "Python syntax error", str(err.msg))]) from None
    tree = desugar(tree, file)
    info = validate(tree, file, entry)
    functions = ast_to_ir(info)
    functions = {name: functions[name] for name in reachable_functions(functions, entry)}
    n_regs = max(allocate(fn) for fn in functions.values())
    return assemble(functions, entry, n_regs, source, file, lo, hi - lo, memory, min(stack, call_depth(functions, entry)))


NEWER_SYNTAX = [
    (re.compile(r"^\s*(?:async\s+)?def\s+\w+\s*\["), "type parameters def f[T](...) (Python 3.12 syntax, which Python 3.11 cannot parse)",
     "remove the [...] after the function name (and use plain annotations such as list[int])"),
    (re.compile(r"^\s*class\s+\w+\s*\["), "type parameters class C[T] (Python 3.12 syntax, which Python 3.11 cannot parse)",
     "remove the [...] after the class name"),
    (re.compile(r"^\s*type\s+\w+\s*(?:\[[^\]]*\])?\s*="), "the type alias statement type X = ... (Python 3.12 syntax, which Python 3.11 cannot parse)",
     "remove the line, or write X = ... as a plain assignment"),
]


def newer_syntax(source: str, file: str) -> Problem | None:
    """A Problem naming Python 3.12 syntax in `source` (the first such line), if there is one."""
    for number, line in enumerate(source.splitlines(), 1):
        for pattern, construct, hint in NEWER_SYNTAX:
            if pattern.match(line):
                return Problem(file, number, len(line) - len(line.lstrip()) + 1, construct, hint)
    return None


def call_depth(functions: dict, entry: str) -> int:
    """Frames a run can need: 1 + the longest call chain from entry when the call graph has no
    cycle (so non-recursive programs carry a small stack), or infinity for recursive programs."""
    from nclib.compiler.ir import Instr

    callees = {name: {i.target for i in fn.body if isinstance(i, Instr) and i.op == "call"} for name, fn in functions.items()}
    depth: dict[str, float] = {}

    def visit(name: str, path: frozenset) -> float:
        if name in path:
            return float("inf")
        if name not in depth:
            depth[name] = 1 + max((visit(c, path | {name}) for c in callees[name]), default=0)
        return depth[name]

    return visit(entry, frozenset())

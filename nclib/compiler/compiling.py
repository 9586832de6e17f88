"""The compiler pipeline: one function, `compile_source`, calling each pass in order.

    parse              source text -> ast.Module
    desugar            Python idioms -> the accepted subset (x in a, enumerate, comprehensions, ...)
    hoist_nested       nested defs -> module-level functions
    inline_messages    msg = f"..."; raise E(msg) -> raise E(f"...")
    collect_functions  the entry and the functions it reaches
    check_language     constructs outside the subset -> problems
    infer_kinds        int / list of every name and result
    check_kinds        names, arguments, returns mixing kinds -> problems
    check_recursion    recursion without a base case -> problems
    lower              functions -> three-address IR (ir.py)
    allocate           virtual -> physical registers (regalloc.py)
    assemble           IR -> machine lines and the program tensors (assemble.py)

Every problem the checks find is reported at once, sorted by line, before anything is built: when
the language check rejects a construct, the kind and recursion checks still run on the functions
without the statements holding it (`check_language.without_rejected`), and a later problem that
the rejected construct explains (a name it assigned, a function that lost a statement) is not
reported a second time.
"""

from __future__ import annotations

import ast
import re

from nclib.compiler.assemble import Assembly, assemble, reachable_functions
from nclib.compiler.check_kinds import check_kinds
from nclib.compiler.check_language import check_language, without_rejected
from nclib.compiler.check_recursion import check_recursion
from nclib.compiler.collect_functions import collect_functions, warn_unreached
from nclib.compiler.desugar import desugar
from nclib.compiler.hoist_nested import hoist_nested
from nclib.compiler.infer_kinds import infer_kinds
from nclib.compiler.inline_messages import inline_messages
from nclib.compiler.ir import Instr
from nclib.compiler.lower import lower
from nclib.compiler.regalloc import allocate
from nclib.errors import ArgumentError, CompileError, Problem
from nclib.util.options import compile_options


def check_options(lo: int, V: int, memory: int, stack: int) -> None:
    """The machine's layout constraints, each a ValueError naming the bad value: the window
    [lo, lo + V) holds at least two values, contains 0 and 1 (false and true) and reaches every
    address 0..memory; memory and stack are at least 1."""
    if V < 2:
        raise ValueError(f"values=({lo}, {lo + V}) holds fewer than two values")
    if not (lo <= 0 and 1 < lo + V):
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
    """Python source -> checked AST -> IR -> registers -> Assembly (tensors + metadata)."""
    lo, hi = values
    if not (isinstance(lo, int) and isinstance(hi, int)) or hi <= lo:
        raise ValueError(f"values={values!r} must be a pair of ints (lo, hi) with lo < hi")
    check_options(lo, hi - lo, memory, stack)
    tree = parse(source, file)                                # source text -> ast.Module (a syntax error: CompileError)
    tree = desugar(tree, file)                                # ast.Module -> ast.Module, idioms rewritten into the subset
    tree = hoist_nested(tree)                                 # ast.Module -> ast.Module, nested defs at module level
    tree = inline_messages(tree)                              # ast.Module -> ast.Module, message names replaced by their strings
    module, problems = collect_functions(tree, file, entry)  # ast.Module -> Module (entry + reached functions), duplicate defs
    warn_unreached(module)                                    # Module -> a warning per uncompiled function that could not compile
    problems += check_language(module)                        # Module -> constructs outside the subset
    checked, follow_on = without_rejected(module) if problems else (module, None)  # what the later checks can still check
    kinds = infer_kinds(checked)                              # Module -> Kinds (int / list of every name and result)
    later = check_kinds(checked, kinds) + check_recursion(checked)  # kinds mixing; recursion without a base case
    problems += [p for p in later if follow_on is None or not follow_on.caused(p)]  # not what a rejection explains
    if problems:
        raise CompileError(sorted(set(problems), key=lambda p: (p.line, p.col, p.construct)))
    functions = lower(module, kinds)                          # Module, Kinds -> {name: IRFunction} (virtual registers)
    functions = {name: functions[name] for name in reachable_functions(functions, entry)}  # only what the IR calls
    n_regs = max(allocate(fn) for fn in functions.values())  # IRFunction.phys filled in place -> registers needed
    return assemble(functions, entry, n_regs, source, file, lo, hi - lo, memory,  # IR -> Assembly (line table, constants)
                    min(stack, call_depth(functions, entry)))


def parse(source: str, file: str) -> ast.Module:
    """The source's tree; a syntax error is a CompileError naming its line (and Python 3.12 syntax, if that is the cause)."""
    try:
        return ast.parse(source, filename=file)
    except SyntaxError as err:
        raise CompileError([newer_syntax(source, file) or Problem(file, err.lineno or 0, err.offset or 0, "Python syntax error", str(err.msg))]) from None


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
    callees = {name: {i.target for i in fn.body if isinstance(i, Instr) and i.op == "call"} for name, fn in functions.items()}
    depth: dict[str, float] = {}

    def visit(name: str, path: frozenset) -> float:
        if name in path:
            return float("inf")
        if name not in depth:
            depth[name] = 1 + max((visit(c, path | {name}) for c in callees[name]), default=0)
        return depth[name]

    return visit(entry, frozenset())

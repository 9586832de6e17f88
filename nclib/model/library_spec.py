"""A library of any routines from a config (the recipe's `library:` list, docs/design.md §8.3):
parse the entries, compile them, and build the augmented model around a backbone.

An entry is a stdlib routine name (``"gcd"``: compiled from `nclib/routines` with the
`nclib.stdlib()` defaults) or a mapping::

    source: gcd | path/to/file.py:func   # a stdlib name, or a file (relative to the working
                                         # directory) and its entry function (default: the first)
    values: [lo, hi]                     # value window, default [0, 256]
    memory: N                            # memory cells, default min(128, hi - 1)
    stack: K                             # call frames, default 16
    output: number | list | labels       # how the model writes the result (default: number for an
                                         # int result, list for a list or a list updated in place)
    labels: [" No", " Yes"]              # output labels: the text of the values lo, lo + 1, ...
    symbols: [" lobby", " A"]            # words the reader takes as the values 0, 1, ... (one token
                                         # each), for this routine only; entries that name symbols
                                         # must name the same list: the model has one symbol table

`parse_library` checks the entries' shape (no file is read); `compile_library` compiles them all,
before any model is built, into a `CompiledLibrary`, whose `augment` wraps a backbone. The
built-in tasks' library goes through the same code: each `nclib.tasks.Task` carries its routine
as such an entry (`Task.library_entry`; `nclib.tasks.task_model.task_routines`). Every problem is one
`LibrarySpecError` naming the entry (``library[i] (source)``); a routine outside the compiler's
language carries the `nclib.CompileError` message with every problem found.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

from nclib.errors import NclibError
from nclib.runtime.library import Library
from nclib.runtime.program import Program
from nclib.runtime.program import compile as compile_program
from nclib.routines import ROUTINES

__all__ = ["OUTPUTS", "CompiledLibrary", "LibrarySpecError", "RoutineSpec", "compile_library", "parse_library"]

OUTPUTS = ("number", "list", "labels")
STDLIB_MODULE = {name: module for module, names in ROUTINES.items() for name in names}


class LibrarySpecError(NclibError, ValueError):
    """A `library:` entry that cannot be used; the message names the entry."""


@dataclass(frozen=True)
class RoutineSpec:
    """One parsed `library:` entry."""

    source: str  # a stdlib routine name, or "file.py[:func]"
    values: tuple = (0, 256)
    memory: int | None = None  # None: min(128, hi - 1)
    stack: int = 16
    output: str | None = None  # None: from the routine's result (number or list)
    labels: tuple = ()
    symbols: tuple = ()

    @property
    def is_stdlib(self) -> bool:
        return ":" not in self.source and not self.source.endswith(".py")


def _entry(i: int, raw) -> str:
    source = raw.get("source") if isinstance(raw, dict) else raw
    return f"library[{i}] ({source!r})"


def _parse(i: int, raw) -> RoutineSpec:
    what = _entry(i, raw)
    known = [f.name for f in fields(RoutineSpec)]
    if isinstance(raw, str):
        raw = {"source": raw}
    if not isinstance(raw, dict):
        raise LibrarySpecError(f"{what}: expected a stdlib routine name or a mapping with keys {known}")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise LibrarySpecError(f"{what}: unknown key(s) {unknown}; keys: {known}")
    source = raw.get("source")
    if not isinstance(source, str) or not source:
        raise LibrarySpecError(f"{what}: source must be a stdlib routine name or 'file.py:func'")
    values = raw.get("values", RoutineSpec.values)
    if (not isinstance(values, (list, tuple)) or len(values) != 2 or not all(type(v) is int for v in values)
            or values[0] >= values[1]):
        raise LibrarySpecError(f"{what}: values must be [lo, hi] with ints lo < hi, got {values!r}")
    for key in ("memory", "stack"):
        if raw.get(key) is not None and (type(raw[key]) is not int or raw[key] < 1):
            raise LibrarySpecError(f"{what}: {key} must be an int >= 1, got {raw[key]!r}")
    output = raw.get("output")
    if output is not None and output not in OUTPUTS:
        raise LibrarySpecError(f"{what}: output must be one of {OUTPUTS}, got {output!r}")
    for key in ("labels", "symbols"):
        texts = raw.get(key, ())
        if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) and t for t in texts):
            raise LibrarySpecError(f"{what}: {key} must be a list of non-empty strings, got {texts!r}")
    if (output == "labels") != bool(raw.get("labels")):
        raise LibrarySpecError(f"{what}: output: labels and a non-empty labels list go together, got output {output!r} "
                               f"and labels {raw.get('labels')!r}")
    spec = RoutineSpec(**{**raw, "values": tuple(values), "labels": tuple(raw.get("labels", ())),
                          "symbols": tuple(raw.get("symbols", ()))})
    if spec.is_stdlib and source not in STDLIB_MODULE:
        raise LibrarySpecError(f"{what}: unknown stdlib routine {source!r}; stdlib routines: {sorted(STDLIB_MODULE)} "
                               "(a file is written 'path/to/file.py:func')")
    return spec


def parse_library(entries) -> list[RoutineSpec]:
    """The entries of a `library:` list, checked for shape and for one shared symbol list."""
    if not isinstance(entries, (list, tuple)):
        raise LibrarySpecError(f"library must be a list of routines, got {entries!r}")
    specs = [_parse(i, raw) for i, raw in enumerate(entries)]
    named = [(i, s) for i, s in enumerate(specs) if s.symbols]
    for i, s in named[1:]:
        if s.symbols != named[0][1].symbols:
            raise LibrarySpecError(f"{_entry(i, entries[i])}: symbols {list(s.symbols)} differ from those of "
                                   f"{_entry(named[0][0], entries[named[0][0]])}: the model reads one symbol table")
    return specs


@dataclass
class CompiledLibrary:
    """The compiled routines and what the model needs to write and read them."""

    library: Library
    labels: dict  # routine name -> label texts (output: labels)
    symbols: list  # the shared symbol words, value k = symbols[k] (empty: none)
    symbol_routines: list  # the routines whose arguments may be symbols (the entries that name them)

    def augment(self, base, tokenizer, **nc_fields):
        """NCLlama around `base` (a LlamaForCausalLM) with this library: hard machine mode, lists up
        to 48 values, answers up to 96 tokens, unless `nc_fields` say otherwise. Only the routines in
        `symbol_routines` read the symbols (a Fibonacci routine never takes room "F" for a value)."""
        from nclib.model import NCLlamaForCausalLM

        fields = {"nc_machine_mode": "hard", "nc_max_list_len": 48, "nc_max_answer_tokens": 96, **nc_fields}
        return NCLlamaForCausalLM.from_base(base, library=self.library, tokenizer=tokenizer, symbols=self.symbols or None,
                                            labels=self.labels, symbol_routines=self.symbol_routines or None, **fields)


def _compile(spec: RoutineSpec, what: str) -> Program:
    if spec.is_stdlib:
        file, entry = f"nclib/routines/{STDLIB_MODULE[spec.source]}.py", spec.source
        source = (resources.files("nclib.routines") / Path(file).name).read_text()
    else:
        file, _, entry = spec.source.rpartition(":") if ":" in spec.source else (spec.source, "", "")
        if not Path(file).is_file():
            raise LibrarySpecError(f"{what}: no such source file {file!r}")
        source = Path(file).read_text()
    memory = spec.memory if spec.memory is not None else min(128, spec.values[1] - 1)
    try:
        return compile_program(source, entry=entry or None, values=spec.values, memory=memory, stack=spec.stack, file=file)
    except (SyntaxError, ValueError) as err:  # CompileError is a SyntaxError; bad windows are ValueErrors
        raise LibrarySpecError(f"{what}: {err}") from err


def compile_library(entries) -> CompiledLibrary:
    """Compile every entry of a `library:` list (as in the config)."""
    specs = parse_library(entries)
    programs, labels, where, symbol_routines = [], {}, {}, []
    for i, spec in enumerate(specs):
        what = f"library[{i}] ({spec.source!r})"
        prog = _compile(spec, what)
        if prog.name in where:
            raise LibrarySpecError(f"{what}: a routine named {prog.name!r} is already defined by {where[prog.name]}")
        where[prog.name] = what
        if prog.returns == "none" and "list" not in prog.param_kinds:
            raise LibrarySpecError(f"{what}: {prog.name} returns nothing and has no list argument: the model has no result to write")
        kind = "number" if prog.returns == "int" else "list"
        if spec.output is not None and (spec.output == "list") != (kind == "list"):
            raise LibrarySpecError(f"{what}: output {spec.output!r} does not fit {prog.name}, whose result is a {kind}")
        if spec.labels:
            labels[prog.name] = list(spec.labels)
        if spec.symbols:
            symbol_routines.append(prog.name)
        programs.append(prog)
    symbols = next((list(s.symbols) for s in specs if s.symbols), [])
    return CompiledLibrary(Library(programs), labels, symbols, symbol_routines)

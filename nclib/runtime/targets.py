"""Programs named by a target string: `FILE.py[:FUNC]` (a source file, compiled now) or
`LIBRARY_DIR[:ROUTINE]` (a saved library), as the `nclib` commands and their users write them.

A name that does not resolve (no such file, no such function or routine, compile options given
for a saved library) raises `UsageError` with one line naming the target. Loading a source file or
a library for a hard run (`compile_file`, `library_assembly`) imports no torch; `load_program`
builds the `Program` (torch) around it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from nclib.errors import UsageError

__all__ = ["check_library_target", "compile_file", "is_library_target", "library_assembly", "load_program",
           "pick_routine", "split_target"]


def split_target(target: str) -> tuple[str, str]:
    """FILE.py[:FUNC] or DIR[:ROUTINE] -> (path, name or "")."""
    path, sep, name = target.rpartition(":")
    return (path, name) if sep and path else (target, "")


def is_library_target(target: str) -> bool:
    """Whether `target` names a directory (a saved library), with or without `:ROUTINE`."""
    return Path(split_target(target)[0]).is_dir()


def load_program(target: str, values=None, memory=None, stack=None):
    """FILE.py[:FUNC] (compiled now with the given options) or LIBRARY_DIR[:ROUTINE] (a saved
    library; its first routine without ROUTINE) -> an `nclib.Program`."""
    import nclib

    path, _ = split_target(target)
    p = Path(path)
    if not p.is_dir():
        return nclib.Program(compile_file(target, values, memory, stack))
    check_library_target(target, values, memory, stack)
    lib = nclib.Library.load(p)
    return lib[pick_routine(target, lib.names)]


def check_library_target(target: str, values=None, memory=None, stack=None) -> None:
    """Refuse compile options for a saved library (it keeps the options it was compiled with)."""
    given = [name for name, value in (("--values", values), ("--memory", memory), ("--stack", stack)) if value is not None]
    if given:
        raise UsageError(f"{target}: a saved library keeps the options it was compiled with; drop {', '.join(given)} "
                         f"or compile the source again with them")


def pick_routine(target: str, names: list[str]) -> str:
    """The routine LIBRARY_DIR[:ROUTINE] names among the library's `names` (its first without ROUTINE)."""
    path, func = split_target(target)
    if func and func not in names:
        raise UsageError(f"{target}: the library {path} has no routine {func!r}; it has {', '.join(names) or 'none'}")
    if not names:
        raise UsageError(f"{target}: the library {path} holds no routine")
    return func or names[0]


def library_assembly(target: str, values=None, memory=None, stack=None):
    """LIBRARY_DIR[:ROUTINE] for a hard run, without torch: the manifest's routines recompiled and
    checked against their saved program hashes (nclib/runtime/manifest.py); the soft-mode tensors, which a
    hard run does not read, are not loaded."""
    from nclib.runtime.manifest import manifest_assemblies, read_saved

    check_library_target(target, values, memory, stack)
    path = split_target(target)[0]
    manifest, _ = read_saved(path)
    assemblies = {asm.entry: asm for asm in manifest_assemblies(manifest, where=path)}
    return assemblies[pick_routine(target, list(assemblies))]


def compile_file(target: str, values=None, memory=None, stack=None):
    """FILE.py[:FUNC] compiled (an Assembly; neither torch nor the Program around it is loaded).
    Options left at None take nclib.compile's defaults."""
    from nclib.compiler import compile_text

    path, func = split_target(target)
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{target}: no such file or library directory: {path} (give FILE.py[:FUNC] or LIBRARY_DIR[:ROUTINE])")
    source = p.read_text()
    try:
        defined = [n.name for n in ast.parse(source, filename=str(p)).body if isinstance(n, ast.FunctionDef)]
    except SyntaxError as err:
        err.filename = str(p)
        raise
    if func and func not in defined:
        raise UsageError(f"{target}: {path} defines no function {func!r}; it defines {', '.join(defined) or 'none'} "
                         f"(use {path}:NAME)")
    given = {"values": tuple(values) if values is not None else None, "memory": memory, "stack": stack}
    options = {name: value for name, value in given.items() if value is not None}
    return compile_text(source, func or None, file=str(p), **options)

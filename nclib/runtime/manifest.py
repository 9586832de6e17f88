"""The library manifest, without torch: its format, the program hash, and recompiling its routines.

`nclib/runtime/library.py` (the `Library` class, its tensors and fingerprint) builds on this; a hard run of
a saved library (`nclib run DIR[:ROUTINE] ARGS`) needs nothing more, so it loads no torch. The
format itself is described in `nclib/runtime/library.py`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from nclib.util.atomic import read_files
from nclib.compiler import compile_source
from nclib.errors import LibraryError

__all__ = ["FORMAT", "FORMAT_VERSION", "HASH_KEY", "LEGACY_LIBRARY", "LEGACY_MODEL", "MANIFEST", "TENSORS",
           "manifest_assemblies", "manifest_format", "program_sha256", "read_saved"]

FORMAT = "nclib-library"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
TENSORS = "library.safetensors"
# Formats read but no longer written, as (format, format_version); their entries carry "table_sha256".
LEGACY_LIBRARY = (FORMAT, 1)  # Library.save before version 2: "table_sha256" = SHA-256 of the table
LEGACY_MODEL = ("ncllama-library-v1", None)  # model configs before it: "table_sha256" = table + repr(consts)
HASH_KEY = "program_sha256"


def program_sha256(program) -> str:
    """SHA-256 (hex) of what a compiled routine (`Program` or `Assembly`) computes.

    Covers the line table [P, 8] (int64, little-endian), the constants, the register count, the
    value window, memory cells, stack frames, the parameter kinds and registers, the result kind,
    the default arguments and the `raise`/`assert` messages (text and the operands formatted into
    them). Not covered: the routine's name, its source text, file and line positions (they change
    diagnostics only) and its soft-mode float tensors (`library_fingerprint` covers those)."""
    asm = getattr(program, "asm", program)
    table = np.ascontiguousarray(asm.table, dtype=np.int64)
    semantics = {
        "table_shape": list(table.shape), "consts": [int(c) for c in asm.consts], "registers": int(asm.n_regs),
        "values": [int(asm.lo), int(asm.lo + asm.V)], "memory": int(asm.memory), "stack": int(asm.stack),
        "param_kinds": list(asm.param_kinds), "param_registers": [int(r) for r in asm.param_registers],
        "returns": asm.returns, "returns_tuple": bool(getattr(asm, "returns_tuple", False)),
        "defaults": [d if d is None else int(d) for d in getattr(asm, "defaults", [])],
        "errors": [[i, line.note, [[kind, int(x)] for kind, x in line.values]]
                   for i, line in enumerate(asm.lines) if line.op == "fault"],
    }
    h = hashlib.sha256(b"nclib-program-v1\n")
    h.update(json.dumps(semantics, sort_keys=True, separators=(",", ":")).encode())
    h.update(b"\n")
    h.update(table.astype("<i8", copy=False).tobytes())
    return h.hexdigest()


def _legacy_table_sha256(asm, fmt: tuple) -> str:
    """The per-routine hash of a format that is read but no longer written (`LEGACY_LIBRARY`: the
    table's bytes; `LEGACY_MODEL`: the table's bytes and `repr` of the constants)."""
    data = np.ascontiguousarray(asm.table, dtype="<i8").tobytes()
    return hashlib.sha256(data + (repr(asm.consts).encode() if fmt == LEGACY_MODEL else b"")).hexdigest()


def manifest_format(manifest, where: str = "<manifest>") -> tuple:
    """(format, format_version) of a manifest this nclib reads (current or legacy), else LibraryError."""
    if not isinstance(manifest, dict):
        raise LibraryError(f"{where}: not an nclib library manifest (a {type(manifest).__name__}, expected a JSON object)")
    fmt = manifest.get("format")
    if fmt == LEGACY_MODEL[0]:
        return LEGACY_MODEL
    if fmt != FORMAT:
        raise LibraryError(f"{where}: not an nclib library manifest (format={fmt!r}, expected {FORMAT!r})")
    version = manifest.get("format_version")
    if version not in (FORMAT_VERSION, LEGACY_LIBRARY[1]):
        raise LibraryError(f"{where}: library format version {version!r} is not supported "
                           f"(this nclib reads versions {LEGACY_LIBRARY[1]} and {FORMAT_VERSION}): it was written by "
                           "a newer nclib (upgrade nclib) or edited")
    return (FORMAT, version)


def manifest_assemblies(manifest, where: str = "<manifest>", check=None) -> list:
    """Recompile every routine of `manifest` (current or legacy format) with its options, and check
    that each compiles to the program it was saved as; a LibraryError names the first that does not.
    `check(assembly)`, when given, runs on each routine before its hash is compared (a more
    specific error, e.g. saved tensors that do not fit the manifest's window, comes first)."""
    fmt = manifest_format(manifest, where)
    entries = manifest.get("routines")
    if not isinstance(entries, list):
        raise LibraryError(f"{where}: the manifest's routines must be a list, got {entries!r}")
    programs = []
    for entry in entries:
        name = entry.get("name", "?") if isinstance(entry, dict) else entry
        try:
            source, (lo, hi) = entry["source"], entry["values"]
            asm = compile_source(source, entry.get("entry", entry["name"]), values=(lo, hi), memory=entry["memory"],
                                 stack=entry["stack"], file=entry.get("file", "<library>"))
        except SyntaxError as err:  # CompileError: the saved source is outside this nclib's language
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise LibraryError(f"{where}: routine {name!r} does not compile with this nclib ({first}); "
                               "recompile it from its source and save it again") from None
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise LibraryError(f"{where}: routine entry {name!r} is malformed: {type(err).__name__}: {err}") from None
        if check is not None:
            check(asm)
        if fmt in (LEGACY_LIBRARY, LEGACY_MODEL):
            key, got = "table_sha256", _legacy_table_sha256(asm, fmt)
        else:
            key, got = HASH_KEY, program_sha256(asm)
        want = entry.get(key)
        if got != want:
            raise LibraryError(f"{where}: routine {name!r} compiles to a different program with this nclib "
                               f"({key} {got[:12]} != {str(want)[:12]} saved; saved by another compiler version, or "
                               "the file was edited); recompile and save it again")
        programs.append(asm)
    names = [a.entry for a in programs]
    if len(set(names)) != len(names):
        raise LibraryError(f"{where}: the manifest names a routine twice ({names})")
    return programs


def read_saved(directory, names=(MANIFEST,)) -> tuple[dict, dict[str, bytes]]:
    """(the manifest, {name: bytes}) of the saved library `directory`: the files `names` (the
    manifest among them) read from one save, even while another save replaces it; a LibraryError
    names what is missing or corrupt."""
    directory = Path(directory)
    try:
        files = read_files(directory, list(names))
    except FileNotFoundError as err:
        missing = f"{Path(err.filename).name} is missing" if directory.is_dir() else "the directory does not exist"
        raise LibraryError(f"{directory} is not a saved nclib library: {missing}") from None
    except NotADirectoryError:
        raise LibraryError(f"{directory} is not a saved nclib library: it is a file, not a directory") from None
    try:
        manifest = json.loads(files[MANIFEST].decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise LibraryError(f"{directory / MANIFEST} is corrupt: {err}") from None
    except RecursionError:
        raise LibraryError(f"{directory / MANIFEST} is corrupt: nested too deeply to be a library manifest") from None
    return manifest, files

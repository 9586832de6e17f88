"""`Library`: named compiled routines, saved as safetensors plus a JSON manifest.

This file defines the one library format of nclib, used both by `Library.save`/`Library.load`
and by the model (`nclib.model`, whose config holds the same manifest and fingerprint):

- `program_sha256(program)`: SHA-256 of what a compiled routine computes (its line table and
  constants, register count, value window, memory, stack, signature, default arguments and the
  messages of its `raise`/`assert` lines), independent of its name, source text, file and source
  positions (which only change diagnostics), of the device the table is on, and of the run.
- `Library.manifest()`: ``{"format": "nclib-library", "format_version": 2, "routines": [...]}``
  with, per routine in library order, ``name`` (the entry function), ``file``, ``source``,
  ``values`` ``[lo, hi]``, ``memory``, ``stack`` and ``program_sha256``: enough to recompile it and
  check that this nclib compiles it to the same program.
- `Library.fingerprint()`: SHA-256 over the routines in order, each its name, its program hash
  and its soft-mode float tensors (names, shapes, float32 bytes): it changes when a routine,
  the order, or a (trained) tensor changes.

Earlier saves are still read: libraries of format version 1 and model checkpoints whose config
holds an ``ncllama-library-v1`` manifest (both keyed ``table_sha256``, a hash of the table alone,
resp. of the table and the constants); their hashes are checked by `manifest._legacy_table_sha256`
and `legacy_model_fingerprint`, which nothing writes any more. The manifest's format, the program
hash and recompiling a manifest's routines live in `nclib/runtime/manifest.py` (no torch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors, save as save_tensors

from nclib.util.atomic import SaveError, atomic_directory
from nclib.compiler import compile_source
from nclib.errors import LibraryError
from nclib.runtime.manifest import (FORMAT, FORMAT_VERSION, HASH_KEY, LEGACY_MODEL, MANIFEST, TENSORS,  # noqa: F401 (re-exported)
                            manifest_assemblies, manifest_format, program_sha256, read_saved)
from nclib.runtime.program import Program

__all__ = ["Library", "library_fingerprint", "manifest_programs", "program_sha256", "stdlib"]


def library_fingerprint(routines: Iterable[tuple[str, str, Mapping[str, torch.Tensor]]]) -> str:
    """SHA-256 (hex) of a library: per routine, in order, (name, program hash, float tensors).

    The tensors are hashed by name (sorted), shape and float32 little-endian bytes, on the CPU, so
    a float64 copy and the model's float32 buffers of the same values give the same fingerprint."""
    h = hashlib.sha256(b"nclib-library-fingerprint-v1\n")
    for name, phash, tensors in routines:
        flat = {k: tensors[k].detach().to("cpu", torch.float32).contiguous() for k in sorted(tensors)}
        h.update(json.dumps([name, phash, [[k, list(t.shape)] for k, t in flat.items()]], separators=(",", ":")).encode())
        h.update(b"\n")
        for t in flat.values():
            h.update(t.numpy().astype("<f4", copy=False).tobytes())
    return h.hexdigest()


def legacy_model_fingerprint(state: Mapping[str, Mapping[str, torch.Tensor]]) -> str:
    """The fingerprint that model checkpoints with an "ncllama-library-v1" manifest hold: SHA-256
    over the tensors {routine: {tensor: t}} (the model's names, dots as "__"), sorted by name, each
    "routine.tensor:[shape]" then its float32 bytes. Read to check such checkpoints, never written."""
    h = hashlib.sha256()
    for r in sorted(state):
        for k in sorted(state[r]):
            t = state[r][k].detach().to("cpu", torch.float32).contiguous()
            h.update(f"{r}.{k}:{list(t.shape)}".encode())
            h.update(t.numpy().astype("<f4", copy=False).tobytes())
    return h.hexdigest()


def manifest_programs(manifest, where: str = "<manifest>", check=None) -> list[Program]:
    """`manifest.manifest_assemblies` as Programs: every routine recompiled and checked against the
    program it was saved as."""
    return [Program(asm) for asm in manifest_assemblies(manifest, where, check)]


class Library:
    """An ordered collection of Programs addressed by routine name."""

    def __init__(self, programs: list[Program]):
        self.programs: dict[str, Program] = {}
        for prog in programs:
            if not isinstance(prog, Program):
                raise TypeError(f"Library takes Programs, got {type(prog).__name__}")
            if prog.name in self.programs:
                raise ValueError(f"two routines are named {prog.name!r}")
            self.programs[prog.name] = prog

    @classmethod
    def of(cls, library) -> "Library":
        """`library` as a Library: a Library itself, a list of Programs, one Program, or None (empty)."""
        if library is None:
            return cls([])
        if isinstance(library, Library):
            return library
        if isinstance(library, Program):
            return cls([library])
        if isinstance(library, (str, bytes, Mapping)) or not isinstance(library, Iterable):
            raise TypeError(f"library must be an nclib.Library, a list of Programs or a Program, got {type(library).__name__}")
        return cls(list(library))

    @property
    def names(self) -> list[str]:
        return list(self.programs)

    def __getitem__(self, name: str) -> Program:
        if name not in self.programs:
            raise KeyError(f"no routine {name!r} in the library (routines: {', '.join(self.programs)})")
        return self.programs[name]

    def __contains__(self, name: str) -> bool:
        return name in self.programs

    def __iter__(self):
        return iter(self.programs.values())

    def __len__(self) -> int:
        return len(self.programs)

    def __repr__(self) -> str:
        return f"Library({', '.join(self.names)})"

    # -- identity --------------------------------------------------------------------------
    def manifest(self) -> dict:
        """JSON-serialisable description (the module docstring): format, version and, per routine,
        its source, options and `program_sha256`. A model's config holds this same dict."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "routines": [
                {"name": p.name, "file": p.asm.file, "source": p.source, "values": [p.lo, p.lo + p.V],
                 "memory": p.memory, "stack": p.stack, HASH_KEY: program_sha256(p.asm)}
                for p in self
            ],
        }

    def fingerprint(self) -> str:
        """`library_fingerprint` of the routines and their current float tensors (builds the
        soft-mode tensors of routines that have none yet, as `save` does)."""
        return library_fingerprint((p.name, program_sha256(p.asm), p.tensors) for p in self)

    # -- serialisation ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every tensor of every routine, keyed `<routine>.<tensor>` (the float tensors are what
        soft execution reads and what training may update)."""
        out = {}
        for p in self:
            out[f"{p.name}.table"] = torch.from_numpy(p.asm.table)
            for key, value in p.tensors.items():
                out[f"{p.name}.{key}"] = value
        return out

    def save(self, directory: str | Path, overwrite: bool = False) -> None:
        """Write the library to `directory` (created if needed): its tensors and manifest (with the
        fingerprint) replace the ones there in one step, so a failure at any point leaves the
        previous library loadable and unchanged. A directory that already holds a saved library is
        replaced only with `overwrite=True` (other files there are kept); one that holds anything
        else -- a manifest.json that is not an nclib library's among them -- is never written."""
        directory = Path(directory)
        if directory.is_dir() and any(directory.iterdir()):
            others = sorted(p.name for p in directory.iterdir())
            listed = f"{', '.join(others[:5])}{', ...' if len(others) > 5 else ''}"
            if not (directory / MANIFEST).is_file():
                raise SaveError(f"{directory} is not empty and holds no nclib library ({listed}): save the library "
                                "into a new or empty directory")
            try:
                manifest_format(read_saved(directory)[0], str(directory / MANIFEST))
            except LibraryError as err:
                raise SaveError(f"{directory} holds a {MANIFEST} that is not a saved nclib library's ({err}); it is kept: "
                                "save the library into a new or empty directory") from None
            if not overwrite:
                raise SaveError(f"{directory} already holds a saved library ({listed}): pass overwrite=True "
                                "(`--overwrite` on the command line) to replace it")
        tensors = save_tensors({k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()})
        manifest = json.dumps({**self.manifest(), "fingerprint": self.fingerprint()}, indent=2)
        with atomic_directory(directory, keep=lambda name: name not in (MANIFEST, TENSORS)) as tmp:
            (tmp / TENSORS).write_bytes(tensors)
            (tmp / MANIFEST).write_text(manifest)

    @classmethod
    def load(cls, directory: str | Path) -> "Library":
        directory = Path(directory)
        manifest, files = read_saved(directory, [MANIFEST, TENSORS])  # both from one save, even while another is written
        try:
            tensors = load_tensors(files[TENSORS])
        except (SafetensorError, OSError, ValueError) as err:
            raise LibraryError(f"{directory / TENSORS} is corrupt: {err}") from None
        return cls.from_manifest(manifest, tensors, where=str(directory))

    @classmethod
    def from_manifest(cls, manifest: dict, tensors: dict[str, torch.Tensor], where: str = "<manifest>") -> "Library":
        """Rebuild a library from a manifest (current or legacy format) and its tensors: recompile
        each source with its options, check that the result matches the saved program, then take
        the saved float tensors; a saved fingerprint must match them."""
        if manifest_format(manifest, where) == LEGACY_MODEL:
            raise LibraryError(f"{where}: this is a model config's library manifest ({LEGACY_MODEL[0]}), not a saved "
                               "library; load the model with NCLlamaForCausalLM.from_pretrained")
        def check(asm) -> None:
            name = asm.entry
            if f"{name}.table" not in tensors:
                raise LibraryError(f"{where}: tensors of routine {name!r} are missing")
            consts = tensors.get(f"{name}.consts")
            if consts is not None and (consts.dim() != 2 or consts.shape[1] != asm.V):  # before any [C, V] is built
                raise LibraryError(f"{where}: routine {name!r}: the manifest's values=({asm.lo}, {asm.lo + asm.V}) do not "
                                   f"match its saved constants of shape {tuple(consts.shape)} (expected "
                                   f"{(len(asm.consts), asm.V)}); the manifest was edited")

        programs = []
        for prog in manifest_programs(manifest, where, check=check):
            name, asm = prog.name, prog.asm
            if not torch.equal(tensors[f"{name}.table"], torch.from_numpy(asm.table)):
                raise LibraryError(f"{where}: routine {name!r}: the saved program table differs from the one its source "
                                   "compiles to (the tensors file is from another library, or was edited); save it again")
            for key, default in prog.tensors.items():
                saved = tensors.get(f"{name}.{key}")
                if saved is None or saved.shape != default.shape:
                    raise LibraryError(f"{where}: tensor {name}.{key} is missing or has shape "
                                       f"{None if saved is None else tuple(saved.shape)}, expected {tuple(default.shape)}")
                prog.tensors[key] = saved.to(default.dtype)
            programs.append(prog)
        library = cls(programs)
        want = manifest.get("fingerprint")
        if want is not None and library.fingerprint() != want:
            raise LibraryError(f"{where}: the library tensors do not match the manifest's fingerprint "
                               f"({library.fingerprint()[:12]} != {str(want)[:12]}): the tensors file is corrupt, "
                               "edited, or from another save")
        return library


def stdlib(values: tuple[int, int] = (0, 256), memory: int = 128, stack: int = 16) -> Library:
    """The standard library (docs/design.md §4.3), compiled from the Python files in `nclib/routines/`."""
    from nclib.routines import ROUTINES

    programs = []
    for module, names in ROUTINES.items():
        path = resources.files("nclib.routines") / f"{module}.py"
        source = path.read_text()
        for name in names:
            programs.append(Program(compile_source(source, name, values=values, memory=memory, stack=stack, file=f"nclib/routines/{module}.py")))
    return Library(programs)

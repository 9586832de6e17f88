"""`Library`: named compiled routines, saved as safetensors plus a JSON manifest."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors, save as save_tensors

from nclib.atomic import SaveError, atomic_directory, read_files
from nclib.compiler import compile_source
from nclib.errors import LibraryError
from nclib.program import Program

__all__ = ["Library", "stdlib"]

FORMAT = "nclib-library"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TENSORS = "library.safetensors"


def _digest(table: torch.Tensor) -> str:
    return hashlib.sha256(table.contiguous().numpy().tobytes()).hexdigest()


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

    # -- serialisation ---------------------------------------------------------------------
    def manifest(self) -> dict:
        """JSON-serialisable description: format version and, per routine, source and options."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "routines": [
                {"name": p.name, "file": p.asm.file, "source": p.source, "values": [p.lo, p.lo + p.V],
                 "memory": p.memory, "stack": p.stack, "table_sha256": _digest(p.asm.table)}
                for p in self
            ],
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every tensor of every routine, keyed `<routine>.<tensor>` (the float tensors are what
        soft execution reads and what training may update)."""
        out = {}
        for p in self:
            out[f"{p.name}.table"] = p.asm.table
            for key, value in p.tensors.items():
                out[f"{p.name}.{key}"] = value
        return out

    def save(self, directory: str | Path) -> None:
        """Write the library to `directory` (created if needed): its tensors and manifest replace
        the ones there in one step, so a failure at any point leaves the previous library loadable
        and unchanged. Other files in an existing library directory are kept."""
        directory = Path(directory)
        if directory.is_dir() and any(directory.iterdir()) and not (directory / MANIFEST).is_file():
            others = sorted(p.name for p in directory.iterdir())
            raise SaveError(f"{directory} is not empty and holds no nclib library ({', '.join(others[:5])}"
                            f"{', ...' if len(others) > 5 else ''}): save the library into a new or empty directory")
        tensors = save_tensors({k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()})
        manifest = json.dumps(self.manifest(), indent=2)
        with atomic_directory(directory, keep=lambda name: name not in (MANIFEST, TENSORS)) as tmp:
            (tmp / TENSORS).write_bytes(tensors)
            (tmp / MANIFEST).write_text(manifest)

    @classmethod
    def load(cls, directory: str | Path) -> "Library":
        directory = Path(directory)
        try:
            files = read_files(directory, [MANIFEST, TENSORS])  # both from one save, even while another is written
        except FileNotFoundError as err:
            missing = f"{Path(err.filename).name} is missing" if directory.is_dir() else "the directory does not exist"
            raise LibraryError(f"{directory} is not a saved nclib library: {missing}") from None
        except NotADirectoryError:
            raise LibraryError(f"{directory} is not a saved nclib library: it is a file, not a directory") from None
        try:
            manifest = json.loads(files[MANIFEST].decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise LibraryError(f"{directory / MANIFEST} is corrupt: {err}") from None
        try:
            tensors = load_tensors(files[TENSORS])
        except (SafetensorError, OSError, ValueError) as err:
            raise LibraryError(f"{directory / TENSORS} is corrupt: {err}") from None
        return cls.from_manifest(manifest, tensors, where=str(directory))

    @classmethod
    def from_manifest(cls, manifest: dict, tensors: dict[str, torch.Tensor], where: str = "<manifest>") -> "Library":
        """Rebuild a library: recompile each source with its options and check that the result
        matches the saved program, then take the saved float tensors."""
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise LibraryError(f"{where}: not an nclib library manifest (format={manifest.get('format') if isinstance(manifest, dict) else manifest!r})")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise LibraryError(f"{where}: library format version {manifest.get('format_version')!r} is not supported "
                               f"(this nclib reads version {FORMAT_VERSION})")
        programs = []
        for entry in manifest.get("routines", []):
            try:
                name, source, (lo, hi) = entry["name"], entry["source"], entry["values"]
                asm = compile_source(source, name, values=(lo, hi), memory=entry["memory"], stack=entry["stack"], file=entry.get("file", "<library>"))
            except (KeyError, TypeError, ValueError) as err:
                raise LibraryError(f"{where}: routine entry {entry.get('name', '?') if isinstance(entry, dict) else entry!r} is malformed: {err}") from None
            if f"{name}.table" not in tensors:
                raise LibraryError(f"{where}: tensors of routine {name!r} are missing")
            if not torch.equal(tensors[f"{name}.table"], asm.table) or _digest(asm.table) != entry.get("table_sha256"):
                raise LibraryError(f"{where}: routine {name!r} compiles to a different program with this nclib "
                                   f"(saved by another compiler version, or the file was edited); recompile and save it again")
            consts = tensors.get(f"{name}.consts")
            if consts is not None and tuple(consts.shape) != (len(asm.consts), asm.V):  # before any [C, V] is built
                raise LibraryError(f"{where}: routine {name!r}: the manifest's values=({lo}, {hi}) do not match its saved "
                                   f"constants of shape {tuple(consts.shape)} (expected {(len(asm.consts), asm.V)}); "
                                   "the manifest was edited")
            prog = Program(asm)
            for key, default in prog.tensors.items():
                saved = tensors.get(f"{name}.{key}")
                if saved is None or saved.shape != default.shape:
                    raise LibraryError(f"{where}: tensor {name}.{key} is missing or has shape "
                                       f"{None if saved is None else tuple(saved.shape)}, expected {tuple(default.shape)}")
                prog.tensors[key] = saved.to(default.dtype)
            programs.append(prog)
        return cls(programs)


def stdlib(values: tuple[int, int] = (0, 256), memory: int = 128, stack: int = 16) -> Library:
    """The standard library (DESIGN.md §4), compiled from the Python files in `nclib/routines/`."""
    from nclib.routines import ROUTINES

    programs = []
    for module, names in ROUTINES.items():
        path = resources.files("nclib.routines") / f"{module}.py"
        source = path.read_text()
        for name in names:
            programs.append(Program(compile_source(source, name, values=values, memory=memory, stack=stack, file=f"nclib/routines/{module}.py")))
    return Library(programs)

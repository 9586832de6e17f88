"""The compiled library inside the model: its float tensors as buffers (frozen) or parameters
(trainable), and the bridge to `nclib.Program.execute(mode="soft")`.

A checkpoint stores the library in two places: the config holds `nc_library`, the library's
manifest exactly as `nclib.Library.manifest()` writes it (per routine: name, source, file, value
window, memory, stack and `program_sha256`), and `nc_library_fingerprint`, exactly
`nclib.Library.fingerprint()` of the routines with the model's current tensors; the safetensors
file holds the float tensors under `reasoning.library.*`. Both hashes are defined once, in
`nclib/runtime/library.py`. Loading recompiles each routine from its source (the compiler is
deterministic), checks its program hash, and runs with the loaded tensors. Checkpoints written
before that format (`nc_library` of format "ncllama-library-v1", keyed `table_sha256`) still load:
their hashes are checked as they were written and the config is upgraded to the current format
(`upgrade_manifest`), so the next save writes it. Tensors are buffers when frozen so that PEFT's
`modules_to_save` (which makes every *parameter* of the saved module trainable) does not unfreeze
the library.
"""

from __future__ import annotations

import torch
from torch import nn

from .errors import LibraryMismatchError
from .remote_code import nclib_import_error

try:  # also runs as saved remote code: a failed import names the distribution to install
    from nclib.errors import LibraryError
    from nclib.runtime.library import (LEGACY_MODEL, Library, legacy_model_fingerprint, library_fingerprint, manifest_format,
                               manifest_programs)
except (ImportError, AttributeError) as err:
    raise nclib_import_error(err) from err

WHERE = "the config's nc_library"


def _safe(name: str) -> str:
    return name.replace(".", "__")


def library_fields(library) -> tuple[dict, dict]:
    """(config fields, {safe routine name: {safe tensor name: tensor}}) describing `library` (an
    `nclib.Library`, a list of Programs, one Program, or None). The fields hold the Library's
    manifest (`nc_library`) and fingerprint (`nc_library_fingerprint`) unchanged."""
    lib = Library.of(library)
    routines, shapes, tensors = [], {}, {}
    for p in lib:
        returns = p.returns
        if returns == "none":
            if "list" not in p.param_kinds:
                raise ValueError(f"routine {p.name!r} returns nothing and has no list argument: the model has no result to write")
            returns = "list"  # the first list argument, sorted/updated in place, is the result
        routines.append({"name": p.name, "args": list(p.param_kinds), "returns": returns,
                         "in_place": p.returns == "none", "lo": p.lo, "V": p.V})
        shapes[_safe(p.name)] = {_safe(k): [list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in p.tensors.items()}
        tensors[_safe(p.name)] = {_safe(k): v.detach().float().cpu() for k, v in p.tensors.items()}
    fields = {"nc_library": lib.manifest(), "nc_routines": routines, "nc_library_tensors": shapes,
              "nc_library_fingerprint": lib.fingerprint()}
    return fields, tensors


def fingerprint(library) -> str:
    """`nclib.Library.fingerprint()` of `library` (a Library, a list of Programs, one Program or None):
    what `nc_library_fingerprint` holds for a model built from it with its tensors unchanged."""
    return Library.of(library).fingerprint()


class RoutineTensors(nn.Module):
    """One routine's float tensors (registered under their original names, dots replaced)."""

    def __init__(self, shapes: dict, trainable: bool):
        super().__init__()
        self.names = list(shapes)
        for k, (shape, _dtype) in shapes.items():
            t = torch.zeros(shape)
            if trainable:
                self.register_parameter(k, nn.Parameter(t))
            else:
                self.register_buffer(k, t)

    def as_dict(self) -> dict:
        return {k.replace("__", "."): getattr(self, k) for k in self.names}


def _check_tensor_shapes(config, shapes: dict) -> None:
    """Refuse, before allocating, library tensor shapes that a hand-edited config blew up: each
    routine's constants are [C, V] for its window, and all of them must fit in memory."""
    import math

    from nclib.machine.memory import SAFETY, SMALL, available_bytes, _gib  # lazy: this file also runs as saved remote code
    from nclib.errors import MemoryLimitError

    windows = {_safe(r["name"]): r.get("V") for r in config.nc_routines or []}
    for r, tensors in shapes.items():
        consts = tensors.get("consts")
        if consts and windows.get(r) is not None and list(consts[0])[1:] != [windows[r]]:
            raise LibraryMismatchError(f"nc_library_tensors: constants of routine {r!r} have shape {consts[0]}, "
                                       f"but its window holds V={windows[r]} values (the config was edited)")
    need = 4 * sum(math.prod(shape) for tensors in shapes.values() for shape, _ in tensors.values())
    if need >= SMALL and need > SAFETY * available_bytes():
        raise MemoryLimitError(f"nc_library_tensors: the library tensors need about {_gib(need)}, more than "
                               f"{SAFETY:.0%} of the {_gib(available_bytes())} available; the config's shapes are wrong or the "
                               "windows too large for soft mode")


class LibraryTensors(nn.Module):
    """All routines' tensors (`routines.<name>.<tensor>`) and their compiled programs."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        shapes = config.nc_library_tensors or {}
        _check_tensor_shapes(config, shapes)
        self.routines = nn.ModuleDict({r: RoutineTensors(s, config.nc_train_library) for r, s in shapes.items()})
        self._programs = None

    def load_from(self, tensors: dict) -> None:
        with torch.no_grad():
            for r, ts in tensors.items():
                for k, v in ts.items():
                    getattr(self.routines[r], k).copy_(v)

    def state(self) -> dict:
        return {r: {k: getattr(m, k) for k in m.names} for r, m in self.routines.items()}

    def is_legacy(self) -> bool:
        """Whether the config's manifest is of the format written before `nclib.Library.manifest()`."""
        manifest = self.config.nc_library
        return isinstance(manifest, dict) and manifest.get("format") == LEGACY_MODEL[0]

    def _entries(self) -> list:
        """The manifest's routine entries, checked against the routines the config describes and the
        tensors the module holds (same names, same order)."""
        manifest = self.config.nc_library
        if manifest is None and not self.config.nc_routines and not len(self.routines):
            return []
        try:
            manifest_format(manifest, WHERE)
        except LibraryError as err:
            raise LibraryMismatchError(str(err)) from None
        entries = manifest.get("routines")
        names = [e.get("name") if isinstance(e, dict) else e for e in entries] if isinstance(entries, list) else entries
        described = [r["name"] for r in self.config.nc_routines or []]
        if names != described or sorted(_safe(str(n)) for n in names) != sorted(self.routines):
            raise LibraryMismatchError(f"{WHERE} names the routines {names}, nc_routines {described} and "
                                       f"nc_library_tensors {sorted(self.routines)}: they must be the same (the config was edited)")
        return entries

    def fingerprint(self) -> str:
        """`nclib.Library.fingerprint()` of the manifest's routines with the module's current tensors
        (for a legacy manifest, the fingerprint format that was saved with it)."""
        entries = self._entries()
        if self.is_legacy():
            return legacy_model_fingerprint(self.state())
        return library_fingerprint((e["name"], e.get("program_sha256"), self.routines[_safe(e["name"])].as_dict())
                                   for e in entries)

    def programs(self) -> list:
        """Recompile the routines of the manifest (once) and check each against its program hash."""
        if self._programs is None:
            entries = self._entries()
            if not entries:
                self._programs = []
                return self._programs
            try:
                self._programs = manifest_programs(self.config.nc_library, WHERE)
            except LibraryMismatchError:
                raise
            except LibraryError as err:
                raise LibraryMismatchError(str(err)) from None
        return self._programs

    def library(self) -> "Library":
        """The routines as an `nclib.Library` holding (detached copies of) the module's current
        tensors: `library().manifest()` and `.fingerprint()` are what a save writes."""
        out = []
        for prog in self.programs():
            copy = type(prog)(prog.asm)
            copy.tensors = {k: v.detach().clone() for k, v in self.routines[_safe(prog.name)].as_dict().items()}
            out.append(copy)
        return Library(out)

    def upgrade_manifest(self) -> None:
        """Rewrite a legacy manifest (after checking its hashes) and the fingerprint in the current
        format, so that the config and the next save hold `nclib.Library`'s manifest and fingerprint."""
        if self.is_legacy():
            programs = self.programs()  # verifies every routine against its legacy table hash
            self.config.nc_library = Library(programs).manifest()
            self.config.nc_library_fingerprint = self.fingerprint()

    def execute(self, r: int, args: list, max_steps: int, eps: float) -> dict:
        """Run routine r in soft mode on the module's current tensors.

        args: per parameter a [n, V] distribution or ([n, L, V], [n]) list.
        Returns {"value": [n, V] or [n, L_out, V], "lengths": [n] or None, "steps", "remainder"}.
        """
        prog = self.programs()[r]
        spec = self.config.nc_routines[r]
        prog.tensors = self.routines[_safe(prog.name)].as_dict()
        res = prog.execute(*args, mode="soft", max_steps=max_steps, eps=eps)
        if spec.get("in_place"):
            first = spec["args"].index("list")
            value, lengths = res.lists[0], args[first][1]
        else:
            value, lengths = res.value, res.lengths
        return {"value": value, "lengths": lengths, "steps": res.steps, "remainder": res.remainder}

    def execute_hard(self, r: int, args: list, max_steps: int) -> dict:
        """Run routine r exactly (hard mode) on int arguments.

        args: per parameter a [n] int64 tensor or ([n, L] int64, [n]) list.
        Returns {"value": [n] or [n, L_out] int64, "lengths": [n], "steps": [n], "halted": [n] bool,
        "fault": [n] bool (any fault or value overflow; such results are meaningless)}.
        """
        prog = self.programs()[r]
        spec = self.config.nc_routines[r]
        res = prog.execute(*args, mode="hard", max_steps=max_steps)
        halted = res.halted > 0.5
        fault = (res.fault != 0) | (res.overflow_line >= 0) | ~halted
        if spec.get("in_place"):
            first = spec["args"].index("list")
            value, lengths = res.lists[0], args[first][1]
        elif res.lengths is not None:
            value, lengths = res.value, res.lengths
        else:
            value, lengths = res.value, torch.ones_like(res.steps)
        return {"value": value, "lengths": lengths, "steps": res.steps, "halted": halted, "fault": fault}


__all__ = ["LibraryTensors", "RoutineTensors", "fingerprint", "library_fields"]

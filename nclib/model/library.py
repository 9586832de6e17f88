"""The compiled library inside the model: its float tensors as buffers (frozen) or parameters
(trainable), and the bridge to `nclib.Program.execute(mode="soft")`.

A checkpoint stores the library in two places: the config holds a manifest (per routine: source,
entry, value window, memory, stack, and the SHA-256 of the assembled program table) and the
safetensors file holds the float tensors under `reasoning.library.*`. Loading recompiles each
routine from its source (the compiler is deterministic), checks the table hash, and runs with the
loaded tensors. Tensors are buffers when frozen so that PEFT's `modules_to_save` (which makes every
*parameter* of the saved module trainable) does not unfreeze the library.
"""

from __future__ import annotations

import hashlib

import torch
from torch import nn

from .errors import LibraryMismatchError

MANIFEST_FORMAT = "ncllama-library-v1"


def _safe(name: str) -> str:
    return name.replace(".", "__")


def _table_hash(prog) -> str:
    return hashlib.sha256(prog.asm.table.cpu().contiguous().numpy().tobytes()
                          + repr(prog.asm.consts).encode()).hexdigest()


def _programs(library) -> list:
    """A `nclib.Library`, a list of `Program`s, or one `Program` -> list of Programs."""
    if library is None:
        return []
    if hasattr(library, "asm"):
        return [library]
    if hasattr(library, "names"):
        return [library[n] for n in library.names]
    progs = list(library)
    bad = [p for p in progs if not hasattr(p, "asm")]
    if bad:
        raise TypeError(f"library must be an nclib.Library or a list of nclib Programs, got items {bad!r}")
    return progs


def library_fields(library) -> tuple[dict, dict]:
    """(config fields, {safe routine name: {safe tensor name: tensor}}) describing `library`."""
    progs = _programs(library)
    names = [p.name for p in progs]
    if len(set(names)) != len(names):
        raise ValueError(f"routine names must be unique, got {names}")
    routines, manifest, shapes, tensors = [], [], {}, {}
    for p in progs:
        returns = p.returns
        if returns == "none":
            if "list" not in p.param_kinds:
                raise ValueError(f"routine {p.name!r} returns nothing and has no list argument: the model has no result to write")
            returns = "list"  # the first list argument, sorted/updated in place, is the result
        routines.append({"name": p.name, "args": list(p.param_kinds), "returns": returns,
                         "in_place": p.returns == "none", "lo": p.lo, "V": p.V})
        manifest.append({"name": p.name, "entry": p.asm.entry, "source": p.source, "file": p.asm.file,
                         "values": [p.lo, p.lo + p.V], "memory": p.memory, "stack": p.stack,
                         "table_sha256": _table_hash(p)})
        shapes[_safe(p.name)] = {_safe(k): [list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in p.tensors.items()}
        tensors[_safe(p.name)] = {_safe(k): v.detach().float().cpu() for k, v in p.tensors.items()}
    fields = {"nc_library": {"format": MANIFEST_FORMAT, "routines": manifest}, "nc_routines": routines,
              "nc_library_tensors": shapes}
    return fields, tensors


def fingerprint(tensors: dict) -> str:
    """SHA-256 over the library tensors (names, shapes, float32 bytes), in a fixed order."""
    h = hashlib.sha256()
    for r in sorted(tensors):
        for k in sorted(tensors[r]):
            t = tensors[r][k].detach().float().cpu().contiguous()
            h.update(f"{r}.{k}:{list(t.shape)}".encode())
            h.update(t.numpy().tobytes())
    return h.hexdigest()


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

    from nclib.memory import SAFETY, SMALL, available_bytes, _gib  # lazy: this file also runs as saved remote code
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

    def fingerprint(self) -> str:
        return fingerprint(self.state())

    def programs(self) -> list:
        """Recompile the routines of the manifest (once) and check each against its table hash."""
        if self._programs is None:
            from nclib.program import compile as nc_compile

            manifest = self.config.nc_library or {}
            if manifest.get("format") != MANIFEST_FORMAT:
                raise LibraryMismatchError(f"library manifest format {manifest.get('format')!r} is not {MANIFEST_FORMAT!r}")
            progs = []
            for m in manifest["routines"]:
                p = nc_compile(m["source"], entry=m["entry"], values=tuple(m["values"]), memory=m["memory"],
                               stack=m["stack"], file=m["file"])
                if _table_hash(p) != m["table_sha256"]:
                    raise LibraryMismatchError(
                        f"routine {m['name']!r} compiles to a different program with this version of nclib "
                        f"(table hash {_table_hash(p)[:12]} != {m['table_sha256'][:12]} in the checkpoint)")
                progs.append(p)
            self._programs = progs
        return self._programs

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


__all__ = ["LibraryTensors", "fingerprint", "library_fields"]

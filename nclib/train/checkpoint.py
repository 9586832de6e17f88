"""The training recipe's resumable checkpoint: safetensors and JSON only, so loading one never
runs code (no pickle anywhere).

A checkpoint is a directory, written in one step by `nclib.util.atomic.atomic_directory`:
    trainable.safetensors   every trainable parameter, by its name in the model
    optimizer.safetensors   every tensor of the optimizer and scheduler state dicts ("optimizer.state.0.exp_avg", ...)
    state.json              format, step, the run's config, the two state dicts with each tensor
                            replaced by {"__tensor__": key} (tuples as {"__tuple__": [...]}, dicts
                            with non-string keys as {"__items__": [[key, value], ...]}), torch's
                            RNG state (base64 of its bytes), Python's `random` state (plain lists),
                            and the SHA-256 of both tensor files
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors, save as save_tensors

from nclib.util.atomic import atomic_directory, read_files
from nclib.errors import NclibError

__all__ = ["CheckpointError", "TrainingState", "load_checkpoint", "save_checkpoint"]

FORMAT = "nclib-training-checkpoint"
FORMAT_VERSION = 1
STATE = "state.json"
TRAINABLE = "trainable.safetensors"
OPTIMIZER = "optimizer.safetensors"
LEGACY_PICKLE = "state.pt"  # the format before this one: a pickle, never loaded


class CheckpointError(NclibError, ValueError):
    """A checkpoint is missing a file, truncated, corrupt, pickled, or does not fit the model; the
    message names its path."""


@dataclass
class TrainingState:
    """Everything a resumed run restores."""

    step: int
    config: dict  # the run's RecipeConfig as a dict
    trainable: dict  # {parameter name: tensor}
    optimizer: dict  # optimizer.state_dict()
    scheduler: dict  # scheduler.state_dict()
    torch_rng: torch.Tensor  # torch.get_rng_state(): uint8 [N]
    python_rng: tuple  # random.getstate()

    @classmethod
    def capture(cls, step: int, config: dict, trainable: dict, optimizer, scheduler) -> "TrainingState":
        """The state now, with this process's RNG states."""
        return cls(step=step, config=config, trainable=trainable, optimizer=optimizer.state_dict(),
                   scheduler=scheduler.state_dict(), torch_rng=torch.get_rng_state(), python_rng=random.getstate())

    def restore_rng(self) -> None:
        torch.set_rng_state(self.torch_rng)
        random.setstate(self.python_rng)


def _to_plain(obj, tensors: dict, key: str):
    """obj as JSON data; each tensor goes into `tensors` under a key derived from its place."""
    if isinstance(obj, torch.Tensor):
        if key in tensors:
            raise ValueError(f"{key}: two tensors of the state would be stored under this key")
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": key}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, tuple):
        return {"__tuple__": [_to_plain(v, tensors, f"{key}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_to_plain(v, tensors, f"{key}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _to_plain(v, tensors, f"{key}.{k}") for k, v in obj.items()}
        return {"__items__": [[_to_plain(k, tensors, f"{key}.k{i}"), _to_plain(v, tensors, f"{key}.{k}")]
                              for i, (k, v) in enumerate(obj.items())]}
    raise TypeError(f"{key}: a {type(obj).__name__} cannot be stored in a checkpoint (only tensors and plain data)")


def _from_plain(obj, tensors: dict, where: str):
    if isinstance(obj, list):
        return [_from_plain(v, tensors, where) for v in obj]
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            if obj["__tensor__"] not in tensors:
                raise CheckpointError(f"{where}: tensor {obj['__tensor__']!r} is missing from {OPTIMIZER}")
            return tensors[obj["__tensor__"]]
        if set(obj) == {"__tuple__"}:
            return tuple(_from_plain(v, tensors, where) for v in obj["__tuple__"])
        if set(obj) == {"__items__"}:
            return {_from_plain(k, tensors, where): _from_plain(v, tensors, where) for k, v in obj["__items__"]}
        return {k: _from_plain(v, tensors, where) for k, v in obj.items()}
    return obj


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_checkpoint(directory, state: TrainingState) -> None:
    """Write `state` to `directory`, replacing the checkpoint there in one step."""
    extra: dict = {}
    optimizer = _to_plain(state.optimizer, extra, "optimizer")
    scheduler = _to_plain(state.scheduler, extra, "scheduler")
    trainable = save_tensors({k: v.detach().cpu().contiguous() for k, v in state.trainable.items()})
    optimizer_bytes = save_tensors(extra)
    version, internal, gauss_next = state.python_rng
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "step": state.step,
        "config": state.config,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "torch_rng": base64.b64encode(state.torch_rng.numpy().tobytes()).decode("ascii"),
        "python_rng": [version, list(internal), gauss_next],
        "sha256": {TRAINABLE: _sha256(trainable), OPTIMIZER: _sha256(optimizer_bytes)},
    }
    with atomic_directory(directory) as tmp:
        (tmp / TRAINABLE).write_bytes(trainable)
        (tmp / OPTIMIZER).write_bytes(optimizer_bytes)
        (tmp / STATE).write_text(json.dumps(meta))


def _check_rng_states(where: str, torch_rng: torch.Tensor, python_rng: tuple) -> None:
    """The saved RNG states must be ones this process can restore: torch's of the length its
    generator uses, Python's `random` state as `random.getstate()` shapes it (version 3, 625 words
    of 32 bits, a float or None). A CheckpointError names the file and the state."""
    expected = torch.get_rng_state().numel()
    if torch_rng.numel() != expected:
        raise CheckpointError(f"{where}: torch_rng holds {torch_rng.numel()} bytes, torch's generator state is {expected}")
    version, internal, gauss_next = python_rng
    current = random.getstate()
    if (version != current[0] or not isinstance(internal, list) or len(internal) != len(current[1])
            or not all(type(w) is int and 0 <= w < 2 ** 32 for w in internal)
            or not (gauss_next is None or isinstance(gauss_next, float))):
        raise CheckpointError(f"{where}: python_rng is not a state of Python's random module (version {current[0]}, "
                              f"{len(current[1])} words of 32 bits, then a float or null)")


def load_checkpoint(directory) -> TrainingState:
    """Read the checkpoint in `directory`; CheckpointError (one line, naming the file) for anything
    missing, truncated or corrupt. A pickled `state.pt` of an older nclib is refused unread."""
    directory = Path(directory)
    if (directory / LEGACY_PICKLE).exists() and not (directory / STATE).exists():
        raise CheckpointError(f"{directory / LEGACY_PICKLE} is a pickled checkpoint (nclib's old format), which is never "
                              f"loaded since unpickling can run code: remove {directory} to train from step 0, "
                              f"or pass --overwrite")
    try:
        files = read_files(directory, [STATE, TRAINABLE, OPTIMIZER])
    except FileNotFoundError as err:
        raise CheckpointError(f"checkpoint {directory} is incomplete: {err.filename} is missing") from None
    where = str(directory / STATE)
    try:
        meta = json.loads(files[STATE].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{where} is corrupt (truncated or edited): {err}") from None
    except RecursionError:
        raise CheckpointError(f"{where} is corrupt (edited): nested too deeply to be a checkpoint") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{where} is not an nclib training checkpoint (format "
                              f"{meta.get('format') if isinstance(meta, dict) else type(meta).__name__!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{where}: checkpoint format version {meta.get('format_version')!r} is not supported "
                              f"(this nclib reads version {FORMAT_VERSION})")
    tensors = {}
    for name in (TRAINABLE, OPTIMIZER):
        if _sha256(files[name]) != meta.get("sha256", {}).get(name):
            raise CheckpointError(f"{directory / name} is corrupt or truncated (its SHA-256 differs from the one in {STATE})")
        try:
            tensors[name] = load_tensors(files[name])
        except (SafetensorError, ValueError) as err:
            raise CheckpointError(f"{directory / name} is corrupt: {err}") from None
    step = meta.get("step")
    if type(step) is not int or step < 0:
        raise CheckpointError(f"{where}: step {step!r} must be a non-negative whole number (the step the run resumes at)")
    try:
        version, internal, gauss_next = meta["python_rng"]
        torch_rng = torch.frombuffer(bytearray(base64.b64decode(meta["torch_rng"], validate=True)), dtype=torch.uint8)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{where} is malformed: {type(err).__name__}: {err}") from None
    _check_rng_states(where, torch_rng, (version, internal, gauss_next))
    try:
        return TrainingState(step=step, config=dict(meta["config"]), trainable=tensors[TRAINABLE],
                             optimizer=_from_plain(meta["optimizer"], tensors[OPTIMIZER], where),
                             scheduler=_from_plain(meta["scheduler"], tensors[OPTIMIZER], where),
                             torch_rng=torch_rng.clone(), python_rng=(version, tuple(internal), gauss_next))
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{where} is malformed: {type(err).__name__}: {err}") from None

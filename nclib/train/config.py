"""The recipe's config: `RecipeConfig` (one field per YAML key, a comment on each), the values each
field admits, and `ConfigError`, whose one-line message names the field, the bad value and what is
allowed. Everything is checked before anything runs (docs/design.md §8.2); files named by `dataset`
and `library` are only read at setup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from nclib.errors import NclibError
from nclib.train.supervision import SUPERVISION, Supervision

__all__ = ["BOUNDS", "RESUMABLE_FIELDS", "ROUTER_INPUTS", "SUPERVISION", "VARIANTS", "Bound", "ConfigError", "LoraSettings",
           "RecipeConfig", "check_number", "check_stop_at", "refuse_other_run", "yaml_problem"]

VARIANTS = ("augmented", "baseline")
ROUTER_INPUTS = ("raw", "standardized")  # nclib.model.configuration_ncllama.ROUTER_INPUTS (not imported: no transformers here)
# config fields a rerun may change and still continue the run in output_dir (resume from its checkpoint)
RESUMABLE_FIELDS = ("steps", "eval_every", "checkpoint_every", "final_eval_n", "save_final", "output_dir")


class ConfigError(NclibError, ValueError):
    """A malformed recipe config; the message names the field and the bad value."""


def yaml_problem(err: Exception) -> str:
    """PyYAML's multi-line message as one line: the problem and where it is (line and column, 1-based)."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


@dataclass(frozen=True)
class Bound:
    """The values a numeric config field admits: `kind` (int, or float: any real number), and
    lo / hi (None: unbounded; open: the bound itself excluded). `note` says what a special value means."""

    kind: type
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    note: str = ""

    def range(self) -> str:
        """e.g. ">= 1", "in [0, 1)", "> 0"."""
        if self.hi is None:
            return f"{'>' if self.lo_open else '>='} {self.lo}"
        return f"in {'(' if self.lo_open else '['}{self.lo}, {self.hi}{')' if self.hi_open else ']'}"

    def allowed(self) -> str:
        return f"{'an integer' if self.kind is int else 'a number'} {self.range()}" + (f" ({self.note})" if self.note else "")

    def type_ok(self, value) -> bool:
        if isinstance(value, bool):
            return False
        return isinstance(value, int) if self.kind is int else isinstance(value, (int, float))

    def admits(self, value) -> bool:
        """Range only (after type_ok); written so that NaN fails every bound."""
        if self.lo is not None and not (value > self.lo if self.lo_open else value >= self.lo):
            return False
        if self.hi is not None and not (value < self.hi if self.hi_open else value <= self.hi):
            return False
        return value == value  # NaN


# Every numeric field of RecipeConfig ("lora.x": of LoraSettings) and the values it admits.
BOUNDS = {
    "worlds_top_k": Bound(int, 1),
    "text_ratio": Bound(float, 0, 1, hi_open=True, note="share of each batch that is prose; 0: none"),
    "n_train": Bound(int, 1),
    "n_test": Bound(int, 1),
    "seed": Bound(int, 0, 2**32 - 1),
    "steps": Bound(int, 1),
    "batch_size": Bound(int, 1),
    "lr": Bound(float, 0, 1, lo_open=True, hi_open=True),
    "reasoning_lr": Bound(float, 0, 1, lo_open=True, hi_open=True),
    "warmup_steps": Bound(int, 0, note="0: none"),
    "max_grad_norm": Bound(float, 0, lo_open=True, note=".inf: no clipping"),
    "eval_every": Bound(int, 0, note="0: no periodic evaluation"),
    "eval_n": Bound(int, 1),
    "final_eval_n": Bound(int, 0, note="0: no final evaluation"),
    "checkpoint_every": Bound(int, 0, note="0: a checkpoint only at the end"),
    "threads": Bound(int, 0, note="0: torch's default"),
    "lora.r": Bound(int, 1),
    "lora.alpha": Bound(float, 0, lo_open=True),
    "lora.dropout": Bound(float, 0, 1, hi_open=True),
    "lora.last_layers": Bound(int, 0, note="0: every layer"),
}


def check_number(name: str, value, where: str = "config") -> None:
    """ConfigError unless `value` is of BOUNDS[name]'s kind and inside it; the message names the field,
    the value and what is allowed."""
    bound = BOUNDS[name]
    if not bound.type_ok(value):
        hint = ""
        if bound.kind is float and isinstance(value, str) and "e" in value.lower():
            try:  # YAML 1.1 reads 2e-4 as a string; its floats need a dot and a signed exponent
                mantissa, exponent = f"{float(value):e}".split("e")
                mantissa = mantissa.rstrip("0") + ("0" if mantissa.rstrip("0").endswith(".") else "")
                hint = f" (YAML reads {value} as a string: write {mantissa}e{exponent})"
            except ValueError:
                pass
        raise ConfigError(f"{where}: {name} must be {bound.kind.__name__}, got {value!r} ({type(value).__name__}){hint}; "
                          f"allowed: {bound.allowed()}")
    if not bound.admits(value):
        raise ConfigError(f"{where}: {name} must be {bound.range()}, got {value!r}; allowed: {bound.allowed()}")


def check_stop_at(stop_at) -> None:
    """`--stop-at` / FinetuneRecipe(stop_at=): None (run to the end) or the step to stop after, >= 1."""
    if stop_at is not None and (isinstance(stop_at, bool) or not isinstance(stop_at, int) or stop_at < 1):
        raise ConfigError(f"--stop-at must be a step >= 1 to stop after (leave it out to run every step), got {stop_at!r}")


@dataclass
class LoraSettings:
    r: int = 8  # rank of the LoRA update
    alpha: int = 16  # scaling numerator (update scaled by alpha / r)
    dropout: float = 0.0  # LoRA dropout (0 keeps resume bit-exact without RNG bookkeeping)
    target_modules: list = field(default_factory=lambda: ["q_proj", "v_proj"])  # LLaMA attention projections
    last_layers: int = 0  # adapt only the last N decoder layers (0: all); backward then stops at the first adapted layer


@dataclass
class RecipeConfig:
    model: str = "smollm2"  # "smollm2" (embedded default), "tiny" (random 2-layer LLaMA, tests) or a local LLaMA dir
    variant: str = "augmented"  # "augmented" (NCLlama + task library) or "baseline" (the plain backbone)
    # augmented only: "answers" (rows need only prompt and answer; the trigger is the prompt's end, and the
    # answer-token loss trains router, reader and gate through the worlds machine mode) or "labels" (the
    # ablation: each row's routine and argument positions supervise router and reader; hard machine mode);
    # the recipe reads it as `call_supervision` (nclib.train.supervision.Supervision)
    supervision: str = "answers"
    worlds_top_k: int = 16  # supervision answers: worlds enumerated per routine and call
    router_inputs: str = "raw"  # augmented only: the router's hidden-state inputs, "raw" or "standardized" (nc_router_inputs)
    router_layer: int | None = None  # augmented only: the decoder layer whose output the router reads (nc_router_layer; None: the last hidden state)
    tasks: list = field(default_factory=lambda: ["sort", "add"])  # from nclib.tasks.TASKS; ignored with `dataset`
    # a user's (prompt, answer) dataset instead of the tasks: the fields of nclib.data.userdata.DatasetSpec
    # (path, name, prompt_column, answer_column, size_column, test_fraction, train_split, test_splits)
    dataset: dict = field(default_factory=dict)
    # the routines instead of the task library: stdlib names or {source: "file.py:func", values: [lo, hi],
    # memory, stack, output, labels, symbols} (nclib.model.library_spec); needed by the augmented variant with `dataset`
    library: list = field(default_factory=list)
    # share of each batch's rows that are ordinary prose with numbers (nclib.data.corpus, train sources),
    # language-model loss on every token and no call: the module learns when not to fire (both variants)
    text_ratio: float = 0.0
    data_dir: str = "out/data"  # task datasets (built here with `seed` when missing)
    n_train: int = 2000  # training rows per task when the data is built
    n_test: int = 200  # rows per test split when the data is built
    seed: int = 0  # data, initialisation and batch order
    steps: int = 100  # optimizer steps
    batch_size: int = 8  # rows per step, over all processes
    lr: float = 2e-4  # LoRA learning rate (identical for both variants)
    reasoning_lr: float = 3e-3  # router / reader / writer-gate learning rate (augmented only)
    warmup_steps: int = 5  # linear warm-up, then linear decay to 0 at the last step
    max_grad_norm: float = 1.0  # gradient clipping
    lora: LoraSettings = field(default_factory=LoraSettings)
    eval_every: int = 0  # periodic evaluation every N steps on `eval_n` test_iid rows per task (0: off)
    eval_n: int = 16
    final_eval_n: int = 50  # rows per (task, test split) in the final evaluation (0: skip)
    checkpoint_every: int = 0  # save a resumable checkpoint every N steps (0: only at the end)
    output_dir: str = "out/runs/run"  # metrics.jsonl, checkpoint/, final/, eval/
    save_final: bool = True  # write the merged model (loadable with from_pretrained) to output_dir/final
    threads: int = 0  # torch CPU threads (0: leave the default)

    @property
    def call_supervision(self) -> Supervision | None:
        """What supervises the model's calls: `supervision` as a `Supervision` for the augmented
        variant, None for the baseline (no reasoning module, no call). The config must be valid."""
        return Supervision(self.supervision) if self.variant == "augmented" else None

    @classmethod
    def from_yaml(cls, path) -> "RecipeConfig":
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {str(path)!r} does not exist")
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {yaml_problem(err)}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of config fields, got {type(raw).__name__}")
        return cls.from_dict(raw, where=str(path))

    @classmethod
    def from_dict(cls, raw: dict, where: str = "config") -> "RecipeConfig":
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping of config fields, got {type(raw).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {unknown}; known fields: {sorted(known)}")
        raw = dict(raw)
        if "lora" in raw:
            lora = raw["lora"]
            lknown = {f.name for f in fields(LoraSettings)}
            if not isinstance(lora, dict) or set(lora) - lknown:
                raise ConfigError(f"{where}: lora must be a mapping with fields {sorted(lknown)}, got {lora!r}")
            raw["lora"] = LoraSettings(**lora)
        cfg = cls(**raw)
        cfg.validate(where)
        return cfg

    def validate(self, where: str = "config") -> None:
        """ConfigError (one line: the field, the bad value, what is allowed) for the first bad field."""
        from nclib.tasks import TASKS

        for name in BOUNDS:
            owner, _, attr = name.rpartition(".")
            if owner == "lora" and not isinstance(self.lora, LoraSettings):
                raise ConfigError(f"{where}: lora must be a mapping with fields {[f.name for f in fields(LoraSettings)]}, "
                                  f"got {self.lora!r}")
            check_number(name, getattr(self.lora if owner else self, attr), where)
        kinds = {"model": str, "variant": str, "supervision": str, "tasks": list, "dataset": dict, "library": list,
                 "data_dir": str, "output_dir": str, "save_final": bool}
        names = {str: "a string", list: "a list", dict: "a mapping", bool: "true or false"}
        for name, kind in kinds.items():
            value = getattr(self, name)
            if not isinstance(value, kind):
                raise ConfigError(f"{where}: {name} must be {names[kind]}, got {value!r} ({type(value).__name__})")
        for name in ("model", "data_dir", "output_dir"):
            if not getattr(self, name).strip():
                raise ConfigError(f"{where}: {name} must not be empty")
        if self.router_layer is not None and (isinstance(self.router_layer, bool) or not isinstance(self.router_layer, int) or self.router_layer < 1):
            raise ConfigError(f"{where}: router_layer must be null or a decoder layer >= 1, got {self.router_layer!r}")
        if self.router_inputs not in ROUTER_INPUTS:
            raise ConfigError(f"{where}: router_inputs must be one of {ROUTER_INPUTS}, got {self.router_inputs!r}")
        if self.supervision not in SUPERVISION:
            raise ConfigError(f"{where}: supervision must be one of {SUPERVISION}, got {self.supervision!r}")
        if self.variant not in VARIANTS:
            raise ConfigError(f"{where}: variant must be one of {VARIANTS}, got {self.variant!r}")
        self._validate_user_fields(where)
        bad = [t for t in self.tasks if not isinstance(t, str) or t not in TASKS]
        if not self.dataset and (bad or not self.tasks):
            raise ConfigError(f"{where}: tasks must be a non-empty list from {list(TASKS)}, got {self.tasks!r}")
        if self.text_ratio and round(self.batch_size * self.text_ratio) in (0, self.batch_size):
            raise ConfigError(f"{where}: text_ratio {self.text_ratio} of batch_size {self.batch_size} leaves no text row "
                              "or no task row per batch")
        modules = self.lora.target_modules
        if not isinstance(modules, list) or not modules or not all(isinstance(m, str) and m for m in modules):
            raise ConfigError(f"{where}: lora.target_modules must be a non-empty list of module names (e.g. "
                              f"[q_proj, v_proj]), got {modules!r}")

    def _validate_user_fields(self, where: str) -> None:
        """`dataset` and `library`: their shape (files are read at setup) and how they combine."""
        from nclib.model.library_spec import LibrarySpecError, parse_library
        from nclib.data.userdata import DatasetError, DatasetSpec

        try:
            if self.dataset:
                DatasetSpec.from_dict(self.dataset)
        except DatasetError as err:
            raise ConfigError(f"{where}: dataset: {err}; got {self.dataset!r}") from None
        try:
            parse_library(self.library)
        except LibrarySpecError as err:
            raise ConfigError(f"{where}: {err}") from None  # names the entry: library[i] (source)
        if Supervision(self.supervision).reads_labels and (self.dataset or self.library):
            raise ConfigError(f"{where}: supervision 'labels' reads the built-in tasks' routine labels; with dataset or library "
                              f"use supervision 'answers'")
        if self.dataset and self.variant == "augmented" and not self.library:
            raise ConfigError(f"{where}: dataset {self.dataset.get('path')!r} with the augmented variant needs a library of "
                              f"routines, got library {self.library!r}")


def refuse_other_run(theirs: dict, mine: dict, what: str) -> None:
    """ConfigError naming the config fields (other than RESUMABLE_FIELDS) in which a saved run's
    config `theirs` differs from `mine`; a field missing from `theirs` has its default."""
    theirs = {**asdict(RecipeConfig()), **theirs}
    diff = sorted(k for k in set(theirs) | set(mine) if k not in RESUMABLE_FIELDS and theirs.get(k) != mine.get(k))
    if diff:
        values = "; ".join(f"{k}: {theirs.get(k)!r} there, {mine.get(k)!r} now" for k in diff[:3])
        raise ConfigError(f"{what} with a different config (fields {diff}): {values}; use another output_dir, or "
                          f"--overwrite to replace that run")

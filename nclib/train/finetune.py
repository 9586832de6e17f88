"""LoRA fine-tuning recipe: the augmented NCLlama model or, with the identical data, steps,
learning rate and seed, the plain backbone (the baseline).

Single process (CPU or one GPU):
    nclib train train/configs/smollm2_sort_add_augmented.yaml
Several processes / GPUs (data parallel, through accelerate):
    accelerate launch --num_processes 2 -m nclib.train.finetune train/configs/smollm2_sort_add_augmented.yaml
    (on a CPU-only machine add `--cpu --multi_gpu`, which starts gloo ranks)

Stages: setup (data, model, LoRA, optimizer, resume) -> train (progress bar, periodic evaluation,
metrics as JSON lines, checkpoints) -> save (final merged model + tokenizer) -> final evaluation
(predictions, table, accuracy-by-size PNG) -> cleanup. Resuming from the last checkpoint in
`output_dir` reproduces the uninterrupted run exactly: the batch order is a pure function of
(seed, step), and the checkpoint holds the trainable weights, optimizer, scheduler and RNG states.

Data and routines: the built-in tasks with their task library, or a user's own (prompt, answer)
dataset (`dataset:`, nclib.data.userdata) and routines (`library:`, nclib.runtime.library_spec), e.g.
    dataset: {path: data/inversions.jsonl, test_fraction: 0.1}
    library: [gcd, {source: my_routines.py:count_inversions, values: [0, 256]}]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
import yaml

from nclib.util.atomic import atomic_directory, atomic_write_text, recover
from nclib.errors import NclibError
from nclib.train.checkpoint import CheckpointError, TrainingState, load_checkpoint, save_checkpoint as write_checkpoint

VARIANTS = ("augmented", "baseline")
SUPERVISION = ("answers", "labels")
ROUTER_INPUTS = ("raw", "standardized")  # nclib.model.configuration_ncllama.ROUTER_INPUTS (not imported: no transformers here)
# config fields a rerun may change and still continue the run in output_dir (resume from its checkpoint)
RESUMABLE_FIELDS = ("steps", "eval_every", "checkpoint_every", "final_eval_n", "save_final", "output_dir")
# what a run writes into output_dir (all of it removed by `overwrite`)
RUN_FILES = ("checkpoint", "checkpoint.tmp", "final", "eval", "metrics.jsonl", "config.yaml")


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
    # ablation: each row's routine and argument positions supervise router and reader; hard machine mode)
    supervision: str = "answers"
    worlds_top_k: int = 16  # supervision answers: worlds enumerated per routine and call
    router_inputs: str = "raw"  # augmented only: the router's hidden-state inputs, "raw" or "standardized" (nc_router_inputs)
    router_layer: int | None = None  # augmented only: the decoder layer whose output the router reads (nc_router_layer; None: the last hidden state)
    tasks: list = field(default_factory=lambda: ["sort", "add"])  # from nclib.tasks.TASKS; ignored with `dataset`
    # a user's (prompt, answer) dataset instead of the tasks: the fields of nclib.data.userdata.DatasetSpec
    # (path, name, prompt_column, answer_column, size_column, test_fraction, train_split, test_splits)
    dataset: dict = field(default_factory=dict)
    # the routines instead of the task library: stdlib names or {source: "file.py:func", values: [lo, hi],
    # memory, stack, output, labels, symbols} (nclib.runtime.library_spec); needed by the augmented variant with `dataset`
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
        from nclib.runtime.library_spec import LibrarySpecError, parse_library
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
        if self.supervision == "labels" and (self.dataset or self.library):
            raise ConfigError(f"{where}: supervision 'labels' reads the built-in tasks' routine labels; with dataset or library "
                              f"use supervision 'answers'")
        if self.dataset and self.variant == "augmented" and not self.library:
            raise ConfigError(f"{where}: dataset {self.dataset.get('path')!r} with the augmented variant needs a library of "
                              f"routines, got library {self.library!r}")


def _refuse_other_run(theirs: dict, mine: dict, what: str) -> None:
    """ConfigError naming the config fields (other than RESUMABLE_FIELDS) in which a saved run's
    config `theirs` differs from `mine`; a field missing from `theirs` has its default."""
    theirs = {**asdict(RecipeConfig()), **theirs}
    diff = sorted(k for k in set(theirs) | set(mine) if k not in RESUMABLE_FIELDS and theirs.get(k) != mine.get(k))
    if diff:
        values = "; ".join(f"{k}: {theirs.get(k)!r} there, {mine.get(k)!r} now" for k in diff[:3])
        raise ConfigError(f"{what} with a different config (fields {diff}): {values}; use another output_dir, or "
                          f"--overwrite to replace that run")


def batch_indices(step: int, batch_size: int, n: int, seed: int) -> list[int]:
    """Rows of global batch `step`: consecutive slices of per-epoch permutations seeded by
    (seed, epoch), so any step's batch is known without replaying the ones before it."""
    out = []
    pos = step * batch_size
    while len(out) < batch_size:
        epoch, offset = divmod(pos, n)
        g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        perm = torch.randperm(n, generator=g)
        take = min(batch_size - len(out), n - offset)
        out += perm[offset: offset + take].tolist()
        pos += take
    return out


class FinetuneRecipe:
    """setup -> train -> save_final -> evaluate -> cleanup."""

    def __init__(self, cfg: RecipeConfig, stop_at: int | None = None, overwrite: bool = False):
        cfg.validate()
        check_stop_at(stop_at)
        self.cfg = cfg
        self.stop_at = stop_at  # simulate an interruption after this step (tests, resume demos)
        self.overwrite = overwrite  # replace a different (or the same) run in output_dir and start at step 0
        self.out = Path(cfg.output_dir)

    # --- setup -----------------------------------------------------------------------------

    def setup(self) -> None:
        from accelerate import Accelerator
        from accelerate.utils import DistributedDataParallelKwargs

        cfg = self.cfg
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.accel = Accelerator(cpu=not torch.cuda.is_available(),
                                 kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])
        self.main = self.accel.is_main_process
        self._claim_output_dir()
        random.seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        self.data, self.test_splits = self._load_data()
        self.model, self.tokenizer = self._build_model()
        self.augmented = cfg.variant == "augmented"
        core = self.model.get_base_model()
        self.routines = [r["name"] for r in core.config.nc_routines] if self.augmented else None
        vocab = core.reasoning.vocab if self.augmented else None
        rows = [r for dd in self.data.values() for r in dd["train"]]
        self.train_rows = rows
        if cfg.text_ratio:
            from nclib.data.corpus import ordinary_passages

            self.text_rows = ordinary_passages("train", seed=cfg.seed)
        self.vocab = vocab
        reasoning = [p for n, p in self.model.named_parameters() if p.requires_grad and ".reasoning." in n]
        lora = [p for n, p in self.model.named_parameters() if p.requires_grad and ".reasoning." not in n]
        groups = [{"params": lora, "lr": cfg.lr}]
        if reasoning:
            groups.append({"params": reasoning, "lr": cfg.reasoning_lr})
        self.optimizer = torch.optim.AdamW(groups, weight_decay=0.0)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        self.step = 0
        self._maybe_resume()
        self.model, self.optimizer = self.accel.prepare(self.model, self.optimizer)
        if self.main:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.out / "config.yaml", yaml.safe_dump(asdict(cfg), sort_keys=False))
            self._truncate_metrics()

    def _lr_factor(self, step: int) -> float:
        """Linear warm-up over warmup_steps, then linear decay to 0 at the last step."""
        warm = max(1, self.cfg.warmup_steps)
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (self.cfg.steps - step) / max(1, self.cfg.steps - warm))

    def _load_data(self) -> tuple[dict, list[str]]:
        """({task: DatasetDict with a "train" split}, the test splits of the final evaluation, the first
        one also of the periodic one): the user dataset, or the tasks (built under data_dir when missing)."""
        from nclib.tasks import build_task, load_task

        if self.cfg.dataset:
            from nclib.data.userdata import DatasetSpec, load_user_dataset

            spec = DatasetSpec.from_dict(self.cfg.dataset)
            dd = load_user_dataset(spec, seed=self.cfg.seed)
            return {spec.task: dd}, [s for s in dd if s != "train"]
        data = {}
        for task in self.cfg.tasks:
            path = Path(self.cfg.data_dir) / task
            if not path.exists():
                if self.main:
                    build_task(task, n_train=self.cfg.n_train, n_test=self.cfg.n_test, seed=self.cfg.seed).save_to_disk(str(path))
                self.accel.wait_for_everyone()
            data[task] = load_task(path, labels=self.cfg.variant == "augmented" and self.cfg.supervision == "labels")
        wording = all("test_wording" in dd for dd in data.values())
        return data, ["test_iid", "test_ood"] + (["test_wording"] if wording else [])

    def _build_model(self):
        from peft import LoraConfig, get_peft_model

        from nclib.runtime.library_spec import compile_library
        from nclib.tasks.task_model import build_augmented, load_backbone

        augmented = self.cfg.variant == "augmented"
        library = compile_library(self.cfg.library) if augmented and self.cfg.library else None  # before any model
        base, tok = load_backbone(self.cfg.model)
        if augmented:
            if self.cfg.supervision == "answers":
                mode = {"nc_machine_mode": "worlds", "nc_worlds_top_k": self.cfg.worlds_top_k}
            else:
                mode = {"nc_machine_mode": "hard"}
            mode.update(nc_router_inputs=self.cfg.router_inputs, nc_router_layer=self.cfg.router_layer)
            if library:
                model = library.augment(base, tok, **mode)
            else:
                model = build_augmented(base, tok, tasks=tuple(self.cfg.tasks), **mode)
            save = ["reasoning"]
        else:
            model, save = base, None
        lcfg = self.cfg.lora
        n_layers = base.config.num_hidden_layers
        if lcfg.last_layers > n_layers:
            raise ConfigError(f"lora.last_layers={lcfg.last_layers} exceeds the model's {n_layers} layers")
        layers = list(range(n_layers - lcfg.last_layers, n_layers)) if lcfg.last_layers else None
        peft_cfg = LoraConfig(r=lcfg.r, lora_alpha=lcfg.alpha, lora_dropout=lcfg.dropout, layers_to_transform=layers,
                              target_modules=list(lcfg.target_modules), modules_to_save=save)
        torch.manual_seed(self.cfg.seed)  # LoRA's A matrices: the same draw for both variants
        return get_peft_model(model, peft_cfg), tok

    # --- checkpoints -------------------------------------------------------------------------

    def _trainable_state(self) -> dict:
        model = self.accel.unwrap_model(self.model) if hasattr(self, "accel") else self.model
        return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}

    def save_checkpoint(self) -> None:
        """output_dir/checkpoint, replaced in one step (nclib.train.checkpoint): a crash at any
        point leaves the previous checkpoint or this one, complete."""
        if not self.main:
            return
        write_checkpoint(self.out / "checkpoint", TrainingState.capture(
            self.step, asdict(self.cfg), self._trainable_state(), self.optimizer, self.scheduler))

    def _claim_output_dir(self) -> None:
        """Refuse an output_dir that holds a different run (or, with overwrite, clear it), and put
        back a checkpoint that a crash mid-save left aside. Every rank checks; rank 0 writes."""
        out, cfg = self.out, self.cfg
        if out.exists() and not out.is_dir():
            raise ConfigError(f"output_dir {out} is a file, not a directory; choose another output_dir")
        if self.overwrite:
            if self.main and out.is_dir():
                for name in RUN_FILES:
                    for p in [out / name, *out.glob(f".{name}.tmp-*"), *out.glob(f".{name}.old-*")]:
                        if p.is_dir() and not p.is_symlink():
                            shutil.rmtree(p)
                        elif p.exists() or p.is_symlink():
                            p.unlink()
            self.accel.wait_for_everyone()
            return
        saved = out / "config.yaml"
        if saved.is_file():
            try:
                theirs = yaml.safe_load(saved.read_text())
            except (yaml.YAMLError, UnicodeDecodeError) as err:
                raise ConfigError(f"{saved} is corrupt ({type(err).__name__}); use another output_dir, or --overwrite "
                                  f"to replace the run there") from None
            if not isinstance(theirs, dict):
                raise ConfigError(f"{saved} is not a run config (a {type(theirs).__name__}); use another output_dir, "
                                  f"or --overwrite to replace the run there")
            _refuse_other_run(theirs, asdict(cfg), f"{out} holds a run")
        elif any((out / name).exists() for name in ("metrics.jsonl", "checkpoint", "checkpoint.tmp")):
            raise ConfigError(f"{out} holds training output but no config.yaml, so it may be another run's; use another "
                              f"output_dir, or --overwrite to replace it")
        legacy = out / "checkpoint.tmp"  # the rotation of nclib before the atomic checkpoints
        if legacy.is_dir() and not (out / "checkpoint").exists():
            raise CheckpointError(f"{legacy} is the last checkpoint of an interrupted save by an older nclib (a pickle, never "
                                  f"loaded): restarting would discard it silently; use another output_dir, or --overwrite "
                                  f"to start this run at step 0")
        if self.main and out.is_dir():
            recover(out / "checkpoint")
        self.accel.wait_for_everyone()

    def _maybe_resume(self) -> None:
        ck = self.out / "checkpoint"
        if not ck.exists():
            unfinished = sorted(p.name for p in self.out.glob(".checkpoint.tmp-*"))
            if self.main and (unfinished or (self.out / "metrics.jsonl").exists()):
                print(f"no complete checkpoint in {self.out}{f' (unfinished, not read: {unfinished})' if unfinished else ''}; "
                      f"starting at step 0", flush=True)
            return
        state = load_checkpoint(ck)
        _refuse_other_run(state.config, asdict(self.cfg), f"{ck} was written")
        if state.step > self.cfg.steps:
            raise CheckpointError(f"{ck / 'state.json'}: step {state.step} is past the run's last step ({self.cfg.steps}); "
                                  "the file was edited: remove the checkpoint or pass --overwrite")
        params = {n: p for n, p in self.model.named_parameters() if p.requires_grad}
        if set(state.trainable) != set(params):
            missing, extra = sorted(set(params) - set(state.trainable)), sorted(set(state.trainable) - set(params))
            raise CheckpointError(f"{ck} does not fit this model: trainable weights missing {missing[:3]}, "
                                  f"unknown {extra[:3]}; use another output_dir, or --overwrite")
        for n, t in state.trainable.items():
            if t.shape != params[n].shape:
                raise CheckpointError(f"{ck}: weight {n} has shape {tuple(t.shape)}, the model's is {tuple(params[n].shape)}")
        try:
            self.optimizer.load_state_dict(state.optimizer)
            self.scheduler.load_state_dict(state.scheduler)
        except (KeyError, ValueError, TypeError, RuntimeError) as err:
            raise CheckpointError(f"{ck}: the optimizer or scheduler state does not fit this run: {err}") from None
        with torch.no_grad():
            for n, t in state.trainable.items():
                params[n].copy_(t)
        state.restore_rng()
        self.step = state.step
        if self.main:
            print(f"resumed from {ck} at step {self.step}", flush=True)

    def _truncate_metrics(self) -> None:
        """Drop the metrics rows past the step the run (re)starts from, so that no step appears
        twice, and a line cut short by a crash."""
        path = self.out / "metrics.jsonl"
        if not path.is_file():
            return
        kept, dropped = [], 0
        for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                row = None
            if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] <= self.step:
                kept.append(line + "\n")
            else:
                dropped += 1
        if dropped:
            atomic_write_text(path, "".join(kept))
            print(f"{path}: dropped {dropped} row(s) past step {self.step}", flush=True)

    # --- training ---------------------------------------------------------------------------

    def _batch(self, step: int) -> dict:
        """Global batch `step`, this rank's share: task rows (and, with text_ratio, ordinary passages:
        labels on every token, no call; the same rows for both variants)."""
        from nclib.tasks.task_model import collate, encode_rows, encode_text

        cfg = self.cfg
        n_text = round(cfg.batch_size * cfg.text_ratio)
        rank, world = self.accel.process_index, self.accel.num_processes
        idx = batch_indices(step, cfg.batch_size - n_text, len(self.train_rows), cfg.seed)
        rows = [self.train_rows[i] for i in idx[rank::world]]
        labels = self.augmented and cfg.supervision == "labels"
        enc = encode_rows(rows, self.tokenizer, self.vocab if labels else None)
        if n_text:
            tidx = batch_indices(step, n_text, len(self.text_rows), cfg.seed + 1)
            enc += encode_text([self.text_rows[i] for i in tidx[rank::world]], self.tokenizer)
        core = self.accel.unwrap_model(self.model).get_base_model()
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        if labels:
            batch = collate(enc, pad, self.routines, core.config.nc_max_args, core.config.nc_max_list_len)
        elif self.augmented:  # answers only: the call is anchored at the prompt's end, nothing else is given
            batch = collate(enc, pad)
            batch["nc_call"] = {"trigger": batch["trigger"]}
        else:
            batch = collate(enc, pad)
        batch.pop("prompt_len")
        batch.pop("trigger")
        return batch

    def train(self) -> None:
        from tqdm.auto import tqdm

        cfg = self.cfg
        bar = tqdm(total=cfg.steps, initial=self.step, desc=f"{cfg.variant} {'+'.join(self.data)}", disable=not self.main)
        metrics = open(self.out / "metrics.jsonl", "a") if self.main else None
        began = time.time()
        self.model.train()
        while self.step < cfg.steps:
            batch = self._batch(self.step)
            out = self.model(**batch)
            self.accel.backward(out.loss)
            grad_norm = self.accel.clip_grad_norm_(self.model.parameters(), cfg.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.step += 1
            parts = {k: float(v.detach()) for k, v in (getattr(out, "nc_losses", None) or {}).items()}
            loss = self.accel.reduce(out.loss.detach(), reduction="mean").item()
            record = {"step": self.step, "loss": round(loss, 6), "grad_norm": round(float(grad_norm), 6),
                      "lr": self.scheduler.get_last_lr()[0], **{f"{k}_loss": round(v, 6) for k, v in parts.items()},
                      "seconds": round(time.time() - began, 2)}
            if self.main:
                metrics.write(json.dumps(record) + "\n")
                metrics.flush()
                bar.set_postfix(loss=f"{loss:.3f}")
                bar.update(1)
            if cfg.eval_every and self.step % cfg.eval_every == 0:
                self._periodic_eval(metrics)
                self.model.train()
            if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                self.save_checkpoint()
            if self.stop_at is not None and self.step >= self.stop_at:
                break
        bar.close()
        if metrics is not None:
            metrics.close()
        self.accel.wait_for_everyone()

    def _periodic_eval(self, metrics) -> None:
        from nclib.evals.exact_match import accuracy_table, evaluate_rows, sample_rows

        if self.main:
            rows = [r for dd in self.data.values() for r in sample_rows(dd, self.test_splits[:1], self.cfg.eval_n, self.cfg.seed)]
            records = evaluate_rows(self.accel.unwrap_model(self.model), self.tokenizer, rows, self.cfg.variant)
            acc = {f"{t}/{s}": c / n for (_, t, s), (c, n) in accuracy_table(records)["split"].items()}
            metrics.write(json.dumps({"step": self.step, "eval": acc}) + "\n")
            metrics.flush()
        self.accel.wait_for_everyone()

    # --- the end ----------------------------------------------------------------------------

    def save_final(self) -> None:
        if not self.main:
            return
        self.save_checkpoint()
        if not self.cfg.save_final:
            return
        merged = self.accel.unwrap_model(self.model).merge_and_unload()
        with atomic_directory(self.out / "final") as tmp:  # model and tokenizer replace the old ones together
            merged.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
        self.final_model = merged

    def evaluate(self) -> str | None:
        from nclib.evals.exact_match import evaluate_rows, sample_rows, write_results

        if not self.main or not self.cfg.final_eval_n:
            return None
        model = getattr(self, "final_model", None) or self.accel.unwrap_model(self.model)
        rows = [r for dd in self.data.values() for r in sample_rows(dd, self.test_splits, self.cfg.final_eval_n, self.cfg.seed)]
        records = evaluate_rows(model, self.tokenizer, rows, self.cfg.variant)
        table = write_results(records, self.out / "eval", title=f"{self.cfg.variant} ({self.cfg.model})")
        print(table, flush=True)
        return table

    def cleanup(self) -> None:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()  # without it the gloo ranks abort at exit


def recipe_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="YAML recipe config (train/configs/*.yaml)")
    parser.add_argument("--stop-at", type=int, default=None, help="stop after this step, as if interrupted (resume by running again)")
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="override config fields (YAML values)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run in output_dir (a different one, or this one) and start at step 0")
    a = parser.parse_args(argv)
    cfg = RecipeConfig.from_yaml(a.config)
    if a.set:
        raw = asdict(cfg)
        for item in a.set:
            if "=" not in item:
                raise ConfigError(f"--set expects FIELD=VALUE, got {item!r}")
            k, v = item.split("=", 1)
            try:
                raw[k] = yaml.safe_load(v)
            except yaml.YAMLError as err:
                raise ConfigError(f"--set {item!r}: not a YAML value: {yaml_problem(err)}") from None
        cfg = RecipeConfig.from_dict(raw, where=f"{a.config} with --set")
    recipe = FinetuneRecipe(cfg, stop_at=a.stop_at, overwrite=a.overwrite)
    began = time.time()
    recipe.setup()
    recipe.train()
    if recipe.step >= cfg.steps:
        recipe.save_final()
        recipe.evaluate()
    elif recipe.main:
        recipe.save_checkpoint()
        print(f"stopped at step {recipe.step} of {cfg.steps}; run the same command again (without --overwrite) to resume",
              flush=True)
    if recipe.main:
        print(f"{cfg.variant}: {recipe.step} steps on {recipe.accel.num_processes} process(es), {time.time() - began:.0f} s wall, "
              f"output in {recipe.out}", flush=True)
    recipe.cleanup()


if __name__ == "__main__":
    recipe_main()

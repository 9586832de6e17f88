"""LoRA fine-tuning recipe: the augmented NCLlama model or, with the identical data, steps,
learning rate and seed, the plain backbone (the baseline).

Single process (CPU or one GPU):
    nclib train train/configs/smollm2_sort_add_augmented.yaml
Several processes / GPUs (data parallel, through accelerate):
    accelerate launch --num_processes 2 -m nclib.train.finetune train/configs/smollm2_sort_add_augmented.yaml
    (on a CPU-only machine add `--cpu --multi_gpu`, which starts gloo ranks)

Stages: setup (data, model, every training row encoded once, LoRA, optimizer, resume, the data
loader) -> train (progress bar, periodic evaluation, metrics as JSON lines, checkpoints) -> save
(final merged model + tokenizer) -> final evaluation (predictions, table, accuracy-by-size PNG) ->
cleanup. Resuming from the last checkpoint in `output_dir` reproduces the uninterrupted run
exactly: the batch order is a pure function of (seed, step) (nclib.train.data), and the
checkpoint holds the trainable weights, optimizer, scheduler and RNG states. The config and its
checks are in nclib.train.config; what `supervision:` implies, in nclib.train.supervision.

Data and routines: the built-in tasks with their task library, or a user's own (prompt, answer)
dataset (`dataset:`, nclib.data.userdata) and routines (`library:`, nclib.model.library_spec), e.g.
    dataset: {path: data/inversions.jsonl, test_fraction: 0.1}
    library: [gcd, {source: my_routines.py:count_inversions, values: [0, 256]}]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import torch
import yaml

from nclib.train.checkpoint import CheckpointError, TrainingState, load_checkpoint, save_checkpoint as write_checkpoint
from nclib.train.config import (BOUNDS, RESUMABLE_FIELDS, ROUTER_INPUTS, SUPERVISION, VARIANTS,  # noqa: F401 (re-exported)
                                Bound, ConfigError, LoraSettings, RecipeConfig, check_number, check_stop_at, refuse_other_run,
                                yaml_problem)
from nclib.train.data import Collate, StepSampler, batch_indices  # noqa: F401 (batch_indices: re-exported)
from nclib.util.atomic import atomic_directory, atomic_write_text, recover

# what a run writes into output_dir (all of it removed by `overwrite`)
RUN_FILES = ("checkpoint", "checkpoint.tmp", "final", "eval", "metrics.jsonl", "config.yaml")


class FinetuneRecipe:
    """setup -> train -> save_final -> evaluate -> cleanup."""

    def __init__(self, cfg: RecipeConfig, stop_at: int | None = None, overwrite: bool = False):
        cfg.validate()
        check_stop_at(stop_at)
        self.cfg = cfg
        self.supervision = cfg.call_supervision  # what supervises the calls (None: the baseline, no call)
        self.reads_labels = self.supervision is not None and self.supervision.reads_labels  # rows carry routine and args
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
        self._encode_data()
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
            data[task] = load_task(path, labels=self.reads_labels)
        wording = all("test_wording" in dd for dd in data.values())
        return data, ["test_iid", "test_ood"] + (["test_wording"] if wording else [])

    def _build_model(self):
        from peft import LoraConfig, get_peft_model

        from nclib.model.library_spec import compile_library
        from nclib.tasks.task_model import load_backbone, task_routines

        routines = None  # the config's library, or the tasks' own routines; compiled before any model
        if self.supervision:
            routines = compile_library(self.cfg.library) if self.cfg.library else task_routines(self.cfg.tasks)
        base, tok = load_backbone(self.cfg.model)
        if routines:
            model = routines.augment(base, tok, **self.supervision.machine_fields(self.cfg.worlds_top_k),
                                    nc_router_inputs=self.cfg.router_inputs, nc_router_layer=self.cfg.router_layer)
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

    def _encode_data(self) -> None:
        """Every training row encoded once: the task rows (with label supervision also their routine
        and the token positions of their arguments), then with text_ratio the prose passages (labels on
        every token, no call; the same rows for both variants); and the collate function."""
        from nclib.tasks.task_model import encode_rows, encode_text

        rows = [r for dd in self.data.values() for r in dd["train"]]
        passages = []
        if self.cfg.text_ratio:
            from nclib.data.corpus import ordinary_passages

            passages = ordinary_passages("train", seed=self.cfg.seed)
        core = self.model.get_base_model()
        vocab = core.reasoning.vocab if self.reads_labels else None
        self.dataset = encode_rows(rows, self.tokenizer, vocab) + encode_text(passages, self.tokenizer)
        self.n_rows, self.n_text = len(rows), len(passages)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        self.collate = Collate(pad, self.supervision, core.config)

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
            refuse_other_run(theirs, asdict(cfg), f"{out} holds a run")
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
        refuse_other_run(state.config, asdict(self.cfg), f"{ck} was written")
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

    def _dataloader(self, start: int) -> torch.utils.data.DataLoader:
        """This rank's share of each step's batch, from step `start` to the last. The loader draws its
        worker seed from its own generator: the global RNG (saved in checkpoints) is left alone."""
        cfg = self.cfg
        sampler = StepSampler(self.n_rows, self.n_text, cfg.batch_size, cfg.text_ratio, cfg.seed, start=start,
                              steps=cfg.steps, rank=self.accel.process_index, world=self.accel.num_processes)
        return torch.utils.data.DataLoader(self.dataset, batch_sampler=sampler, collate_fn=self.collate,
                                           generator=torch.Generator())

    def _batch(self, step: int) -> dict:
        """The batch of step `step` (this rank's share)."""
        return next(iter(self._dataloader(step)))

    def train(self) -> None:
        from tqdm.auto import tqdm

        cfg = self.cfg
        bar = tqdm(total=cfg.steps, initial=self.step, desc=f"{cfg.variant} {'+'.join(self.data)}", disable=not self.main)
        metrics = open(self.out / "metrics.jsonl", "a") if self.main else None
        began = time.time()
        self.model.train()
        for batch in self._dataloader(self.step):
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

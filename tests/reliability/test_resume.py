"""Resuming never runs foreign code and never loses or repeats a step: checkpoints are safetensors
+ JSON (a planted pickle is refused unread), a checkpoint save interrupted at any point leaves a
complete checkpoint to resume from, a corrupt one is named in one line, metrics.jsonl holds each
step once after a resume, and a rerun into another run's output_dir is refused unless told to
overwrite it."""

from __future__ import annotations

import json
import os
import pathlib
import random
import re
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
import yaml

from nclib import atomic
from nclib.train.checkpoint import CheckpointError, TrainingState, load_checkpoint, save_checkpoint
from nclib.train.finetune import ConfigError, FinetuneRecipe, RecipeConfig, recipe_main

pytestmark = [pytest.mark.usefixtures("one_thread"), pytest.mark.slow]  # slow: the second lane of scripts/test.sh

TINY = Path(__file__).parents[2] / "train" / "configs" / "tiny_augmented.yaml"
FILES = ["optimizer.safetensors", "state.json", "trainable.safetensors"]


# --- a checkpoint without a model: format, exactness, interruption, corruption -----------------

def toy_state(step: int, seed: int = 0) -> tuple:
    """A small model after `step` AdamW steps with two parameter groups and a LambdaLR, captured."""
    torch.manual_seed(seed)
    random.seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    opt = torch.optim.AdamW([{"params": model[0].parameters(), "lr": 0.01},
                             {"params": model[1].parameters(), "lr": 0.1}], weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1 + s))
    for _ in range(step):
        model(torch.randn(5, 3)).square().mean().backward()
        opt.step()
        sched.step()
        opt.zero_grad()
    state = TrainingState.capture(step, {"lr": 0.01, "tasks": ["add"]}, {n: p.detach().clone() for n, p in model.named_parameters()},
                                  opt, sched)
    return state, model, opt, sched


def equal_states(a: TrainingState, b: TrainingState) -> bool:
    def eq(x, y):
        if isinstance(x, torch.Tensor):
            return isinstance(y, torch.Tensor) and x.dtype == y.dtype and torch.equal(x, y)
        if isinstance(x, dict):
            return isinstance(y, dict) and x.keys() == y.keys() and all(eq(x[k], y[k]) for k in x)
        if isinstance(x, (list, tuple)):
            return type(x) is type(y) and len(x) == len(y) and all(eq(u, v) for u, v in zip(x, y))
        return x == y
    return all(eq(getattr(a, f), getattr(b, f)) for f in ("step", "config", "trainable", "optimizer", "scheduler",
                                                         "torch_rng", "python_rng"))


def test_a_checkpoint_is_safetensors_and_json_and_restores_exactly(tmp_path):
    state, _, _, _ = toy_state(3)
    after = (torch.rand(4), random.random())  # what the uninterrupted run draws next
    save_checkpoint(tmp_path / "ck", state)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == FILES
    json.loads((tmp_path / "ck" / "state.json").read_text())  # plain JSON
    loaded = load_checkpoint(tmp_path / "ck")
    assert equal_states(loaded, state)
    assert loaded.python_rng == state.python_rng and isinstance(loaded.optimizer["param_groups"][0]["betas"], tuple)
    torch.manual_seed(123)
    random.seed(123)
    loaded.restore_rng()
    assert torch.equal(torch.rand(4), after[0]) and random.random() == after[1]
    # continuing from the loaded state gives the uninterrupted run's weights, bit for bit
    _, whole, _, _ = toy_state(5, seed=0)
    _, resumed, opt2, sched2 = toy_state(0, seed=99)
    resumed.load_state_dict(loaded.trainable)
    opt2.load_state_dict(loaded.optimizer)
    sched2.load_state_dict(loaded.scheduler)
    loaded.restore_rng()
    for _ in range(2):
        resumed(torch.randn(5, 3)).square().mean().backward()
        opt2.step()
        sched2.step()
        opt2.zero_grad()
    assert all(torch.equal(p, q) for p, q in zip(resumed.parameters(), whole.parameters()))


class Faults:
    """Raise at the k-th call of any of the operations a save is made of (file writes, fsync,
    mkdir, rename, exchange, rmtree); `crash`: also skip the clean-up of the temporary directory,
    as when the process is killed."""

    OPS = [(pathlib.Path, "write_bytes"), (pathlib.Path, "write_text"), (os, "fsync"), (os, "mkdir"), (os, "rename"),
           (atomic, "_exchange"), (shutil, "rmtree")]

    def __init__(self, monkeypatch, k: int, crash: bool):
        self.k, self.calls, self.fired = k, 0, None
        for owner, name in self.OPS:
            monkeypatch.setattr(owner, name, self.wrap(getattr(owner, name), name))
        if crash:
            real = atomic._remove
            monkeypatch.setattr(atomic, "_remove", lambda p: None if ".tmp-" in p.name else real(p))

    def wrap(self, fn, name):
        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.k:
                self.fired = name
                raise OSError(28, f"injected failure in {name}")
            return fn(*args, **kwargs)
        return call


@pytest.mark.parametrize("crash", [False, True], ids=["error", "killed"])
def test_checkpoint_rotation_interrupted_at_every_point(tmp_path, monkeypatch, crash):
    ck = tmp_path / "checkpoint"
    old = toy_state(2)[0]
    new = toy_state(4)[0]
    points = []
    for k in range(1, 200):
        if ck.exists():
            shutil.rmtree(ck)
        save_checkpoint(ck, old)
        failed = False
        with monkeypatch.context() as m:
            faults = Faults(m, k, crash)
            try:
                save_checkpoint(ck, new)
            except OSError:
                failed = True
        if faults.fired is None:
            assert equal_states(load_checkpoint(ck), new)
            break
        got = load_checkpoint(ck)  # complete, whichever it is
        if not failed:  # a failure the save tolerates (mkdir of the existing parent)
            assert equal_states(got, new), (k, faults.fired)
            continue
        points.append(faults.fired)
        assert equal_states(got, old) or equal_states(got, new), (k, faults.fired)
        if faults.fired != "rmtree":  # removing the old directory comes after the swap: only then is it new
            assert equal_states(got, old), (k, faults.fired)
    wanted = {"write_bytes", "write_text", "fsync", "mkdir", "rename", "_exchange"} | (set() if crash else {"rmtree"})
    assert wanted <= set(points), points
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".checkpoint."))
    assert left or not crash  # killed saves left their temporary directories (never read above)
    monkeypatch.setattr(atomic, "_owner_alive", lambda p: False)  # as in the next process
    save_checkpoint(ck, old)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint"]


def test_a_planted_pickle_never_runs(tmp_path):
    marker = tmp_path / "owned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"step": 5, "trainable": Evil()}, tmp_path / "probe.pt")  # a state.pt as the old format had it
    payload = (tmp_path / "probe.pt").read_bytes()
    torch.load(tmp_path / "probe.pt", weights_only=False)  # the old loader: the plant works
    assert marker.exists()
    marker.unlink()
    ck = tmp_path / "checkpoint"
    ck.mkdir()
    (ck / "state.pt").write_bytes(payload)
    with pytest.raises(CheckpointError, match=f"{ck / 'state.pt'} is a pickled checkpoint"):
        load_checkpoint(ck)
    good = toy_state(1)[0]
    for name in FILES:  # the pickle in place of each file of a real checkpoint
        shutil.rmtree(ck)
        save_checkpoint(ck, good)
        (ck / name).write_bytes(payload)
        with pytest.raises(CheckpointError, match=str(ck / name)):
            load_checkpoint(ck)
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["truncate-trainable", "truncate-optimizer", "truncate-state", "flip-trainable",
                                    "missing-optimizer", "not-a-checkpoint"])
def test_a_corrupt_checkpoint_is_named_in_one_line(tmp_path, damage):
    ck = tmp_path / "checkpoint"
    save_checkpoint(ck, toy_state(1)[0])
    what, name = damage.split("-", 1)
    path = ck / {"trainable": "trainable.safetensors", "optimizer": "optimizer.safetensors", "state": "state.json",
                 "a-checkpoint": "state.json"}[name]
    data = path.read_bytes()
    if what == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif what == "flip":
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif what == "missing":
        path.unlink()
    else:
        path.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ck)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


# --- the recipe: resume bookkeeping and output directories ---------------------------------------

@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("data"))


def tiny(out: Path, data_dir: str, **overrides) -> RecipeConfig:
    raw = asdict(RecipeConfig.from_yaml(TINY))
    raw.update(output_dir=str(out), data_dir=data_dir, eval_every=0, final_eval_n=0, save_final=False, **overrides)
    return RecipeConfig.from_dict(raw)


def run(cfg: RecipeConfig, *flags: str, cli: bool = False) -> None:
    path = Path(cfg.output_dir).parent / f"{Path(cfg.output_dir).name}.yaml"
    path.write_text(yaml.safe_dump(asdict(cfg)))
    if cli:
        from nclib.cli import main

        main(["train", str(path), *flags])
    else:
        recipe_main([str(path), *flags])


def metrics(cfg: RecipeConfig) -> list[dict]:
    return [json.loads(line) for line in Path(cfg.output_dir, "metrics.jsonl").read_text().splitlines()]


def test_a_crash_past_the_checkpoint_resumes_without_repeating_a_step(tmp_path, data_dir, capsys):
    cfg = tiny(tmp_path / "run", data_dir, steps=4, checkpoint_every=2)
    crashed = FinetuneRecipe(cfg, stop_at=3)
    crashed.setup()
    crashed.train()  # checkpoint at step 2, metrics to step 3, then the process "dies"
    crashed.cleanup()
    out = Path(cfg.output_dir)
    first = metrics(cfg)
    assert [m["step"] for m in first] == [1, 2, 3]
    with open(out / "metrics.jsonl", "a") as f:
        f.write('{"step": 4, "lo')  # a line cut short by the crash
    # and the crash hit a checkpoint save between its two renames (no RENAME_EXCHANGE): the complete
    # step-2 checkpoint is beside the path, not at it
    (out / "checkpoint").rename(out / f".checkpoint.old-{2**31 - 1}-deadbeef")
    run(cfg)
    assert "resumed from" in capsys.readouterr().out
    rows = metrics(cfg)
    assert [m["step"] for m in rows] == [1, 2, 3, 4]
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]  # noqa: E731
    assert strip(rows[:3]) == strip(first)  # step 3 redone from the step-2 checkpoint: the same loss, bit for bit
    assert load_checkpoint(out / "checkpoint").step == 4


def test_a_rerun_into_another_runs_directory_is_refused_or_overwritten(tmp_path, data_dir):
    cfg = tiny(tmp_path / "run", data_dir, steps=2, checkpoint_every=1)
    run(cfg, "--stop-at", "1")
    out = Path(cfg.output_dir)
    before = (out / "metrics.jsonl").read_text()
    other = tiny(tmp_path / "run", data_dir, steps=2, checkpoint_every=1, lr=0.001, seed=3)
    with pytest.raises(ConfigError) as err:
        run(other)
    message = str(err.value)
    assert "\n" not in message and str(out) in message and "fields ['lr', 'seed']" in message
    assert "lr: 0.003 there, 0.001 now" in message and "--overwrite" in message
    assert (out / "metrics.jsonl").read_text() == before  # nothing appended
    run(other, "--overwrite", cli=True)
    assert [m["step"] for m in metrics(other)] == [1, 2]
    assert yaml.safe_load((out / "config.yaml").read_text())["lr"] == 0.001
    assert load_checkpoint(out / "checkpoint").config["seed"] == 3


def test_output_dirs_that_cannot_be_resumed_are_named(tmp_path, data_dir):
    legacy = tiny(tmp_path / "legacy", data_dir)
    (tmp_path / "legacy" / "checkpoint.tmp").mkdir(parents=True)
    (tmp_path / "legacy" / "checkpoint.tmp" / "state.pt").write_bytes(b"an old pickle")
    (tmp_path / "legacy" / "config.yaml").write_text(yaml.safe_dump(asdict(legacy)))
    with pytest.raises(CheckpointError, match=f"{tmp_path / 'legacy' / 'checkpoint.tmp'} is the last checkpoint"):
        FinetuneRecipe(legacy).setup()  # not a silent restart at step 0
    unknown = tiny(tmp_path / "unknown", data_dir)
    (tmp_path / "unknown").mkdir()
    (tmp_path / "unknown" / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\n')
    with pytest.raises(ConfigError, match="holds training output but no config.yaml"):
        FinetuneRecipe(unknown).setup()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        FinetuneRecipe(tiny(tmp_path / "afile", data_dir)).setup()


@pytest.mark.parametrize("field, value, message", [
    ("step", -5, r"step -5 must be a non-negative whole number"),
    ("step", "61", r"step '61' must be a non-negative whole number"),
    ("step", 2.5, r"step 2.5 must be a non-negative whole number"),
    ("step", True, r"step True must be a non-negative whole number"),
    ("torch_rng", "AAAA", r"torch_rng holds 3 bytes, torch's generator state is \d+"),
    ("python_rng", [3, [1, 2, 3], None], r"python_rng is not a state of Python's random module"),
    ("python_rng", [3, [2 ** 40] * 625, None], r"python_rng is not a state of Python's random module"),
])
def test_an_edited_state_json_is_refused_naming_the_file(tmp_path, field, value, message):
    """A hand-edited state.json (issue 29): a step that is not a whole number >= 0, or RNG states
    this process cannot restore, are a CheckpointError naming state.json."""
    state, _, _, _ = toy_state(3)
    save_checkpoint(tmp_path / "ck", state)
    path = tmp_path / "ck" / "state.json"
    meta = json.loads(path.read_text())
    meta[field] = value
    path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=rf"^{re.escape(str(path))}: {message}"):
        load_checkpoint(tmp_path / "ck")


def test_a_checkpoint_step_past_the_run_is_refused(tmp_path, data_dir):
    """state.json edited to step 10**9: resuming names the file instead of skipping the run."""
    cfg = tiny(tmp_path / "run", data_dir, steps=2, checkpoint_every=1)
    crashed = FinetuneRecipe(cfg, stop_at=1)
    crashed.setup()
    crashed.train()
    crashed.cleanup()
    path = Path(cfg.output_dir) / "checkpoint" / "state.json"
    meta = json.loads(path.read_text())
    meta["step"] = 10 ** 9
    path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=rf"{re.escape(str(path))}: step 1000000000 is past the run's last step \(2\)"):
        run(cfg)

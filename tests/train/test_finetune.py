"""The fine-tuning recipe on a tiny random LLaMA: configs load, training lowers the loss, an
interrupted run resumes to the uninterrupted metrics, two accelerate processes train, and bad
configs are refused with a message that names the problem."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from nclib.train.finetune import ConfigError, FinetuneRecipe, RecipeConfig, batch_indices, recipe_main

CONFIGS = sorted((Path(__file__).parents[2] / "train" / "configs").glob("*.yaml"))
TINY = Path(__file__).parents[2] / "train" / "configs" / "tiny_augmented.yaml"


pytestmark = [pytest.mark.usefixtures("one_thread"), pytest.mark.slow]  # slow: the second lane of scripts/test.sh


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("data"))


def tiny(tmp_path, data_dir, **overrides) -> RecipeConfig:
    raw = asdict(RecipeConfig.from_yaml(TINY))
    raw.update(output_dir=str(tmp_path / "run"), data_dir=data_dir, **overrides)
    return RecipeConfig.from_dict(raw)


def metrics(run_dir) -> list[dict]:
    return [json.loads(line) for line in Path(run_dir, "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_config_loads(path):
    cfg = RecipeConfig.from_yaml(path)
    first = path.read_text().splitlines()[0]
    assert first.startswith("# nclib train ") and path.name in first, "the first line is the launch command"
    assert cfg.output_dir and cfg.steps >= 1


def test_variants_share_everything_but_the_variant():
    for aug in [p for p in CONFIGS if p.stem.endswith("_augmented")]:
        base = aug.with_name(aug.name.replace("_augmented", "_baseline"))
        a, b = asdict(RecipeConfig.from_yaml(aug)), asdict(RecipeConfig.from_yaml(base))
        diff = {k for k in a if a[k] != b[k]}
        assert diff == {"variant", "output_dir"}, (aug.name, diff)
    labels = asdict(RecipeConfig.from_yaml(CONFIGS[0].with_name("smollm2_all_labels.yaml")))
    answers = asdict(RecipeConfig.from_yaml(CONFIGS[0].with_name("smollm2_all_augmented.yaml")))
    assert {k for k in labels if labels[k] != answers[k]} == {"supervision", "output_dir"}


@pytest.mark.parametrize("text, message", [
    ("steps: 3\nbogus: 1\n", "unknown field(s) ['bogus']"),
    ("variant: fancy\n", "variant must be one of"),
    ("tasks: [sort, juggle]\n", "tasks must be a non-empty list"),
    ("steps: three\n", "steps must be int, got 'three'"),
    ("lr: 5\n", "lr must be in (0, 1), got 5"),
    ("lora: {r: 0}\n", "lora.r must be >= 1"),
    ("lora: {rank: 4}\n", "lora must be a mapping with fields"),
    ("- just\n- a list\n", "expected a mapping"),
    ("steps: [1\n", "not valid YAML"),
], ids=["unknown", "variant", "task", "type", "lr", "lora-r", "lora-field", "list", "yaml"])
def test_malformed_config_is_refused(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        RecipeConfig.from_yaml(path)
    assert message in str(err.value)


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml"):
        RecipeConfig.from_yaml(tmp_path / "nope.yaml")


def test_batch_order_is_a_function_of_the_step():
    n, bs = 10, 4
    epoch0 = [i for s in range(2) for i in batch_indices(s, bs, n, seed=3)][:8]
    assert len(set(epoch0)) == 8  # no repeats inside an epoch
    assert batch_indices(5, bs, n, seed=3) == batch_indices(5, bs, n, seed=3)
    assert batch_indices(5, bs, n, seed=3) != batch_indices(5, bs, n, seed=4)


def test_training_lowers_the_loss(tmp_path, data_dir):
    cfg = tiny(tmp_path, data_dir, steps=12, eval_every=0, final_eval_n=0, checkpoint_every=0, save_final=False)
    recipe = FinetuneRecipe(cfg)
    recipe.setup()
    fixed = recipe._batch(0)

    def loss():
        recipe.model.eval()
        with torch.no_grad():
            return recipe.model(**fixed).loss.item()

    before = loss()
    recipe.train()
    after = loss()
    recipe.cleanup()
    assert after < 0.8 * before, (before, after)


def test_resume_reproduces_the_uninterrupted_run(tmp_path, data_dir):
    whole = tiny(tmp_path / "a", data_dir, steps=6, checkpoint_every=3, eval_every=3, final_eval_n=4)
    part = tiny(tmp_path / "b", data_dir, steps=6, checkpoint_every=3, eval_every=3, final_eval_n=4)
    recipe_main_cfg(whole)
    recipe_main_cfg(part, stop_at=3)
    assert [m["step"] for m in metrics(part.output_dir) if "loss" in m] == [1, 2, 3]
    assert not (Path(part.output_dir) / "final").exists()
    recipe_main_cfg(part)  # the same command again: resumes at step 3
    drop = ("seconds",)
    strip = lambda ms: [{k: v for k, v in m.items() if k not in drop} for m in ms]  # noqa: E731
    assert strip(metrics(part.output_dir)) == strip(metrics(whole.output_dir))
    a = Path(whole.output_dir, "eval", "predictions.jsonl").read_text()
    b = Path(part.output_dir, "eval", "predictions.jsonl").read_text()
    assert a == b


def test_resume_refuses_a_different_config(tmp_path, data_dir):
    cfg = tiny(tmp_path, data_dir, steps=2, checkpoint_every=1, eval_every=0, final_eval_n=0, save_final=False)
    recipe_main_cfg(cfg, stop_at=1)
    other = tiny(tmp_path, data_dir, steps=2, lr=0.001, checkpoint_every=1, eval_every=0, final_eval_n=0, save_final=False)
    with pytest.raises(ConfigError, match=r"different config \(fields \['lr'\]\)"):
        recipe_main_cfg(other)


def test_final_model_loads_as_a_hugging_face_model(tmp_path, data_dir):
    from transformers import AutoModelForCausalLM

    import nclib  # noqa: F401  (registers the NCLlama classes)

    cfg = tiny(tmp_path, data_dir, steps=2, eval_every=0, final_eval_n=0, checkpoint_every=0)
    recipe_main_cfg(cfg)
    model = AutoModelForCausalLM.from_pretrained(Path(cfg.output_dir) / "final")
    assert type(model).__name__ == "NCLlamaForCausalLM"
    assert [r["name"] for r in model.config.nc_routines] == ["insertion_sort", "add"]
    assert model.config.nc_machine_mode == "worlds"  # supervision: answers (the default)


def recipe_main_cfg(cfg: RecipeConfig, stop_at: int | None = None) -> None:
    import yaml

    path = Path(cfg.output_dir).parent / f"{Path(cfg.output_dir).name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(asdict(cfg)))
    recipe_main([str(path)] + (["--stop-at", str(stop_at)] if stop_at else []))


def test_two_accelerate_processes_train(tmp_path, data_dir):
    """accelerate is a declared dependency: its launcher must be there (no skip that would hide a broken install)."""
    cfg = tiny(tmp_path, data_dir, steps=4, eval_every=2, final_eval_n=4, checkpoint_every=2)
    path = tmp_path / "two.yaml"
    import yaml

    path.write_text(yaml.safe_dump(asdict(cfg)))
    launcher = shutil.which("accelerate") or str(Path(sys.executable).parent / "accelerate")
    assert Path(launcher).is_file(), f"accelerate launcher not found next to {sys.executable} nor on PATH"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([launcher, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                           "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "nclib.train.finetune", str(path)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "on 2 process(es)" in proc.stdout, proc.stdout[-2000:]
    steps = [m for m in metrics(cfg.output_dir) if "loss" in m]
    assert [m["step"] for m in steps] == [1, 2, 3, 4]  # one metrics line per step: only rank 0 writes
    assert (Path(cfg.output_dir) / "final" / "config.json").is_file()
    assert (Path(cfg.output_dir) / "eval" / "accuracy_by_size.png").stat().st_size > 0


def test_lora_on_the_last_layers_only(tmp_path, data_dir):
    raw = asdict(tiny(tmp_path, data_dir))
    raw["lora"]["last_layers"] = 1
    recipe = FinetuneRecipe(RecipeConfig.from_dict(raw))
    model, _ = recipe._build_model()
    adapted = {n.split(".layers.")[1].split(".")[0] for n, _ in model.named_parameters() if "lora_" in n}
    assert adapted == {"1"}  # the tiny model has layers 0 and 1
    raw["lora"]["last_layers"] = 3
    with pytest.raises(ConfigError, match="last_layers=3 exceeds the model's 2 layers"):
        FinetuneRecipe(RecipeConfig.from_dict(raw))._build_model()


def test_answers_only_training_reads_no_labels(tmp_path):
    """supervision: answers (the default) trains from prompt and answer alone: the label columns
    (routine, args, target) are deleted from every split before training, and training, the final
    model and its evaluation still work."""
    import datasets

    from nclib.tasks import build_task

    data = tmp_path / "data"
    for task in ("sort", "add"):
        dd = build_task(task, n_train=32, n_test=8, seed=0)
        datasets.DatasetDict({s: d.remove_columns(["routine", "args", "target"]) for s, d in dd.items()}).save_to_disk(str(data / task))
    cfg = tiny(tmp_path, str(data), steps=3, eval_every=0, final_eval_n=2, checkpoint_every=0)
    assert cfg.supervision == "answers"
    recipe = FinetuneRecipe(cfg)
    recipe.setup()
    core = recipe.model.get_base_model()
    assert core.config.nc_machine_mode == "worlds"
    batch = recipe._batch(0)
    assert set(batch["nc_call"]) == {"trigger"}
    recipe.train()
    recipe.save_final()
    table = recipe.evaluate()
    assert (Path(cfg.output_dir) / "eval" / "table.md").read_text() == table + "\n"
    for task in ("add", "sort"):  # one row per (task, test split), the 2 rows of each evaluated
        for split in recipe.test_splits:
            assert re.search(rf"^\| {task} \| {split} \| \d+\.\d % \(2\) \|$", table, re.M), table
    recipe.cleanup()
    assert [m["step"] for m in metrics(cfg.output_dir)] == [1, 2, 3]
    assert not any("reader_loss" in m for m in metrics(cfg.output_dir))
    labelled = tiny(tmp_path / "labels", str(data), supervision="labels")
    with pytest.raises(Exception, match="missing column 'routine'"):
        FinetuneRecipe(labelled).setup()


def test_bad_supervision_is_named(tmp_path, data_dir):
    with pytest.raises(ConfigError, match="supervision must be one of"):
        tiny(tmp_path, data_dir, supervision="weak")


def test_router_inputs_match_the_model_config():
    from nclib.model import configuration_ncllama
    from nclib.train.finetune import ROUTER_INPUTS

    assert ROUTER_INPUTS == configuration_ncllama.ROUTER_INPUTS  # the recipe keeps its own copy (no transformers import)


def test_bad_router_inputs_are_named(tmp_path, data_dir):
    with pytest.raises(ConfigError, match="router_inputs must be one of .* got 'whitened'"):
        tiny(tmp_path, data_dir, router_inputs="whitened")


def test_standardized_router_inputs_reach_the_saved_model(tmp_path, data_dir):
    from transformers import AutoModelForCausalLM

    import nclib  # noqa: F401  (registers the NCLlama classes)

    cfg = tiny(tmp_path, data_dir, steps=2, eval_every=0, final_eval_n=0, checkpoint_every=0, router_inputs="standardized")
    recipe_main_cfg(cfg)
    model = AutoModelForCausalLM.from_pretrained(Path(cfg.output_dir) / "final")
    assert model.config.nc_router_inputs == "standardized"
    assert int(model.reasoning.router.feature_updates) == 2  # one update per training forward


@pytest.mark.parametrize("supervision", ["answers", "labels"])
def test_text_rows_carry_no_call(tmp_path, data_dir, supervision):
    """text_ratio mixes ordinary passages into every batch: loss on every token after the first,
    trigger -1 (and routine -1 with labels), so the router's "no call" loss covers them whole."""
    cfg = tiny(tmp_path, data_dir, steps=2, batch_size=8, text_ratio=0.25, supervision=supervision, eval_every=0,
               final_eval_n=0, checkpoint_every=0, save_final=False)
    recipe = FinetuneRecipe(cfg)
    recipe.setup()
    batch = recipe._batch(0)
    trigger = batch["nc_call"]["trigger"]
    text = trigger < 0
    assert int(text.sum()) == 2 and int((~text).sum()) == 6
    for b in text.nonzero()[:, 0].tolist():
        n = int(batch["attention_mask"][b].sum())
        assert (batch["labels"][b, 1:n] == batch["input_ids"][b, 1:n]).all() and batch["labels"][b, 0] == -100
    if supervision == "labels":
        assert (batch["nc_call"]["routine"][text] == -1).all() and (batch["nc_call"]["routine"][~text] >= 0).all()
    recipe.train()
    recipe.cleanup()
    assert all(m["router_loss"] > 0 for m in metrics(cfg.output_dir))
    baseline = FinetuneRecipe(tiny(tmp_path / "b", data_dir, steps=2, batch_size=8, text_ratio=0.25, variant="baseline"))
    baseline.setup()
    plain = baseline._batch(0)
    assert torch.equal(plain["input_ids"], batch["input_ids"])  # identical rows for both variants
    baseline.cleanup()


@pytest.mark.parametrize("ratio", [-0.1, 1.0, 0.01])
def test_bad_text_ratio_is_named(tmp_path, data_dir, ratio):
    with pytest.raises(ConfigError, match="text_ratio"):
        tiny(tmp_path, data_dir, text_ratio=ratio)


@pytest.mark.parametrize("layer", [0, "22", True])
def test_bad_router_layer_is_named(tmp_path, data_dir, layer):
    with pytest.raises(ConfigError, match=f"router_layer must be null or a decoder layer >= 1, got {layer!r}"):
        tiny(tmp_path, data_dir, router_layer=layer)

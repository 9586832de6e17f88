"""The recipe on a user's own dataset and routines (`dataset:` and `library:`): the config fields
are checked with messages that name them, a routine that does not compile stops the run before
any model is built, and the tiny model trains on a JSONL file with a routine from a user file,
resumes, saves a loadable model and evaluates on the dataset's test split."""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from nclib.model.library_spec import LibrarySpecError
from nclib.train.finetune import ConfigError, FinetuneRecipe, RecipeConfig, recipe_main

TINY = Path(__file__).parents[2] / "train" / "configs" / "tiny_augmented.yaml"

# the walkthrough's routine (examples/inversions) and a second routine that calls it
ROUTINES = (Path(__file__).parents[2] / "examples" / "inversions" / "routine.py").read_text() + '''

def is_sorted(xs: list[int]) -> int:
    return count_inversions(xs) == 0
'''

pytestmark = [pytest.mark.usefixtures("one_thread"), pytest.mark.slow]  # slow: the second lane of scripts/test.sh


@pytest.fixture
def user_files(tmp_path):
    """(dataset path, routines path): inversion counts and is-it-sorted questions about short lists."""
    rng = random.Random(0)
    lines = []
    for k in range(40):
        xs = [rng.randrange(20) for _ in range(rng.randrange(2, 6))]
        inversions = sum(a > b for i, a in enumerate(xs) for b in xs[i + 1:])
        if k % 2:
            xs = sorted(xs) if k % 4 == 1 else xs
            row = {"question": f"Is {' '.join(map(str, xs))} sorted?", "reply": " Yes" if xs == sorted(xs) else " No"}
        else:
            row = {"question": f"Inversions in {' '.join(map(str, xs))} = ", "reply": inversions}
        lines.append(json.dumps({**row, "n": len(xs)}))
    data = tmp_path / "inversions.jsonl"
    data.write_text("\n".join(lines) + "\n")
    source = tmp_path / "my_routines.py"
    source.write_text(ROUTINES)
    return str(data), str(source)


def user_config(tmp_path, data, source, **overrides) -> RecipeConfig:
    raw = asdict(RecipeConfig.from_yaml(TINY))
    raw.update(output_dir=str(tmp_path / "run"), tasks=[], steps=3, eval_every=3, final_eval_n=4, checkpoint_every=1,
               dataset={"path": data, "prompt_column": "question", "answer_column": "reply", "size_column": "n",
                        "test_fraction": 0.2},
               library=[{"source": f"{source}:count_inversions", "values": [0, 64]},
                        {"source": f"{source}:is_sorted", "output": "labels", "labels": [" No", " Yes"]}])
    raw.update(overrides)
    return RecipeConfig.from_dict(raw)


def run(cfg: RecipeConfig, stop_at: int | None = None) -> None:
    path = Path(cfg.output_dir).parent / "config.yaml"
    path.write_text(yaml.safe_dump(asdict(cfg)))
    recipe_main([str(path)] + (["--stop-at", str(stop_at)] if stop_at else []))


def test_user_dataset_and_routines_train_resume_save_and_evaluate(tmp_path, user_files):
    from transformers import AutoModelForCausalLM

    import nclib  # noqa: F401  (registers the NCLlama classes)

    cfg = user_config(tmp_path, *user_files)
    run(cfg, stop_at=2)
    run(cfg)  # resumes at step 2
    out = Path(cfg.output_dir)
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "loss" in m] == [1, 2, 3]
    assert [list(m["eval"]) for m in metrics if "eval" in m] == [["inversions/test"]]
    model = AutoModelForCausalLM.from_pretrained(out / "final")
    assert [r["name"] for r in model.config.nc_routines] == ["count_inversions", "is_sorted"]
    assert model.config.nc_routines[1]["labels"] and model.config.nc_machine_mode == "worlds"
    assert model.reasoning.library.programs()[0]([3, 1, 2]) == 2
    records = [json.loads(line) for line in (out / "eval" / "predictions.jsonl").read_text().splitlines()]
    assert len(records) == 4 and {(r["task"], r["split"], r["style"]) for r in records} == {("inversions", "test", "user")}
    assert all(r["size"] == sum(w.isdigit() for w in r["prompt"].split()) for r in records)  # the size column: list length
    assert "| inversions | test |" in (out / "eval" / "table.md").read_text()
    assert yaml.safe_load((out / "config.yaml").read_text())["library"] == cfg.library
    other = user_config(tmp_path, *user_files, library=[{**cfg.library[0], "values": [0, 32]}, cfg.library[1]])
    with pytest.raises(ConfigError, match=r"different config \(fields \['library'\]\)"):
        run(other)


def test_a_routine_that_does_not_compile_stops_before_any_model(tmp_path, user_files, monkeypatch):
    import nclib.tasks.task_model

    bad = tmp_path / "bad.py"
    bad.write_text("def lookup(x: int) -> int:\n    return {1: 2}[x]\n")
    cfg = user_config(tmp_path, user_files[0], user_files[1], library=[f"{bad}:lookup"])

    def no_model(name):
        raise AssertionError("a model was built")

    monkeypatch.setattr(nclib.tasks.task_model, "load_backbone", no_model)
    with pytest.raises(LibrarySpecError, match=rf"library\[0\] \('{bad}:lookup'\): 1 problem\(s\) in the source:\n  {bad}:2:"):
        FinetuneRecipe(cfg)._build_model()


@pytest.mark.parametrize("overrides, message", [
    ({"dataset": {"path": "x.jsonl", "bogus": 1}}, "dataset: unknown key(s) ['bogus']"),
    ({"dataset": {"path": "x.jsonl", "test_fraction": 2}}, "dataset: test_fraction must be in (0, 1), got 2"),
    ({"dataset": "x.jsonl"}, "dataset must be a mapping, got 'x.jsonl'"),
    ({"library": ["gdc"]}, "library[0] ('gdc'): unknown stdlib routine 'gdc'"),
    ({"library": [{"source": "gcd", "values": [0]}]}, "library[0] ('gcd'): values must be [lo, hi]"),
    ({"library": []}, "dataset 'x.jsonl' with the augmented variant needs a library"),
    ({"supervision": "labels"}, "supervision 'labels' reads the built-in tasks' routine labels"),
], ids=["dataset-key", "dataset-fraction", "dataset-type", "unknown-routine", "routine-values", "no-library", "labels"])
def test_bad_user_fields_are_named(tmp_path, overrides, message):
    raw = asdict(RecipeConfig.from_yaml(TINY))
    raw.update(tasks=[], dataset={"path": "x.jsonl"}, library=["gcd"])
    raw.update(overrides)
    with pytest.raises(ConfigError) as err:
        RecipeConfig.from_dict(raw)
    assert message in str(err.value)


def test_tasks_are_not_needed_with_a_dataset():
    raw = asdict(RecipeConfig.from_yaml(TINY))
    raw.update(tasks=[], variant="baseline", dataset={"path": "x.jsonl"})  # the baseline reads no library
    assert RecipeConfig.from_dict(raw).dataset == {"path": "x.jsonl"}
    raw.update(dataset={})
    with pytest.raises(ConfigError, match="tasks must be a non-empty list"):
        RecipeConfig.from_dict(raw)

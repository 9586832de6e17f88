"""Building a task's splits from its `Task` definition (the guarantees are in the package docstring)."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict
from pathlib import Path

import datasets

from nclib.tasks.prompt import arg_values, prompt_values
from nclib.tasks.registry import TASKS, get_task
from nclib.tasks.schema import COLUMNS, FEATURES, SPLITS, STYLES
from nclib.tasks.task import Task, TaskSpec

__all__ = ["build_task", "build_tasks"]

_MAX_TRIES = 5000
_UNIQUE_TRIES = 60  # redraws spent on avoiding a repeat within the split before allowing one


def _held_out(key: tuple, share: float) -> bool:
    """Whether an in-distribution instance is reserved for the test splits: a fixed function of
    the instance (not of the seed), so no seed's train split can contain it."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < share * 2**64


def _spread(rng: random.Random, choices, n: int) -> list:
    """n items using each choice equally often (the first ones once more when n does not
    divide), in random order."""
    out = [choices[i % len(choices)] for i in range(n)]
    rng.shuffle(out)
    return out


def _template_choices(task: Task, split: str, size: int, n_templates: int) -> list[int]:
    """The template numbers a row may use; for prompt instances one training wording per
    (size, style) is test_iid's alone."""
    if task.prompt_instances and split in ("train", "test_iid"):
        reserved = size % n_templates
        return [reserved] if split == "test_iid" else [i for i in range(n_templates) if i != reserved]
    return list(range(n_templates))


def _make_row(task: Task, split: str, size: int, style: str, rng: random.Random, spec: TaskSpec, label) -> dict:
    """One row (without checking reservation or repeats)."""
    instance = task.sample(rng, size, spec, split == "test_ood", label)
    templates = task.wording[style] if split == "test_wording" else task.templates[style]
    template = templates[rng.choice(_template_choices(task, split, size, len(templates)))]
    prompt = task.render(template, instance)
    text = prompt.joined()
    # Self-checks that no wording change may break: the wordings contribute no values of their
    # own, a held-out wording never reads like a training one, and the row has its drawn size.
    if prompt_values(text) != prompt.values:
        raise RuntimeError(f"template adds values of its own: {text!r}")
    if split == "test_wording" and any(task.shape(t).match(text) for s in STYLES for t in task.templates[s]):
        raise RuntimeError(f"{task.name}: held-out prompt has the shape of a training template: {text!r}")
    args = [prompt.indices[f] for f in task.fields]
    values = arg_values(text, args)
    target = task.apply(values)
    if task.size(text, values) != size:
        raise RuntimeError(f"{task.name}: drew size {task.size(text, values)}, wanted {size}: {text!r}")
    return {
        "task": task.name,
        "split": split,
        "size": size,
        "style": style,
        "prompt": text,
        "answer": task.answer(target),
        "routine": task.routine,
        "args": args,
        "target": target,
    }


def _build_split(task: Task, split: str, n: int, seed: int, spec: TaskSpec) -> list[dict]:
    rng = random.Random(f"{seed}:{task.name}:{split}")
    sizes = _spread(rng, spec.ood_sizes if split == "test_ood" else spec.iid_sizes, n)
    styles = _spread(rng, list(task.wording) if split == "test_wording" else STYLES, n)
    labels = [None] * n
    if task.labels:  # balanced exactly within each size
        for s in sorted(set(sizes)):  # sorted: the rng must be consumed in a fixed order
            where = [i for i, si in enumerate(sizes) if si == s]
            for i, lab in zip(where, _spread(rng, task.labels, len(where))):
                labels[i] = lab
    # Prompt instances are few (fib: a few dozen prompts): no share is held out and repeats are the norm.
    held_out = split != "test_ood" and not task.prompt_instances
    rows, seen = [], set()
    for size, style, label in zip(sizes, styles, labels):
        for attempt in range(_MAX_TRIES):
            row = _make_row(task, split, size, style, rng, spec, label)
            key = task.instance_key(row["prompt"], arg_values(row["prompt"], row["args"]))
            if held_out and _held_out(key, spec.iid_share) != (split != "train"):
                continue
            if key in seen and attempt < _UNIQUE_TRIES and not task.prompt_instances:
                continue
            break
        else:
            raise RuntimeError(f"{task.name}/{split}: no instance of size {size} found in {_MAX_TRIES} draws")
        seen.add(key)
        rows.append(row)
    return rows


def build_task(task: str | Task, n_train: int = 2000, n_test: int = 200, seed: int = 0, spec: TaskSpec | None = None) -> datasets.DatasetDict:
    """The splits of one task (a built-in name or a Task): n_train rows in train, n_test in each
    test split (test_wording only for a task with held-out wordings). The same arguments always
    give the same datasets."""
    task = get_task(task)
    spec = spec or task.spec
    lo, hi = task.size_limits
    for s in spec.iid_sizes + spec.ood_sizes:
        if not lo <= s <= hi:
            raise ValueError(f"{task.name}: size {s} is outside {lo}..{hi}")
    info = {"task": task.name, "seed": seed, "n_train": n_train, "n_test": n_test, "spec": asdict(spec)}
    out = {}
    for split in SPLITS if task.wording else SPLITS[:3]:
        rows = _build_split(task, split, n_train if split == "train" else n_test, seed, spec)
        columns = {c: [r[c] for r in rows] for c in COLUMNS}
        out[split] = datasets.Dataset.from_dict(
            columns, features=FEATURES, info=datasets.DatasetInfo(description=json.dumps(info, sort_keys=True), features=FEATURES)
        )
    return datasets.DatasetDict(out)


def build_tasks(tasks=TASKS, out_dir=None, specs: dict[str, TaskSpec] | None = None, **kw) -> dict[str, datasets.DatasetDict]:
    """`build_task` for each task (names or Tasks; keyword arguments are passed on; `specs` maps a
    task name to its TaskSpec). With out_dir, each is also saved to out_dir/<name>."""
    specs = specs or {}
    built = {}
    for task in map(get_task, tasks):
        built[task.name] = build_task(task, spec=specs.get(task.name), **kw)
        if out_dir is not None:
            built[task.name].save_to_disk(str(Path(out_dir) / task.name))
    return built

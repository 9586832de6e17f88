"""Several models on the same rows, side by side: what `nclib eval` runs.

`parse_model_specs(["base=smollm2", "ours=out/main/augmented/final"])` reads NAME=SPEC pairs (a
spec is 'smollm2', 'tiny' or a saved model directory, loaded by `load_eval_model`); `task_rows`
samples the same rows of every task and split for all models (building a task's dataset when it is
missing); `evaluate_models` scores each model in turn on those rows and, optionally, on ordinary
passages (the no-call check). Bad names raise `UsageError` with one line naming the value and the
`nclib eval` option it came from.
"""

from __future__ import annotations

from pathlib import Path

from nclib.errors import UsageError

__all__ = ["check_tasks", "evaluate_models", "load_eval_model", "no_call_reference", "parse_model_specs", "task_rows"]

BACKBONES = ("smollm2", "tiny")


def parse_model_specs(items: list[str]) -> list[tuple[str, str]]:
    """NAME=SPEC texts -> (name, spec) pairs, names distinct and each spec a backbone or a directory."""
    specs = []
    for item in items:
        name, sep, spec = item.partition("=")
        if not sep or not name or not spec:
            raise UsageError(f"--model expects NAME=PATH_OR_smollm2, got {item!r}")
        if spec not in BACKBONES and not Path(spec).is_dir():
            raise UsageError(f"--model {item!r}: {spec} is neither 'smollm2' nor a saved model directory "
                             f"(e.g. out/main/augmented/final)")
        specs.append((name, spec))
    names = [n for n, _ in specs]
    if len(set(names)) != len(names):
        raise UsageError(f"model names must be distinct, got {names}")
    return specs


def check_tasks(tasks: list[str]) -> None:
    """Every name in `tasks` is one of nclib.tasks.TASKS."""
    from nclib.tasks import TASKS

    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise UsageError(f"--tasks: unknown task(s) {unknown}; choose from {', '.join(TASKS)}")


def no_call_reference(specs: list[tuple[str, str]], reference: str | None) -> str | None:
    """The model whose per-token loss the others are compared with: `reference`, else the one
    evaluated as smollm2 (None when there is neither)."""
    return reference or next((n for n, s in specs if s == "smollm2"), None)


def load_eval_model(spec: str):
    """'smollm2' (the zero-shot backbone), 'tiny' or a saved model directory (NCLlama or LLaMA) ->
    (model, tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from nclib.tasks.task_model import load_backbone

    if spec in BACKBONES:
        return load_backbone(spec)
    if not Path(spec).is_dir():
        raise UsageError(f"--model {spec!r}: expected 'smollm2' or a saved model directory (e.g. out/main/augmented/final)")
    return AutoModelForCausalLM.from_pretrained(spec), AutoTokenizer.from_pretrained(spec)


def task_rows(tasks: list[str], data, splits: list[str] | None, n: int, n_train: int, n_test: int, seed: int) -> list:
    """`n` rows per task and split (every test split when `splits` is None) from the datasets in
    `data`/<task>, built with `n_train`, `n_test` and `seed` where missing."""
    from nclib.evals.exact_match import sample_rows
    from nclib.tasks import build_task, load_task

    rows = []
    for task in tasks:
        path = Path(data) / task
        if not path.exists():
            build_task(task, n_train=n_train, n_test=n_test, seed=seed).save_to_disk(str(path))
        dd = load_task(path)
        chosen = splits or [s for s in dd if s.startswith("test")]
        missing = [s for s in chosen if s not in dd]
        if missing:
            raise UsageError(f"--splits: {path} has no split(s) {missing}; it has {list(dd)}")
        rows += sample_rows(dd, chosen, n, seed)
    return rows


def evaluate_models(specs: list[tuple[str, str]], rows: list, batch_size: int, passages: list = ()) -> tuple[list, list]:
    """Each model in turn (loaded, scored, released) on `rows` and on the ordinary `passages`:
    (exact-match records, no-call records), with a progress bar per model."""
    from tqdm.auto import tqdm

    from nclib.evals.exact_match import evaluate_rows

    records, ordinary = [], []
    for name, spec in specs:
        model, tok = load_eval_model(spec)
        with tqdm(total=len(rows), desc=f"eval {name}") as bar:
            records += evaluate_rows(model, tok, rows, name, batch_size=batch_size, progress=bar)
        if passages:
            from nclib.evals.nocall import no_call_records

            with tqdm(total=len(passages), desc=f"no-call {name}") as bar:
                ordinary += no_call_records(model, tok, passages, name, batch_size=batch_size, progress=bar)
        del model
    return records, ordinary

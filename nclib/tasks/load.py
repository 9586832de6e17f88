"""Loading a saved task back, validated against its `Task` definition."""

from __future__ import annotations

from pathlib import Path

import datasets

from nclib.errors import NclibError
from nclib.data.userdata import empty_saved_splits

from nclib.tasks.prompt import arg_values, prompt_values
from nclib.tasks.registry import TASKS
from nclib.tasks.schema import ANSWER_COLUMNS, COLUMNS, SPLITS, STYLES
from nclib.tasks.task import Task

__all__ = ["TaskDataError", "load_task"]

REQUIRED_SPLITS = SPLITS[:3]  # test_wording is optional: data saved before it existed lacks it


class TaskDataError(NclibError, ValueError):
    """A saved task dataset is missing or malformed; the message names what is wrong."""


def load_task(path, check_rows: int = 50, labels: bool = True, task: Task | None = None) -> datasets.DatasetDict:
    """Load a task saved by `build_tasks` and validate it. The schema, the task/split/routine/
    style fields and the range of every args index are checked on all rows; the target, size and
    answer against the task on the first `check_rows` rows of each split. Raises TaskDataError
    naming the path, split, row, column or value that is wrong. `task` is the Task the data must
    be (a user-defined one); by default the built-in task its rows name.

    labels=False (answers-only training): the label columns (routine, args, target) may be absent
    and are not read; prompt and answer must be non-empty strings, and task / split / size / style
    (the evaluation's grouping) must be present."""
    path = Path(path)
    if not path.exists():
        raise TaskDataError(f"task dataset not found: {path} does not exist")
    try:
        dd = datasets.load_from_disk(str(path))
    except Exception as exc:  # datasets raises several types for a directory it cannot read
        empty = empty_saved_splits(path)
        if empty:  # datasets 5 saves a split without rows as zero shards and cannot read it back
            raise TaskDataError(f"{path}: split {empty[0]!r} is empty (saved with no rows); rebuild the task data "
                                f"(build_task with n_train, n_test >= 1)") from None
        raise TaskDataError(f"{path}: cannot be loaded as a saved dataset ({exc})") from exc
    if not isinstance(dd, datasets.DatasetDict):
        raise TaskDataError(f"{path}: is a single Dataset, expected a DatasetDict with splits {REQUIRED_SPLITS}")
    for split in REQUIRED_SPLITS:
        if split not in dd:
            raise TaskDataError(f"{path}: missing split {split!r} (has {sorted(dd)})")
    for split in dd:
        if split not in SPLITS:
            raise TaskDataError(f"{path}: unexpected split {split!r}; expected {SPLITS}")
    names = [task.name] if task else list(TASKS)
    for split in [s for s in SPLITS if s in dd]:
        ds = dd[split]
        if len(ds) == 0:
            raise TaskDataError(f"{path}: split {split!r} is empty (0 rows); rebuild the task data (build_task with n_train, "
                                f"n_test >= 1)")
        for c in COLUMNS if labels else ANSWER_COLUMNS:
            if c not in ds.column_names:
                raise TaskDataError(f"{path}: split {split!r} is missing column {c!r}")
        for c in ds.column_names:
            if c not in COLUMNS:
                raise TaskDataError(f"{path}: split {split!r} has unexpected column {c!r}")
        cols = ds.select_columns(list(COLUMNS if labels else ANSWER_COLUMNS)).to_dict()
        for i in range(len(ds)):
            row = {c: v[i] for c, v in cols.items()}
            where = f"{path}: split {split!r} row {i}"
            _check_answer_row(row, where, names, split)
            if not labels:
                continue
            if task is None:
                task = TASKS[row["task"]]
            _check_row(row, where, task, split, check_values=i < check_rows)
    return dd


def _check_answer_row(row: dict, where: str, names: list[str], split: str) -> None:
    """The columns every row needs, answers-only or not: what training and evaluation read."""
    if row["task"] not in names:
        raise TaskDataError(f"{where}: column 'task' has unknown task {row['task']!r}")
    if row["split"] != split:
        raise TaskDataError(f"{where}: column 'split' is {row['split']!r}, expected {split!r}")
    for c in ("prompt", "answer"):
        if not isinstance(row[c], str) or not row[c].strip():
            raise TaskDataError(f"{where}: column {c!r} must be a non-empty string, got {row[c]!r}")
    if isinstance(row["size"], bool) or not isinstance(row["size"], int):
        raise TaskDataError(f"{where}: column 'size' must be an int, got {row['size']!r} ({type(row['size']).__name__})")
    if not isinstance(row["style"], str) or not row["style"]:
        raise TaskDataError(f"{where}: column 'style' must be a non-empty string, got {row['style']!r}")


def _check_row(row: dict, where: str, task: Task, split: str, check_values: bool) -> None:
    expect = {"task": task.name, "split": split, "routine": task.routine}
    for c, want in expect.items():
        if row[c] != want:
            raise TaskDataError(f"{where}: column {c!r} is {row[c]!r}, expected {want!r}")
    styles = tuple(task.wording) if split == "test_wording" else STYLES
    if row["style"] not in styles:
        raise TaskDataError(f"{where}: column 'style' is {row['style']!r}, expected one of {styles}")
    values = prompt_values(row["prompt"])
    for arg in row["args"]:
        for k in arg:
            if not 0 <= k < len(values):
                raise TaskDataError(
                    f"{where}: column 'args' index {k} is out of range: the prompt has {len(values)} values"
                )
    if not check_values:
        return
    vals = arg_values(row["prompt"], row["args"])
    try:
        want = task.apply(vals)
    except ValueError as exc:
        raise TaskDataError(f"{where}: column 'args' does not fit {row['routine']}: {exc}") from exc
    try:
        size = task.size(row["prompt"], vals)
    except ValueError as exc:  # a graph prompt that matches no template
        raise TaskDataError(f"{where}: column 'prompt': {exc}") from exc
    if row["target"] != want:
        raise TaskDataError(f"{where}: column 'target' is {row['target']}, but {row['routine']} gives {want}")
    if row["size"] != size:
        raise TaskDataError(f"{where}: column 'size' is {row['size']}, but the instance has size {size}")
    if row["answer"] != task.answer(want):
        raise TaskDataError(f"{where}: column 'answer' is {row['answer']!r}, expected {task.answer(want)!r}")

"""The built-in tasks by name, and the name-based helpers of the public API."""

from __future__ import annotations

from nclib.tasks import add, fib, gcd, graph, sort
from nclib.tasks.prompt import arg_values
from nclib.tasks.task import Task

__all__ = ["DEFAULT_SPECS", "ROUTINE", "TASKS", "apply_routine", "get_task", "instance_key", "render_answer"]

TASKS = {t.name: t for t in (sort.TASK, add.TASK, fib.TASK, gcd.TASK, graph.TASK)}
ROUTINE = {name: t.routine for name, t in TASKS.items()}
DEFAULT_SPECS = {name: t.spec for name, t in TASKS.items()}


def get_task(task: str | Task) -> Task:
    """A Task itself, or the built-in task of that name."""
    if isinstance(task, Task):
        return task
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {list(TASKS)}")
    return TASKS[task]


def apply_routine(routine: str, values: list[list[int]]) -> list[int]:
    """The target of a built-in task's routine on the argument values (one list of ints per
    argument, as ``args`` selects them), computed with the plain Python stdlib routine."""
    for t in TASKS.values():
        if t.routine == routine:
            return t.apply(values)
    raise ValueError(f"unknown routine {routine!r}; expected one of {list(ROUTINE.values())}")


def render_answer(task: str | Task, target: list[int]) -> str:
    """The answer text for a target: decimal numbers joined by ", ", or " Yes"/" No" for graph."""
    return get_task(task).answer(target)


def instance_key(row: dict, task: Task | None = None) -> tuple:
    """What makes two rows the same instance (see `Task.instance_key`); the task is the built-in
    one the row names unless given."""
    task = task or get_task(row["task"])
    return task.instance_key(row["prompt"], arg_values(row["prompt"], row["args"]))

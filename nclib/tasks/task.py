"""`Task`: everything the generic split building and loading need to know about one task, and
`TaskSpec`, the sizes of its splits.

An *instance* is what a task's ``sample`` draws: a dict from template field to value (an int or a
list of ints). A template (a format string, or what the task's ``render`` takes) turns it into a
`Prompt`; ``fields`` names the template field that holds each argument of the routine, in order.

A task also says how its routine is compiled for the model (``values``, ``memory``) and what the
model reads and writes around it (``output_labels``, ``symbols``): `library_entry` is the routine
as a recipe's ``library:`` entry, and the built-in tasks' library is compiled from those entries
by the same code as a recipe's own list (`nclib.model.library_spec.compile_library`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from nclib.tasks.prompt import Prompt, render_template, template_regex
from nclib.tasks.schema import STYLES

__all__ = ["Task", "TaskSpec", "render_numbers"]


@dataclass(frozen=True)
class TaskSpec:
    """Sizes of one task's splits (what "size" means is the task's ``size``)."""

    iid_sizes: tuple[int, ...]  # sizes of train, test_iid and test_wording, each used equally often
    ood_sizes: tuple[int, ...]  # sizes of test_ood, each used equally often; must not meet iid_sizes
    iid_share: float = 0.2  # share of the in-distribution instances reserved for the test splits (not fib)
    max_value: int = 99  # sort only: list elements are drawn from 0..max_value

    def __post_init__(self) -> None:
        object.__setattr__(self, "iid_sizes", tuple(int(s) for s in self.iid_sizes))
        object.__setattr__(self, "ood_sizes", tuple(int(s) for s in self.ood_sizes))
        if not self.iid_sizes or not self.ood_sizes:
            raise ValueError("TaskSpec needs at least one iid size and one ood size")
        common = set(self.iid_sizes) & set(self.ood_sizes)
        if common:
            # Disjoint sizes are what keeps test_ood apart from train and test_iid.
            raise ValueError(f"TaskSpec: sizes {sorted(common)} are both iid and ood sizes")
        if not 0.0 < self.iid_share < 1.0:
            raise ValueError(f"TaskSpec: iid_share must be in (0, 1), got {self.iid_share}")


def render_numbers(target: list[int]) -> str:
    """The answer text of a numeric target: decimal numbers joined by ", "."""
    return ", ".join(str(v) for v in target)


def values_key(prompt: str, values: list[list[int]]) -> tuple:
    """The default instance identity: the routine's argument values."""
    return tuple(tuple(v) for v in values)


@dataclass(frozen=True, eq=False)
class Task:
    """One task. `nclib.tasks.build_task` and `load_task` read nothing else, so a user-defined
    Task goes through exactly the code the built-in ones do."""

    name: str  # the `task` column
    routine: str  # the routine that solves it (the `routine` column; a stdlib name for the built-in tasks)
    reference: Callable  # the routine as a Python function: the oracle for `target` (lists are passed as copies)
    params: tuple[str, ...]  # kind of each routine argument: "int" or "list"
    fields: tuple[str, ...]  # the template field holding each argument
    templates: dict  # STYLES -> training templates (train, test_iid, test_ood)
    wording: dict  # register -> held-out templates, used only in test_wording (none: no test_wording split)
    sample: Callable[[random.Random, int, TaskSpec, bool, object], dict]  # (rng, size, spec, ood, label) -> instance
    size: Callable[[str, list], int]  # (prompt, argument values) -> the `size` column
    spec: TaskSpec  # default sizes
    size_limits: tuple[int, int] = (1, 1000)  # smallest and largest size `sample` can draw
    render: Callable[[object, dict], Prompt] = render_template  # (template, instance) -> Prompt
    shape: Callable = template_regex  # template -> regex matching exactly its prompts
    answer: Callable[[list[int]], str] = render_numbers  # target -> answer text
    key: Callable[[str, list], tuple] = values_key  # (prompt, argument values) -> the instance, after the name
    labels: tuple = ()  # targets balanced exactly within each size, passed to `sample` (else label is None)
    prompt_instances: bool = False  # an instance is the whole prompt; wordings are held out instead (fib)
    # the routine in the model (the `library:` entry's keys, nclib.model.library_spec)
    values: tuple[int, int] = (0, 256)  # value window [lo, hi): holds every answer of every split (arithmetic wraps)
    memory: int | None = None  # list-memory cells (None: the library default, min(128, hi - 1))
    output_labels: tuple[str, ...] = ()  # the answer texts of the values lo, lo + 1, ... (the model writes a label)
    symbols: tuple[str, ...] = ()  # words the reader takes as the values 0, 1, ... (one token each)

    def __post_init__(self) -> None:
        if tuple(self.templates) != STYLES:
            raise ValueError(f"task {self.name!r}: templates must have the styles {STYLES}, got {tuple(self.templates)}")
        if len(self.fields) != len(self.params) or not set(self.params) <= {"int", "list"}:
            raise ValueError(f"task {self.name!r}: params {self.params} must be 'int' or 'list', one per field of {self.fields}")
        least = 2 if self.prompt_instances else 1  # one training wording per (size, style) is reserved
        for group, templates in [*self.templates.items(), *self.wording.items()]:
            if len(templates) < least:
                raise ValueError(f"task {self.name!r}: {group!r} needs at least {least} templates, got {len(templates)}")
        seen = [t for ts in self.templates.values() for t in ts]
        reused = [t for ts in self.wording.values() for t in ts if t in seen]
        if reused:
            raise ValueError(f"task {self.name!r}: held-out wordings also used in training: {reused}")

    def apply(self, values: list[list[int]]) -> list[int]:
        """The target: the reference routine on the argument values (one list of ints per argument,
        as ``args`` selects them), as a list of ints. Raises ValueError for values that do not fit."""
        if len(values) != len(self.params):
            raise ValueError(f"{self.routine} takes {len(self.params)} arguments, got {len(values)}")
        call = []
        for i, (kind, v) in enumerate(zip(self.params, values)):
            if kind == "int" and len(v) != 1:
                raise ValueError(f"{self.routine}: argument {i} is a scalar but selects {len(v)} values")
            call.append(list(v) if kind == "list" else v[0])
        try:
            result = self.reference(*call)
        except Exception as exc:  # any failure of the oracle means the values do not fit the routine
            raise ValueError(f"{self.routine}{tuple(call)} fails: {exc!r}") from exc
        return list(result) if isinstance(result, list) else [int(result)]

    def library_entry(self) -> dict:
        """The routine as a recipe's `library:` entry: the stdlib routine with this task's window,
        memory, labels and symbols."""
        entry = {"source": self.routine, "values": list(self.values), "memory": self.memory}
        if self.output_labels:
            entry.update(output="labels", labels=list(self.output_labels))
        if self.symbols:
            entry["symbols"] = list(self.symbols)
        return entry

    def instance_key(self, prompt: str, values: list[list[int]]) -> tuple:
        """What makes two rows the same instance: the task and ``key`` of the argument values, or
        the whole prompt for a task whose instances are prompts."""
        return (self.name, prompt) if self.prompt_instances else (self.name,) + self.key(prompt, values)

"""Algorithmic task datasets: sort, add, fib, gcd and graph reachability (docs/design.md §8.1).

A task is a `Task` (`task.py`): its routine and the routine's Python reference, its training
templates per style, its held-out wordings, a sampler, a size function and an answer format. The
built-in tasks are one module each (`sort`, `add`, `fib`, `gcd`, `graph`, with their derivations)
and are registered in `TASKS`; `build_task` and `load_task` only talk to `Task` objects, so a
user-defined Task is built and loaded by exactly the same code.

Each task is a `datasets.DatasetDict` with the splits ``train``, ``test_iid`` (same sizes as
train, unseen instances), ``test_ood`` (larger sizes than anything in train) and ``test_wording``
(sizes and instance rules of test_iid, in held-out wordings: templates never used in the other
splits, in the registers question, instruction, story and chat). Everything is a pure function of
(task, n_train, n_test, seed, spec): every split draws from its own
``random.Random(f"{seed}:{task}:{split}")`` (string seeds are hashed with SHA-512 by CPython, so
unlike ``hash()`` they are stable across processes); adding test_wording left the other splits
unchanged row for row.

Schema: every row has exactly the columns in `COLUMNS`:

* ``task``, ``split``: the task name and the split the row belongs to;
* ``size``: what the split is organised by: list length (sort), digits of the longer operand
  (add), n (fib), digits of the larger operand (gcd), number of rooms (graph);
* ``style``: ``"terse"`` (``fib(12) = ``) or ``"natural"`` (a sentence), half of each split each;
  in test_wording the register of the wording, each equally often;
* ``prompt``: ends exactly where the answer starts; ``answer``: the exact text after it (numbers
  in decimal, list elements joined by ``", "``; graph answers are ``" Yes"`` / ``" No"`` with the
  leading space, numeric prompts end with a trailing space);
* ``routine``: the routine that solves the task (`ROUTINE`);
* ``args``: for each argument of the routine, indices into ``prompt_values(prompt)`` of the
  values it takes (a scalar: one index; a list: its elements in order);
* ``target``: the routine's result as ints (sort: the sorted list; add/fib/gcd: ``[value]``;
  graph: ``[1]`` for Yes, ``[0]`` for No).

Sizes (defaults in `DEFAULT_SPECS`, overridable with `TaskSpec`): each size of a split is used
equally often (rounded), in shuffled order.

Non-overlap. An *instance* is (task, the routine's argument values) -- the same list in another
wording is the same instance (`instance_key`; graph compares edge sets). test_ood sizes never
meet the in-distribution sizes, so test_ood cannot share an instance with the other splits.
A fixed share of the in-distribution instance space (`TaskSpec.iid_share`, chosen by a hash of
the instance, independent of the seed) is reserved for test_iid and test_wording; train never
draws from it. Because the reservation does not depend on the seed, the train split of one seed
does not overlap the test splits of another either. test_iid and test_wording may share
instances (neither is trained on). Within a split, instances are distinct where the instance
space allows (a bounded number of redraws; tiny spaces such as 1-digit additions repeat). fib
is the exception: its instances are whole prompts and it holds out wordings instead (`fib`).

`load_task` reads a saved task back and raises `TaskDataError` naming the split, row, column or
value that is wrong; test_wording is optional there, so data saved before it existed still loads.
"""

from nclib.tasks.build import build_task, build_tasks
from nclib.tasks.graph import parse_graph
from nclib.tasks.load import TaskDataError, load_task
from nclib.tasks.prompt import ROOM_NAMES, arg_values, prompt_values
from nclib.tasks.registry import DEFAULT_SPECS, ROUTINE, TASKS, apply_routine, get_task, instance_key, render_answer
from nclib.tasks.schema import ANSWER_COLUMNS, COLUMNS, FEATURES, SPLITS, STYLES
from nclib.tasks.task import Task, TaskSpec

__all__ = [
    "ANSWER_COLUMNS",
    "COLUMNS",
    "DEFAULT_SPECS",
    "FEATURES",
    "ROOM_NAMES",
    "ROUTINE",
    "SPLITS",
    "STYLES",
    "TASKS",
    "Task",
    "TaskDataError",
    "TaskSpec",
    "apply_routine",
    "arg_values",
    "build_task",
    "build_tasks",
    "get_task",
    "instance_key",
    "load_task",
    "parse_graph",
    "prompt_values",
    "render_answer",
]

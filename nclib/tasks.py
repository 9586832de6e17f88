"""Algorithmic task datasets: sort, add, fib, gcd and graph reachability (DESIGN.md §8).

Each task is a `datasets.DatasetDict` with the splits ``train``, ``test_iid`` (same sizes as
train, unseen instances) and ``test_ood`` (larger sizes than anything in train). Everything is a
pure function of (task, n_train, n_test, seed, spec): every split draws from its own
``random.Random(f"{seed}:{task}:{split}")`` (string seeds are hashed with SHA-512 by CPython, so
unlike ``hash()`` they are stable across processes).

Schema: every row has exactly the columns in `COLUMNS`:

* ``task``, ``split``: the task name and the split the row belongs to;
* ``size``: what the split is organised by: list length (sort), digits of the longer operand
  (add), n (fib), digits of the larger operand (gcd), number of rooms (graph);
* ``style``: ``"terse"`` (``fib(12) = ``) or ``"natural"`` (a sentence); half of each split each;
* ``prompt``: ends exactly where the answer starts; ``answer``: the exact text after it (numbers
  in decimal, list elements joined by ``", "``; graph answers are ``" Yes"`` / ``" No"`` with the
  leading space, numeric prompts end with a trailing space);
* ``routine``: the stdlib routine that solves the task (`ROUTINE`);
* ``args``: for each argument of the routine, indices into ``prompt_values(prompt)`` of the
  values it takes (a scalar: one index; a list: its elements in order);
* ``target``: the routine's result as ints (sort: the sorted list; add/fib/gcd: ``[value]``;
  graph: ``[1]`` for Yes, ``[0]`` for No).

`prompt_values` lists the numbers (maximal digit runs) and room names (``lobby`` or a single
capital letter of `ROOM_NAMES`, as a whole word) of a prompt in text order. The wordings contain
no other digits or single capital letters (no article "A" at a sentence start), so the values
are exactly the routine's arguments; `build_task` asserts this for every row it makes.

Routine arguments: ``insertion_sort(xs)``, ``add(a, b)``, ``fib_iter(n)`` (fib_iter(0) = 0,
fib_iter(1) = 1), ``gcd(a, b)``, ``reachable(edges, start, goal)`` where ``edges`` are the room
ids (index in `ROOM_NAMES`) of the door endpoints in the order the doors are written,
``[u0, v0, u1, v1, ...]``.

Sizes (defaults in `DEFAULT_SPECS`, overridable with `TaskSpec`): each size of a split is used
equally often (rounded), in shuffled order.

Non-overlap. An *instance* is (task, the routine's argument values) -- the same list in another
wording is the same instance; for graph the edges are compared as an undirected edge set, so a
different door order or door orientation is still the same instance (`instance_key`). test_ood
sizes never meet the in-distribution sizes, so test_ood cannot share an instance with train or
test_iid. Between train and test_iid a fixed share of the in-distribution instance space
(`TaskSpec.iid_share`, chosen by a hash of the instance, independent of the seed) is reserved for
test_iid; train never draws from it. Because the reservation does not depend on the seed, the
train split of one seed does not overlap the test splits of another either. Within a split,
instances are distinct where the instance space allows (a bounded number of redraws; tiny
spaces such as 1-digit additions repeat).

Exception, fib: there are only 15 values of n in train, so an instance cannot be n alone. For
fib an instance is the whole prompt (n together with its wording). For each n and style one
wording (number ``n % len(templates)``) is reserved for test_iid and never used in train; so
test_iid asks about every n that train has, but only in wordings train never pairs with that n.
Repeats within fib splits are unavoidable and allowed.

Graph construction. Rooms are ``lobby`` plus distinct random letters; the start is the lobby in
about half of the rows. The rooms are split into components of at least 2 rooms (the start's
component and others; two components up to 7 rooms, up to four in larger graphs), each a random
tree plus extra doors, for about one to one and a half doors per room where the component sizes
allow (4 and 5 rooms can only hold 0.5 to 0.8: two components of 2 rooms have one door each).
The goal is chosen from a pair of
"twin" rooms drawn *before* the label: a room of the start's component other than the start,
and a room of another component with the same number of doors where possible (the nearest count
otherwise). A Yes row asks about the first, a No row about the second; the other twin is the
competitor. Since the graph is drawn independently of the label, a No goal is not isolated nor
recognisable by its degree or by the door count: only following the doors tells the answers
apart. Yes and No are balanced exactly within each size of each split. Room listing order, door
order and door orientation are shuffled. `parse_graph` recovers the graph from a prompt.

`load_task` reads a saved task back and raises `TaskDataError` naming the split, row, column or
value that is wrong.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import string
from dataclasses import asdict, dataclass
from pathlib import Path

import datasets

from nclib.routines.arithmetic import add as _add
from nclib.routines.arithmetic import gcd as _gcd
from nclib.routines.fibonacci import fib_iter as _fib_iter
from nclib.routines.sorting import insertion_sort as _insertion_sort

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
    "TaskDataError",
    "TaskSpec",
    "apply_routine",
    "build_task",
    "build_tasks",
    "instance_key",
    "load_task",
    "parse_graph",
    "prompt_values",
    "render_answer",
]

TASKS = ("sort", "add", "fib", "gcd", "graph")
SPLITS = ("train", "test_iid", "test_ood")
STYLES = ("terse", "natural")
# No "I": it reads as the pronoun. A room's id is its index here.
ROOM_NAMES = ["lobby"] + [c for c in "ABCDEFGHJKLMNOPQRSTUVWXYZ"]
ROUTINE = {"sort": "insertion_sort", "add": "add", "fib": "fib_iter", "gcd": "gcd", "graph": "reachable"}
COLUMNS = ("task", "split", "size", "style", "prompt", "answer", "routine", "args", "target")
ANSWER_COLUMNS = ("task", "split", "size", "style", "prompt", "answer")  # what answers-only training and evaluation read

FEATURES = datasets.Features(
    {
        "task": datasets.Value("string"),
        "split": datasets.Value("string"),
        "size": datasets.Value("int64"),
        "style": datasets.Value("string"),
        "prompt": datasets.Value("string"),
        "answer": datasets.Value("string"),
        "routine": datasets.Value("string"),
        "args": datasets.List(datasets.List(datasets.Value("int64"))),
        "target": datasets.List(datasets.Value("int64")),
    }
)

_ROOM_ID = {name: i for i, name in enumerate(ROOM_NAMES)}
_VALUE_RE = re.compile(r"[0-9]+|[A-Za-z]+")


class TaskDataError(ValueError):
    """A saved task dataset is missing or malformed; the message names what is wrong."""


@dataclass(frozen=True)
class TaskSpec:
    """Sizes of one task's splits (see the module docstring for what "size" means per task)."""

    iid_sizes: tuple[int, ...]  # sizes of train and test_iid, each used equally often
    ood_sizes: tuple[int, ...]  # sizes of test_ood, each used equally often; must not meet iid_sizes
    iid_share: float = 0.2  # share of the in-distribution instances reserved for test_iid (not fib)
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


DEFAULT_SPECS = {
    "sort": TaskSpec(iid_sizes=tuple(range(2, 9)), ood_sizes=(12, 16)),
    "add": TaskSpec(iid_sizes=(1, 2, 3), ood_sizes=(4, 5)),
    "fib": TaskSpec(iid_sizes=tuple(range(1, 16)), ood_sizes=tuple(range(16, 25))),
    "gcd": TaskSpec(iid_sizes=(1, 2, 3), ood_sizes=(4,)),
    "graph": TaskSpec(iid_sizes=tuple(range(4, 9)), ood_sizes=(12, 16)),
}

# Smallest and largest size each task can generate.
_SIZE_LIMITS = {"sort": (1, 1000), "add": (1, 18), "fib": (0, 90), "gcd": (1, 18), "graph": (4, len(ROOM_NAMES))}


# ---------------------------------------------------------------------------------------------
# Prompt values and answers


def prompt_values(prompt: str) -> list[str]:
    """The numbers (maximal digit runs) and room names (whole words in `ROOM_NAMES`) of a prompt,
    in text order, as strings."""
    out = []
    for m in _VALUE_RE.finditer(prompt):
        word = m.group()
        if word[0].isdigit() or word in _ROOM_ID:
            out.append(word)
    return out


def _value_int(value: str) -> int:
    """A prompt value as an int: a number's value or a room's id."""
    return int(value) if value.isdigit() else _ROOM_ID[value]


def render_answer(task: str, target: list[int]) -> str:
    """The answer text for a target: decimal numbers joined by ", ", or " Yes"/" No" for graph."""
    if task == "graph":
        return " Yes" if target == [1] else " No"
    return ", ".join(str(v) for v in target)


def _reachable(edges: list[int], start: int, goal: int) -> int:
    """1 if goal is reachable from start along the undirected edges [u0, v0, u1, v1, ...]."""
    adjacent: dict[int, set[int]] = {}
    for u, v in zip(edges[0::2], edges[1::2]):
        adjacent.setdefault(u, set()).add(v)
        adjacent.setdefault(v, set()).add(u)
    seen, todo = {start}, [start]
    while todo:
        u = todo.pop()
        for v in adjacent.get(u, ()):
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return 1 if goal in seen else 0


def apply_routine(routine: str, arg_values: list[list[int]]) -> list[int]:
    """The target of `routine` on the argument values (one list of ints per argument, as `args`
    selects them), computed with the plain Python stdlib routines."""
    arity = {"insertion_sort": 1, "add": 2, "fib_iter": 1, "gcd": 2, "reachable": 3}
    if routine not in arity:
        raise ValueError(f"unknown routine {routine!r}")
    if len(arg_values) != arity[routine]:
        raise ValueError(f"{routine} takes {arity[routine]} arguments, got {len(arg_values)}")
    # Which arguments are scalars: a scalar argument must select exactly one value.
    scalars = {"insertion_sort": [], "add": [0, 1], "fib_iter": [0], "gcd": [0, 1], "reachable": [1, 2]}
    for i in scalars[routine]:
        if len(arg_values[i]) != 1:
            raise ValueError(f"{routine}: argument {i} is a scalar but selects {len(arg_values[i])} values")
    if routine == "insertion_sort":
        return _insertion_sort(list(arg_values[0]))
    if routine == "reachable":
        if len(arg_values[0]) % 2:
            raise ValueError("reachable: the edge list has an odd number of room ids")
        return [_reachable(arg_values[0], arg_values[1][0], arg_values[2][0])]
    scalar = [a[0] for a in arg_values]
    return [{"add": _add, "fib_iter": _fib_iter, "gcd": _gcd}[routine](*scalar)]


def _arg_values(prompt: str, args: list[list[int]]) -> list[list[int]]:
    values = prompt_values(prompt)
    return [[_value_int(values[i]) for i in arg] for arg in args]


def instance_key(row: dict) -> tuple:
    """What makes two rows the same instance (see the module docstring): the task and the
    routine's argument values; graph edges as an undirected edge set; for fib the prompt."""
    task = row["task"]
    if task == "fib":
        return (task, row["prompt"])
    vals = _arg_values(row["prompt"], row["args"])
    if task == "graph":
        return (task, _edge_set(vals[0]), vals[1][0], vals[2][0])
    return (task,) + tuple(tuple(v) for v in vals)


def _size_of(task: str, prompt: str, arg_values: list[list[int]]) -> int:
    """The size of an instance, as the `size` column defines it."""
    if task == "sort":
        return len(arg_values[0])
    if task == "fib":
        return arg_values[0][0]
    if task == "graph":
        return len(parse_graph(prompt)[0])
    return max(len(str(a[0])) for a in arg_values)  # add, gcd: digits of the larger operand


def _edge_set(edges: list[int]) -> tuple:
    return tuple(sorted({(min(u, v), max(u, v)) for u, v in zip(edges[0::2], edges[1::2])}))


# ---------------------------------------------------------------------------------------------
# Templates. A template is a format string; each field is filled by the task (a value or a list
# of values), and `_render` records which prompt value index each filled value got.


class _Prompt:
    """Builds a prompt piece by piece, remembering the prompt-value index of each value."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.values: list[str] = []

    def text(self, s: str) -> None:
        self.parts.append(s)

    def value(self, v) -> int:
        self.parts.append(str(v))
        self.values.append(str(v))
        return len(self.values) - 1

    def joined(self) -> str:
        return "".join(self.parts)


def _fields(template: str):
    """(literal, field name or None) pairs of a format string."""
    return [(lit, name) for lit, name, _, _ in string.Formatter().parse(template)]


SORT_TEMPLATES = {
    "terse": ["sort [{xs}] = ", "sorted([{xs}]) = "],
    "natural": [
        "Sort the list {xs} in increasing order: ",
        "Put these numbers in ascending order: {xs}. Answer: ",
        "Arrange {xs} from smallest to largest: ",
        "Here is a list of numbers: {xs}. Sorted, it reads ",
    ],
}
ADD_TEMPLATES = {
    "terse": ["{a} + {b} = ", "add({a}, {b}) = "],
    "natural": [
        "What is {a} plus {b}? Answer: ",
        "Add {a} and {b}: ",
        "The sum of {a} and {b} is ",
        "Compute {a} + {b}. Answer: ",
    ],
}
FIB_TEMPLATES = {
    "terse": ["fib({n}) = ", "fib {n} = ", "fibonacci({n}) = "],
    "natural": [
        "What is the Fibonacci number with index {n}? Answer: ",
        "The Fibonacci number with index {n} is ",
        "Compute the Fibonacci number at index {n}: ",
        "In the Fibonacci sequence zero, one, one, two, three, the term with index {n} is ",
    ],
}
GCD_TEMPLATES = {
    "terse": ["gcd({a}, {b}) = ", "gcd of {a}, {b} = "],
    "natural": [
        "Find the greatest common divisor of {a} and {b}: ",
        "What is the largest number that divides both {a} and {b}? Answer: ",
        "The greatest common divisor of {a} and {b} is ",
        "Compute the highest common factor of {a} and {b}. Answer: ",
    ],
}


@dataclass(frozen=True)
class _GraphTemplate:
    text: str  # fields: rooms, doors, start, goal
    door: str  # one door, fields u and v
    door_sep: str  # between doors
    room_last_sep: str  # between the last two listed rooms (", " elsewhere)
    natural_names: bool  # "the lobby" / "room K" for start and goal instead of the bare name


GRAPH_TEMPLATES = {
    "terse": [
        _GraphTemplate("Rooms: {rooms}. Doors: {doors}. Can you get to {goal} from {start}?", "{u} to {v}", ", ", ", ", False),
        _GraphTemplate("Rooms: {rooms}. Doors: {doors}. Path from {start} to {goal}?", "{u} to {v}", ", ", ", ", False),
        _GraphTemplate("Rooms: {rooms}. Doors: {doors}. Reachable from {start}: {goal}? Answer:", "{u} and {v}", "; ", ", ", False),
    ],
    "natural": [
        _GraphTemplate(
            "This house has the rooms {rooms}. {doors} Starting in {start}, can you reach {goal}?",
            "There is a door between {u} and {v}.", " ", " and ", True,
        ),
        _GraphTemplate(
            "You are in {start}. The rooms here are {rooms}, and doors connect {doors}. Can you walk to {goal}? Answer:",
            "{u} with {v}", ", ", " and ", True,
        ),
        _GraphTemplate(
            "The building has the rooms {rooms}. Its doors link {doors}. Is {goal} reachable from {start}?",
            "{u} and {v}", "; ", " and ", True,
        ),
    ],
}

TEMPLATES = {"sort": SORT_TEMPLATES, "add": ADD_TEMPLATES, "fib": FIB_TEMPLATES, "gcd": GCD_TEMPLATES}


def _render(template: str, fill) -> None:
    """Render a format string through `fill(name)`, which writes the field into the prompt."""
    for lit, name in _fields(template):
        fill.prompt.text(lit)
        if name is not None:
            fill(name)


class _Filler:
    """Fills template fields with values, recording the value indices per field."""

    def __init__(self, values: dict) -> None:
        self.prompt = _Prompt()
        self.values = values  # field name -> int or list of ints
        self.indices: dict[str, list[int]] = {}

    def __call__(self, name: str) -> None:
        v = self.values[name]
        if isinstance(v, list):
            idx = []
            for k, x in enumerate(v):
                if k:
                    self.prompt.text(", ")
                idx.append(self.prompt.value(x))
            self.indices[name] = idx
        else:
            self.indices[name] = [self.prompt.value(v)]


def _room_phrase(room: int, natural: bool) -> tuple[str, str]:
    """(text before the name, name) for a start or goal room."""
    name = ROOM_NAMES[room]
    if not natural:
        return "", name
    return ("the ", name) if room == 0 else ("room ", name)


def _render_graph(tpl: _GraphTemplate, rooms: list[int], doors: list[tuple[int, int]], start: int, goal: int):
    """The prompt of a graph row and its args (door endpoints, start, goal)."""
    p = _Prompt()
    edge_idx: list[int] = []
    start_idx = goal_idx = -1
    for lit, name in _fields(tpl.text):
        p.text(lit)
        if name == "rooms":
            for k, r in enumerate(rooms):
                if k:
                    p.text(tpl.room_last_sep if k == len(rooms) - 1 else ", ")
                p.value(ROOM_NAMES[r])
        elif name == "doors":
            for k, (u, v) in enumerate(doors):
                if k:
                    p.text(tpl.door_sep)
                for dlit, dname in _fields(tpl.door):
                    p.text(dlit)
                    if dname is not None:
                        edge_idx.append(p.value(ROOM_NAMES[u if dname == "u" else v]))
        elif name in ("start", "goal"):
            before, room_name = _room_phrase(start if name == "start" else goal, tpl.natural_names)
            p.text(before)
            if name == "start":
                start_idx = p.value(room_name)
            else:
                goal_idx = p.value(room_name)
    return p, [edge_idx, [start_idx], [goal_idx]]


def _template_regex(tpl: _GraphTemplate) -> re.Pattern:
    parts = []
    for lit, name in _fields(tpl.text):
        parts.append(re.escape(lit))
        if name is not None:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts) + r"\Z", re.S)


_GRAPH_REGEXES = [_template_regex(t) for style in STYLES for t in GRAPH_TEMPLATES[style]]


def parse_graph(prompt: str) -> tuple[list[str], list[tuple[str, str]], str, str]:
    """(rooms in listed order, doors as (u, v) name pairs in text order, start, goal) of a graph
    prompt made by this module. Raises ValueError for a prompt that matches no graph template."""
    for rx in _GRAPH_REGEXES:
        m = rx.match(prompt)
        if m is None:
            continue
        rooms = prompt_values(m.group("rooms"))
        ends = prompt_values(m.group("doors"))
        start, goal = prompt_values(m.group("start")), prompt_values(m.group("goal"))
        if len(ends) % 2 or len(start) != 1 or len(goal) != 1 or any(not r.isalpha() for r in rooms + ends):
            continue
        return rooms, list(zip(ends[0::2], ends[1::2])), start[0], goal[0]
    raise ValueError(f"not a graph prompt: {prompt[:80]!r}")


# ---------------------------------------------------------------------------------------------
# Instance generators: each returns the routine's argument values for one instance of a size.


def _number_with_digits(rng: random.Random, digits: int, low: int = 0) -> int:
    lo = max(low, 10 ** (digits - 1) if digits > 1 else 0)
    return rng.randint(lo, 10**digits - 1)


def _draw_sort(rng: random.Random, size: int, spec: TaskSpec, ood: bool) -> dict:
    return {"xs": [rng.randint(0, spec.max_value) for _ in range(size)]}


def _draw_add(rng: random.Random, size: int, spec: TaskSpec, ood: bool) -> dict:
    a = _number_with_digits(rng, size)
    b = _number_with_digits(rng, rng.randint(1, size))
    if rng.random() < 0.5:  # the longer operand is first or second equally often
        a, b = b, a
    return {"a": a, "b": b}


def _draw_fib(rng: random.Random, size: int, spec: TaskSpec, ood: bool) -> dict:
    return {"n": size}


def _draw_gcd(rng: random.Random, size: int, spec: TaskSpec, ood: bool) -> dict:
    """Operands >= 1, the larger with `size` digits; in-distribution the smaller has 1..size
    digits, out of distribution both have `size` digits. About two thirds of the pairs are
    multiples of a common factor (log-uniform, so small and large gcds both occur), which keeps
    gcd 1 a minority answer."""
    while True:
        small_digits = size if ood else rng.randint(1, size)
        lo_a, hi_a = 10 ** (size - 1), 10**size - 1
        lo_b, hi_b = 10 ** (small_digits - 1), 10**small_digits - 1
        factor = 1
        if rng.random() < 0.65:
            factor = int(2 ** rng.uniform(1, math.log2(max(2, hi_b // 2))))
        a_lo, a_hi = -(-lo_a // factor), hi_a // factor
        b_lo, b_hi = -(-lo_b // factor), hi_b // factor
        if a_lo > a_hi or b_lo > b_hi:
            continue
        a, b = factor * rng.randint(a_lo, a_hi), factor * rng.randint(b_lo, b_hi)
        if rng.random() < 0.5:  # the larger operand is first or second equally often
            a, b = b, a
        return {"a": a, "b": b}


def _draw_graph(rng: random.Random, size: int, label: int) -> dict:
    """A graph of `size` rooms and a start/goal pair whose answer is `label` (see the module
    docstring: the graph and the twin rooms are drawn first, the label only picks the twin)."""
    others = rng.sample(range(1, len(ROOM_NAMES)), size - 1)
    start = 0 if rng.random() < 0.5 else others[rng.randrange(size - 1)]
    rest = [r for r in [0] + others if r != start]
    rng.shuffle(rest)
    # Component sizes: n_comp parts of at least 2 rooms; the start's component is the first.
    n_comp = rng.randint(2, min(4, max(2, size // 4 + 1)))  # 2 up to 7 rooms, at most 4
    sizes = [2] * n_comp
    for _ in range(size - 2 * n_comp):
        sizes[rng.randrange(n_comp)] += 1
    members = [start] + rest
    comps, pos = [], 0
    for s in sizes:
        comps.append(members[pos : pos + s])
        pos += s
    doors: list[tuple[int, int]] = []
    for comp in comps:
        order = comp[:]
        rng.shuffle(order)
        have = set()
        for i in range(1, len(order)):  # a random recursive tree spans the component
            u, v = order[i], order[rng.randrange(i)]
            doors.append((u, v))
            have.add(frozenset((u, v)))
        # Extra doors bring the component to about 1..1.5 doors per room where there is room.
        target = round(len(comp) * rng.uniform(1.0, 1.5))
        missing = [(u, v) for i, u in enumerate(comp) for v in comp[i + 1 :] if frozenset((u, v)) not in have]
        rng.shuffle(missing)
        doors.extend(missing[: max(0, target - (len(comp) - 1))])
    degree = {r: 0 for r in members}
    for u, v in doors:
        degree[u] += 1
        degree[v] += 1
    near = rng.choice([r for r in comps[0] if r != start])  # the twin the start can reach
    far_comp = comps[rng.randrange(1, n_comp)]
    gap = min(abs(degree[r] - degree[near]) for r in far_comp)
    far = rng.choice([r for r in far_comp if abs(degree[r] - degree[near]) == gap])
    goal = near if label else far
    # Presentation: listing order, door order and orientation are all random.
    rooms = [0] + others
    rng.shuffle(rooms)
    doors = [(v, u) if rng.random() < 0.5 else (u, v) for u, v in doors]
    rng.shuffle(doors)
    return {"rooms": rooms, "doors": doors, "start": start, "goal": goal}


_DRAW = {"sort": _draw_sort, "add": _draw_add, "fib": _draw_fib, "gcd": _draw_gcd}
_ARG_FIELDS = {"sort": ["xs"], "add": ["a", "b"], "fib": ["n"], "gcd": ["a", "b"]}


# ---------------------------------------------------------------------------------------------
# Building


def _held_out(key: tuple, share: float) -> bool:
    """Whether an in-distribution instance is reserved for test_iid: a fixed function of the
    instance (not of the seed), so no seed's train split can contain it."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < share * 2**64


def _spread(rng: random.Random, choices, n: int) -> list:
    """n items using each choice equally often (the first ones once more when n does not
    divide), in random order."""
    out = [choices[i % len(choices)] for i in range(n)]
    rng.shuffle(out)
    return out


_MAX_TRIES = 5000
_UNIQUE_TRIES = 60  # redraws spent on avoiding a repeat within the split before allowing one


def _make_row(task: str, split: str, size: int, style: str, rng: random.Random, spec: TaskSpec, label: int):
    """One row (without checking reservation or repeats)."""
    if task == "graph":
        g = _draw_graph(rng, size, label)
        tpl = rng.choice(GRAPH_TEMPLATES[style])
        prompt, args = _render_graph(tpl, g["rooms"], g["doors"], g["start"], g["goal"])
    else:
        values = _DRAW[task](rng, size, spec, split == "test_ood")
        templates = TEMPLATES[task][style]
        if task == "fib":
            # One wording per (n, style) is reserved for test_iid (module docstring).
            reserved = size % len(templates)
            if split == "test_iid":
                choices = [reserved]
            elif split == "train":
                choices = [i for i in range(len(templates)) if i != reserved]
            else:
                choices = list(range(len(templates)))
            template = templates[rng.choice(choices)]
        else:
            template = rng.choice(templates)
        filler = _Filler(values)
        _render(template, filler)
        prompt, args = filler.prompt, [filler.indices[f] for f in _ARG_FIELDS[task]]
    text = prompt.joined()
    # Self-checks that no wording change may break: the wordings contribute no values of their
    # own (module docstring), and the row has the size it was drawn for.
    if prompt_values(text) != prompt.values:
        raise RuntimeError(f"template adds values of its own: {text!r}")
    target = apply_routine(ROUTINE[task], _arg_values(text, args))
    if _size_of(task, text, _arg_values(text, args)) != size:
        raise RuntimeError(f"{task}: drew size {_size_of(task, text, _arg_values(text, args))}, wanted {size}: {text!r}")
    return {
        "task": task,
        "split": split,
        "size": size,
        "style": style,
        "prompt": text,
        "answer": render_answer(task, target),
        "routine": ROUTINE[task],
        "args": args,
        "target": target,
    }


def _build_split(task: str, split: str, n: int, seed: int, spec: TaskSpec) -> list[dict]:
    rng = random.Random(f"{seed}:{task}:{split}")
    sizes = _spread(rng, spec.ood_sizes if split == "test_ood" else spec.iid_sizes, n)
    styles = _spread(rng, STYLES, n)
    labels = [1] * n
    if task == "graph":  # Yes/No balanced exactly within each size
        for s in sorted(set(sizes)):  # sorted: the rng must be consumed in a fixed order
            where = [i for i, si in enumerate(sizes) if si == s]
            for i, lab in zip(where, _spread(rng, [1, 0], len(where))):
                labels[i] = lab
    rows, seen = [], set()
    for size, style, label in zip(sizes, styles, labels):
        for attempt in range(_MAX_TRIES):
            row = _make_row(task, split, size, style, rng, spec, label)
            key = instance_key(row)
            if task != "fib" and split != "test_ood" and _held_out(key, spec.iid_share) != (split == "test_iid"):
                continue
            # fib's instance space is a few dozen prompts: repeats are the norm there.
            if key in seen and attempt < _UNIQUE_TRIES and task != "fib":
                continue
            break
        else:
            raise RuntimeError(f"{task}/{split}: no instance of size {size} found in {_MAX_TRIES} draws")
        seen.add(key)
        rows.append(row)
    return rows


def build_task(task: str, n_train: int = 2000, n_test: int = 200, seed: int = 0, spec: TaskSpec | None = None) -> datasets.DatasetDict:
    """The three splits of one task: n_train rows in train, n_test in each of test_iid and
    test_ood. The same arguments always give the same datasets."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    spec = spec or DEFAULT_SPECS[task]
    lo, hi = _SIZE_LIMITS[task]
    for s in spec.iid_sizes + spec.ood_sizes:
        if not lo <= s <= hi:
            raise ValueError(f"{task}: size {s} is outside {lo}..{hi}")
    info = {"task": task, "seed": seed, "n_train": n_train, "n_test": n_test, "spec": asdict(spec)}
    out = {}
    for split, n in zip(SPLITS, (n_train, n_test, n_test)):
        rows = _build_split(task, split, n, seed, spec)
        columns = {c: [r[c] for r in rows] for c in COLUMNS}
        out[split] = datasets.Dataset.from_dict(
            columns, features=FEATURES, info=datasets.DatasetInfo(description=json.dumps(info, sort_keys=True), features=FEATURES)
        )
    return datasets.DatasetDict(out)


def build_tasks(tasks=TASKS, out_dir=None, specs: dict[str, TaskSpec] | None = None, **kw) -> dict[str, datasets.DatasetDict]:
    """`build_task` for each task (keyword arguments are passed on; `specs` maps a task to its
    TaskSpec). With out_dir, each is also saved to out_dir/<task>."""
    specs = specs or {}
    built = {}
    for task in tasks:
        built[task] = build_task(task, spec=specs.get(task), **kw)
        if out_dir is not None:
            built[task].save_to_disk(str(Path(out_dir) / task))
    return built


# ---------------------------------------------------------------------------------------------
# Loading and validation


def load_task(path, check_rows: int = 50, labels: bool = True) -> datasets.DatasetDict:
    """Load a task saved by `build_tasks` and validate it. The schema, the task/split/routine/
    style fields and the range of every args index are checked on all rows; the target and
    answer against the routine on the first `check_rows` rows of each split. Raises
    TaskDataError naming the path, split, row, column or value that is wrong.

    labels=False (answers-only training): the label columns (routine, args, target) may be absent
    and are not read; prompt and answer must be non-empty strings, and task / split / size / style
    (the evaluation's grouping) must be present."""
    path = Path(path)
    if not path.exists():
        raise TaskDataError(f"task dataset not found: {path} does not exist")
    try:
        dd = datasets.load_from_disk(str(path))
    except Exception as exc:  # datasets raises several types for a directory it cannot read
        raise TaskDataError(f"{path}: cannot be loaded as a saved dataset ({exc})") from exc
    if not isinstance(dd, datasets.DatasetDict):
        raise TaskDataError(f"{path}: is a single Dataset, expected a DatasetDict with splits {SPLITS}")
    for split in SPLITS:
        if split not in dd:
            raise TaskDataError(f"{path}: missing split {split!r} (has {sorted(dd)})")
    for split in dd:
        if split not in SPLITS:
            raise TaskDataError(f"{path}: unexpected split {split!r}; expected {SPLITS}")
    task = None
    for split in SPLITS:
        ds = dd[split]
        for c in COLUMNS if labels else ANSWER_COLUMNS:
            if c not in ds.column_names:
                raise TaskDataError(f"{path}: split {split!r} is missing column {c!r}")
        for c in ds.column_names:
            if c not in COLUMNS:
                raise TaskDataError(f"{path}: split {split!r} has unexpected column {c!r}")
        if not labels:
            cols = ds.select_columns(list(ANSWER_COLUMNS)).to_dict()
            for i in range(len(ds)):
                for c in ("prompt", "answer"):
                    if not isinstance(cols[c][i], str) or not cols[c][i]:
                        raise TaskDataError(f"{path}: split {split!r} row {i}: column {c!r} must be a non-empty string, got {cols[c][i]!r}")
                if cols["task"][i] not in TASKS:
                    raise TaskDataError(f"{path}: split {split!r} row {i}: column 'task' has unknown task {cols['task'][i]!r}")
            continue
        cols = ds.to_dict()
        for i in range(len(ds)):
            row = {c: cols[c][i] for c in COLUMNS}
            where = f"{path}: split {split!r} row {i}"
            if task is None:
                task = row["task"]
                if task not in TASKS:
                    raise TaskDataError(f"{where}: column 'task' has unknown task {task!r}")
            _check_row(row, where, task, split, check_values=i < check_rows)
    return dd


def _check_row(row: dict, where: str, task: str, split: str, check_values: bool) -> None:
    expect = {"task": task, "split": split, "routine": ROUTINE[task]}
    for c, want in expect.items():
        if row[c] != want:
            raise TaskDataError(f"{where}: column {c!r} is {row[c]!r}, expected {want!r}")
    if row["style"] not in STYLES:
        raise TaskDataError(f"{where}: column 'style' is {row['style']!r}, expected one of {STYLES}")
    values = prompt_values(row["prompt"])
    for arg in row["args"]:
        for k in arg:
            if not 0 <= k < len(values):
                raise TaskDataError(
                    f"{where}: column 'args' index {k} is out of range: the prompt has {len(values)} values"
                )
    if not check_values:
        return
    try:
        want = apply_routine(row["routine"], _arg_values(row["prompt"], row["args"]))
    except ValueError as exc:
        raise TaskDataError(f"{where}: column 'args' does not fit {row['routine']}: {exc}") from exc
    try:
        size = _size_of(task, row["prompt"], _arg_values(row["prompt"], row["args"]))
    except ValueError as exc:  # a graph prompt that matches no template
        raise TaskDataError(f"{where}: column 'prompt': {exc}") from exc
    if row["target"] != want:
        raise TaskDataError(f"{where}: column 'target' is {row['target']}, but {row['routine']} gives {want}")
    if row["size"] != size:
        raise TaskDataError(f"{where}: column 'size' is {row['size']}, but the instance has size {size}")
    if row["answer"] != render_answer(task, want):
        raise TaskDataError(f"{where}: column 'answer' is {row['answer']!r}, expected {render_answer(task, want)!r}")

"""Task datasets: schema, determinism, split separation, correctness of every row against
hand-written oracles, the graph construction, the held-out wordings, a user-defined Task, and
save/load with clear errors."""

import math
import re
from collections import Counter

import pytest
from datasets import DatasetDict

import nclib.tasks
from nclib.tasks import (
    COLUMNS,
    ROOM_NAMES,
    ROUTINE,
    SPLITS,
    STYLES,
    TASKS,
    Task,
    TaskDataError,
    TaskSpec,
    build_task,
    build_tasks,
    instance_key,
    load_task,
    parse_graph,
    prompt_values,
)
from nclib.tasks.prompt import template_fields

N_TRAIN, N_TEST = 200, 50


@pytest.fixture(scope="module")
def built():
    return {t: build_task(t, n_train=N_TRAIN, n_test=N_TEST, seed=0) for t in TASKS}


def rows(dd, split):
    return dd[split].to_list()


# Oracles written independently of nclib.routines and nclib.tasks.


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def connected(doors, start, goal):
    rooms = {start}
    changed = True
    while changed:
        changed = False
        for u, v in doors:
            if (u in rooms) != (v in rooms):
                rooms |= {u, v}
                changed = True
    return goal in rooms


def oracle(task, vals):
    if task == "sort":
        return sorted(vals[0])
    if task == "add":
        return [vals[0][0] + vals[1][0]]
    if task == "fib":
        return [fib(vals[0][0])]
    if task == "gcd":
        return [math.gcd(vals[0][0], vals[1][0])]
    edges = vals[0]
    return [int(connected(list(zip(edges[0::2], edges[1::2])), vals[1][0], vals[2][0]))]


def as_int(v):
    return int(v) if v.isdigit() else ROOM_NAMES.index(v)


def test_public_names():
    assert sorted(nclib.tasks.__all__) == sorted([
        "ANSWER_COLUMNS", "COLUMNS", "DEFAULT_SPECS", "FEATURES", "ROOM_NAMES", "ROUTINE", "SPLITS", "STYLES", "TASKS",
        "Task", "TaskDataError", "TaskSpec", "apply_routine", "arg_values", "build_task", "build_tasks", "get_task",
        "instance_key", "load_task", "parse_graph", "prompt_values", "render_answer",
    ])
    assert SPLITS == ("train", "test_iid", "test_ood", "test_wording")
    assert list(TASKS) == ["sort", "add", "fib", "gcd", "graph"] and all(isinstance(t, Task) for t in TASKS.values())


def test_splits_columns_and_sizes(built):
    for task, dd in built.items():
        assert sorted(dd) == sorted(SPLITS), task
        assert {s: len(dd[s]) for s in SPLITS} == {"train": N_TRAIN, "test_iid": N_TEST, "test_ood": N_TEST, "test_wording": N_TEST}
        for split in SPLITS:
            assert dd[split].column_names == list(COLUMNS), (task, split)
            rs = rows(dd, split)
            assert {r["task"] for r in rs} == {task}
            assert {r["split"] for r in rs} == {split}
            assert {r["routine"] for r in rs} == {ROUTINE[task]}
            styles = Counter(r["style"] for r in rs)
            want = set(TASKS[task].wording) if split == "test_wording" else set(STYLES)
            assert set(styles) == want, (task, split)
            assert max(styles.values()) - min(styles.values()) <= 1
        train_sizes = {r["size"] for r in rows(dd, "train")}
        assert {r["size"] for r in rows(dd, "test_iid")} <= train_sizes
        assert {r["size"] for r in rows(dd, "test_wording")} == train_sizes
        assert max(train_sizes) < min(r["size"] for r in rows(dd, "test_ood")), task


def test_default_size_ranges(built):
    sizes = {t: {s: {r["size"] for r in rows(built[t], s)} for s in SPLITS} for t in TASKS}
    assert sizes["sort"]["train"] == set(range(2, 9)) and sizes["sort"]["test_ood"] == {12, 16}
    assert sizes["add"]["train"] == {1, 2, 3} and sizes["add"]["test_ood"] == {4, 5}
    assert sizes["fib"]["train"] == set(range(1, 16)) and sizes["fib"]["test_ood"] == set(range(16, 25))
    assert sizes["gcd"]["train"] == {1, 2, 3} and sizes["gcd"]["test_ood"] == {4}
    assert sizes["graph"]["train"] == set(range(4, 9)) and sizes["graph"]["test_ood"] == {12, 16}


def test_every_row_is_correct(built):
    # test_wording included: its answers are the routine applied to its values, formatted as elsewhere.
    for task, dd in built.items():
        for split in SPLITS:
            for r in rows(dd, split):
                values = prompt_values(r["prompt"])
                assert all(0 <= i < len(values) for a in r["args"] for i in a), r
                # The prompt holds no values besides the routine's arguments (and, for
                # graph, the listing of the rooms).
                used = sorted(i for a in r["args"] for i in a)
                listed = len(parse_graph(r["prompt"])[0]) if task == "graph" else 0
                assert len(used) == len(set(used)) == len(values) - listed, r
                vals = [[as_int(values[i]) for i in a] for a in r["args"]]
                assert r["target"] == oracle(task, vals), r
                if task == "graph":
                    assert r["answer"] == (" Yes" if r["target"] == [1] else " No")
                    assert r["prompt"].endswith(("?", ":")), r["prompt"]
                else:
                    assert r["answer"] == ", ".join(map(str, r["target"]))
                    assert r["prompt"].endswith(" "), r["prompt"]
                size = {
                    "sort": lambda: len(vals[0]),
                    "add": lambda: max(len(str(vals[0][0])), len(str(vals[1][0]))),
                    "fib": lambda: vals[0][0],
                    "gcd": lambda: len(str(max(vals[0][0], vals[1][0]))),
                    "graph": lambda: len(parse_graph(r["prompt"])[0]),
                }[task]()
                assert r["size"] == size, r


def test_value_ranges(built):
    for split in SPLITS:
        for r in rows(built["sort"], split):
            assert all(0 <= int(v) <= 99 for v in prompt_values(r["prompt"]))
        for r in rows(built["gcd"], split):
            a, b = map(int, prompt_values(r["prompt"]))
            assert a >= 1 and b >= 1
            if split == "test_ood":
                assert 1000 <= a <= 9999 and 1000 <= b <= 9999
            else:
                assert a <= 999 and b <= 999
    # A common factor is built in, so gcd 1 is not the majority answer.
    ones = sum(r["target"] == [1] for r in rows(built["gcd"], "train"))
    assert ones < N_TRAIN / 2


def test_deterministic(built):
    for task in TASKS:
        again = build_task(task, n_train=N_TRAIN, n_test=N_TEST, seed=0)
        other = build_task(task, n_train=N_TRAIN, n_test=N_TEST, seed=1)
        for split in SPLITS:
            assert again[split].to_dict() == built[task][split].to_dict(), (task, split)
            assert other[split].to_dict() != built[task][split].to_dict(), (task, split)


def keys(dd, split):
    return {instance_key(r) for r in rows(dd, split)}


def test_splits_never_overlap(built):
    for task, dd in built.items():
        train, iid, ood, wording = (keys(dd, s) for s in SPLITS)
        assert not train & iid and not train & ood and not iid & ood, task
        assert not wording & train and not wording & ood, task


def test_no_overlap_when_train_exhausts_small_sizes():
    # 1-digit additions have only 100 instances: train repeats, yet test_iid stays apart, also
    # across seeds (the held-out instances do not depend on the seed).
    spec = TaskSpec(iid_sizes=(1,), ood_sizes=(2,))
    a = build_task("add", n_train=400, n_test=40, seed=0, spec=spec)
    b = build_task("add", n_train=400, n_test=40, seed=3, spec=spec)
    assert len(keys(a, "train")) < 100
    assert not (keys(a, "train") | keys(b, "train")) & (keys(a, "test_iid") | keys(b, "test_iid"))


def test_instances_distinct_within_split(built):
    for task in ("sort", "graph"):
        for split in SPLITS:
            assert len(keys(built[task], split)) == len(built[task][split]), (task, split)


def test_fib_test_iid_uses_held_out_wordings(built):
    # Every n of test_iid also occurs in train, but never with the same prompt.
    dd = built["fib"]
    train_prompts = {r["prompt"] for r in rows(dd, "train")}
    for r in rows(dd, "test_iid") + rows(dd, "test_wording"):
        assert r["prompt"] not in train_prompts
    assert {r["size"] for r in rows(dd, "test_iid")} <= {r["size"] for r in rows(dd, "train")}


def test_graph_balanced_and_hard(built):
    for split in SPLITS:
        by_size = {}
        for r in rows(built["graph"], split):
            by_size.setdefault(r["size"], Counter())[r["target"][0]] += 1
            rooms, doors, start, goal = parse_graph(r["prompt"])
            assert start != goal
            # The goal always has a door: an unreachable goal is never simply isolated.
            assert any(goal in d for d in doors)
            # Every room name is its own space-prefixed token (tokenizer contract).
            for m in re.finditer(r"\b(lobby|[A-Z])\b", r["prompt"]):
                if m.group() in ROOM_NAMES:
                    assert r["prompt"][m.start() - 1] == " ", r["prompt"]
        for size, c in by_size.items():
            assert abs(c[1] - c[0]) <= 1, (split, size, c)
    # By construction the start never reaches every room (at least two components).
    multi = 0
    for r in rows(built["graph"], "train"):
        rooms, doors, start, _ = parse_graph(r["prompt"])
        multi += not all(connected(doors, start, x) for x in rooms)
    assert multi == N_TRAIN


def test_parse_graph_round_trip(built):
    for split in SPLITS:
        for r in rows(built["graph"], split):
            rooms, doors, start, goal = parse_graph(r["prompt"])
            values = prompt_values(r["prompt"])
            edges, (s,), (g,) = r["args"]
            assert [values[i] for i in edges] == [x for d in doors for x in d]
            assert (values[s], values[g]) == (start, goal)
            assert len(set(rooms)) == len(rooms) == r["size"] and rooms[0] in ROOM_NAMES
            assert {x for d in doors for x in d} | {start, goal} <= set(rooms)


def test_hand_checked_graph():
    prompt = "Rooms: lobby, A, B, W. Doors: lobby to A, A to W. Can you get to W from lobby?"
    assert prompt_values(prompt) == ["lobby", "A", "B", "W", "lobby", "A", "A", "W", "W", "lobby"]
    rooms, doors, start, goal = parse_graph(prompt)
    assert rooms == ["lobby", "A", "B", "W"]
    assert doors == [("lobby", "A"), ("A", "W")]
    assert (start, goal) == ("lobby", "W")
    row = {"task": "graph", "prompt": prompt, "args": [[4, 5, 6, 7], [9], [8]]}
    assert instance_key(row) == ("graph", ((0, 1), (1, 22)), 0, 22)  # W is room 22
    with pytest.raises(ValueError):
        parse_graph("sort [3, 1] = ")


def test_prompt_values_wording():
    assert prompt_values("sort [5, 3, 9] = ") == ["5", "3", "9"]
    assert prompt_values("What is 12 plus 345? Answer: ") == ["12", "345"]
    # "I" is not a room; words that merely start with a capital are not rooms.
    assert prompt_values("I saw Alice in the lobby, B and lobbyist C.") == ["lobby", "B", "C"]


REGISTERS = {"question", "instruction", "story", "chat"}


def template_text(template):
    """The literal text of a template (a graph template: its sentence and its door)."""
    parts = [template] if isinstance(template, str) else [template.text, template.door]
    return "".join(lit for part in parts for lit, _ in template_fields(part))


def test_held_out_wordings():
    for name, task in TASKS.items():
        assert set(task.wording) == REGISTERS, name
        held_out = [t for ts in task.wording.values() for t in ts]
        assert len(held_out) >= 4, name
        # The wordings contribute no values: no digits, no single capital letter as a word.
        for t in held_out:
            text = template_text(t)
            assert not re.search(r"[0-9]|\b[A-Z]\b", text), (name, text)
        trained = [t for style in STYLES for t in task.templates[style]]
        assert not set(held_out) & set(trained), name


def test_no_train_prompt_has_a_held_out_shape(built):
    for name, dd in built.items():
        task = TASKS[name]
        wording_shapes = [task.shape(t) for ts in task.wording.values() for t in ts]
        train_shapes = [task.shape(t) for style in STYLES for t in task.templates[style]]
        for r in rows(dd, "train"):
            assert not any(rx.match(r["prompt"]) for rx in wording_shapes), r["prompt"]
        for r in rows(dd, "test_wording"):
            assert not any(rx.match(r["prompt"]) for rx in train_shapes), r["prompt"]
            assert sum(bool(rx.match(r["prompt"])) for rx in wording_shapes) >= 1, r["prompt"]


def test_every_held_out_wording_is_used():
    for name in TASKS:
        dd = build_task(name, n_train=10, n_test=200, seed=0)
        task = TASKS[name]
        for register, templates in task.wording.items():
            for t in templates:
                rx = task.shape(t)
                assert any(rx.match(r["prompt"]) for r in rows(dd, "test_wording")), (name, register, t)


def list_max(xs):
    best = xs[0]
    for x in xs[1:]:
        if x > best:
            best = x
    return best


MAX = Task(
    name="max",
    routine="list_max",
    reference=list_max,
    params=("list",),
    fields=("xs",),
    templates={"terse": ("max [{xs}] = ", "max({xs}) = "), "natural": ("The largest of {xs} is ",)},
    wording={"chat": ("User: which of {xs} is the biggest?\nAssistant: ",), "question": ("Which is larger than the rest: {xs}? ",)},
    sample=lambda rng, size, spec, ood, label: {"xs": [rng.randint(0, spec.max_value) for _ in range(size)]},
    size=lambda prompt, values: len(values[0]),
    spec=TaskSpec(iid_sizes=(2, 3, 4), ood_sizes=(8,)),
)


def test_user_defined_task_round_trip(tmp_path):
    dd = build_task(MAX, n_train=60, n_test=12, seed=0)
    assert sorted(dd) == sorted(SPLITS)
    for split in SPLITS:
        for r in rows(dd, split):
            xs = [int(v) for v in prompt_values(r["prompt"])]
            assert r["args"] == [list(range(len(xs)))] and r["target"] == [max(xs)] and r["answer"] == str(max(xs))
            assert r["size"] == len(xs) and r["routine"] == "list_max"
    assert {r["style"] for r in rows(dd, "test_wording")} == {"chat", "question"}
    train, iid, wording = ({instance_key(r, MAX) for r in rows(dd, s)} for s in ("train", "test_iid", "test_wording"))
    assert not train & (iid | wording)
    assert build_task(MAX, n_train=60, n_test=12, seed=0)["train"].to_dict() == dd["train"].to_dict()

    build_tasks([MAX], out_dir=tmp_path, n_train=60, n_test=12, seed=0)
    loaded = load_task(tmp_path / "max", task=MAX)
    for split in SPLITS:
        assert loaded[split].to_dict() == dd[split].to_dict()
    with pytest.raises(TaskDataError, match="unknown task 'max'"):
        load_task(tmp_path / "max")


def test_task_validation():
    with pytest.raises(ValueError, match="also used in training"):
        Task(**{**vars(MAX), "wording": {"chat": ("max [{xs}] = ",)}})
    with pytest.raises(ValueError, match="styles"):
        Task(**{**vars(MAX), "templates": {"terse": ("max [{xs}] = ",)}})
    with pytest.raises(ValueError, match="at least 2 templates"):  # a held-out training wording needs another
        Task(**{**vars(MAX), "prompt_instances": True})


def test_spec_validation():
    with pytest.raises(ValueError, match="both iid and ood"):
        TaskSpec(iid_sizes=(1, 2), ood_sizes=(2, 3))
    with pytest.raises(ValueError, match="outside"):
        build_task("graph", n_train=4, n_test=2, spec=TaskSpec(iid_sizes=(3,), ood_sizes=(5,)))
    with pytest.raises(ValueError, match="unknown task"):
        build_task("mul")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("tasks")
    build_tasks(tasks=("sort", "graph"), out_dir=out, n_train=30, n_test=10, seed=5)
    return out


def test_save_load_round_trip(saved):
    for task in ("sort", "graph"):
        dd = load_task(saved / task)
        fresh = build_task(task, n_train=30, n_test=10, seed=5)
        for split in SPLITS:
            assert dd[split].to_dict() == fresh[split].to_dict()


def test_data_saved_without_test_wording_loads(tmp_path):
    dd = build_task("add", n_train=30, n_test=10, seed=5)
    del dd["test_wording"]
    dd.save_to_disk(str(tmp_path / "add"))
    assert sorted(load_task(tmp_path / "add")) == ["test_iid", "test_ood", "train"]
    assert sorted(load_task(tmp_path / "add", labels=False)) == ["test_iid", "test_ood", "train"]


def test_load_errors(saved, tmp_path):
    with pytest.raises(TaskDataError, match="nowhere"):
        load_task(tmp_path / "nowhere")

    dd = build_task("sort", n_train=30, n_test=10, seed=5)
    broken = DatasetDict(dd)
    broken["test_iid"] = broken["test_iid"].remove_columns("routine")
    broken.save_to_disk(str(tmp_path / "no_column"))
    with pytest.raises(TaskDataError, match="test_iid.*'routine'"):
        load_task(tmp_path / "no_column")

    broken = DatasetDict(dd)
    del broken["test_ood"]
    broken.save_to_disk(str(tmp_path / "no_split"))
    with pytest.raises(TaskDataError, match="missing split 'test_ood'"):
        load_task(tmp_path / "no_split")

    def corrupt(column, value):
        def f(row, i):
            return {column: value} if i == 3 else {}
        return f

    broken = DatasetDict(dd)
    broken["train"] = broken["train"].map(corrupt("target", [1, 2]), with_indices=True)
    broken.save_to_disk(str(tmp_path / "bad_target"))
    with pytest.raises(TaskDataError, match="'train' row 3: column 'target'"):
        load_task(tmp_path / "bad_target")

    broken = DatasetDict(dd)
    broken["train"] = broken["train"].map(corrupt("args", [[0, 99]]), with_indices=True)
    broken.save_to_disk(str(tmp_path / "bad_args"))
    with pytest.raises(TaskDataError, match="'train' row 3: column 'args' index 99"):
        load_task(tmp_path / "bad_args")

    broken = DatasetDict(dd)
    broken["test_wording"] = broken["test_wording"].map(corrupt("style", "terse"), with_indices=True)
    broken.save_to_disk(str(tmp_path / "bad_style"))
    with pytest.raises(TaskDataError, match="'test_wording' row 3: column 'style' is 'terse'"):
        load_task(tmp_path / "bad_style")

    broken = DatasetDict(dd)
    broken["test_wording"] = broken["test_wording"].map(corrupt("answer", "0"), with_indices=True)
    broken.save_to_disk(str(tmp_path / "bad_answer"))
    with pytest.raises(TaskDataError, match="'test_wording' row 3: column 'answer'"):
        load_task(tmp_path / "bad_answer")

    broken = DatasetDict(dd)
    broken["test_ood"] = broken["test_ood"].map(corrupt("size", 5), with_indices=True)
    broken.save_to_disk(str(tmp_path / "bad_size"))
    with pytest.raises(TaskDataError, match="'test_ood' row 3: column 'size'"):
        load_task(tmp_path / "bad_size")


def test_no_test_prompt_is_a_training_prompt(built):
    """Held out means held out (issue 29): no row of a test split repeats a training prompt, for
    every built-in task (the evaluation table reports this count as 0)."""
    for task, dd in built.items():
        train = {r["prompt"] for r in rows(dd, "train")}
        for split in SPLITS[1:]:
            assert not train & {r["prompt"] for r in rows(dd, split)}, (task, split)


def test_each_task_carries_its_library_entry():
    """The built-in library is compiled from the tasks' `library:` entries, by the code that compiles
    a recipe's own list: the same routines, labels and symbols."""
    from nclib.model.library_spec import compile_library, parse_library
    from nclib.tasks.task_model import task_library, task_routines

    entries = [TASKS[t].library_entry() for t in TASKS]
    assert [s.source for s in parse_library(entries)] == [ROUTINE[t] for t in TASKS]
    assert TASKS["graph"].library_entry() == {"source": "reachable", "values": [0, 256], "memory": 192, "output": "labels",
                                              "labels": [" No", " Yes"], "symbols": [" " + r for r in ROOM_NAMES]}
    routines = task_routines(("sort", "graph"))
    assert routines.library.names == ["insertion_sort", "reachable"]
    assert routines.labels == {"reachable": [" No", " Yes"]} and routines.symbol_routines == ["reachable"]
    assert task_routines(("sort", "add")).symbols == []
    assert task_library().fingerprint() == compile_library(entries).library.fingerprint()
    with pytest.raises(ValueError, match=r"unknown tasks \['juggle'\]"):
        task_library(("sort", "juggle"))

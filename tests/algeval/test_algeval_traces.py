"""Ground-truth traces: hand-checked graphs, and the machine's event trace equals CPython's."""

import random

import pytest
import torch

import nclib
from nclib.algeval.compare import candidate_traces
from nclib.algeval.traces import TraceSpec, event_lines, machine_events, reference_events, visit_order
from nclib.routines.traversal import bfs_distances, bfs_order, dfs_order

torch.set_num_threads(1)

# (edges, n, start, bfs order, dfs preorder, distances, dijkstra order); worked out by hand.
HAND = {
    # 0: 1 2 | 1: 0 3 | 2: 0 3 | 3: 1 2 4 | 4: 3 | 5 isolated
    "diamond_tail": ([0, 1, 0, 2, 1, 3, 2, 3, 3, 4], 6, 0,
                     [0, 1, 2, 3, 4], [0, 1, 3, 2, 4], [0, 1, 1, 2, 3, 6], [0, 1, 2, 3, 4]),
    # 0: 3 1 | 3: 0 2 | 1: 0 4 -- edge order against id order, so Dijkstra's id tie-break differs from BFS
    "two_branches": ([0, 3, 0, 1, 3, 2, 1, 4], 5, 0,
                     [0, 3, 1, 2, 4], [0, 3, 2, 1, 4], [0, 1, 2, 1, 2], [0, 1, 3, 2, 4]),
    # self-loop, a doubled edge, a second component; start 1
    "loops_and_parts": ([2, 2, 2, 1, 1, 2, 3, 4], 5, 1,
                        [1, 2], [1, 2], [5, 0, 1, 5, 5], [1, 2]),
}


@pytest.fixture(scope="module")
def lib():
    return nclib.stdlib()


@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_checked_graphs(lib, name):
    edges, n, start, bfs, dfs, dist, dijkstra = HAND[name]
    assert bfs_order(edges, n, start) == bfs
    assert dfs_order(edges, n, start) == dfs
    assert bfs_distances(edges, n, start) == dist
    assert candidate_traces(edges, n, start) == {"bfs": bfs, "dfs": dfs, "dijkstra": dijkstra}
    for routine, want in (("bfs_order", bfs), ("dfs_order", dfs), ("bfs_distances", dist)):
        assert lib[routine](edges, n, start) == want
    for routine in ("bfs_order", "dfs_order", "bfs_distances"):
        events = machine_events(lib[routine], [(edges, n, start)])[0]
        assert visit_order(events) == (dfs if routine == "dfs_order" else bfs)


def test_goal_truncates_candidates():
    edges, n, start, *_ = HAND["diamond_tail"]
    assert candidate_traces(edges, n, start, goal=3) == {"bfs": [0, 1, 2, 3], "dfs": [0, 1, 3], "dijkstra": [0, 1, 2, 3]}
    assert candidate_traces(edges, n, start, goal=5)["bfs"] == [0, 1, 2, 3, 4]  # unreachable: the whole search


def test_reachable_trace_stops_at_goal(lib):
    edges, _, start, *_ = HAND["diamond_tail"]
    events = machine_events(lib["reachable"], [(edges, start, 3)])[0]
    assert visit_order(events) == [0, 1, 2, 3]
    assert events == reference_events(lib["reachable"], (edges, start, 3))[0]
    assert ("mark", 4) not in events


def random_graph(rng: random.Random) -> tuple[list[int], int, int]:
    n = rng.randint(1, 10)
    edges = [rng.randrange(n) for _ in range(2 * rng.randint(0, 12))]
    return edges, n, rng.randrange(n)


@pytest.mark.parametrize("routine", ["bfs_order", "dfs_order", "bfs_distances", "bfs_distance", "dfs_reachable", "reachable"])
def test_machine_events_equal_cpython(lib, routine):
    rng = random.Random(routine)
    calls = []
    for _ in range(150):
        edges, n, start = random_graph(rng)
        if routine in ("bfs_distance", "dfs_reachable"):
            calls.append((edges, n, start, rng.randrange(n)))
        elif routine == "reachable":
            calls.append((edges, start, rng.randrange(n)))
        else:
            calls.append((edges, n, start))
    machine = machine_events(lib[routine], calls)
    for call, events in zip(calls, machine):
        expected, result = reference_events(lib[routine], call)
        assert events == expected, call
    if routine in ("bfs_order", "dfs_order"):
        oracle = bfs_order if routine == "bfs_order" else dfs_order
        assert [visit_order(ev) for ev in machine] == [oracle(*c) for c in calls]


def test_event_lines_come_from_the_source(lib):
    lines = event_lines(lib["bfs_order"])
    kinds = sorted(kind for kind, _ in lines.values())
    assert kinds == ["mark", "mark", "read"]  # seen[start] = 1, seen[v] = 1; u = queue[head]
    src = lib["bfs_order"].source.splitlines()
    texts = {src[lib["bfs_order"].asm.lines[i].loc[0] - 1].strip() for i in lines}
    assert "u = queue[head]" in texts and "seen[v] = 1" in texts


def test_unknown_routine_is_a_clear_error(lib):
    with pytest.raises(ValueError, match="no.*trace spec|has a trace spec"):
        event_lines(lib["insertion_sort"])
    source = "def walk(q: list[int]) -> int:\n    seen = [0] * 4\n    u = q[0]; seen[u] = 1\n    return u\n"
    prog = nclib.compile(source, values=(0, 16), memory=12)
    with pytest.raises(ValueError, match="line 3 holds more than one event statement"):
        event_lines(prog, {"walk": TraceSpec("q", "seen")})


def test_reference_never_runs_the_sources_module_code(tmp_path, lib):
    """A saved library's source is data: its imports and module statements (ignored by the
    compiler) must not run when the reference trace is taken (issue 29)."""
    marker = tmp_path / "payload_ran"
    payload = f"import os\nos.system('touch {marker}')\nopen({str(marker)!r}, 'w').write('x')\n"
    prog = nclib.compile(payload + lib["bfs_order"].source, entry="bfs_order", values=(0, 64), memory=32)
    lib_dir = tmp_path / "lib"
    nclib.Library([prog]).save(lib_dir)
    loaded = nclib.Library.load(lib_dir)["bfs_order"]
    events, result = reference_events(loaded, ([0, 1, 1, 2], 3, 0))
    assert not marker.exists()
    assert result == [0, 1, 2] and visit_order(events) == [0, 1, 2]
    assert machine_events(loaded, [([0, 1, 1, 2], 3, 0)])[0] == events


@pytest.mark.parametrize("body, what", [
    ("    return a.__class__\n", "the attribute '__class__'"),
    ("    return __import__('os')\n", "the name '__import__'"),
    ("    import os\n    return 0\n", "`Import`"),
])
def test_reference_refuses_code_outside_the_language(body, what):
    from nclib.algeval.traces import reference_functions

    with pytest.raises(ValueError, match=rf"lib.py:\d+: the reference run does not execute {what}"):
        reference_functions(f"def f(a: list[int]) -> int:\n{body}", "lib.py")


def test_reference_builtins_reach_nothing_outside():
    from nclib.algeval.traces import reference_namespace

    allowed = reference_namespace()["__builtins__"]
    for name in ("open", "__import__", "eval", "exec", "getattr", "compile", "globals", "vars", "input", "breakpoint"):
        assert name not in allowed
    assert {"len", "range", "ValueError", "IndexError"} <= set(allowed)

"""Every stdlib routine, hard mode and soft mode fed one-hot inputs, equals CPython.

Hypothesis draws *batches* of inputs (one machine execution per batch), so each routine is
checked on thousands of random inputs across its value window, with empty and length-1 lists
and signed windows among them."""

from __future__ import annotations

import copy
from math import factorial

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import nclib
from nclib.routines import arithmetic, digits, fibonacci, graphs, sorting, traversal

ORACLE = {
    name: getattr(module, name)
    for module in (arithmetic, fibonacci, sorting, graphs, traversal, digits)
    for name in dir(module) if not name.startswith("_") and callable(getattr(module, name))
}

UNSIGNED, SIGNED = (0, 32), (-16, 16)
MEMORY = 28  # fits the graph routines (10 edge entries, two work lists of 6) in a 32-value window


def fib_value(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def args_strategy(name: str, lo: int, hi: int, small: bool = False):
    """Arguments for which CPython's computation stays inside [lo, hi) at every step (`small`:
    shorter lists and graphs, for the slower soft-mode runs)."""
    v = st.integers(lo, hi - 1)
    small_list = st.lists(v, min_size=0, max_size=6 if small else 8)
    if name == "add":
        return v.flatmap(lambda a: st.tuples(st.just(a), st.integers(max(lo, lo - a), min(hi - 1, hi - 1 - a))))
    if name == "sub":
        return v.flatmap(lambda a: st.tuples(st.just(a), st.integers(max(lo, a - hi + 1), min(hi - 1, a - lo))))
    if name == "mul":
        return st.tuples(v, v).filter(lambda ab: lo <= ab[0] * ab[1] < hi)
    if name == "divmod":
        return st.tuples(v, v.filter(lambda b: b != 0)).filter(lambda ab: lo <= ab[0] // ab[1] < hi)
    if name == "compare":
        return st.tuples(v, v)
    if name == "factorial":
        return st.tuples(st.integers(0, max(n for n in range(8) if factorial(n) < hi)))
    if name == "gcd":
        return st.tuples(v, v).filter(lambda ab: lo <= -ab[0] < hi and lo <= -ab[1] < hi)
    if name == "fib":
        return st.tuples(st.integers(0, max(0, min(9, max(n for n in range(20) if fib_value(n) < hi)))))
    if name == "fib_iter":
        return st.tuples(st.integers(0, max(n for n in range(30) if fib_value(n + 1) < hi)))
    if name in ("insertion_sort", "bubble_sort"):
        return st.tuples(small_list)
    if name == "binary_search":
        return st.tuples(small_list.map(sorted), v)
    if name in ("bfs_reachable", "dfs_reachable", "bfs_distance"):
        def graph(n):
            node = st.integers(0, n - 1)
            edges = st.lists(st.tuples(node, node), max_size=3 if small else 5).map(lambda es: [x for e in es for x in e])
            return st.tuples(edges, st.just(n), node, node)
        return st.integers(1, 4 if small else 6).flatmap(graph)
    if name == "reachable":  # the routine counts max id + 1 rooms (memory: edges + two lists of that size)
        node = st.integers(0, 5)
        edges = st.lists(st.tuples(node, node), max_size=3 if small else 5).map(lambda es: [x for e in es for x in e])
        return st.tuples(edges, node, node)
    if name in ("bfs_order", "dfs_order", "bfs_distances"):  # dfs_order's stack holds len(edges) + 1 entries
        def traversal_graph(n):
            node = st.integers(0, n - 1)
            edges = st.lists(st.tuples(node, node), max_size=2 if small else 3).map(lambda es: [x for e in es for x in e])
            return st.tuples(edges, st.just(n), node)
        return st.integers(1, 4 if small else 5).flatmap(traversal_graph)
    if name == "parse_digits":
        return st.tuples(st.lists(st.integers(0, 9), max_size=3)).filter(lambda a: digits.parse_digits(a[0]) < hi)
    if name == "render_digits":
        return st.tuples(st.integers(0, hi - 1))
    raise KeyError(name)


ROUTINES = sorted(ORACLE)
SIGNED_ROUTINES = ["add", "sub", "mul", "divmod", "compare", "gcd", "insertion_sort", "bubble_sort", "binary_search"]


@pytest.fixture(scope="module")
def libraries():
    return {UNSIGNED: nclib.stdlib(values=UNSIGNED, memory=MEMORY), SIGNED: nclib.stdlib(values=SIGNED, memory=15)}


def check_batch(prog: nclib.Program, batch: list[tuple], soft: bool) -> None:
    expected = []
    for args in batch:
        args = copy.deepcopy(args)
        result = ORACLE[prog.name](*args)
        expected.append((result, args))
    mode = "soft" if soft else "hard"
    res = prog.execute(*prog.encode(batch, mode), mode=mode, max_steps=20_000)
    if soft:
        assert torch.allclose(res.halted, torch.ones_like(res.halted), atol=1e-5), res.halted
    else:
        assert (res.fault == 0).all() and (res.overflow_line < 0).all(), (res.fault, res.overflow_line)
    results = prog.decode(res, mode)
    finals = [[(lst[b, :int(n[b])].argmax(-1) + prog.lo if soft else lst[b, :int(n[b])]).tolist()
               for lst, n in zip(res.lists, res.list_lengths)] for b in range(len(batch))]
    for b, (result, args_after) in enumerate(expected):
        if prog.returns != "none":
            assert results[b] == result, (prog.name, batch[b])
        # in-place effects on list arguments, as Python's
        assert finals[b] == [a for a, kind in zip(args_after, prog.param_kinds) if kind == "list"], (prog.name, batch[b])


# the signed window only for routines whose inputs may be negative (not indices, counts, digits)
@pytest.mark.parametrize("name, window", [(n, UNSIGNED) for n in ROUTINES] + [(n, SIGNED) for n in SIGNED_ROUTINES],
                         ids=[f"{n}-unsigned" for n in ROUTINES] + [f"{n}-signed" for n in SIGNED_ROUTINES])
def test_hard_mode_equals_cpython(libraries, name, window):
    prog = libraries[window][name]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(args_strategy(name, *window), min_size=1, max_size=96))
    def run(batch):
        check_batch(prog, batch, soft=False)

    run()


def edge_cases(name: str, lo: int) -> list[tuple]:
    if name in ("insertion_sort", "bubble_sort"):
        return [([],), ([lo],), ([3, 3],)]
    if name == "binary_search":
        return [([], 0), ([1], 1), ([1], 5)]
    if name == "parse_digits":
        return [([],), ([0],)]
    if name in ("bfs_reachable", "dfs_reachable", "bfs_distance"):
        return [([], 1, 0, 0), ([0, 1], 3, 0, 2)]
    if name == "reachable":
        return [([], 3, 3), ([0, 1, 1, 2], 2, 0), ([0, 1, 3, 2], 0, 2)]
    if name in ("bfs_order", "dfs_order", "bfs_distances"):
        return [([], 1, 0), ([1, 1], 2, 0), ([0, 1, 0, 2, 1, 2], 3, 2)]
    return []


@pytest.mark.parametrize("name", ROUTINES)
def test_soft_mode_one_hot_equals_cpython(libraries, name):
    prog = libraries[UNSIGNED][name]

    # Soft steps cost O(B * lines * V^2) and a batch runs as long as its slowest element, so
    # each example is one large batch: >= 1000 inputs for the short routines, >= 200 for the
    # long-running ones (sorting, searching, graphs) to keep CI within budget.
    heavy = name in ("reachable", "bfs_reachable", "bfs_distance", "dfs_reachable", "bfs_order", "dfs_order", "bfs_distances",
                     "bubble_sort", "insertion_sort", "binary_search")
    size = (100, 120) if heavy else (500, 600)
    if name in ("bfs_order", "dfs_order", "bfs_distances"):  # whole-graph traversals run longest
        size = (40, 50)

    @settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(args_strategy(name, *UNSIGNED, small=heavy), min_size=size[0], max_size=size[1]))
    def run(batch):
        check_batch(prog, batch + edge_cases(name, prog.lo), soft=True)

    run()


@pytest.mark.parametrize("name", ["insertion_sort", "sub", "gcd", "compare"])
def test_soft_mode_one_hot_signed_window(libraries, name):
    prog = libraries[SIGNED][name]

    @settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(args_strategy(name, *SIGNED, small=True), min_size=50, max_size=100))
    def run(batch):
        check_batch(prog, batch + edge_cases(name, prog.lo), soft=True)

    run()


def test_soft_steps_match_hard_steps(libraries):
    prog = libraries[UNSIGNED]["fib"]
    n = torch.arange(0, 8)
    hard = prog.execute(n)
    soft = prog.execute(torch.nn.functional.one_hot(n, prog.V).float(), mode="soft")
    assert torch.equal(soft.steps.round().long(), hard.steps)
    assert torch.allclose(soft.remainder, torch.zeros(8), atol=1e-6)


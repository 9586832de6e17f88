"""Non-halting programs are caught by the hard machine's cycle detection (machine.CycleDetector):
fast, as NonHaltingError naming the loop's source line; halting programs, however long, are not
flagged and give the same results as without detection."""

from __future__ import annotations

import functools
import time

import pytest
import torch

import nclib
import nclib.runtime.program
from nclib import machine
from nclib.errors import NonHaltingError, StepLimitError

SOURCE = """\
def spin():
    while True:
        pass
    return 0

def stuck(n):
    while n != 0:
        n = n
    return n

def orbit(x):
    while x != 5:
        x = (x + 2) % 10
    return x

def step(x):
    return (x * 3) % 7

def via_call(x):
    while x != 0:
        x = step(x)
    return x

def inner(n):
    total = 0
    for i in range(n):
        j = 0
        while j < 5:
            j = j * 1
        total += i
    return total

def swap(xs: list[int]) -> int:
    while xs[0] != 9:
        t = xs[0]
        xs[0] = xs[1]
        xs[1] = t
    return xs[0]

def count(n):
    c = 0
    for i in range(n):
        for j in range(n):
            c = (c + 1) % 251
    return c
"""
LINES = SOURCE.splitlines()


def line_of(text: str) -> int:
    return LINES.index(text) + 1


@functools.cache
def prog(entry: str) -> nclib.Program:
    return nclib.compile(SOURCE, entry=entry, file="loops.py")


@pytest.mark.parametrize("entry,args,loop", [
    ("spin", [], "    while True:"),
    ("stuck", [3], "    while n != 0:"),
    ("orbit", [0], "    while x != 5:"),  # period 5 iterations, longer than the check stride
    ("via_call", [1], "    while x != 0:"),  # the cycle goes through call and return: the caller's loop
    ("inner", [3], "        while j < 5:"),  # the inner loop never ends; the outer one would
    ("swap", [[1, 2]], "    while xs[0] != 9:"),  # the state that repeats is in memory
], ids=["while-true", "no-progress", "orbit", "through-a-call", "inner-loop", "memory"])
def test_non_halting_loops_are_caught_fast_at_their_line(one_thread, entry, args, loop):
    began = time.perf_counter()
    with pytest.raises(NonHaltingError) as info:
        prog(entry)(*args)  # default max_steps: 1_000_000 (about 5 minutes of steps without detection)
    seconds = time.perf_counter() - began
    message = str(info.value)
    assert f"at line {line_of(loop)} of loops.py (`{loop.strip()}`)" in message, message
    assert "does not halt" in message and isinstance(info.value, StepLimitError)
    res = prog(entry).execute(*prog(entry).encode([args]))
    assert int(res.fault[0]) == machine.FAULT_NO_HALT and int(res.steps[0]) < 1000, int(res.steps[0])
    assert seconds < 30, seconds  # a shared, loaded CPU; the steps bound above is the exact measure


def test_a_batch_stops_only_its_looping_elements(one_thread, monkeypatch):
    """orbit(x) halts for odd x (it reaches 5) and cycles for even x: only the even elements are
    stopped; the odd ones keep their exact results and step counts."""
    p = prog("orbit")
    args = p.encode([[x] for x in range(10)])
    res = p.execute(*args)
    assert res.fault.tolist() == [machine.FAULT_NO_HALT if x % 2 == 0 else 0 for x in range(10)]
    assert [int(v) for v, x in zip(res.value, range(10)) if x % 2] == [5] * 5
    assert res.halted.tolist() == [float(x % 2) for x in range(10)]  # a caught loop did not halt
    monkeypatch.setattr(nclib.runtime.program, "run_hard", functools.partial(machine.run_hard, cycles=False))
    plain = p.execute(*args, max_steps=2000)
    odd = torch.arange(10) % 2 == 1
    assert torch.equal(plain.steps[odd], res.steps[odd]) and torch.equal(plain.value[odd], res.value[odd])
    assert (plain.halted[~odd] == 0).all() and (plain.fault == 0).all()  # without detection: no halt, no fault


def test_a_long_halting_loop_is_not_flagged(one_thread):
    # about 3,400 steps over the same few lines; registers revisit values, the counters do not
    assert prog("count")(20) == 400 % 251
    res = prog("count").execute(torch.tensor([20]))
    assert int(res.steps[0]) > 2000 and int(res.fault[0]) == 0 and float(res.halted[0]) == 1


def test_max_steps_still_bounds_a_halting_loop(one_thread):
    with pytest.raises(StepLimitError, match="max_steps") as info:
        prog("count")(20, max_steps=500)
    assert not isinstance(info.value, NonHaltingError)


@pytest.mark.parametrize("name", ["insertion_sort", "gcd", "fib", "bfs_distance"])
def test_stdlib_results_unchanged_by_detection(one_thread, monkeypatch, name):
    import random

    from nclib.evals.stdlib_check import random_args

    p = nclib.stdlib()[name]
    rng = random.Random(1)
    args = p.encode([random_args(p, rng, 8) for _ in range(64)])
    with_detection = p.execute(*args)
    monkeypatch.setattr(nclib.runtime.program, "run_hard", functools.partial(machine.run_hard, cycles=False))
    without = p.execute(*args)
    for field in ("steps", "halted", "fault", "fault_line", "overflow_line"):
        assert torch.equal(getattr(with_detection, field), getattr(without, field)), field
    assert p.decode(with_detection) == p.decode(without)
    assert (with_detection.fault == 0).all()

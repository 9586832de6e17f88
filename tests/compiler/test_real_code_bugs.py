"""Regression tests for the compiler bugs found on real textbook code (issue 12): each was either a
valid program refused or a silent wrong answer."""

import random
import warnings

import pytest

import nclib
from nclib import CompileError, ValueRangeError


def run_python(source: str, entry: str, *args):
    namespace: dict = {}
    exec(compile(source, "<test>", "exec"), namespace)  # the test's own source, the oracle
    return namespace[entry](*args)


# -- recursion with the base case in the other branch of a conditional expression ------------

RECURSIVE = [
    ("ifexp", "def f(n):\n    return 1 if n == 0 else f(n - 1)\n", "f", [(n,) for n in range(12)]),
    ("or", "def f(n):\n    return n <= 0 or f(n - 1)\n", "f", [(n,) for n in range(12)]),
    ("and", "def f(n):\n    return n > 0 and f(n - 1)\n", "f", [(n,) for n in range(12)]),
    ("gcd", "def gcd(a: int, b: int) -> int:\n    return a if b == 0 else gcd(b, a % b)\n", "gcd",
     [(a, b) for a in range(0, 40, 3) for b in range(0, 40, 7)]),
    ("power", "def power(base: int, exp: int) -> int:\n    return 1 if exp == 0 else base * power(base, exp - 1)\n", "power",
     [(b, e) for b in range(4) for e in range(5)]),
    ("bubble", '''
def bubble_sort(arr: list[int], n: int) -> list[int]:
    if n <= 1:
        return arr
    for i in range(n - 1):
        if arr[i] > arr[i + 1]:
            arr[i], arr[i + 1] = arr[i + 1], arr[i]
    return bubble_sort(arr, n - 1)
''', "bubble_sort", [([random.Random(k).randrange(50) for _ in range(k % 7)], k % 7) for k in range(30)]),
]


@pytest.mark.parametrize("source,entry,calls", [c[1:] for c in RECURSIVE], ids=[c[0] for c in RECURSIVE])
def test_recursion_with_base_case_in_an_expression_compiles(source, entry, calls):
    prog = nclib.compile(source, entry=entry, values=(0, 256), stack=32)
    for args in calls:
        want = run_python(source, entry, *[list(a) if isinstance(a, list) else a for a in args])
        assert prog(*[list(a) if isinstance(a, list) else a for a in args]) == want, args


@pytest.mark.parametrize("source", [
    "def f(n):\n    return f(n - 1)\n",
    "def f(n):\n    return f(n - 1) if n else f(n + 1)\n",
    "def f(n):\n    return f(n) or n\n",
    "def f(n):\n    x = f(n - 1)\n    if n == 0:\n        return 0\n    return x\n",
])
def test_recursion_that_never_stops_is_still_refused(source):
    with pytest.raises(CompileError, match="recursion without a base case"):
        nclib.compile(source)


# -- list == compares values, never addresses --------------------------------------------------

EQUALITY = '''
def same(a: list[int], b: list[int]) -> int:
    return a == b

def differ(a: list[int], b: list[int]) -> int:
    if a != b:
        return 1
    return 0

def empty(a: list[int]) -> int:
    return a == []

def is_one_two(a: list[int]) -> int:
    return a == [1, 2]
'''


def test_list_equality_is_by_value():
    rng = random.Random(0)
    progs = {name: nclib.compile(EQUALITY, entry=name) for name in ("same", "differ", "empty", "is_one_two")}
    cases = [([], []), ([1, 2], [1, 2]), ([1, 2], [1]), ([], [0]), ([0], [])]
    cases += [([rng.randrange(3) for _ in range(rng.randrange(4))], [rng.randrange(3) for _ in range(rng.randrange(4))]) for _ in range(200)]
    for a, b in cases:
        assert progs["same"](list(a), list(b)) == int(a == b), (a, b)
        assert progs["differ"](list(a), list(b)) == int(a != b), (a, b)
        assert progs["empty"](list(a)) == int(a == []), a
        assert progs["is_one_two"](list(a)) == int(a == [1, 2]), a


def test_list_equality_in_soft_mode():
    prog = nclib.compile(EQUALITY, entry="same", values=(0, 16), memory=15)
    calls = [([1, 2], [1, 2]), ([1, 2], [2, 1]), ([], []), ([3], [])]
    res = prog.execute(*prog.encode(calls, mode="soft"), mode="soft")
    assert prog.decode(res, "soft") == [int(a == b) for a, b in calls]


@pytest.mark.parametrize("source,text", [
    ("def f(a: list[int]):\n    return a == 3\n", "comparison of a list"),
    ("def f(a: list[int], b: list[int]):\n    return a < b\n", "comparison of a list"),
    ("def f(a: list[int], b: list[int]):\n    return a == b == a\n", "comparison of a list"),
])
def test_other_list_comparisons_are_refused(source, text):
    with pytest.raises(CompileError, match=text):
        nclib.compile(source)


# -- a name keeps one kind ----------------------------------------------------------------------

@pytest.mark.parametrize("source,line", [
    ("def f(a: list[int]):\n    nums = a\n    total = 0\n    for x in nums:\n        total = total + x\n    nums = total\n    return nums\n", 6),
    ("def f(a: list[int]) -> int:\n    nums = [0] * 3\n    total = a[0] + a[1]\n    nums = total\n    return nums\n", 4),
    ("def f(a: list[int]):\n    if len(a) > 2:\n        return a\n    return 0\n", 4),
    ("def f(a: list[int]):\n    x = a if len(a) else 0\n    return x\n", 2),
    ("def f(a: list[int]):\n    return g(a)\n\ndef g(x: int):\n    return x\n", 4),  # g's parameter is annotated int
    ("def f(a: list[int]):\n    for a in range(3):\n        pass\n    return 0\n", 2),
    ("def f(a: list[int]):\n    if len(a):\n        return\n    return 1\n", 3),
])
def test_a_name_holding_a_list_and_an_int_is_refused_at_its_line(source, line):
    with pytest.raises(CompileError) as info:
        nclib.compile(source)
    assert line in [p.line for p in info.value.problems], info.value


# -- whole files: imports, docstrings, the main block and unrelated functions ---------------------

WHOLE_FILE = '''"""Textbook module: binary search with a self-test."""
import doctest
from typing import List
import math


class Node:
    def __init__(self, value):
        self.value = value


def helper_using_dict(x):
    table = {1: 2}
    return table[x]


def binary_search(arr: List[int], target: int) -> int:
    """
    >>> binary_search([1, 2, 3], 2)
    1
    """
    lo, hi = 0, len(arr)
    while lo < hi:
        mid = (lo + hi) // 2
        if arr[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(arr) and arr[lo] == target:
        return lo
    return len(arr)


if __name__ == "__main__":
    doctest.testmod()
    print(binary_search([1, 2, 3], math.floor(2.5)))
'''


def test_whole_file_compiles_what_the_entry_reaches():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prog = nclib.compile(WHOLE_FILE, entry="binary_search")
    messages = [str(w.message) for w in caught]
    assert any("helper_using_dict" in m and "dict literal" in m for m in messages), messages
    assert not any("function binary_search is not compiled" in m for m in messages)
    rng = random.Random(1)
    for _ in range(200):
        arr = sorted(rng.randrange(30) for _ in range(rng.randrange(8)))
        target = rng.randrange(30)
        assert prog(arr, target) == run_python(WHOLE_FILE.split("if __name__")[0], "binary_search", arr, target), (arr, target)


def test_whole_file_through_the_cli_entry_syntax(tmp_path):
    path = tmp_path / "search.py"
    path.write_text(WHOLE_FILE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prog = nclib.compile(path.read_text(), entry="binary_search", file=str(path))
    assert prog([1, 3, 5], 5) == 2


@pytest.mark.parametrize("source,text", [
    ("import math\n\ndef f(n):\n    return math.gcd(n, 4)\n", "imported module math"),
    ("from math import gcd\n\ndef f(n):\n    return gcd(n, 4)\n", "imported from math"),
    ("from math import inf\n\ndef f(n):\n    return min(n, inf)\n", "imported from math"),
])
def test_an_import_the_entry_uses_is_still_an_error_naming_it(source, text):
    with pytest.raises(CompileError, match=text):
        nclib.compile(source, entry="f")


def test_a_helper_the_entry_calls_is_still_checked():
    source = "def helper(x):\n    return {x: 1}\n\ndef f(n):\n    return helper(n)\n"
    with pytest.raises(CompileError, match="dict literal"):
        nclib.compile(source, entry="f")


# -- loop bounds in unsigned windows ----------------------------------------------------------------

BOUNDS = '''
def adjacent_pairs(a: list[int]) -> int:
    count = 0
    for i in range(len(a) - 1):
        if a[i] <= a[i + 1]:
            count += 1
    return count

def inner_bounds(a: list[int]) -> int:
    n = len(a)
    total = 0
    for i in range(n):
        for j in range(0, n - i - 1):
            total += a[j]
    return total

def backwards(a: list[int]) -> int:
    total = 0
    for i in reversed(range(len(a) - 1)):
        total = total * 2 + a[i]
    return total % 251

def stepped(a: list[int]) -> int:
    total = 0
    for i in range(1, len(a) - 2, 2):
        total += a[i]
    return total
'''


@pytest.mark.parametrize("entry", ["adjacent_pairs", "inner_bounds", "backwards", "stepped"])
def test_range_with_a_subtracted_stop_runs_zero_times_on_short_lists(entry):
    prog = nclib.compile(BOUNDS, entry=entry, values=(0, 256))
    rng = random.Random(2)
    cases = [[], [5], [5, 1], [1, 2, 3]] + [[rng.randrange(10) for _ in range(rng.randrange(7))] for _ in range(200)]
    for a in cases:
        assert prog(list(a)) == run_python(BOUNDS, entry, list(a)), a


def test_range_bound_soft_mode_matches_on_the_empty_list():
    prog = nclib.compile(BOUNDS, entry="adjacent_pairs", values=(0, 16), memory=15)
    calls = [([],), ([3],), ([1, 2, 0],)]
    res = prog.execute(*prog.encode(calls, mode="soft"), mode="soft")
    assert prog.decode(res, "soft") == [run_python(BOUNDS, "adjacent_pairs", *c) for c in calls]


def test_a_negative_value_the_program_really_forms_still_raises():
    prog = nclib.compile("def f(a: list[int]):\n    last = len(a) - 1\n    return last\n")
    with pytest.raises(ValueRangeError, match="line 2"):
        prog([])


# -- None copied between names (found by the textbook corpus: second_largest) ---------------------

SECOND_LARGEST = '''
def second_largest(numbers: list[int]) -> int:
    if len(numbers) < 2:
        raise ValueError("need at least two distinct values")
    largest = None
    second = None
    for number in numbers:
        if largest is None or number > largest:
            second = largest
            largest = number
        elif number != largest and (second is None or number > second):
            second = number
    if second is None:
        raise ValueError("need at least two distinct values")
    return second

def maybe(a: list[int]) -> int:
    best = None
    for x in a:
        if x > 3:
            best = x
    result = best
    return result
'''


def test_none_is_copied_with_the_name_and_never_returned_as_a_number():
    prog = nclib.compile(SECOND_LARGEST, entry="second_largest", values=(-64, 64))
    fn = {}
    exec(compile(SECOND_LARGEST, "<test>", "exec"), fn)
    rng = random.Random(7)
    for a in [[2, 2], [1, 2], [3]] + [[rng.randrange(-5, 5) for _ in range(rng.randrange(6))] for _ in range(200)]:
        try:
            want = fn["second_largest"](list(a))
        except ValueError:
            with pytest.raises(nclib.RoutineError, match="ValueError"):
                prog(list(a))
            continue
        assert prog(list(a)) == want, a
    maybe = nclib.compile(SECOND_LARGEST, entry="maybe")
    assert maybe([1, 5, 2]) == 5
    with pytest.raises(nclib.RoutineError, match="cannot return None"):
        maybe([1, 2])  # CPython returns None: a number here would be a silent wrong answer

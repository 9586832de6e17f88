"""Real-world code compiles unchanged and agrees with CPython (the source is the oracle)."""

import random

import pytest

import nclib

TEXTBOOK_INSERTION_SORT = '''
def insertion_sort(arr: list[int]) -> None:
    """Sort arr in place (CLRS style)."""
    for i in range(1, len(arr)):
        key = arr[i]
        j = i - 1
        while j >= 0 and key < arr[j]:
            arr[j + 1] = arr[j]
            j -= 1
        arr[j + 1] = key
'''

BUBBLE_SORT_EARLY_EXIT = '''
def bubble_sort(items):
    n = len(items)
    for i in range(n):
        swapped = False
        for j in range(0, n - i - 1):
            if items[j] > items[j + 1]:
                items[j], items[j + 1] = items[j + 1], items[j]
                swapped = True
        if not swapped:
            break
    return items
'''

GNOME_SORT = '''
def gnome_sort(a: list[int]) -> list[int]:
    pos = 0
    while pos < len(a):
        if pos == 0 or a[pos] >= a[pos - 1]:
            pos += 1
        else:
            a[pos], a[pos - 1] = a[pos - 1], a[pos]
            pos -= 1
    return a
'''

EUCLID = '''
def gcd(a: int, b: int) -> int:
    """Greatest common divisor."""
    while b != 0:
        a, b = b, a % b
    return a
'''

REVERSED_AND_HELPERS = '''
def reverse_copy(a: list[int]) -> list[int]:
    out = [0] * len(a)
    k = 0
    for i in reversed(range(len(a))):
        out[k] = a[i]
        k += 1
    return out

def count_if_even(a: list[int]) -> int:
    total = 0
    for x in a:
        if x % 2 == 1:
            continue
        total += 1
    return total

def clamp_sum(a: list[int], cap: int) -> int:
    total = 0
    for x in a:
        total = min(total + abs(x), cap) if total < cap else cap
    return total

def is_even(n: int) -> int:
    if n == 0:
        return True
    return is_odd(n - 1)

def is_odd(n: int) -> int:
    if n == 0:
        return False
    return is_even(n - 1)

def chained(a: int, b: int, c: int) -> int:
    return 1 if a < b <= c else (2 if not (a or b) else 0)

def countdown(n: int) -> int:
    steps = 0
    while True:
        if n <= 0:
            break
        n -= 3
        steps += 1
    return steps

def literal_list(x: int) -> list[int]:
    return [x, x + 1, 7]
'''


def _run_both(source, entry, args, **options):
    namespace = {}
    exec(compile(source, "<test>", "exec"), namespace)  # the oracle: CPython runs the same text
    py_args = [list(a) if isinstance(a, list) else a for a in args]
    nc_args = [list(a) if isinstance(a, list) else a for a in args]
    expected = namespace[entry](*py_args)
    got = nclib.compile(source, entry=entry, **options)(*nc_args)
    assert got == expected, (entry, args)
    assert nc_args == py_args, "in-place effects on list arguments must match Python"


@pytest.mark.parametrize("source,entry", [
    (TEXTBOOK_INSERTION_SORT, "insertion_sort"),
    (BUBBLE_SORT_EARLY_EXIT, "bubble_sort"),
    (GNOME_SORT, "gnome_sort"),
], ids=["insertion-sort-in-place", "bubble-sort-early-exit", "gnome-sort"])
def test_textbook_sorts(source, entry):
    rng = random.Random(0)
    for length in [0, 1, 2, 5, 9]:
        for _ in range(3):
            _run_both(source, entry, [[rng.randrange(-20, 20) for _ in range(length)]], values=(-32, 32), memory=16)


def test_euclid_gcd():
    rng = random.Random(1)
    for _ in range(20):
        _run_both(EUCLID, "gcd", [rng.randrange(0, 200), rng.randrange(0, 200)])


@pytest.mark.parametrize("entry,args", [
    ("reverse_copy", [[3, 1, 4, 1, 5]]), ("reverse_copy", [[]]),
    ("count_if_even", [[2, 3, 4, 6, 7]]), ("clamp_sum", [[5, -3, 9], 12]),
    ("is_even", [7]), ("is_even", [10]), ("is_odd", [5]),
    ("chained", [1, 2, 2]), ("chained", [0, 0, 5]), ("chained", [3, 2, 1]),
    ("countdown", [10]), ("countdown", [0]), ("literal_list", [4]),
])
def test_language_features(entry, args):
    _run_both(REVERSED_AND_HELPERS, entry, args, values=(-32, 32), memory=24)


def test_short_circuit_never_reads_out_of_bounds():
    # `while j >= 0 and a[j] > key` must not evaluate a[-1]; the checked load would fault.
    prog = nclib.compile(TEXTBOOK_INSERTION_SORT, values=(0, 64), memory=16)
    data = [0, 5, 0]
    prog(data)
    assert data == [0, 0, 5]


def test_compile_a_python_function_object():
    from nclib.routines.sorting import insertion_sort

    prog = nclib.compile(insertion_sort, values=(0, 64), memory=16)
    assert prog([3, 1, 2]) == [1, 2, 3]


def test_listing_names_source_lines():
    prog = nclib.compile(EUCLID)
    text = prog.listing()
    assert "gcd:" in text and "mod" in text and "line 5: a, b = b, a % b" in text

"""Constructs of real textbook code (issue 12), each checked against CPython running the same source:
many inputs in hard mode, a few small ones in soft mode (argmax), and the compile errors of what
stays unsupported."""

import random
import warnings

import pytest

import nclib
from nclib import CompileError, RoutineError
from nclib.machine import FAULT_RAISE


def python(source: str, entry: str):
    namespace: dict = {}
    exec(compile(source, "<test>", "exec"), namespace)  # the test's own source is the oracle
    return namespace[entry]


def outcome(fn, args):
    """CPython's result, or the exception class name it raised."""
    try:
        return fn(*[list(a) if isinstance(a, list) else a for a in args])
    except Exception as err:  # noqa: BLE001 - the oracle's exception is the expected outcome
        return type(err).__name__


def check_hard(source, entry, calls, **options):
    """All calls in one hard-mode batch; each element's value, or the exception class of its
    RoutineError, equals CPython's."""
    prog = nclib.compile(source, entry=entry, **options)
    fn = python(source, entry)
    full = [tuple(a) + tuple(prog.asm.defaults[len(a) - len(prog.params):]) if len(a) < len(prog.params) else tuple(a) for a in calls]
    res = prog.execute(*prog.encode(full))
    got = prog.decode(res)
    for b, args in enumerate(calls):
        want = outcome(fn, args)
        assert int(res.overflow_line[b]) < 0 and float(res.halted[b]) == 1.0, (entry, args)
        if int(res.fault[b]):
            assert int(res.fault[b]) == FAULT_RAISE, (entry, args, int(res.fault[b]))
            value = prog.asm.lines[int(res.fault_line[b])].note.split(":")[0]
        else:
            value = got[b]
        if isinstance(want, bool):
            want = int(want)
        assert value == want, (entry, args, value, want)
    return prog


def check_soft(prog, source, entry, calls):
    fn = python(source, entry)
    res = prog.execute(*prog.encode(calls, mode="soft"), mode="soft", max_steps=4000)
    want = [outcome(fn, args) for args in calls]
    got = prog.decode(res, "soft")
    want = [tuple(w) if isinstance(w, tuple) else int(w) if isinstance(w, bool) else w for w in want]
    assert got == want, (entry, calls, got, want)
    assert float(res.halted.min()) > 0.99


# -- raise / assert / isinstance ---------------------------------------------------------------------

VALIDATION = '''
def factorial(n: int) -> int:
    """Textbook style input validation."""
    if not isinstance(n, int):
        raise TypeError("n must be an int")
    if n < 0:
        raise ValueError("factorial() not defined for negative values")
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result

def checked_mean(a: list[int]) -> int:
    assert isinstance(a, list), "a must be a list"
    assert len(a) > 0, "mean of an empty list"
    total = 0
    for x in a:
        total += x
    return total // len(a)

def limit(n: int) -> int:
    if n > 20:
        raise ValueError(f"n={n} is above the limit {20}")
    return n * 2

def kinds(n: int, a: list[int]) -> int:
    return isinstance(n, int) * 1 + isinstance(a, list) * 2 + isinstance(n, list) * 4 + isinstance(a, (int, float)) * 8
'''


def test_raise_and_assert_stop_with_routine_error_in_hard_mode():
    check_hard(VALIDATION, "factorial", [(n,) for n in range(-20, 6)], values=(-32, 128))
    check_hard(VALIDATION, "checked_mean", [([random.Random(k).randrange(20) for _ in range(k % 5)],) for k in range(60)])
    check_hard(VALIDATION, "limit", [(n,) for n in range(40)])
    assert nclib.compile(VALIDATION, entry="kinds")(3, [1]) == 3


def test_routine_error_names_the_line_and_formats_the_message():
    prog = nclib.compile(VALIDATION, entry="limit", file="lib.py")
    with pytest.raises(RoutineError, match=r"^lib\.py:23: ValueError: n=25 is above the limit 20$"):
        prog(25)
    mean = nclib.compile(VALIDATION, entry="checked_mean", file="lib.py")
    with pytest.raises(RoutineError, match=r"^lib\.py:15: AssertionError: mean of an empty list$"):
        mean([])
    assert issubclass(RoutineError, nclib.NclibError)


def test_a_raise_stops_only_its_batch_element():
    prog = nclib.compile(VALIDATION, entry="limit")
    res = prog.execute(*prog.encode([(3,), (30,), (7,)]))
    assert res.fault.tolist()[0] == 0 and res.fault.tolist()[2] == 0 and res.fault.tolist()[1] != 0
    assert res.value[0].item() == 6 and res.value[2].item() == 14


def test_a_raise_in_soft_mode_is_fault_mass():
    prog = nclib.compile(VALIDATION, entry="limit", values=(0, 64), memory=8)
    res = prog.execute(*prog.encode([(3,), (30,)], mode="soft"), mode="soft")
    assert res.fault.tolist() == pytest.approx([0.0, 1.0])
    assert res.halted.tolist() == pytest.approx([1.0, 0.0])
    assert int(res.value[0].argmax()) == 6


# -- int(a / b) --------------------------------------------------------------------------------------

DIVISION = '''
def trunc_div(a: int, b: int) -> int:
    return int(a / b)

def floor_div(a: int, b: int) -> int:
    return a // b

def average(a: list[int]) -> int:
    total = 0
    for x in a:
        total += x
    return int(total / len(a))
'''


def test_int_of_true_division_truncates_toward_zero():
    calls = [(a, b) for a in range(-30, 31, 3) for b in range(-7, 8) if b]
    check_hard(DIVISION, "trunc_div", calls, values=(-64, 64))
    check_hard(DIVISION, "floor_div", calls, values=(-64, 64))
    check_hard(DIVISION, "average", [([random.Random(k).randrange(30) for _ in range(1 + k % 5)],) for k in range(60)])
    prog = nclib.compile(DIVISION, entry="trunc_div", values=(-16, 16), memory=8)
    check_soft(prog, DIVISION, "trunc_div", [(7, 2), (-7, 2), (7, -2), (-8, 4)])


def test_true_division_outside_int_is_refused_with_a_hint():
    with pytest.raises(CompileError, match=r"int\(a / b\)"):
        nclib.compile("def f(a, b):\n    return a / b\n")


# -- tuples --------------------------------------------------------------------------------------

TUPLES = '''
def divide(a: int, b: int):
    return a // b, a % b

def ext_gcd(a: int, b: int):
    if b == 0:
        return a, 1, 0
    g, x, y = ext_gcd(b, a % b)
    return g, y, x - (a // b) * y

def min_max(a: list[int]) -> int:
    lo, hi = a[0], a[0]
    for x in a:
        lo, hi = min(lo, x), max(hi, x)
    pair = (lo, hi)
    first, second = pair
    return second - first

def fib_pair(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
'''


def test_tuples_as_values():
    prog = check_hard(TUPLES, "divide", [(a, b) for a in range(0, 60, 7) for b in range(1, 9)])
    assert prog(17, 5) == (3, 2)
    check_hard(TUPLES, "ext_gcd", [(a, b) for a in range(0, 40, 3) for b in range(0, 40, 5)], values=(-512, 512), stack=32)
    check_hard(TUPLES, "min_max", [([random.Random(k).randrange(50) for _ in range(1 + k % 6)],) for k in range(60)])
    check_hard(TUPLES, "fib_pair", [(n,) for n in range(13)])
    soft = nclib.compile(TUPLES, entry="divide", values=(0, 16), memory=15)
    check_soft(soft, TUPLES, "divide", [(7, 2), (9, 3), (0, 5)])


def test_unpacking_the_wrong_number_of_values_stops_like_python():
    source = "def f(a: list[int]) -> int:\n    x, y = a\n    return x + y\n"
    prog = check_hard(source, "f", [([1, 2],), ([1],), ([1, 2, 3],), ([],)])
    with pytest.raises(RoutineError, match="ValueError"):
        prog([1, 2, 3])


# -- default parameters and None ---------------------------------------------------------------------

DEFAULTS = '''
def power_sum(n: int, k: int = 2, start: int = 1) -> int:
    total = 0
    for i in range(start, n + 1):
        total += i ** k
    return total

def uses_defaults(n: int) -> int:
    return power_sum(n) + power_sum(n, 1) + power_sum(n, 1, 2)

def binary_search(arr: list[int], x: int, low: int = 0, high: int = None) -> int:
    if high is None:
        high = len(arr)
    if low >= high:
        return len(arr)
    mid = (low + high) // 2
    if arr[mid] == x:
        return mid
    if arr[mid] < x:
        return binary_search(arr, x, mid + 1, high)
    return binary_search(arr, x, low, mid)

def fib_memo(n: int, memo: list[int] = None) -> int:
    if memo is None:
        memo = [0] * (n + 1)
    if n < 2:
        return n
    if memo[n] != 0:
        return memo[n]
    memo[n] = fib_memo(n - 1, memo) + fib_memo(n - 2, memo)
    return memo[n]

def first_none(a: list[int]) -> int:
    best = None
    for x in a:
        if best is None or x < best:
            best = x
    if best is None:
        return 0
    return best + 1
'''


def test_default_parameters_for_helpers_and_the_entry():
    check_hard(DEFAULTS, "uses_defaults", [(n,) for n in range(8)], values=(0, 1024), memory=64)
    prog = check_hard(DEFAULTS, "power_sum", [(n,) for n in range(6)], values=(0, 256))
    assert prog.params == ["n", "k", "start"] and prog(3) == 14 and prog(3, 1) == 6 and prog(3, 1, 2) == 5


def test_none_sentinels():
    rng = random.Random(3)
    calls = []
    for _ in range(150):
        arr = sorted(rng.randrange(20) for _ in range(rng.randrange(8)))
        calls.append((arr, rng.randrange(20)))
    prog = check_hard(DEFAULTS, "binary_search", calls, stack=32)
    assert prog.params == ["arr", "x", "low", "high"]  # high=None is kept: omitted it is None, given it is the value
    check_hard(DEFAULTS, "binary_search", [(arr, x, 0, len(arr)) for arr, x in calls], stack=32)
    check_hard(DEFAULTS, "fib_memo", [(n,) for n in range(13)], stack=32)
    check_hard(DEFAULTS, "first_none", [([rng.randrange(9) for _ in range(rng.randrange(5))],) for _ in range(80)])
    soft = nclib.compile(DEFAULTS, entry="first_none", values=(0, 16), memory=15)
    check_soft(soft, DEFAULTS, "first_none", [([],), ([4, 2],), ([3],)])


@pytest.mark.parametrize("source,text", [
    ("def f(x, y=[]):\n    return x\n", "default value"),
    ("def f(x):\n    return x + None\n", "None here"),
    ("def f(x, y):\n    return x is y\n", "is between two values"),
])
def test_unsupported_defaults_and_none_uses_are_refused(source, text):
    with pytest.raises(CompileError, match=text):
        nclib.compile(source)


# -- slices, append, pop -----------------------------------------------------------------------------

LISTS = '''
def slices(a: list[int], i: int, j: int) -> int:
    b = a[i:j]
    c = a[:i]
    d = a[j:]
    e = a[:-1]
    g = a[-2:]
    h = a[::-1]
    return len(b) * 1000 + len(c) * 100 + len(d) * 10 + len(e) + len(g) * 7 + (h[0] if h else 0) * 3

def merge_sort(a: list[int]) -> list[int]:
    if len(a) <= 1:
        return a[:]
    mid = len(a) // 2
    left = merge_sort(a[:mid])
    right = merge_sort(a[mid:])
    result = []
    i, j = 0, 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    while i < len(left):
        result.append(left[i])
        i += 1
    while j < len(right):
        result.append(right[j])
        j += 1
    return result

def stack_ops(a: list[int]) -> list[int]:
    stack = []
    out = [0] * 0
    for x in a:
        if x == 0 and len(stack) > 0:
            out.append(stack.pop())
        else:
            stack.append(x)
    while stack:
        out.append(stack.pop(0))
    return out

def pop_empty(a: list[int]) -> int:
    b = a[:]
    return b.pop()
'''


def test_slices_append_and_pop():
    rng = random.Random(4)
    lists = [[rng.randrange(6) for _ in range(rng.randrange(7))] for _ in range(120)]
    check_hard(LISTS, "slices", [(a, rng.randrange(8), rng.randrange(8)) for a in lists], values=(0, 8192), memory=128)
    check_hard(LISTS, "merge_sort", [(a,) for a in lists], memory=250, stack=32)
    check_hard(LISTS, "stack_ops", [(a,) for a in lists], memory=128)
    check_hard(LISTS, "pop_empty", [([],), ([3],), ([1, 2],)])
    soft = nclib.compile(LISTS, entry="stack_ops", values=(0, 32), memory=31)
    check_soft(soft, LISTS, "stack_ops", [([1, 2, 0],), ([3],), ([],)])


@pytest.mark.parametrize("source,text", [
    ("def f(a: list[int]):\n    a.append(1)\n    return a\n", "parameter a"),
    ("def f(a: list[int]):\n    b = a\n    b.append(1)\n    return b\n", "append"),
    ("def f(a: list[int]):\n    return a.index(3)\n", "write a loop that finds the index"),
    ("def f(a: list[int]):\n    a.sort()\n    return a\n", "sort function"),
    ("def f(a: list[int]):\n    return a[::2]\n", "with a step"),
    ("def f(a: list[int]):\n    a[1:2] = [3]\n    return a\n", "assign"),
])
def test_list_methods_and_slices_that_stay_unsupported(source, text):
    with pytest.raises(CompileError, match=text):
        nclib.compile(source)


# -- bitwise operators and ** -----------------------------------------------------------------------

BITS = '''
def bits(a: int, b: int) -> list[int]:
    c = a
    c ^= b
    return [a & b, a | b, a ^ b, a >> (b % 5), (a % 16) << (b % 3), (a % 7) ** (b % 3), c]

def invert(a: int) -> int:
    return ~a

def popcount(n: int) -> int:
    count = 0
    while n:
        n &= n - 1
        count += 1
    return count

def is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0
'''


def test_bitwise_operators_and_power():
    check_hard(BITS, "bits", [(a, b) for a in range(0, 64, 3) for b in range(0, 64, 5)], values=(0, 256))
    check_hard(BITS, "invert", [(a,) for a in range(-60, 60)], values=(-64, 64))
    check_hard(BITS, "popcount", [(n,) for n in range(256)], values=(0, 256))
    check_hard(BITS, "is_power_of_two", [(n,) for n in range(256)], values=(0, 256))
    soft = nclib.compile(BITS, entry="popcount", values=(0, 16), memory=8)
    check_soft(soft, BITS, "popcount", [(0,), (7,), (10,)])


def test_bitwise_on_negative_numbers_stops_with_a_routine_error():
    prog = nclib.compile(BITS, entry="popcount", values=(-16, 16), memory=8)
    with pytest.raises(RoutineError, match="non-negative"):
        prog(-3)


# -- nested functions, whole files, Python 3.12 syntax ------------------------------------------------

NESTED = '''
def count_above(a: list[int], k: int) -> int:
    def above(i, margin=0):
        return a[i] > k + margin

    def both(i):
        return above(i) + above(i, 2)

    total = 0
    for i in range(len(a)):
        total += both(i)
    return total
'''


def test_nested_functions_are_hoisted_with_their_captured_names():
    rng = random.Random(5)
    prog = check_hard(NESTED, "count_above", [([rng.randrange(9) for _ in range(rng.randrange(6))], rng.randrange(9)) for _ in range(100)])
    check_soft(nclib.compile(NESTED, entry="count_above", values=(0, 16), memory=15), NESTED, "count_above", [([1, 5], 2), ([], 3)])
    assert prog.params == ["a", "k"]


@pytest.mark.parametrize("source,line,text", [
    ("def first[T](items: list[T]) -> T:\n    return items[0]\n", 1, "Python 3.12"),
    ("type Vector = list[int]\n\ndef f(x):\n    return x\n", 1, "type alias"),
])
def test_python_312_syntax_is_named(source, line, text):
    with pytest.raises(CompileError) as info:
        nclib.compile(source)
    assert info.value.problems[0].line == line and text in str(info.value) and "expected '('" not in str(info.value)


def test_plain_words_in_hints():
    with pytest.raises(CompileError) as info:
        nclib.compile("def f(arr: list[int], x: int) -> int:\n    return arr.index(x)\n")
    text = str(info.value)
    assert "arr.index(...)" in text and "Attribute" not in text
    # isinstance(n, int) is accepted, so "global name int" never appears
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nclib.compile("def f(n):\n    if not isinstance(n, int):\n        raise TypeError('int')\n    return n\n")(4) == 4


# -- message variables, integer square roots, list() / sorted(), flag is False ---------------------

MORE = '''
import math

def checked(num: int) -> int:
    if num <= 0:
        msg = f"{num}: Invalid input, please enter a positive integer."
        raise ValueError(msg)
    return num

def roots(n: int) -> int:
    return int(math.sqrt(n)) * 1000 + math.isqrt(n) * 10 + int(n ** 0.5) % 10

def sorted_or_marked(a: list[int]) -> list[int]:
    if list(a) != sorted(a):
        b = sorted(a)
        b.append(9)
        return b
    return list(a)

def odd_even(a: list[int]) -> list[int]:
    is_sorted = False
    while is_sorted is False:
        is_sorted = True
        for i in range(0, len(a) - 1, 2):
            if a[i] > a[i + 1]:
                a[i], a[i + 1] = a[i + 1], a[i]
                is_sorted = False
        for i in range(1, len(a) - 1, 2):
            if a[i] > a[i + 1]:
                a[i], a[i + 1] = a[i + 1], a[i]
                is_sorted = False
    return a
'''


def test_message_variables_square_roots_sorted_and_flag_tests():
    prog = check_hard(MORE, "checked", [(n,) for n in range(-8, 8)], values=(-16, 16))
    with pytest.raises(RoutineError, match=r":7: ValueError: -3: Invalid input"):
        prog(-3)
    check_hard(MORE, "roots", [(n,) for n in range(400)], values=(0, 1 << 16))
    rng = random.Random(6)
    lists = [[rng.randrange(9) for _ in range(rng.randrange(7))] for _ in range(150)]
    check_hard(MORE, "sorted_or_marked", [(a,) for a in lists], memory=128)
    check_hard(MORE, "odd_even", [(a,) for a in lists])
    check_soft(nclib.compile(MORE, entry="sorted_or_marked", values=(0, 64), memory=63), MORE, "sorted_or_marked", [([2, 1],), ([1, 2],)])


def test_is_between_values_that_are_not_flags_is_refused():
    with pytest.raises(CompileError, match="is between two values"):
        nclib.compile("def f(x: int) -> int:\n    y = x + 1\n    return y is False\n")


# -- list concatenation and slices with negative bounds held in variables --------------------------

CONCAT = '''
def rotate(arr: list[int], steps: int) -> list[int]:
    n = len(arr)
    if n == 0:
        return arr
    k = steps % n
    return arr[-k:] + arr[:-k] if k else arr[:]

def pieces(a: list[int], i: int, j: int) -> list[int]:
    return a[i:j] + a[:i] + a[j:]

def grow(n: int) -> list[int]:
    current = [n] + [0] * n
    current = current + current
    current.append(7)
    return current
'''


def test_concatenation_and_negative_slice_bounds():
    rng = random.Random(8)
    lists = [[rng.randrange(9) for _ in range(rng.randrange(7))] for _ in range(200)]
    check_hard(CONCAT, "rotate", [(a, rng.randrange(9)) for a in lists], values=(-64, 64), memory=60)
    check_hard(CONCAT, "pieces", [(a, rng.randrange(-8, 8), rng.randrange(-8, 8)) for a in lists], values=(-64, 64), memory=60)
    check_hard(CONCAT, "grow", [(n,) for n in range(8)], memory=120)
    soft = nclib.compile(CONCAT, entry="pieces", values=(-32, 32), memory=31)
    check_soft(soft, CONCAT, "pieces", [([1, 2, 3], -1, 2), ([4], 0, 1)])

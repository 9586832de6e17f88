"""Python's semantics on negative numbers (issue 28): & | ^ ~ << >> with negative operands
(two's complement, infinitely many sign bits), checked against CPython on every pair of a few
small windows in hard mode and on a sample in soft mode (argmax of one-hot inputs), and in real
functions that use them.

The rule for windows: a call equals CPython when its operands and every value Python forms
(here the result) lie in the window [lo, hi); otherwise the run stops with an overflow error,
never a silent wrong answer -- also in windows that are not symmetric around 0.
"""

import ast

import pytest

import nclib
from nclib.machine import FAULT_RAISE

pytestmark = pytest.mark.usefixtures("one_thread")

BINARY = ["a & b", "a | b", "a ^ b", "a << b", "a >> b"]
WINDOWS = [(-16, 16), (0, 32), (-25, 7), (-3, 29)]


def _program(expression: str, values: tuple[int, int], **options):
    return nclib.compile(f"def f(a: int, b: int) -> int:\n    return {expression}\n", entry="f", values=values, **options)


def _python(expression: str, a: int, b: int):
    """CPython's value of the expression, or the exception class name it raises."""
    try:
        return eval(expression, {"a": a, "b": b})  # noqa: S307 -- this file's own expressions
    except ValueError:
        return "ValueError"


def _formed(expression: str, a: int, b: int) -> list[int]:
    """Every value CPython forms evaluating the expression (each operator's result)."""
    return [_python(ast.unparse(node), a, b) for node in ast.walk(ast.parse(expression, mode="eval"))
            if isinstance(node, (ast.BinOp, ast.UnaryOp))]


def _check_every_pair(expression: str, values: tuple[int, int], pairs) -> None:
    """Each pair's hard-mode outcome: CPython's value when it is in the window, Python's ValueError
    (negative shift count) as a routine error, and otherwise an overflow (never a silent result)."""
    lo, hi = values
    prog = _program(expression, values)
    res = prog.execute(*prog.encode(pairs))
    got = prog.decode(res)
    for i, (a, b) in enumerate(pairs):
        want = _python(expression, a, b)
        overflow, fault = int(res.overflow_line[i]) >= 0, int(res.fault[i])
        where = (expression, values, a, b, want)
        if want == "ValueError":
            assert fault == FAULT_RAISE and "ValueError" in prog.asm.lines[int(res.fault_line[i])].note, where
        elif all(lo <= v < hi for v in _formed(expression, a, b)):
            assert not overflow and not fault and got[i] == want, (*where, got[i])
        else:
            assert overflow, (*where, got[i])


@pytest.mark.parametrize("values", WINDOWS)
@pytest.mark.parametrize("expression", BINARY + ["~a", "~a & b", "a & -a", "a & (a - 1)", "a & ~(a - 1)"])
def test_every_pair_of_a_small_window_equals_cpython(expression, values):
    lo, hi = values
    shift = "<<" in expression or ">>" in expression
    pairs = [(a, b) for a in range(lo, hi) for b in (range(max(lo, -2), 6) if shift else range(lo, hi))]
    _check_every_pair(expression, values, pairs)


@pytest.mark.parametrize("values", [(-128, 128), (0, 256), (-200, 56)])
@pytest.mark.parametrize("expression", ["a & b", "a | b", "a ^ b", "~a"])
def test_byte_windows_at_their_edges(expression, values):
    """The window's ends and a spread between: no intermediate value leaves [-128, 128), [0, 256)
    or the lopsided [-200, 56) when the operands and the result are inside."""
    lo, hi = values
    edge = sorted({lo, lo + 1, lo + 2, -2, -1, 0, 1, 2, hi - 3, hi - 2, hi - 1} & set(range(lo, hi)) | set(range(lo, hi, 7)))
    _check_every_pair(expression, values, [(a, b) for a in edge for b in edge])


@pytest.mark.parametrize("expression", ["a & b", "a | b", "a ^ b", "~a", "a >> b", "a << b"])
def test_soft_mode_agrees_by_argmax_on_a_small_signed_window(expression):
    """The soft machine runs the same instructions: argmax of its result on one-hot inputs is
    CPython's value (a sample of pairs whose result stays in [-8, 8))."""
    prog = _program(expression, (-8, 8), memory=7)
    shifts = "<<" in expression or ">>" in expression
    pairs = [(a, b) for a in (-8, -7, -5, -1, 0, 3, 6) for b in ((0, 1, 2) if shifts else (-8, -3, -1, 0, 2, 7))
             if -8 <= _python(expression, a, b) < 8]
    res = prog.execute(*prog.encode(pairs, mode="soft"), mode="soft", max_steps=400)
    assert prog.decode(res, "soft") == [_python(expression, a, b) for a, b in pairs]
    assert float(res.halted.min()) > 0.99


BIT_TRICKS = '''
def lowest_set_bit(n: int) -> int:
    return n & -n

def clear_lowest_bit(x: int) -> int:
    return x & (x - 1)

def isolate_lowest_bit(x: int) -> int:
    return x & ~(x - 1)

def clear_mask(a: int, mask: int) -> int:
    return a & ~mask

def popcount_low_byte(x: int) -> int:
    count = 0
    for _ in range(8):
        count += x & 1
        x >>= 1
    return count

def sign_fill(x: int) -> int:
    return x >> 60

def same_sign(a: int, b: int) -> bool:
    return (a ^ b) >= 0
'''


@pytest.mark.parametrize("entry, arity", [("lowest_set_bit", 1), ("clear_lowest_bit", 1), ("isolate_lowest_bit", 1),
                                          ("clear_mask", 2), ("popcount_low_byte", 1), ("sign_fill", 1), ("same_sign", 2)])
def test_bit_tricks_on_negative_numbers(entry, arity):
    namespace = {}
    exec(BIT_TRICKS, namespace)  # noqa: S102 -- this file's own source is the oracle
    fn = namespace[entry]
    prog = nclib.compile(BIT_TRICKS, entry=entry, values=(-1000, 1000))
    values = [-999, -512, -100, -37, -8, -2, -1, 0, 1, 6, 40, 255, 998]
    calls = [(v,) for v in values] if arity == 1 else [(a, b) for a in values for b in values]
    calls = [c for c in calls if -1000 <= fn(*c) < 1000]
    assert prog.decode(prog.execute(*prog.encode(calls))) == [int(fn(*c)) for c in calls]


# -- negative indices computed at run time --------------------------------------------------------

INDICES = '''
def before(a: list[int], i: int) -> int:
    return a[i - 1]

def write(a: list[int], i: int, v: int) -> list[int]:
    b = list(a)
    b[i] = v
    b[i - 2] += v
    return b

def last_but(a: list[int], k: int) -> int:
    return a[-k]

def literal_from_end(a: list[int]) -> int:
    return a[-2]

def circular_read(a: list[int], start: int, k: int) -> int:
    total = 0
    for i in range(start, start + len(a)):
        total += a[i - k]
    return total

def wiggle_sort(a: list[int]) -> list[int]:
    for i in range(1, len(a)):
        if (i % 2 == 1) == (a[i - 1] > a[i]):
            a[i - 1], a[i] = a[i], a[i - 1]
    return a

def rotate_left(a: list[int], k: int) -> list[int]:
    n = len(a)
    out = [0] * n
    for i in range(n):
        out[i - k] = a[i]
    return out

def guard_then_rebind(a: list[int], i: int) -> int:
    if i >= 1:
        i = i - 3
        return a[i]
    return 0

def name_then_element(a: list[int], i: int) -> list[int]:
    i, a[i] = i - 4, 7
    return a

def guard_in_a_loop(a: list[int], n: int) -> int:
    i = 2
    s = 0
    while i > 0 and n > 0:
        s += a[i - 1]
        i -= 2
        n -= 1
        s += a[i]
    return s

def counted_down(a: list[int], m: int) -> int:
    j = 0
    for _ in range(m):
        j = j - 1
    return a[j]

def guard_in_an_expression(a: list[int], i: int) -> int:
    return a[i - 1] if i >= 1 else a[i]
'''


def _outcome(fn, args):
    try:
        return fn(*[list(a) if isinstance(a, list) else a for a in args])
    except IndexError:
        return "IndexError"


@pytest.mark.parametrize("entry, calls", [
    ("before", [([4, 5, 6], i) for i in range(-4, 5)]),
    ("write", [([4, 5, 6], i, 3) for i in range(-4, 4)]),
    ("last_but", [([4, 5, 6], k) for k in range(-3, 6)]),
    ("literal_from_end", [([],), ([7],), ([7, 8],), ([7, 8, 9],)]),
    ("circular_read", [([1, 2, 3, 4], s, k) for s in (0, 1, 3) for k in range(0, 10)]),
    ("wiggle_sort", [([],), ([1],), ([3, 1, 2, 5, 4],), ([1, 2, 3, 4, 5, 6],), ([6, 5, 4, 3, 2, 1, 0],)]),
    ("rotate_left", [([1, 2, 3, 4, 5], k) for k in range(0, 8)]),
    ("guard_then_rebind", [([1, 2, 3, 4], i) for i in range(-2, 6)]),
    ("name_then_element", [([1, 2, 3, 4, 5], i) for i in range(0, 6)]),
    ("guard_in_a_loop", [([1, 2, 3], n) for n in range(0, 3)]),
    ("counted_down", [([1, 2, 3], m) for m in range(0, 5)]),
    ("guard_in_an_expression", [([1, 2, 3], i) for i in range(-4, 4)]),
])
def test_run_time_negative_indices_count_from_the_end(entry, calls):
    """-len(a) <= i < 0 addresses a[len(a) + i] for reads, writes and a[i] += v; below -len(a)
    (and at len(a) or above) the run stops at the bounds check, like CPython's IndexError --
    also for a literal a[-k] on a list shorter than k. The last five are the analysis's traps: a
    guard forgotten when its name is rebound (also by a loop's back edge, or a tuple target
    stored before the element), a name counted down."""
    namespace = {}
    exec(INDICES, namespace)  # noqa: S102 -- this file's own source is the oracle
    prog = nclib.compile(INDICES, entry=entry, values=(-16, 16))
    for args in calls:
        want = _outcome(namespace[entry], args)
        if want == "IndexError":
            with pytest.raises(nclib.errors.MachineFault, match="list index out of range"):
                prog(*args)
        else:
            assert prog(*args) == want, (entry, args)


def test_soft_mode_reads_a_negative_index_from_the_end():
    prog = nclib.compile(INDICES, entry="before", values=(-8, 8), memory=7)
    calls = [([3, -2, 5], i) for i in (-2, -1, 0, 1, 2, 3)]
    res = prog.execute(*prog.encode(calls, mode="soft"), mode="soft", max_steps=200)
    assert prog.decode(res, "soft") == [a[i - 1] for a, i in calls]


@pytest.mark.parametrize("loop", ["range(len(a))", "range(1, len(a), 2)", "reversed(range(len(a)))"])
def test_provably_non_negative_indices_get_no_wrap(loop):
    """An index the analysis proves >= 0 (a range loop from a non-negative start, len, sums and
    products of such) compiles to the plain load; an unproven one gains the wrap (its `lt #0`)."""
    def compares(index: str) -> int:
        source = f"def f(a: list[int], j: int) -> int:\n    s = 0\n    k = 0\n    for i in {loop}:\n" \
                 f"        k += 1\n        s += a[{index}]\n    return s\n"
        return nclib.compile(source, entry="f", values=(-64, 64)).listing().count(" lt ")
    plain = compares("0")
    assert compares("i") == compares("i * 2 // 3") == compares("min(i, k)") == compares("(i + j) % len(a)") == plain
    assert compares("i - 1") == compares("j") == plain + 1

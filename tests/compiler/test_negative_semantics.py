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

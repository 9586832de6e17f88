"""Every mismatch or crash the differential fuzzer (nclib/fuzz/) found, minimised: the source, the
input, and what CPython does with it. Each names the generated program that first showed it
(`nclib.fuzz.generate.generate(seed, index)`) and the fix.
"""

import pytest

import nclib
from nclib.errors import CompileError
from nclib.fuzz.outcomes import nclib_outcomes

pytestmark = pytest.mark.usefixtures("one_thread")


def _python(source: str, *args):
    """CPython's result and the list arguments after the call (the sources are this file's)."""
    namespace = {}
    exec(source, namespace)  # noqa: S102 -- literal test sources
    args = [list(a) if isinstance(a, list) else a for a in args]
    return namespace["f"](*args), [a for a in args if isinstance(a, list)]


# fuzz 0:* (several programs of seed 0): `b = [x for x in a]` then `b.append(v)` was refused as
# "b = __nc_f_list_2(a), a list that b.append(...) would also change; ... write b = __nc_f_list_2(a)[:]"
# -- a comprehension is a new list, and the hint named a helper the user never wrote. Fixed: the
# desugarer marks the comprehension's helper call as a new list (check_kinds.fresh_list).
APPEND_TO_COMPREHENSION = '''def f(a: list[int]) -> list[int]:
    b = [x * 2 for x in a if x > 0]
    c = list(a)
    b.append(7)
    c.append(len(b))
    return c + b
'''


def test_append_to_a_list_comprehension():
    want, _ = _python(APPEND_TO_COMPREHENSION, [1, -2, 3])
    assert want == [1, -2, 3, 3, 2, 6, 7]
    assert nclib.compile(APPEND_TO_COMPREHENSION, entry="f", values=(-64, 64))([1, -2, 3]) == want


# fuzz 5:1158: a helper returned its list parameter, and the caller then appended to the list it
# had passed. In CPython both names are one list (len 3 + 2 = 5); nclib's append moved the list
# to a new block and the helper's result kept the old one (len 3): a silent wrong answer. Fixed by
# refusing it (check_kinds.returns_argument): such a call must pass a copy.
ALIAS_THROUGH_A_HELPER = '''def h(a: list[int]) -> list[int]:
    return a

def f(a: list[int]) -> int:
    b = sorted(a)
    c = h(b)
    b.append(1)
    b.append(2)
    return len(c)
'''


def test_a_list_that_grows_cannot_be_returned_by_a_helper_under_a_second_name():
    assert _python(ALIAS_THROUGH_A_HELPER, [12, 10, 3])[0] == 5
    with pytest.raises(CompileError) as err:
        nclib.compile(ALIAS_THROUGH_A_HELPER, entry="f")
    problem = err.value.problems[0]
    assert (problem.line, problem.col) == (6, 11)
    assert "b, which f appends to, passed to h, which may return it" in problem.construct
    assert "h(..., b[:], ...)" in problem.hint
    copied = ALIAS_THROUGH_A_HELPER.replace("h(b)", "h(b[:])")  # what the hint says to write
    assert _python(copied, [12, 10, 3])[0] == 3
    assert nclib.compile(copied, entry="f", values=(-64, 64))([12, 10, 3]) == 3


def test_a_helper_that_returns_a_new_list_may_take_a_growing_list():
    source = '''def h(a: list[int]) -> list[int]:
    out = []
    for x in a:
        out.append(x + 1)
    return out

def f(a: list[int]) -> int:
    b = list(a)
    c = h(b)
    b.append(9)
    return len(c) * 10 + len(b)
'''
    want, _ = _python(source, [4, 5])
    assert want == 23
    assert nclib.compile(source, entry="f", values=(-64, 64))([4, 5]) == want


# fuzz 6:850 (soft mode): `[x] * n` with n < 0 is [] in Python and in hard mode, but soft mode's
# alloc moved the heap pointer back by |n| + 1, so later lists overwrote the list argument
# ([3, 1] became [3, 2]) and len() of the list was n. Fixed: the compiler clamps the count at 0.
NEGATIVE_REPEAT = '''def f(a: list[int], n: int) -> int:
    b = [7] * n
    c = a[::-1]
    return len(b) + c[0]
'''


@pytest.mark.parametrize("n", [-5, -1, 0, 2])
def test_repeat_with_a_negative_count_in_soft_mode(n):
    want, lists = _python(NEGATIVE_REPEAT, [3, 1, 4], n)
    prog = nclib.compile(NEGATIVE_REPEAT, entry="f", values=(-32, 32), memory=24)
    for mode in ("hard", "soft"):
        got = nclib_outcomes(prog, [([3, 1, 4], n)], mode, 2000)[0]
        assert (got.error, got.value, got.lists) == (None, want, lists), mode


# fuzz 5:1220 / 6:232: a routine returning a list, run on a batch in which every element stops
# with an error before its return, made Program.execute crash with RuntimeError ("upper bound and
# lower bound inconsistent with step sign"): nclib/runtime/program.py read the length of the returned list
# from the return register, which then holds an int or a stale address. Fixed: the lengths of such
# elements are clamped to [0, cells after the address] (12 of the soak's 100,000 programs).
FAULT_BEFORE_LIST_RETURN = '''def h() -> int:
    return 1

def f(a: list[int]) -> list[int]:
    v = h()
    if v > 0:
        raise ValueError("bad input")
    return a
'''


def test_every_element_faulting_before_a_list_return():
    with pytest.raises(ValueError):
        _python(FAULT_BEFORE_LIST_RETURN, [-5, -5])
    prog = nclib.compile(FAULT_BEFORE_LIST_RETURN, entry="f", values=(-64, 64))
    got = nclib_outcomes(prog, [([-5, -5],), ([-3],)], "hard", 1000)  # the return register holds 1: mem[1] = a[0] < 0
    assert [(o.error, o.line) for o in got] == [("ValueError", 7)] * 2


# hypothesmith (tests/compiler/test_fuzz.py): a function whose body is only a nested def crashed
# the lowering with IndexError (hoisting the def left an empty body). Fixed: the body becomes `pass`.
def test_a_body_of_only_a_nested_def():
    source = "def A():\n   def B():\n    pass\n"
    assert _python(source.replace("def A", "def f"))[0] is None
    prog = nclib.compile(source, entry="A")
    assert prog.returns == "none" and prog() is None

"""The desugaring pass (compiler/desugar.py): each rewritten construct agrees with CPython on many
inputs (hard mode; a few in soft mode), keeps the user's line in errors, and leaves what it cannot
rewrite exactly to the checks (check_language)."""

import ast
import random

import pytest
import torch

import nclib
from nclib import CompileError, NclibError
from nclib.compiler.desugar import desugar

OPTIONS = dict(values=(-64, 64), memory=48)


def _python(source: str, entry: str):
    namespace: dict = {}
    exec(compile(source, "<test>", "exec"), namespace)  # the oracle: CPython runs the same text
    return namespace[entry]


def agree(source: str, entry: str, calls: list[tuple], **options) -> nclib.Program:
    """Run every call in CPython and, as one batch, in hard mode; results, in-place effects on list
    arguments and raising (Python raises <=> the machine faults) must all agree."""
    fn = _python(source, entry)
    prog = nclib.compile(source, entry=entry, **(options or OPTIONS))
    res = prog.execute(*prog.encode(calls), mode="hard")
    got = prog.decode(res)
    for b, args in enumerate(calls):
        py_args = [list(a) if isinstance(a, list) else a for a in args]
        try:
            expected = fn(*py_args)
        except Exception as err:  # Python raises: the machine must stop with an error too
            failed = int(res.fault[b]) != 0 or int(res.overflow_line[b]) >= 0
            assert failed, f"{entry}{args}: Python raised {err!r} but the machine returned {got[b]!r}"
            continue
        assert int(res.fault[b]) == 0 and int(res.overflow_line[b]) < 0, f"{entry}{args}: the machine faulted, Python gave {expected!r}"
        if prog.returns != "none":
            assert got[b] == expected, f"{entry}{args}: machine {got[b]!r}, Python {expected!r}"
        lists = iter(zip(res.lists, res.list_lengths))
        for kind, before, after in zip(prog.param_kinds, args, py_args):
            if kind == "list":
                values, lengths = next(lists)
                assert values[b, :int(lengths[b])].tolist() == after, f"{entry}{args}: list argument {before} differs after the call"
    return prog


def lists(rng: random.Random, n: int, max_len: int = 7, lo: int = -5, hi: int = 5) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(rng.randint(0, max_len))] for _ in range(n)]


# -- x in a / x not in a ---------------------------------------------------------------------------
MEMBERSHIP = '''
def common(a: list[int], b: list[int]) -> int:
    count = 0
    for x in a:
        if x in b:
            count += 1
    return count

def missing(a: list[int], b: list[int]) -> int:
    count = 0
    for x in a:
        if x not in b:
            count += 1
    return count

def guarded(a: list[int], b: list[int], i: int) -> int:
    return 1 if i < len(a) and a[i] in b else 0

def while_absent(a: list[int], x: int) -> int:
    steps = 0
    while x not in a:
        x += 1
        steps += 1
    return steps

def small(x: int, y: int) -> int:
    return (x in (0, 1)) + 2 * (x not in [2, 3, 5, 7]) + 4 * (x in (y, -y)) + 8 * (x in ())

def computed(a: list[int], i: int) -> int:
    return (a[i] % 3 in (0, 2)) + 2 * (i * i not in (a[0], 4))

def in_range(x: int, lo: int, hi: int) -> int:
    return (x in range(lo, hi)) + 2 * (x not in range(hi)) + 4 * (x + 1 in range(lo, hi + lo))
'''


def test_membership_in_lists():
    rng = random.Random(0)
    pairs = [(a, b) for a, b in zip(lists(rng, 120), lists(rng, 120))]
    agree(MEMBERSHIP, "common", pairs)
    agree(MEMBERSHIP, "missing", pairs)
    agree(MEMBERSHIP, "guarded", [(a, b, rng.randint(0, 8)) for a, b in pairs])
    agree(MEMBERSHIP, "while_absent", [(a + [5], rng.randint(-5, 5)) for a, _ in pairs])  # x <= 5 reaches 5


def test_membership_in_displays_and_ranges():
    rng = random.Random(1)
    agree(MEMBERSHIP, "small", [(x, y) for x in range(-9, 10) for y in range(-3, 4)])
    agree(MEMBERSHIP, "computed", [(a, rng.randint(0, 7)) for a in lists(rng, 150)])  # a[i] out of range: both raise
    agree(MEMBERSHIP, "in_range", [(rng.randint(-8, 8), rng.randint(-8, 8), rng.randint(-8, 8)) for _ in range(200)])


def test_membership_operand_evaluated_once_in_python_order():
    source = '''
def bump(c: list[int], by: int) -> int:
    c[0] = c[0] * 10 + by
    return c[0] % 7

def once(c: list[int]) -> int:
    hit = bump(c, 1) in (bump(c, 2), 3, bump(c, 4))
    far = bump(c, 5) in range(bump(c, 6), 9)
    return hit + 2 * far
'''
    agree(source, "once", [([v],) for v in range(-3, 4)], values=(-2 ** 40, 2 ** 40), memory=8)


# -- enumerate / zip ---------------------------------------------------------------------------------
LOOPS = '''
def weighted(a: list[int], s: int) -> int:
    total = 0
    for i, x in enumerate(a, s):
        if x < 0:
            continue
        if i > 9:
            break
        total += i * x
    return total

def prefix_in_place(a: list[int]) -> int:
    # the loop sees the elements the body has just written, as Python's enumerate does
    last = 0
    for i, x in enumerate(a):
        if i + 1 < len(a):
            a[i + 1] += x
        last = x
    return last

def rebinding(a: list[int], b: list[int]) -> int:
    # rebinding the name inside the body does not change the list being walked
    total = 0
    for i, x in enumerate(a):
        total += x * (i + 1)
        a = b
        x = 100
    return total + len(a)

def dot(a: list[int], b: list[int]) -> int:
    s = 0
    for x, y in zip(a, b):
        s += x * y
    return s

def three(a: list[int], b: list[int], c: list[int]) -> int:
    best = 0
    for i, (x, y, z) in enumerate(zip(a, b, c), start=1):
        best = max(best, i * (x + y - z))
    return best

def first_difference(a: list[int], b: list[int]) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return -1

def grow_and_shrink(a: list[int]) -> int:
    # appending to the walked list extends the loop, popping from it ends it early, as in Python
    b = a.copy()
    c = a.copy()
    total = 0
    for i, x in enumerate(b):
        if x > 0 and len(b) < 12:
            b.append(x - 2)
        total += i * x
    for x, y in zip(c, b):
        if x < 0:
            c.pop()
        total += x - y
    return total + len(b)

def last_index(a: list[int]) -> int:
    i = -1
    for i, x in enumerate(a):
        pass
    return i
'''


def test_enumerate_loops():
    rng = random.Random(2)
    data = lists(rng, 150)
    agree(LOOPS, "weighted", [(a, rng.randint(-3, 3)) for a in data], values=(-128, 128), memory=48)
    agree(LOOPS, "prefix_in_place", [(a,) for a in data])
    agree(LOOPS, "rebinding", [(a, b) for a, b in zip(data, reversed(data))], values=(-256, 256), memory=48)
    agree(LOOPS, "last_index", [(a,) for a in data])
    agree(LOOPS, "grow_and_shrink", [(a,) for a in data], values=(-256, 256), memory=64)


def test_zip_loops_stop_at_the_shorter_list():
    rng = random.Random(3)
    a, b, c = lists(rng, 150), lists(rng, 150), lists(rng, 150)
    agree(LOOPS, "dot", list(zip(a, b)), values=(-256, 256), memory=48)
    agree(LOOPS, "three", list(zip(a, b, c)), values=(-256, 256), memory=48)
    same = [(x, x[:rng.randint(0, len(x))] + [rng.randint(-1, 1)] * rng.randint(0, 2)) for x in a]
    agree(LOOPS, "first_difference", same + list(zip(a, b)))


# -- min / max / sum / any / all -----------------------------------------------------------------------
REDUCE = '''
def total(a: list[int], n: int) -> int:
    return sum(a) + sum(a, n) + sum(x * x for x in a if x > n) + sum(i * j for i in range(n) for j in range(i))

def sorted_checks(a: list[int]) -> int:
    up = all(a[i] <= a[i + 1] for i in range(len(a) - 1))
    down = any(a[i] > a[i + 1] for i in range(len(a) - 1))
    return up + 2 * down + 4 * any(a) + 8 * all(a) + 16 * all(x % 2 == 0 for x in a)

def nested(a: list[int], b: list[int]) -> int:
    # the inner generator reads the outer one's variable; int inside isinstance stays the builtin
    checked = all(isinstance(v, int) for v in a)
    return checked + sum(sum(x * y for y in b if y != x) for x in a)

def pairs(a: list[int]) -> int:
    return sum(x * y for i, x in enumerate(a) for y in a if y > i)
'''

REDUCE_MIN_MAX = '''
def spread(a: list[int]) -> int:
    return max(a) - min(a)

def extremes(a: list[int], t: int) -> int:
    return max(x % 5 for x in a if x != t) * 10 + min(abs(x - t) for x in a)

def scalar(x: int, y: int, z: int) -> int:
    return max(x, y, z) - min(x, y)
'''


def test_sum_any_all():
    rng = random.Random(4)
    data = lists(rng, 200)
    agree(REDUCE, "total", [(a, rng.randint(0, 5)) for a in data], values=(-512, 512), memory=48)
    agree(REDUCE, "sorted_checks", [(a,) for a in data] + [(sorted(a),) for a in data[:50]])
    agree(REDUCE, "pairs", [(a,) for a in data], values=(-512, 512), memory=48)
    agree(REDUCE, "nested", [(a[:4], b[:4]) for a, b in zip(data, reversed(data))], values=(-512, 512), memory=48)


def test_any_all_of_a_list_comprehension_evaluate_every_element():
    # any([...]) builds the whole list first: an element that faults must fault even after a hit.
    source = '''
def eager(a: list[int], n: int) -> int:
    return any([a[i] > 0 for i in range(n)]) + 2 * all([a[i] > 0 for i in range(n)])
'''
    rng = random.Random(5)
    agree(source, "eager", [(a, rng.randint(0, 9)) for a in lists(rng, 150)])


def test_min_max_over_lists_and_generators():
    rng = random.Random(6)
    data = lists(rng, 200)
    agree(REDUCE_MIN_MAX, "spread", [(a,) for a in data])  # empty lists: ValueError in both
    agree(REDUCE_MIN_MAX, "extremes", [(a, rng.randint(-5, 5)) for a in data])


def test_min_of_nothing_raises_like_python():
    prog = nclib.compile(REDUCE_MIN_MAX, entry="spread", **OPTIONS)
    with pytest.raises(nclib.RoutineError, match=":3: ValueError: max\\(\\) arg is an empty sequence"):
        prog([])
    with pytest.raises(ValueError, match="max\\(\\) arg is an empty sequence"):
        _python(REDUCE_MIN_MAX, "spread")([])


def test_scalar_min_max_unchanged():
    agree(REDUCE_MIN_MAX, "scalar", [(x, y, z) for x in range(-3, 4) for y in range(-3, 4) for z in (-2, 0, 5)])


# -- list comprehensions ---------------------------------------------------------------------------
COMPREHENSIONS = '''
def squares(a: list[int], t: int) -> list[int]:
    return [x * x for x in a if x > t]

def indices(n: int) -> list[int]:
    return [i * 2 + 1 for i in range(n)]

def grid(a: list[int], b: list[int]) -> list[int]:
    return [x - y for x in a for y in b if x != y]

def positions(a: list[int], x: int) -> list[int]:
    return [i for i, v in enumerate(a) if v == x]

def copy_first(a: list[int], n: int) -> list[int]:
    b = list(a)
    b[0] = n
    return b

def upto(a: list[int], n: int) -> list[int]:
    return list(range(n, len(a)))
'''


def test_list_comprehensions():
    rng = random.Random(7)
    data = lists(rng, 150, max_len=5)
    agree(COMPREHENSIONS, "squares", [(a, rng.randint(-5, 5)) for a in data])
    agree(COMPREHENSIONS, "indices", [(n,) for n in range(0, 12)])
    agree(COMPREHENSIONS, "grid", [(a[:3], b[:3]) for a, b in zip(data, reversed(data))], values=(-64, 64), memory=60)
    agree(COMPREHENSIONS, "positions", [(a, rng.randint(-2, 2)) for a in data])
    agree(COMPREHENSIONS, "copy_first", [(a, rng.randint(-2, 2)) for a in data if a])  # a itself is left unchanged
    agree(COMPREHENSIONS, "upto", [(a, rng.randint(-2, 6)) for a in data])


# -- chained assignment, module constants, negative indices ----------------------------------------------
ASSIGN = '''
LIMIT = 3
BIG: int = 2 ** 5 - 1
MOD = (BIG + 1) // 4 + LIMIT * 0 + True
COLORS = (LIMIT, -2, 0)

def chained(a: list[int], v: int) -> int:
    x = y = v + 1
    lo = hi = 0
    p = q = [0] * 3
    p[0] = x
    i = a[i] = v % 2 if len(a) > 1 else 0
    return x + y + q[0] + lo + hi + i + a[0]

def constants(x: int) -> int:
    return (x * LIMIT + BIG) % MOD

def palette(x: int, width: int = LIMIT) -> int:
    return (x in COLORS) + 2 * (x == COLORS[1]) + 4 * (x == COLORS[-1]) + 8 * width

def shadowed(LIMIT: int) -> int:
    MOD = 2
    return LIMIT + MOD

def negative(a: list[int]) -> int:
    a[-1] += 1
    a[-2] = a[-1] * 2
    return a[-1] - a[len(a) - 2]

def last_of(a: list[int]) -> int:
    return copy_of(a)[-1] + a[-1]

def copy_of(a: list[int]) -> list[int]:
    b = [0] * len(a)
    for i in range(len(a)):
        b[i] = a[i] + 1
    return b
'''


def test_chained_assignment():
    rng = random.Random(8)
    agree(ASSIGN, "chained", [([rng.randint(-5, 5) for _ in range(rng.randint(2, 5))], rng.randint(-9, 9)) for _ in range(100)])


def test_module_constants():
    agree(ASSIGN, "constants", [(x,) for x in range(-10, 11)])  # x * 3 + 31 stays inside (-64, 64)
    agree(ASSIGN, "shadowed", [(x,) for x in range(-5, 5)])
    prog = agree(ASSIGN, "palette", [(x, w) for x in range(-4, 5) for w in (1, 3)])
    assert [prog(x) for x in range(-4, 5)] == [_python(ASSIGN, "palette")(x) for x in range(-4, 5)]  # the default LIMIT
    big = "MOD = 10**9 + 7\n\ndef h(x: int) -> int:\n    return (x * 31 + 7) % MOD\n"
    agree(big, "h", [(x,) for x in [0, 1, 10 ** 6, 10 ** 9 + 6, 123456789]], values=(0, 2 ** 40), memory=8)


def test_module_constants_that_are_not_literals_are_refused():
    with pytest.raises(CompileError) as info:
        nclib.compile("N = len('abc')\n\ndef f(x: int) -> int:\n    return x + N\n", **OPTIONS)
    assert [(p.line, p.col) for p in info.value.problems if "N" in p.construct] == [(4, 16)]  # where the function reads it
    with pytest.raises(CompileError, match="1:1: module constant Z = 1 // 0.*evaluating it fails"):
        nclib.compile("Z = 1 // 0\n\ndef f(x: int) -> int:\n    return x + Z\n", **OPTIONS)
    # assigned from a function through `global`: not a constant, so the global statement is reported
    with pytest.raises(CompileError, match="global"):
        nclib.compile("N = 1\n\ndef f(x: int) -> int:\n    global N\n    N = x\n    return N\n", **OPTIONS)


def test_negative_literal_indices():
    rng = random.Random(9)
    data = lists(rng, 150)  # lists shorter than 2 make Python raise IndexError: the machine faults too
    agree(ASSIGN, "negative", [(a,) for a in data])
    agree(ASSIGN, "last_of", [(a,) for a in data])


def test_variable_negative_index_faults_instead_of_wrapping():
    prog = nclib.compile("def f(a: list[int], k: int) -> int:\n    return a[k]\n", **OPTIONS)
    assert prog([4, 5, 6], 1) == 5
    with pytest.raises(NclibError, match="line 2"):
        prog([4, 5, 6], -1)


# -- errors keep the user's line ---------------------------------------------------------------------------
def test_runtime_errors_in_rewritten_code_name_the_original_line():
    source = '''def f(a: list[int]) -> int:
    s = 0
    for i, x in enumerate(a):
        s += x
    t = sum(x * x for x in a)
    return s + t + a[-1]
'''
    prog = nclib.compile(source, values=(-16, 16), memory=12)
    assert prog([1, 2]) == 3 + 5 + 2
    with pytest.raises(nclib.ValueRangeError, match="at line 5 .*`t = sum\\(x \\* x for x in a\\)`"):
        prog([3, 3])  # 9 + 9 leaves the window inside the generated sum loop
    with pytest.raises(nclib.ValueRangeError, match="at line 4 "):
        prog([9, 9])
    with pytest.raises(NclibError, match="at line 6 "):
        prog([])  # a[-1] of an empty list


def test_generated_nodes_carry_locations():
    source = '''def f(a: list[int], b: list[int]) -> int:
    p = q = 1
    for i, (x, y) in enumerate(zip(a, b)):
        p += i * x * y * (x in b) + sum(v for v in a if v in (1, 2))
    return p + q + a[-1] + any(a)
'''
    tree = desugar(ast.parse(source), "<test>")
    for node in ast.walk(tree):
        if "lineno" in node._attributes:
            assert 1 <= node.lineno <= 5 and node.end_lineno is not None, ast.dump(node)
    compile(tree, "<test>", "exec")  # a well-formed module CPython itself accepts


def test_helper_names_do_not_collide_with_user_names():
    source = '''
def __nc_contains_1(a: list[int], x: int) -> int:
    return 7

def f(a: list[int], __nc_k_2: int, __nc_list_3: int) -> int:
    __nc_sum_4 = 0
    for __nc_v_5, x in enumerate(a):
        __nc_sum_4 += (x in a) + __nc_k_2 * __nc_v_5 + sum(a) + __nc_contains_1(a, x) + __nc_list_3
    return __nc_sum_4
'''
    rng = random.Random(10)
    agree(source, "f", [(a, rng.randint(-2, 2), rng.randint(-2, 2)) for a in lists(rng, 60, max_len=4)], values=(-512, 512), memory=32)


def test_constructs_that_cannot_be_rewritten_exactly_are_reported():
    cases = [
        ("def f(a, x):\n    for i, v in enumerate(a):\n        x += v\n    else:\n        x = 0\n    return x\n", 2),
        ("def f(a, x):\n    return 0 < x in a\n", 2),
        ("def f(a):\n    t = 0\n    for p in zip(a, a):\n        t += 1\n    return t\n", 3),
        ("def f(a):\n    return sum(a, start=1)\n", 2),
        ("def f(a):\n    return max(a, key=abs)\n", 2),
        # Python evaluates the generator's list before a start that calls: a helper would swap them
        ("def f(a):\n    return g() + sum((x for x in a), g())\n\ndef g():\n    return 4\n", 2),
    ]
    for source, line in cases:
        with pytest.raises(CompileError) as info:
            nclib.compile(source, **OPTIONS)
        assert any(p.line == line for p in info.value.problems), (source, info.value)


# -- soft mode ----------------------------------------------------------------------------------
def test_soft_mode_matches_hard_mode_on_one_hot_inputs():
    source = MEMBERSHIP + LOOPS
    rng = random.Random(11)
    for entry in ("common", "dot", "weighted"):
        prog = nclib.compile(source, entry=entry, values=(-8, 24), memory=12)
        if entry == "weighted":
            calls = [([rng.randint(-2, 3) for _ in range(rng.randint(0, 3))], rng.randint(0, 2)) for _ in range(3)]
        else:
            calls = [tuple([rng.randint(-2, 3) for _ in range(rng.randint(0, 3))] for _ in range(2)) for _ in range(3)]
        exact = prog.execute(*prog.encode(calls), mode="hard")
        hard = prog.decode(exact)
        res = prog.execute(*prog.encode(calls, mode="soft"), mode="soft", max_steps=int(exact.steps.max()) + 2)
        assert prog.decode(res, mode="soft") == hard == [_python(source, entry)(*[list(a) if isinstance(a, list) else a for a in c]) for c in calls]
        assert torch.all(res.halted > 0.99)

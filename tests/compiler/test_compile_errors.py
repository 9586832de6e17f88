"""Every unsupported construct yields a CompileError naming line, column and construct."""

import pytest

import nclib
from nclib import CompileError
from nclib.compiler.compiling import check_options

CASES = [
    # (id, source, entry, expected line, text that must appear in the problem)
    ("class", "class A:\n    pass\n\ndef f(x):\n    return A(x)\n", "f", 5, "call of unknown function A"),
    ("import", "import math\n\ndef f(x):\n    return math.gcd(x, 2)\n", "f", 4, "math.gcd"),
    ("from-import-used", "from math import gcd\n\ndef f(x):\n    return gcd(x, 2)\n", "f", 4, "imported from math"),
    ("from-import", "def f(x):\n    from math import gcd\n    return x\n", "f", 2, "import statement"),
    ("string", "def f(x):\n    y = 'a'\n    return x\n", "f", 2, "str literal"),
    ("float", "def f(x):\n    return x * 1.5\n", "f", 2, "float literal"),
    ("dict", "def f(x):\n    d = {1: 2}\n    return x\n", "f", 2, "dict literal"),
    ("set", "def f(x):\n    s = {1, 2}\n    return x\n", "f", 2, "set literal"),
    ("set-comprehension", "def f(a):\n    s = {v for v in a}\n    return 0\n", "f", 2, "set comprehension"),
    ("generator", "def f(a):\n    g = (v for v in a)\n    return 0\n", "f", 2, "generator expression"),
    ("try", "def f(x):\n    try:\n        return x\n    except Exception:\n        return 0\n", "f", 2, "try statement"),
    ("lambda", "def f(x):\n    g = lambda y: y\n    return x\n", "f", 2, "lambda"),
    ("global", "def f(x):\n    global y\n    return x\n", "f", 2, "global statement"),
    ("global-name", "def f(x):\n    return x + LIMIT\n", "f", 2, "global name LIMIT"),
    ("method-call", "def f(a):\n    a.sort()\n    return a\n", "f", 2, "sort function"),
    ("slice-step", "def f(a):\n    return a[::2]\n", "f", 2, "with a step"),
    ("matmul", "def f(x):\n    return x @ x\n", "f", 2, "operator @"),
    ("true-division", "def f(x):\n    return x / 2\n", "f", 2, "operator /"),
    ("unknown-call", "def f(x):\n    return print(x)\n", "f", 2, "unknown function print"),
    ("keyword-arg", "def f(x):\n    return g(y=x)\n\ndef g(y):\n    return y\n", "f", 2, "keyword arguments"),
    ("wrong-arity", "def f(x):\n    return g(x, x)\n\ndef g(y):\n    return y\n", "f", 2, "with 2 arguments"),
    ("nested-def-in-branch", "def f(x):\n    if x:\n        def g(y):\n            return y\n    return x\n", "f", 3, "nested function"),
    ("while-else", "def f(x):\n    while x:\n        x -= 1\n    else:\n        x = 1\n    return x\n", "f", 5, "while ... else"),
    ("membership-chain", "def f(a, x):\n    return 0 < x in a\n", "f", 2, "comparison in"),
    ("range-variable-step", "def f(n, s):\n    t = 0\n    for i in range(0, n, s):\n        t += i\n    return t\n", "f", 3, "non-constant or zero step"),
    ("infinite-recursion", "def f(n):\n    return f(n - 1)\n", "f", 1, "recursion without a base case"),
    ("constant-outside-window", "def f(n):\n    return n + 300\n", "f", 2, "constant 300"),
    ("missing-entry", "def f(n):\n    return n\n", "g", 1, "entry function 'g'"),
    ("syntax-error", "def f(n):\n    return n +\n", "f", 2, "syntax error"),
    ("with", "def f(x):\n    with x:\n        return x\n", "f", 2, "with statement"),
    ("yield", "def f(x):\n    yield x\n", "f", 2, "yield expression"),
    ("star-args", "def f(*xs):\n    return 0\n", "f", 1, "*args"),
    ("default-arg", "def f(x=[]):\n    return x\n", "f", 1, "default value"),
    ("tuple-of-lists", "def f(a: list[int]):\n    return (a, a)\n", "f", 2, "a list inside a list or tuple"),
    ("list-arithmetic", "def f(a: list[int]):\n    b = a - a\n    return b\n", "f", 2, "arithmetic on a list"),
]


@pytest.mark.parametrize("source,entry,line,text", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unsupported_construct(source, entry, line, text):
    with pytest.raises(CompileError) as info:
        nclib.compile(source, entry=entry, values=(0, 256))
    problems = info.value.problems
    assert problems, "a CompileError must list its problems"
    matching = [p for p in problems if text.lower() in (p.construct + " " + p.hint).lower()]
    assert matching, f"no problem mentions {text!r}: {problems}"
    assert matching[0].line == line
    assert matching[0].col >= 1
    assert matching[0].hint  # says what to write instead
    message = str(info.value)
    assert f":{line}:" in message


def test_every_problem_is_reported_at_once():
    source = "import os\n\ndef f(x):\n    y = 1.5\n    z = {}\n    return os.getpid(x)\n"
    with pytest.raises(CompileError) as info:
        nclib.compile(source, entry="f")
    lines = sorted(p.line for p in info.value.problems)
    assert lines == [4, 5, 6]


def test_user_code_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').write('x')\n\ndef f(x):\n    return x\n"
    assert nclib.compile(source, entry="f")(3) == 3  # the module statement is not compiled (f does not use it)
    with pytest.raises(CompileError):
        nclib.compile(source + "\ndef g(x):\n    return open(x)\n", entry="g")
    assert not marker.exists()


@pytest.mark.parametrize("values,memory,text", [
    ((5, 10), 4, "must contain 0 and 1"),
    ((0, 32), 64, "cannot address memory=64"),
    ((3, 3), 1, "lo < hi"),
    ((0, 256), 0, "memory=0"),
])
def test_bad_options_name_the_value(values, memory, text):
    with pytest.raises(ValueError, match=text):
        nclib.compile("def f(x):\n    return x\n", values=values, memory=memory)


@pytest.mark.parametrize("values", [(-8, 1), (-8, 0), (-2, 1)], ids=["holds-0-not-1", "holds-neither", "two-values-not-1"])
def test_window_without_1_is_refused_as_such(values):
    """A window that holds 0 but not 1 (hi <= 1) is refused for lacking true, before memory is
    looked at (docs/machine.md, "Values": the window must contain {0, 1}). A precedence slip in
    check_options (`not lo <= 0 and ...`) let such windows through to the memory check, which
    refused them with "cannot address memory" instead."""
    with pytest.raises(ValueError, match=r"must contain 0 and 1"):
        nclib.compile("def f(x):\n    return x\n", values=values, memory=1)
    with pytest.raises(ValueError, match=r"must contain 0 and 1"):
        check_options(values[0], values[1] - values[0], memory=0, stack=1)


def test_window_rule_is_the_documented_one():
    """check_options refuses a window for lacking 0 or 1 exactly when [lo, hi) misses 0 or 1."""
    for lo in range(-6, 7):
        for hi in range(lo + 2, lo + 10):
            try:
                check_options(lo, hi - lo, memory=1, stack=1)
                refused = False
            except ValueError as err:
                refused = "must contain 0 and 1" in str(err)
            assert refused == (not lo <= 0 < 1 < hi), (lo, hi)


SEVERAL_PHASES = """def helper(a: list[int]) -> int:
    return a[0]

def f(x: int, xs: list[int]) -> int:
    d = {}
    d[1] = 2
    y = foo(x)
    z = y + 1
    z[0] = 3
    w = xs - 1
    try:
        x += 1
    except ValueError:
        pass
    s = g(k=x)
    return helper(xs) + s + r(x) + LIMIT

def g(k: int) -> int:
    return k

def r(n: int) -> int:
    return r(n - 1)
"""


def test_problems_of_every_phase_are_reported_once():
    """A rejected construct no longer hides the kind and recursion problems of the same function;
    what it explains (d[1] on the rejected dict, z[0] on a value computed from an unknown call, the
    arity of a call with keyword arguments) is not reported a second time."""
    with pytest.raises(CompileError) as info:
        nclib.compile(SEVERAL_PHASES, entry="f")
    found = [(p.line, p.construct) for p in info.value.problems]
    assert found == [
        (5, "dict literal"),
        (7, "call of unknown function foo"),
        (10, "arithmetic on a list"),
        (11, "try statement"),
        (15, "keyword arguments `k=x`"),
        (16, "global name LIMIT"),
        (21, "recursion without a base case in r"),
    ], found
    assert [p.line for p in info.value.problems] == sorted(p.line for p in info.value.problems)


def test_a_statement_left_out_does_not_fake_a_missing_base_case():
    source = "def f(n: int) -> int:\n    if n < 1.5:\n        return 0\n    return f(n - 1)\n"
    with pytest.raises(CompileError) as info:
        nclib.compile(source, entry="f")
    assert [p.construct for p in info.value.problems] == ["float literal 1.5"]

"""A name that can hold None behaves as in Python wherever it is read: used as a number it stops with
Python's TypeError (a RoutineError), it is falsy, and == / != compare None with None as equal and
None with a number as unequal. Never a silent value where Python raises or answers otherwise."""

import pytest

import nclib
from nclib.errors import RoutineError

CASES = {
    "running best": "def f(n: int) -> int:\n    best = None\n    for i in range(n):\n        if best is None or i > best:\n"
                    "            best = i\n    return best + 1 if n > 0 else 0\n",
    "arithmetic": "def f(n: int) -> int:\n    x = None\n    if n > 3:\n        x = n\n    return x + 1\n",
    "truth": "def f(n: int) -> int:\n    x = 5\n    x = None\n    if n > 3:\n        x = n\n    if x:\n        return 1\n    return 2\n",
    "equality": "def f(n: int) -> int:\n    x = None\n    if n > 3:\n        x = 0\n    y = None\n    if n > 5:\n        y = 0\n"
                "    return (1 if x == y else 0) + (2 if x != 0 else 0)\n",
    "order": "def f(n: int) -> int:\n    x = None\n    if n > 3:\n        x = n\n    return 1 if x < 5 else 0\n",
    "argument": "def g(a: int) -> int:\n    return a * 2\n\ndef f(n: int) -> int:\n    x = None\n    if n > 3:\n        x = n\n"
                "    return g(x)\n",
    "augmented": "def f(n: int) -> int:\n    x = None\n    if n > 3:\n        x = n\n    x += 1\n    return x\n",
    "index": "def f(n: int) -> int:\n    a = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n    i = None\n    if n > 3:\n        i = n\n    return a[i]\n",
}


def outcome(call, n):
    try:
        return "value", call(n)
    except TypeError:
        return ("TypeError",)
    except RoutineError as err:
        return ("TypeError",) if "TypeError" in str(err) else ("error", str(err))


@pytest.mark.parametrize("name", sorted(CASES))
def test_none_behaves_as_in_python(name):
    namespace = {}
    exec(CASES[name], namespace)
    program = nclib.compile(CASES[name], "f", values=(-64, 64))
    assert [outcome(program, n) for n in range(9)] == [outcome(namespace["f"], n) for n in range(9)]

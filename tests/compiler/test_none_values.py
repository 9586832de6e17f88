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


POWER = ("def power(a: int, n: int, mod=None) -> int:\n    r = 1\n    for _ in range(n):\n        r = r * a\n"
         "        if mod is not None:\n            r = r % mod\n    return r\n")
APPEND = ("def f(a: int, acc=None) -> list:\n    out = []\n    if acc is not None:\n        for x in acc:\n"
          "            out.append(x)\n    out.append(a)\n    return out\n")


def python_function(source, name):
    space = {}
    exec(source, space)
    return space[name]


def test_none_default_parameter_is_kept_in_the_signature():
    prog = nclib.compile(POWER, values=(-64, 2048))
    assert prog.params == ["a", "n", "mod"]
    power = python_function(POWER, "power")
    for args in [(2, 10), (2, 10, 7), (2, 10, None), (3, 5, 11), (5, 0, 3)]:
        assert prog(*args) == power(*args), args


def test_none_default_list_parameter():
    prog = nclib.compile(APPEND)
    f = python_function(APPEND, "f")
    for args in [(3,), (3, None), (3, [1, 2])]:
        assert prog(*args) == f(*[list(x) if isinstance(x, list) else x for x in args]), args


def test_none_default_in_batches():
    prog = nclib.compile(POWER, values=(-64, 2048))
    assert prog.decode(prog.execute(*prog.encode([(2, 10, 7), (3, 4, 5)]))) == [2**10 % 7, 3**4 % 5]
    assert prog.decode(prog.execute(*prog.encode([(2, 10), (3, 4, None)]))) == [1024, 81]
    a, n = prog.encode([(2, 10), (3, 4)])[:2]
    assert prog.decode(prog.execute(a, n)) == [1024, 81]
    assert prog.decode(prog.execute(*prog.encode([(2, 5, 7)], "soft"),
                                    mode="soft")) == [32 % 7]
    assert prog.decode(prog.execute(*prog.encode([(2, 5)], "soft"), mode="soft")) == [32]
    with pytest.raises(nclib.errors.ArgumentError, match="argument mod of power is None in some calls"):
        prog.encode([(2, 10, 7), (3, 4)])


def test_int_default_parameter_may_be_omitted():
    prog = nclib.compile("def f(a: int, k=3) -> int:\n    return a + k\n")
    assert prog.params == ["a", "k"]
    assert (prog(2), prog(2, 5)) == (5, 7)
    assert prog.decode(prog.execute(*prog.encode([(2,), (2, 5)]))) == [5, 7]


def test_cli_run_fills_defaults(tmp_path, capsys):
    from nclib.cli import main

    source = tmp_path / "power.py"
    source.write_text(POWER)
    for args, expected in [(["2", "10", "7"], 2), (["2", "10"], 1024), (["2", "10", "None"], 1024)]:
        main(["run", f"{source}:power", *args, "--values", "-64", "2048"])
        assert capsys.readouterr().out.split() == [str(expected)], args

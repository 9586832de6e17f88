"""Bad arguments to the Program API fail at once with one line naming the argument and the value:
compile options, call keywords, ints beyond the window (and beyond int64), execute options, a
result decoded as another mode, and soft inputs that are not probability distributions."""

from __future__ import annotations

import pytest
import torch

import nclib
from nclib.errors import ArgumentError, NclibError, ValueRangeError

pytestmark = pytest.mark.usefixtures("one_thread")

ADD = "def add(a: int, b: int) -> int:\n    return a + b\n"
FIRST = "def first(xs: list[int], k: int) -> int:\n    return xs[0] + k\n"


@pytest.fixture(scope="module")
def add():
    return nclib.compile(ADD, values=(0, 16))


@pytest.fixture(scope="module")
def first():
    return nclib.compile(FIRST, values=(0, 16), memory=8)


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert isinstance(err.value, NclibError)
    assert "\n" not in text, text
    return text


def onehot(values, V: int = 16) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.as_tensor(values), V).float()


@pytest.mark.parametrize("options,named", [
    ({"values": (0.5, 16)}, "values=(0.5, 16)"),
    ({"values": (0, 16, 32)}, "values=(0, 16, 32)"),
    ({"values": "0-16"}, "values='0-16'"),
    ({"values": (True, 16)}, "values=(True, 16)"),
    ({"values": (16, 0)}, "values=(16, 0)"),
    ({"values": (0, 2 ** 70)}, f"values=(0, {2 ** 70})"),
    ({"values": (-2 ** 63, 0)}, f"values=({-2 ** 63}, 0)"),
    ({"memory": 1.5}, "memory=1.5"),
    ({"memory": 0}, "memory=0"),
    ({"memory": True}, "memory=True"),
    ({"stack": 0}, "stack=0"),
    ({"stack": "16"}, "stack='16'"),
    ({"entry": 3}, "entry=3"),
], ids=lambda x: repr(x) if isinstance(x, dict) else "")
def test_compile_options_are_checked(options, named):
    with pytest.raises(ArgumentError) as err:
        nclib.compile(ADD, **options)
    assert named in one_line(err)
    assert isinstance(err.value, ValueError) and isinstance(err.value, TypeError)


def test_memory_float_fails_at_compile_not_later():
    """memory=1.5 used to compile and fail at the first run."""
    with pytest.raises(ArgumentError, match=r"memory=1\.5 must be an int"):
        nclib.compile(FIRST, values=(0, 16), memory=1.5)


def test_unknown_call_keyword_is_named(add):
    with pytest.raises(ArgumentError) as err:
        add(1, 2, max_step=5)
    assert "max_step=5" in one_line(err) and "did you mean max_steps" in str(err.value)
    with pytest.raises(ArgumentError) as err:
        add(1, 2, mode="soft")
    assert "mode='soft'" in one_line(err) and "execute" in str(err.value)
    with pytest.raises(ArgumentError, match="verbose=True"):
        add(1, 2, verbose=True)


@pytest.mark.parametrize("max_steps", [0, -1, 1.5, True, "10"])
def test_max_steps_must_be_a_positive_int(add, max_steps):
    """max_steps=0 used to mean the default silently."""
    with pytest.raises(ArgumentError) as err:
        add(1, 2, max_steps=max_steps)
    assert f"max_steps={max_steps!r}" in one_line(err)
    with pytest.raises(ArgumentError, match="max_steps="):
        add.execute(torch.tensor([1]), torch.tensor([2]), max_steps=max_steps)
    assert add(1, 2, max_steps=10) == 3


@pytest.mark.parametrize("value", [2 ** 63, 2 ** 70, -2 ** 64, 16, -1])
def test_ints_outside_the_window_and_int64_are_named(add, first, value):
    for call in (lambda: add(value, 1), lambda: first([1, value, 2], 0), lambda: add.encode([(1, value)], "soft"),
                 lambda: add.encode([(value, 1)], "hard")):
        with pytest.raises(ValueRangeError) as err:
            call()
        assert f"value {value} is outside the value window [0, 16)" in one_line(err)


def test_execute_options_are_checked(add):
    a, b = onehot([1]), onehot([2])
    for kw, named in (({"eps": 2}, "eps=2"), ({"eps": -0.1}, "eps=-0.1"), ({"prune": 1.0}, "prune=1.0"),
                      ({"segment": 0}, "segment=0"), ({"top_k": 0}, "top_k=0"), ({"mode": "fast"}, "'fast'")):
        with pytest.raises(ArgumentError) as err:
            add.execute(a, b, **{"mode": "soft", **kw})
        assert named in one_line(err)


def test_decode_refuses_a_result_of_another_mode(add):
    hard = add.execute(torch.tensor([1, 5]), torch.tensor([2, 6]))
    soft = add.execute(onehot([1, 5]), onehot([2, 6]), mode="soft")
    worlds = add.execute(onehot([1, 5]), onehot([2, 6]), mode="worlds")
    assert add.decode(hard) == add.decode(hard, "hard") == [3, 11]
    assert add.decode(soft) == add.decode(soft, "soft") == [3, 11]
    assert add.decode(worlds) == add.decode(worlds, "soft") == [3, 11]
    with pytest.raises(ArgumentError) as err:
        add.decode(hard, "soft")  # used to return garbage
    assert "hard-mode result" in one_line(err)
    with pytest.raises(ArgumentError, match="soft-mode result"):
        add.decode(soft, "hard")
    with pytest.raises(ArgumentError, match="mode must be one of"):
        add.decode(soft, "fuzzy")
    with pytest.raises(ArgumentError, match="takes the ExecResult"):
        add.decode([3, 11])


def bad_rows():
    nan = onehot([3]).clone()
    nan[0, 5] = float("nan")
    return [("nan", nan, "NaN"), ("all-zero", torch.zeros(1, 16), "does not sum to 1"),
            ("negative", onehot([3]) * 1.5 - onehot([4]) * 0.5, "negative"), ("sum 2", onehot([3]) + onehot([4]), "sum 2"),
            ("inf", onehot([3]) * float("inf"), "NaN or inf")]


@pytest.mark.parametrize("label,row,says", bad_rows(), ids=[r[0] for r in bad_rows()])
def test_soft_inputs_must_be_distributions(add, label, row, says):
    """(Worlds mode checks its inputs itself and accepts mass below 1, reported as `covered`.)"""
    with pytest.raises(ArgumentError) as err:
        add.execute(onehot([1]), row, mode="soft")
    text = one_line(err)
    assert "argument b" in text and "not a probability distribution" in text and says in text


def test_list_distributions_are_checked_inside_the_length_only(first):
    cells = onehot([[3, 4, 0]])  # [1, 3, 16]
    cells[0, 2] = 0  # padding past the length may be anything
    assert first.decode(first.execute((cells, torch.tensor([2])), onehot([1]), mode="soft")) == [4]
    with pytest.raises(ArgumentError) as err:
        first.execute((cells, torch.tensor([3])), onehot([1]), mode="soft")
    assert "argument xs" in one_line(err) and "row [0, 2]" in str(err.value)


def test_rounded_distributions_are_accepted(add):
    """Softmax outputs, and rows a rounding error away from summing to 1, are distributions; a row
    a hundredth off is not."""
    torch.manual_seed(0)
    a = torch.softmax(torch.randn(3, 16), -1)
    res = add.execute(a, onehot([0, 0, 0]), mode="soft")
    torch.testing.assert_close(res.value, a)
    assert add.execute(a * (1 + 5e-4), onehot([0, 0, 0]), mode="soft").value.shape == (3, 16)
    with pytest.raises(ArgumentError, match=r"row \[0\].*sum 1\.01"):
        add.execute(a * 1.01, onehot([0, 0, 0]), mode="soft")

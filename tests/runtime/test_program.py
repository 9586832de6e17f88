"""Program.__call__/execute: Python semantics, clear errors for bad input, faults naming lines."""

import pytest
import torch

import nclib
from nclib import MachineFault, StepLimitError, ValueRangeError

SOURCE = '''
def first(a: list[int]) -> int:
    return a[0]

def at(a: list[int], i: int) -> int:
    return a[i]

def grow(n: int) -> int:
    total = 0
    for i in range(n):
        total += 100
    return total

def deep(n: int) -> int:
    if n == 0:
        return 0
    return 1 + deep(n - 1)

def div(a: int, b: int) -> int:
    return a // b

def forever(n: int) -> int:
    while True:
        n += 0
    return n

def maybe(n: int) -> int:
    if n > 3:
        return n

def fill(n: int) -> list[int]:
    return [7] * n

def sort_in_place(a: list[int]) -> None:
    for i in range(len(a)):
        for j in range(len(a) - 1 - i):
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]
'''


def prog(entry, **options):
    return nclib.compile(SOURCE, entry=entry, **{"values": (0, 256), "memory": 32, "stack": 8, **options})


def test_in_place_mutation_like_python():
    data = [4, 1, 3]
    assert prog("sort_in_place")(data) is None
    assert data == [1, 3, 4]


def test_returns_new_list():
    assert prog("fill")(3) == [7, 7, 7]
    assert prog("fill")(0) == []


@pytest.mark.parametrize("entry,args,error,text", [
    ("first", [[]], MachineFault, "list index out of range"),
    ("at", [[1, 2], 5], MachineFault, "line 6"),
    ("grow", [3], ValueRangeError, "result 300 is outside the value window"),
    ("deep", [20], MachineFault, "call stack overflow"),
    ("div", [3, 0], MachineFault, "division or modulo by zero"),
    ("maybe", [1], MachineFault, "ended without returning"),
    ("fill", [40], MachineFault, "out of memory"),
], ids=["index-empty", "index-past-end", "overflow", "stack", "div-zero", "no-return", "memory"])
def test_faults_name_the_source_line(entry, args, error, text):
    with pytest.raises(error, match=text) as info:
        prog(entry)(*args)
    assert "line" in str(info.value)


def test_step_limit():
    with pytest.raises(StepLimitError, match="max_steps"):
        prog("forever")(1, max_steps=100)


@pytest.mark.parametrize("args,error,text", [
    (["x"], TypeError, "must be a list of ints"),
    ([[1, "a"]], TypeError, "must be a list of ints"),
    ([[1, 300]], ValueRangeError, "value 300 is outside the value window"),
    ([[1, -1]], ValueRangeError, "value -1"),
    ([[1], [2]], TypeError, "takes 1 arguments"),
])
def test_bad_python_arguments(args, error, text):
    with pytest.raises(error, match=text):
        prog("first")(*args)


def test_bad_tensor_arguments():
    p = prog("at")
    values = torch.tensor([[1, 2, 3]])
    with pytest.raises(ValueError, match="lengths must be"):
        p.execute((values, torch.tensor([4])), torch.tensor([0]))
    with pytest.raises(ValueError, match="different batch sizes"):
        p.execute((values, torch.tensor([3])), torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="integer tensors"):
        p.execute((values.float(), torch.tensor([3])), torch.tensor([0]))
    with pytest.raises(ValueError, match="last dimension must be V=256"):
        p.execute((torch.rand(1, 3, 10), torch.tensor([3])), torch.rand(1, 256), mode="soft")
    with pytest.raises(ValueError, match="mode must be"):
        p.execute((values, torch.tensor([3])), torch.tensor([0]), mode="fast")
    with pytest.raises(ValueError, match="need 41 memory cells"):
        p.execute((torch.zeros(1, 40, dtype=torch.long), torch.tensor([3])), torch.tensor([0]))


def test_padding_beyond_length_is_ignored():
    p = prog("first")
    res = p.execute((torch.tensor([[9, 999], [5, 7]]), torch.tensor([1, 2])))
    assert res.value.tolist() == [9, 5]


def test_batched_elements_fault_independently():
    p = prog("at")
    res = p.execute((torch.tensor([[1, 2], [3, 4]]), torch.tensor([2, 2])), torch.tensor([1, 7]))
    assert res.value[0] == 2 and res.fault[0] == 0
    assert res.fault[1] != 0 and res.halted[1] == 1


def test_signed_window():
    p = nclib.compile("def f(a: int, b: int) -> int:\n    return (a - b) * 2 + abs(a) - max(a, b) // 3 + -a % 5\n", values=(-128, 128))
    for a in range(-20, 21, 7):
        for b in range(-20, 21, 9):
            assert p(a, b) == (a - b) * 2 + abs(a) - max(a, b) // 3 + -a % 5


def test_runs_on_the_device_of_its_inputs():
    p = prog("at")
    res = p.execute((torch.tensor([[1, 2]]), torch.tensor([2])), torch.tensor([1]))
    assert res.value.device == torch.device("cpu")

import pytest
import torch
from kernel_testing import DEVICE, DTYPES, check_op, dtype_id

import nclib.kernels as nk
from nclib.kernels.alu import naive
from nclib.kernels.alu.triton_circular import DistCircularFunction
from nclib.kernels.alu.triton_compare import OPS, DistCompareFunction
from nclib.kernels.alu.triton_table import DistBinaryTableFunction

SHAPES = [(1, 1, 100), (2, 3, 63), (1, 7)]
LOS = [0, -40, 3]


def _dist(shape, dtype):
    return torch.softmax(torch.randn(*shape, device=DEVICE), -1).to(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("lo", LOS, ids=lambda lo: f"lo{lo}")
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: str(s))
@pytest.mark.parametrize("op", ["dist_add", "dist_sub"])
def test_add_sub_match_reference(op, shape, lo, dtype):
    torch.manual_seed(0)
    check_op(getattr(nk, op), getattr(naive, op), [_dist(shape, dtype), _dist(shape, dtype)], dtype,
             extra=(lo,), names=["a", "b"])


def test_add_broadcast_and_large_batch():
    torch.manual_seed(1)
    a, b = _dist((257, 1, 63), torch.float32), _dist((1, 3, 63), torch.float32)
    check_op(nk.dist_add, naive.dist_add, [a, b], torch.float32, extra=(-5,), names=["a", "b"])


def test_add_one_hot_is_exact_wrapping_sum():
    V, lo = 10, -3
    a = torch.nn.functional.one_hot(torch.tensor([4]), V).float().to(DEVICE)  # value 1
    b = torch.nn.functional.one_hot(torch.tensor([9]), V).float().to(DEVICE)  # value 6
    assert nk.dist_add(a, b, lo).argmax().item() == (1 + 6 - lo) % V  # 7 wraps to -3: index 0
    assert nk.dist_sub(a, b, lo).argmax().item() == (1 - 6 - lo) % V  # -5 wraps to 5: index 8


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("lo", [0, -40], ids=lambda lo: f"lo{lo}")
@pytest.mark.parametrize("op", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_compare_matches_reference(op, lo, dtype):
    torch.manual_seed(0)
    a, b = _dist((2, 3, 100), dtype), torch.rand(2, 3, 100, device=DEVICE).to(dtype)
    check_op(nk.dist_compare, naive.dist_compare, [a, b], dtype, extra=(op, lo), names=["a", "b"])


def test_compare_large_batch():
    torch.manual_seed(1)
    a, b = _dist((257, 1, 7), torch.float32), _dist((257, 1, 7), torch.float32)
    check_op(nk.dist_compare, naive.dist_compare, [a, b], torch.float32, extra=("lt", 0), names=["a", "b"])


def _tables(V):
    i = torch.arange(V)
    return {
        "mul": (i[:, None] * i[None, :]) % V,
        "mod": i[:, None] % i[None, :].clamp(min=1),
        "random": torch.randint(0, V, (V, V), generator=torch.Generator().manual_seed(0)),
    }


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("table", ["mul", "mod", "random"])
@pytest.mark.parametrize("shape", [(2, 3, 63), (1, 7)], ids=lambda s: str(s))
def test_binary_table_matches_reference(shape, table, dtype):
    torch.manual_seed(0)
    t = _tables(shape[-1])[table].to(DEVICE)
    check_op(nk.dist_binary_table, naive.dist_binary_table, [_dist(shape, dtype), _dist(shape, dtype)], dtype,
             extra=(t,), names=["a", "b"])


def test_binary_table_large_batch():
    torch.manual_seed(1)
    t = _tables(7)["mul"].to(DEVICE)
    a, b = _dist((257, 1, 7), torch.float32), _dist((257, 1, 7), torch.float32)
    check_op(nk.dist_binary_table, naive.dist_binary_table, [a, b], torch.float32, extra=(t,), names=["a", "b"])


def test_alu_gradcheck():
    def a_b(V=5):
        return [torch.rand(2, V, dtype=torch.float64, device=DEVICE, requires_grad=True) for _ in range(2)]

    for op in ("add", "sub"):
        for lo in (0, -2, 3):
            assert torch.autograd.gradcheck(lambda a, b: DistCircularFunction.apply(a, b, op, lo), a_b())
    for code in OPS.values():
        assert torch.autograd.gradcheck(lambda a, b: DistCompareFunction.apply(a, b, code, -1), a_b())
    t = _tables(5)["mul"].to(DEVICE)
    assert torch.autograd.gradcheck(lambda a, b: DistBinaryTableFunction.apply(a, b, t), a_b())


def test_alu_rejects_bad_input():
    a = _dist((2, 7), torch.float32)
    with pytest.raises(ValueError, match="last"):
        nk.dist_add(a, _dist((2, 8), torch.float32), 0)
    with pytest.raises(ValueError, match="op must be"):
        nk.dist_compare(a, a, "<", 0)
    with pytest.raises(ValueError, match="contain 0 and 1"):
        nk.dist_compare(a, a, "lt", 1)
    with pytest.raises(ValueError, match=r"\[7, 7\]"):
        nk.dist_binary_table(a, a, torch.zeros(6, 6, dtype=torch.long, device=DEVICE))
    with pytest.raises(ValueError, match="max 7"):
        nk.dist_binary_table(a, a, torch.full((7, 7), 7, dtype=torch.long, device=DEVICE))

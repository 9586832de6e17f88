import pytest
import torch
from kernel_testing import DEVICE, DTYPES, check_op, dtype_id

import nclib.kernels as nk
from nclib.kernels.soft_read.naive import soft_read_naive
from nclib.kernels.soft_read.triton_soft_read import SoftReadFunction

SHAPES = [(1, 1, 63, 100), (3, 3, 63, 100), (2, 17, 33, 130)]


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("B,N,A,V", SHAPES, ids=lambda s: str(s))
def test_soft_read_matches_reference(B, N, A, V, dtype):
    torch.manual_seed(0)
    w = torch.softmax(torch.randn(B, N, A, device=DEVICE), -1).to(dtype)
    m = torch.randn(B, A, V, device=DEVICE).to(dtype)
    check_op(nk.soft_read, soft_read_naive, [w, m], dtype, names=["weights", "memory"])


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
def test_soft_read_single_read(dtype):
    torch.manual_seed(1)
    w = torch.softmax(torch.randn(3, 63, device=DEVICE), -1).to(dtype)
    m = torch.randn(3, 63, 100, device=DEVICE).to(dtype)
    check_op(nk.soft_read, soft_read_naive, [w, m], dtype, names=["weights", "memory"])


def test_soft_read_large_batch_float32():
    torch.manual_seed(3)
    w = torch.softmax(torch.randn(257, 1, 5, device=DEVICE), -1)
    m = torch.randn(257, 5, 7, device=DEVICE)
    check_op(nk.soft_read, soft_read_naive, [w, m], torch.float32, names=["weights", "memory"])


def test_soft_read_gradcheck():
    w = torch.rand(1, 2, 3, dtype=torch.float64, device=DEVICE, requires_grad=True)
    m = torch.randn(1, 3, 4, dtype=torch.float64, device=DEVICE, requires_grad=True)
    assert torch.autograd.gradcheck(SoftReadFunction.apply, (w, m))


def test_soft_read_rejects_bad_input():
    m = torch.randn(2, 5, 7, device=DEVICE)
    with pytest.raises(ValueError, match=r"\(2, 3, 6\)"):
        nk.soft_read(torch.rand(2, 3, 6, device=DEVICE), m)
    with pytest.raises(ValueError, match="memory must have shape"):
        nk.soft_read(torch.rand(2, 3, 5, device=DEVICE), m[0])
    with pytest.raises(ValueError, match="float16"):
        nk.soft_read(torch.rand(2, 3, 5, device=DEVICE).half(), m.half())
    with pytest.raises(ValueError, match="dtype"):
        nk.soft_read(torch.rand(2, 3, 5, device=DEVICE, dtype=torch.float64), m)

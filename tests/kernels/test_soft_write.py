import pytest
import torch
from kernel_testing import DEVICE, DTYPES, assert_close, check_op, dtype_id

import nclib.kernels as nk
from nclib.kernels.soft_write.naive import soft_write_naive
from nclib.kernels.soft_write.triton_soft_write import SoftWriteFunction

SHAPES = [(1, 1, 63, 100), (3, 3, 63, 100), (2, 40, 33, 130)]


def _inputs(B, N, A, V, dtype, single=False):
    m = torch.randn(B, A, V, device=DEVICE).to(dtype)
    w = (torch.softmax(torch.randn(B, N, A, device=DEVICE), -1) / N).to(dtype)
    x = torch.randn(B, N, V, device=DEVICE).to(dtype)
    if single:
        w, x = w[:, 0], x[:, 0]
    return m, w, x


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("B,N,A,V", SHAPES, ids=lambda s: str(s))
def test_soft_write_matches_reference(B, N, A, V, dtype):
    torch.manual_seed(0)
    check_op(nk.soft_write, soft_write_naive, list(_inputs(B, N, A, V, dtype)), dtype,
             names=["memory", "weights", "values"])


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
def test_soft_write_single_write(dtype):
    torch.manual_seed(1)
    check_op(nk.soft_write, soft_write_naive, list(_inputs(3, 1, 63, 100, dtype, single=True)), dtype,
             names=["memory", "weights", "values"])


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("single", [False, True], ids=["N=3", "single"])
def test_soft_write_in_place(dtype, single):
    torch.manual_seed(2)
    m, w, x = _inputs(3, 3, 63, 100, dtype, single)
    ref = soft_write_naive(m.double(), w.double(), x.double())
    out = nk.soft_write_(m, w, x)
    assert out.data_ptr() == m.data_ptr()
    assert_close("memory", m, ref, dtype)


def test_soft_write_large_batch_float32():
    # B = 257 only in float32: the interpreter runs one program per batch element and is slow.
    torch.manual_seed(3)
    check_op(nk.soft_write, soft_write_naive, list(_inputs(257, 1, 5, 7, torch.float32)), torch.float32,
             names=["memory", "weights", "values"])


def test_soft_write_one_hot_is_exact_overwrite():
    m = torch.randn(2, 5, 7, device=DEVICE)
    w = torch.zeros(2, 5, device=DEVICE)
    w[:, 3] = 1
    x = torch.randn(2, 7, device=DEVICE)
    out = nk.soft_write(m, w, x)
    assert torch.equal(out[:, 3], x)
    assert torch.equal(out[:, [0, 1, 2, 4]], m[:, [0, 1, 2, 4]])


def test_soft_write_gradcheck():
    m = torch.randn(1, 3, 4, dtype=torch.float64, device=DEVICE, requires_grad=True)
    w = torch.rand(1, 2, 3, dtype=torch.float64, device=DEVICE, requires_grad=True)
    x = torch.randn(1, 2, 4, dtype=torch.float64, device=DEVICE, requires_grad=True)
    assert torch.autograd.gradcheck(SoftWriteFunction.apply, (m, w, x))


def test_soft_write_rejects_bad_input():
    m, w, x = _inputs(2, 3, 5, 7, torch.float32)
    with pytest.raises(ValueError, match=r"values \(2, 3, 8\)"):
        nk.soft_write(m, w, torch.randn(2, 3, 8, device=DEVICE))
    with pytest.raises(ValueError, match="values must have shape"):
        nk.soft_write(m, w, x[:, 0])
    with pytest.raises(ValueError, match="contiguous"):
        nk.soft_write_(m.transpose(1, 2).contiguous().transpose(1, 2), w, x)

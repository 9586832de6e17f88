import pytest
import torch
from kernel_testing import DEVICE, DTYPES, check_op, dtype_id

import nclib.kernels as nk
from nclib.kernels.stack.naive import stack_pop_naive, stack_push_naive
from nclib.kernels.stack.triton_stack import StackPopFunction, StackPushFunction

SHAPES = [(1, 1, 100), (3, 5, 100), (2, 16, 300)]


def _inputs(B, K_, F, dtype):
    stack = torch.randn(B, K_, F, device=DEVICE).to(dtype)
    sp = torch.softmax(torch.randn(B, K_ + 1, device=DEVICE), -1).to(dtype)
    frame = torch.randn(B, F, device=DEVICE).to(dtype)
    gate = torch.rand(B, device=DEVICE).to(dtype)
    return stack, sp, frame, gate


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("B,K,F", SHAPES, ids=lambda s: str(s))
def test_stack_push_matches_reference(B, K, F, dtype):
    torch.manual_seed(0)
    check_op(nk.stack_push, stack_push_naive, list(_inputs(B, K, F, dtype)), dtype,
             names=["stack", "sp", "frame", "gate"])


@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_id)
@pytest.mark.parametrize("B,K,F", SHAPES, ids=lambda s: str(s))
def test_stack_pop_matches_reference(B, K, F, dtype):
    torch.manual_seed(0)
    stack, sp, _, gate = _inputs(B, K, F, dtype)
    check_op(nk.stack_pop, stack_pop_naive, [stack, sp, gate], dtype, names=["stack", "sp", "gate"])



def test_stack_large_batch_float32():
    torch.manual_seed(3)
    stack, sp, frame, gate = _inputs(257, 4, 7, torch.float32)
    check_op(nk.stack_push, stack_push_naive, [stack, sp, frame, gate], torch.float32,
             names=["stack", "sp", "frame", "gate"])
    check_op(nk.stack_pop, stack_pop_naive, [stack, sp, gate], torch.float32, names=["stack", "sp", "gate"])


def test_push_then_pop_one_hot_round_trip():
    stack = torch.zeros(2, 4, 6, device=DEVICE)
    sp = torch.zeros(2, 5, device=DEVICE)
    sp[:, 1] = 1
    frame = torch.randn(2, 6, device=DEVICE)
    gate = torch.ones(2, device=DEVICE)
    stack, sp2 = nk.stack_push(stack, sp, frame, gate)
    assert torch.equal(sp2[:, 2], torch.ones(2, device=DEVICE))
    popped, sp3 = nk.stack_pop(stack, sp2, gate)
    assert torch.equal(popped, frame)
    assert torch.equal(sp3, sp)


def test_stack_gradcheck():
    B, K_, F = 1, 2, 3
    stack = torch.randn(B, K_, F, dtype=torch.float64, device=DEVICE, requires_grad=True)
    sp = torch.rand(B, K_ + 1, dtype=torch.float64, device=DEVICE, requires_grad=True)
    frame = torch.randn(B, F, dtype=torch.float64, device=DEVICE, requires_grad=True)
    gate = torch.rand(B, dtype=torch.float64, device=DEVICE, requires_grad=True)
    assert torch.autograd.gradcheck(StackPushFunction.apply, (stack, sp, frame, gate))
    assert torch.autograd.gradcheck(StackPopFunction.apply, (stack, sp, gate))


def test_stack_rejects_bad_input():
    stack, sp, frame, gate = _inputs(2, 3, 5, torch.float32)
    with pytest.raises(ValueError, match=r"sp \(2, 3\)"):
        nk.stack_push(stack, sp[:, :3], frame, gate)
    with pytest.raises(ValueError, match="gate must have shape"):
        nk.stack_pop(stack, sp, gate[:, None])

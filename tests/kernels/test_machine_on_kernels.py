"""The soft machine on the Triton kernels (forced; the interpreter on CPU) equals the machine on
the PyTorch references: forward values and input gradients of a whole execution."""

import pytest
import torch

import nclib
import nclib.kernels
from kernel_testing import DEVICE

pytestmark = pytest.mark.slow  # slow: the second lane of scripts/test.sh

SOURCE = '''
def scaled_sum(xs: list[int], k: int) -> int:
    total = 0
    for x in xs:
        if x < k:
            total += x * 2
        else:
            total += x - k
    return total

def swap_pass(a: list[int]) -> list[int]:
    for j in range(len(a) - 1):
        if a[j] > a[j + 1]:
            a[j], a[j + 1] = a[j + 1], a[j]
    return a
'''


def run(prog, backend, inputs):
    nclib.kernels.set_backend(backend)
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    if prog.name == "scaled_sum":
        res = prog.execute((leaves[0], torch.tensor([3, 2], device=DEVICE)), leaves[1], mode="soft", max_steps=40, eps=0.0)
    else:
        res = prog.execute((leaves[0], torch.tensor([3, 3], device=DEVICE)), mode="soft", max_steps=40, eps=0.0)
    weights = torch.linspace(-1, 1, res.value.numel(), device=DEVICE).view_as(res.value)
    (res.value * weights).sum().backward()
    return res.value.detach(), [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("entry", ["scaled_sum", "swap_pass"])
def test_machine_matches_reference(entry):
    torch.manual_seed(0)
    prog = nclib.compile(SOURCE, entry=entry, values=(0, 24), memory=6)
    V = prog.V
    xs = torch.softmax(torch.randn(2, 3, V) * 3, -1).to(DEVICE)
    inputs = [xs] + ([torch.softmax(torch.randn(2, V) * 3, -1).to(DEVICE)] if entry == "scaled_sum" else [])
    value_ref, grads_ref = run(prog, "naive", inputs)
    value_tri, grads_tri = run(prog, "triton", inputs)
    torch.testing.assert_close(value_tri, value_ref, rtol=1e-4, atol=1e-5)
    for g_tri, g_ref in zip(grads_tri, grads_ref):
        torch.testing.assert_close(g_tri, g_ref, rtol=1e-3, atol=1e-4)

"""Soft mode is differentiable: float64 gradcheck on small programs, gradients reach every input
distribution, and checkpointing changes memory, not gradients."""

import pytest
import torch

import nclib

SMALL = '''
def add3(a: int, b: int) -> int:
    return a + b + 1

def pick_max(a: int, b: int) -> int:
    if a < b:
        return b
    return a

def count_below(xs: list[int], t: int) -> int:
    c = 0
    for x in xs:
        if x < t:
            c += 1
    return c

def rsum(n: int) -> int:
    if n == 0:
        return 0
    return n + rsum(n - 1)
'''


def smooth(values: torch.Tensor, V: int, lo: int = 0, mass: float = 0.8) -> torch.Tensor:
    """A distribution peaked at each value with the rest spread uniformly (not one-hot, so every
    entry carries gradient)."""
    one_hot = torch.nn.functional.one_hot(values - lo, V).double()
    return mass * one_hot + (1 - mass) / V


@pytest.mark.parametrize("entry,args,steps", [
    ("add3", lambda V: (smooth(torch.tensor([1, 2]), V), smooth(torch.tensor([3, 0]), V)), 8),
    ("pick_max", lambda V: (smooth(torch.tensor([1, 4]), V), smooth(torch.tensor([3, 2]), V)), 10),
    ("count_below", lambda V: ((smooth(torch.tensor([[1, 5]]), V), torch.tensor([2])), smooth(torch.tensor([3]), V)), 30),
    ("rsum", lambda V: (smooth(torch.tensor([2]), V),), 24),
], ids=["add", "branch", "list-loop", "recursion"])
def test_gradcheck_float64(entry, args, steps):
    prog = nclib.compile(SMALL, entry=entry, values=(0, 8), memory=4, stack=4)
    inputs = args(prog.V)
    leaves = [x[0] if isinstance(x, tuple) else x for x in inputs]
    for leaf in leaves:
        leaf.requires_grad_(True)

    def run(*xs):
        it = iter(xs)
        call = [(next(it), x[1]) if isinstance(x, tuple) else next(it) for x in inputs]
        return prog.execute(*call, mode="soft", max_steps=steps, eps=0.0).value

    assert torch.autograd.gradcheck(run, leaves, eps=1e-6, atol=1e-5)


def test_gradients_reach_every_input_distribution():
    lib = nclib.stdlib(values=(0, 16), memory=12)
    prog = lib["insertion_sort"]
    values = torch.tensor([[5, 2, 9, 1], [3, 3, 0, 7]])
    x = smooth(values, prog.V, mass=0.9).requires_grad_(True)
    # Non-one-hot inputs spread the instruction pointer, so the run is bounded by max_steps
    # (twice what the hard machine needs) rather than by halting.
    hard_steps = int(prog.execute((values, torch.tensor([4, 4]))).steps.max())
    res = prog.execute((x, torch.tensor([4, 4])), mode="soft", max_steps=2 * hard_steps)
    weights = torch.randn_like(res.value)
    (res.value * weights).sum().backward()
    per_element = x.grad.abs().sum(-1)  # [B, L]
    assert (per_element > 0).all(), per_element

    prog = lib["gcd"]
    a = smooth(torch.tensor([12, 9]), prog.V).requires_grad_(True)
    b = smooth(torch.tensor([8, 6]), prog.V).requires_grad_(True)
    res = prog.execute(a, b, mode="soft", max_steps=60)
    (res.value * torch.randn_like(res.value)).sum().backward()
    assert (a.grad.abs().sum(-1) > 0).all() and (b.grad.abs().sum(-1) > 0).all()


def test_gradients_reach_the_program_tensors():
    prog = nclib.compile(SMALL, entry="rsum", values=(0, 8), stack=4)
    for t in prog.tensors.values():
        t.requires_grad_(True)
    res = prog.execute(smooth(torch.tensor([1, 3]), 8), mode="soft", max_steps=40)
    (res.value * torch.randn_like(res.value)).sum().backward()
    for name in ("sel_a", "sel_b", "dst", "jump", "next", "consts"):
        assert prog.tensors[name].grad is not None and prog.tensors[name].grad.abs().sum() > 0, name


def test_checkpointing_keeps_values_and_gradients():
    prog = nclib.stdlib(values=(0, 32), memory=8)["fib"]
    outs = []
    for use_checkpoint in (False, True):
        n = smooth(torch.tensor([3, 4]), prog.V, mass=0.95).requires_grad_(True)
        res = prog.execute(n, mode="soft", checkpoint=use_checkpoint, segment=8, max_steps=48)
        (res.value * torch.arange(prog.V, dtype=torch.double)).sum().backward()
        outs.append((res.value.detach(), n.grad))
    assert torch.allclose(outs[0][0], outs[1][0], atol=1e-10)
    assert torch.allclose(outs[0][1], outs[1][1], atol=1e-8)


def test_remainder_is_differentiable_and_reports_unhalted_mass():
    prog = nclib.stdlib(values=(0, 32), memory=8)["fib_iter"]
    n = smooth(torch.tensor([3, 20]), prog.V, mass=0.9).requires_grad_(True)
    res = prog.execute(n, mode="soft", max_steps=30)
    assert res.remainder.shape == (2,) and (res.remainder > 0.01).all()  # 30 steps cannot finish n=20
    res.remainder.sum().backward()
    assert n.grad.abs().sum() > 0

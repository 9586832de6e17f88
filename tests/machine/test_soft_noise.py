"""Soft mode with instruction-pointer pruning (`Program.execute(..., prune=...)`): exact at one-hot
inputs, keeps near-one-hot inputs on the exact path, and stays differentiable.
Measurements: results/soft_noise.md (benchmarks/soft_noise.py)."""

from importlib import resources

import pytest
import torch

import nclib
from nclib.machine import prune_mass

pytestmark = pytest.mark.usefixtures("one_thread")

V = 16
SORT_INPUTS = torch.tensor([[9, 3, 14, 3, 0, 7], [5, 12, 1, 8, 8, 2]])


def source(module: str) -> str:
    return (resources.files("nclib.routines") / f"{module}.py").read_text()


@pytest.fixture(scope="module")
def sort_prog():
    return nclib.compile(source("sorting"), entry="insertion_sort", values=(0, V), memory=12)


def noisy(values: torch.Tensor, eps: float) -> torch.Tensor:
    one_hot = torch.nn.functional.one_hot(values, V).double()
    return one_hot * (1 - eps) + (1 - one_hot) * (eps / (V - 1))


def p_sorted(prog, x: torch.Tensor, prune: float, **kw) -> tuple:
    """(ExecResult, [B] probability of the exact sorted output under the mean-field marginals)."""
    B, L = x.shape[:2]
    res = prog.execute((x, torch.full((B,), L)), mode="soft", prune=prune, **kw)
    target = SORT_INPUTS.sort(1).values
    p = res.lists[0].gather(-1, target.unsqueeze(-1))[..., 0].prod(-1) * res.length_probs[:, L]
    return res, p


def test_prune_mass_zeroes_small_entries_and_keeps_the_total():
    d = torch.tensor([[0.5, 0.3, 1e-7, 0.2 - 1e-7], [1e-9, 1e-9, 1e-9, 1e-9], [0.0, 1.0, 0.0, 0.0]], dtype=torch.float64,
                     requires_grad=True)
    out = prune_mass(d, 1e-6)
    assert out[0, 2] == 0 and torch.allclose(out.sum(-1), d.sum(-1))
    assert torch.allclose(out[0], torch.tensor([0.5, 0.3, 0.0, 0.2 - 1e-7], dtype=torch.float64) / (1 - 1e-7))
    assert torch.equal(out[1], d[1])  # every entry is the row's maximum: nothing pruned
    assert torch.equal(out[2], d[2])  # one-hot: unchanged
    out[0, 0].backward()
    # out = d * keep * (total / kept total): a pruned entry acts only through the total it restores.
    kept = 1 - 1e-7
    other = 0.5 / kept - 0.5 / kept ** 2  # d out[0,0] / d(kept entry): through the total and the kept total
    expected = torch.tensor([1 / kept + other, other, 0.5 / kept, other], dtype=torch.float64)
    torch.testing.assert_close(d.grad[0], expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pruning_changes_nothing_at_one_hot_inputs(sort_prog, dtype):
    fib = nclib.compile(source("fibonacci"), entry="fib", values=(0, V), stack=8)
    for prog, calls in ((sort_prog, [(x,) for x in SORT_INPUTS.tolist()]), (fib, [(5,), (6,)])):
        args = prog.encode(calls, mode="soft", dtype=dtype)
        plain = prog.execute(*args, mode="soft")
        for prune in (1e-6, 1e-2):
            pruned = prog.execute(*args, mode="soft", prune=prune)
            for field in ("value", "steps", "halted", "remainder", "length_probs"):
                a, b = getattr(plain, field), getattr(pruned, field)
                assert (a is None and b is None) or torch.equal(a, b), field
            assert all(torch.equal(a, b) for a, b in zip(plain.lists, pruned.lists))
        assert prog.decode(plain, mode="soft") == [prog(*[list(c) if isinstance(c, list) else c for c in call]) for call in calls]


def test_pruning_keeps_a_noisy_sort_on_the_exact_path(sort_prog):
    # Measured (results/soft_noise.md): without pruning, eps = 1e-9 off-mass leaves the 6-sort with
    # p(correct) about 1e-7 on one of these inputs; with prune=1e-6 it is 1 - 6e-9 = (1 - eps)^6.
    x = noisy(SORT_INPUTS, 1e-9)
    res, p = p_sorted(sort_prog, x, prune=1e-6, max_steps=600)
    exact, _ = p_sorted(sort_prog, noisy(SORT_INPUTS, 0.0), prune=0.0)
    assert (p > 0.99).all(), p
    assert torch.equal(res.steps, exact.steps) and (res.remainder == 0).all()
    _, p_plain = p_sorted(sort_prog, x, prune=0.0, max_steps=600)
    assert p_plain.min() < 0.9, p_plain  # the failure pruning fixes


@pytest.mark.parametrize("eps", [0.0, 1e-9])
def test_gradient_flows_with_pruning(sort_prog, eps):
    grads = []
    for use_checkpoint in (True, False):
        x = noisy(SORT_INPUTS, eps).requires_grad_(True)
        _, p = p_sorted(sort_prog, x, prune=1e-6, max_steps=600, checkpoint=use_checkpoint, segment=16)
        (-p.log().sum()).backward()
        grads.append(x.grad)
    grad = grads[0]
    assert torch.isfinite(grad).all() and grad.norm() > 0
    # Only the data path carries gradient (each true entry gets about -1): no blow-up with depth
    # (without pruning this gradient is about 1e10 at eps = 1e-9 and 1e18 at one-hot inputs).
    assert grad.norm() < 100, grad.norm()
    torch.testing.assert_close(grads[0], grads[1])  # the masks are recomputed identically under checkpointing


def test_bad_prune_threshold_is_refused(sort_prog):
    x = noisy(SORT_INPUTS, 0.0)
    with pytest.raises(ValueError, match="prune"):
        sort_prog.execute((x, torch.full((2,), 6)), mode="soft", prune=1.0)

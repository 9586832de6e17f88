"""Worlds mode keeps the gradient of -log p(exact answer) bounded at depth (benchmarks/grad_worlds.py).

At inputs with mass 1 - noise on the true values, p(exact) is the mass of the correct world,
(1 - noise) ** n, and the gradient with respect to the input probabilities is -1 / (1 - noise) at
each true value: norm sqrt(n) / (1 - noise), whatever the number of machine steps. (Mean-field
soft mode at the same input has p(exact) ~ 1e-14 and a gradient norm ~ 1e7 here.)"""

import torch

import nclib
from nclib.routines import sorting


def test_worlds_gradient_is_bounded_through_a_deep_sort():
    V, n, noise, B = 64, 8, 1e-7, 2
    prog = nclib.compile(open(sorting.__file__).read(), entry="insertion_sort", values=(0, V), memory=20)
    g = torch.Generator().manual_seed(0)
    values = torch.randint(0, V, (B, n), generator=g)
    one_hot = torch.nn.functional.one_hot(values, V).double()
    x = (one_hot * (1 - noise) + (1 - one_hot) * (noise / (V - 1))).requires_grad_(True)
    res = prog.execute((x, torch.full((B,), n)), mode="worlds", top_k=4)
    wr, w = res.world_result, res.world_weight
    K = w.shape[1]
    assert int(wr.steps.min()) > 150  # a deep-ish run: hundreds of machine steps per world
    hit = (wr.lengths.view(B, K) == n) & (wr.value.view(B, K, -1)[..., :n] == values.sort(1).values[:, None, :]).all(-1)
    clean = (wr.fault == 0).view(B, K) & (wr.overflow_line < 0).view(B, K)
    p = (w * (hit & clean).to(w.dtype)).sum(1)
    torch.testing.assert_close(p, torch.full((B,), (1 - noise) ** n, dtype=torch.float64), rtol=0, atol=1e-12)
    (-p.log().sum()).backward()
    grad = x.grad
    assert bool(torch.isfinite(grad).all())
    norms = grad.flatten(1).norm(dim=1)
    assert bool((norms < 10).all()), norms  # sqrt(8) / (1 - noise) ~ 2.83
    torch.testing.assert_close(norms, torch.full((B,), n ** 0.5 / (1 - noise), dtype=torch.float64), rtol=1e-9, atol=0)

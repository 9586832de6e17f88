"""Soft mode under input noise, with and without instruction-pointer pruning.

    python benchmarks/soft_noise.py            # writes results/soft_noise.md (about 5 min, one thread)

Routines: insertion_sort of 6 and 8 elements and recursive fib(6), fib(7) from the stdlib source
(`nclib/routines/*.py`), compiled with `nclib.compile(..., values=(0, 16))`, run in soft mode in
float64, batch of 4 seeded inputs, default halting tolerance (eps = 1e-4), max_steps = 4000.
Each input distribution puts 1 - eps on its true value and eps / 15 on each other value.

p(correct) is the probability of the exact correct output under the mean-field marginals: the
product over output elements of the marginal probability of the correct value (sort: the 6 or 8
cells of the list, times the probability of the correct length read at the returned address; fib:
the returned value). `1 - p_ref` with p_ref = (1 - eps)^k (k input values) is the mass of the worlds
in which some input is off its value, which (to O(eps^2)) is what the exact expectation loses.

A second table gives the norm of the gradient of -log p with respect to the input distributions
(float64, checkpointing on) with and without pruning, at one-hot inputs and at eps = 1e-9.
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import resources

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from machine_common import write_report  # noqa: E402

V = 16
CASES = [("insertion_sort", 6), ("insertion_sort", 8), ("fib", 6), ("fib", 7)]


def programs() -> dict:
    import nclib

    src = {m: (resources.files("nclib.routines") / f"{m}.py").read_text() for m in ("sorting", "fibonacci")}
    return {
        "insertion_sort": nclib.compile(src["sorting"], entry="insertion_sort", values=(0, V), memory=12,
                                        file="nclib/routines/sorting.py"),
        "fib": nclib.compile(src["fibonacci"], entry="fib", values=(0, V), stack=10, file="nclib/routines/fibonacci.py"),
    }


def noisy(values: torch.Tensor, eps: float) -> torch.Tensor:
    """1 - eps on each true value, eps spread uniformly over the other V - 1 window entries (float64)."""
    one_hot = torch.nn.functional.one_hot(values, V).double()
    return one_hot * (1 - eps) + (1 - one_hot) * (eps / (V - 1))


def inputs(routine: str, size: int, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(true input values, correct outputs): sort [B, L] / [B, L]; fib [B] / [B, 1]."""
    from nclib.routines.fibonacci import fib

    if routine == "fib":
        n = torch.full((batch,), size)
        return n, torch.full((batch, 1), fib(size))
    values = torch.randint(0, V, (batch, size), generator=torch.Generator().manual_seed(seed))
    return values, values.sort(1).values


def run(prog, routine: str, size: int, x: torch.Tensor, target: torch.Tensor, prune: float, max_steps: int):
    """Soft execution; returns (ExecResult, p [B] = probability of the exact correct output)."""
    B = x.shape[0]
    if routine == "fib":
        res = prog.execute(x, mode="soft", max_steps=max_steps, prune=prune)
        p = res.value.gather(-1, target)[:, 0]
    else:
        res = prog.execute((x, torch.full((B,), size)), mode="soft", max_steps=max_steps, prune=prune)
        cells = res.lists[0].gather(-1, target.unsqueeze(-1))[..., 0]  # [B, L]
        p = cells.prod(-1) * res.length_probs[:, size]
    return res, p


def correct_argmax(routine: str, res, target: torch.Tensor) -> bool:
    out = res.value if routine == "fib" else res.lists[0]
    return bool((out.argmax(-1) == target).all())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eps", type=float, nargs="+", default=[0.0, 1e-12, 1e-9, 1e-7, 1e-5, 1e-3])
    parser.add_argument("--prune", type=float, nargs="+", default=[0.0, 1e-6, 1e-4, 1e-2])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--max-steps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grad-eps", type=float, nargs="*", default=[0.0, 1e-9])
    parser.add_argument("--grad-prune", type=float, nargs="*", default=[0.0, 1e-6])
    parser.add_argument("--out", default="results/soft_noise.md")
    a = parser.parse_args()
    torch.set_num_threads(1)
    progs = programs()
    rows = ["| routine | size | input eps | prune | p(correct) mean | min | 1 − p mean | 1 − p_ref | argmax correct | expected steps | exact steps | max remainder | s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for routine, size in CASES:
        prog = progs[routine]
        values, target = inputs(routine, size, a.batch, a.seed)
        k = values[0].numel()
        with torch.no_grad():
            exact_steps, _ = run(prog, routine, size, noisy(values, 0.0), target, 0.0, a.max_steps)
            exact_steps = exact_steps.steps.mean().item()
            for eps in a.eps:
                for prune in a.prune:
                    start = time.perf_counter()
                    res, p = run(prog, routine, size, noisy(values, eps), target, prune, a.max_steps)
                    seconds = time.perf_counter() - start
                    rows.append(f"| {routine} | {size} | {eps:g} | {prune:g} | {p.mean().item():.3g} | {p.min().item():.3g} | "
                                f"{1 - p.mean().item():.3g} | {1 - (1 - eps) ** k:.3g} | {'yes' if correct_argmax(routine, res, target) else 'no'} | "
                                f"{res.steps.mean().item():.0f} | {exact_steps:.0f} | {res.remainder.max().item():.2g} | {seconds:.1f} |")
                    print(rows[-1], flush=True)
    grad_rows = ["| routine | size | input eps | prune | p(correct) mean | ‖∂(−log p)/∂inputs‖ | tangent part | expected steps | s |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for routine, size in CASES:
        prog = progs[routine]
        values, target = inputs(routine, size, a.batch, a.seed)
        for eps in a.grad_eps:
            for prune in a.grad_prune:
                start = time.perf_counter()
                x = noisy(values, eps).requires_grad_(True)
                res, p = run(prog, routine, size, x, target, prune, a.max_steps)
                (-p.clamp_min(1e-300).log().sum()).backward()
                seconds = time.perf_counter() - start
                grad = x.grad
                tangent = grad - grad.mean(-1, keepdim=True)
                grad_rows.append(f"| {routine} | {size} | {eps:g} | {prune:g} | {p.mean().item():.3g} | {grad.norm().item():.3g} | "
                                 f"{tangent.norm().item():.3g} | {res.steps.mean().item():.0f} | {seconds:.1f} |")
                print(grad_rows[-1], flush=True)
    write_report(a.out, "Soft mode under input noise: instruction-pointer pruning", "python " + " ".join(sys.argv),
                 ["Machine: 2-core x86_64 CPU, no GPU, one torch thread. Soft mode in float64, values=(0, 16), "
                  f"batch {a.batch} (seed {a.seed}), halting tolerance eps=1e-4, max_steps={a.max_steps}. "
                  "Each input puts 1 − eps on its true value and eps/15 on every other value. "
                  "p(correct) = probability of the exact correct output under the mean-field marginals "
                  "(product over output cells of the marginal of the correct value; sort: times the probability "
                  "of the correct length). 1 − p_ref = 1 − (1 − eps)^k (k input values): the mass of the worlds with "
                  "some input off its value, i.e. what the exact expectation loses up to O(eps²). "
                  "'prune' is `Program.execute(..., prune=...)`: ip / sp mass below it is zeroed after every step "
                  "and the rest renormalized (0 = off). 'expected steps' = Σ_t (1 − halted_t), mean over the batch; "
                  "'exact steps' the same at one-hot inputs without pruning.", "", *rows, "",
                  "## Gradient of −log p with respect to the input distributions", "",
                  "Same runs with gradients on (checkpointing on, segment 32); norm over the whole batch.", "",
                  *grad_rows])


if __name__ == "__main__":
    main()

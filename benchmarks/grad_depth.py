"""Gradient norm and peak memory against execution depth, with checkpointing on and off.

    python benchmarks/grad_depth.py            # writes results/grad_depth.md and results/grad_depth.png

For recursive fib(n) and insertion sort of length L (soft mode, float64, V=64, B=4) the loss is
-log p(correct answer) summed over outputs. We report the soft steps, the norm of the gradient
with respect to one-hot input distributions (and its part tangent to the simplex), the wall time
of forward + backward and the growth of peak resident memory (CPU) with checkpointing on and off,
and, for inputs that are almost one-hot (softmax of 20 x one-hot logits), how much probability
the correct answer keeps and the gradient norm with respect to the logits. This answers how the
gradient through a long execution behaves and what the segment checkpointing buys.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from machine_common import run_measuring_peak, write_report  # noqa: E402


def problem(routine: str, size: int, B: int, V: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One benchmark case: (input values, target [B, outputs]). fib: n = size for every batch
    element; insertion_sort: B random lists of `size` values in [0, V) (torch's global RNG)."""
    from nclib.routines.fibonacci import fib

    if routine == "fib":
        return torch.full((B,), size), torch.full((B, 1), fib(size))
    values = torch.randint(0, V, (B, size))
    return values, values.sort(1).values


def arguments(routine: str, x: torch.Tensor, size: int) -> list:
    """The `Program.execute` arguments for input distributions x ([B, V] or [B, size, V])."""
    return [x] if routine == "fib" else [(x, torch.full((x.shape[0],), size))]


def correct_probs(value: torch.Tensor, target: torch.Tensor, V: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Output distributions -> (out [B, outputs, V], p(correct) per output [B, outputs])."""
    out = value.reshape(target.shape[0], -1, V)
    return out, out.gather(-1, target.unsqueeze(-1)).squeeze(-1)


def measure(routine: str, size: int, use_checkpoint: bool, seed: int) -> dict:
    import resource

    import nclib

    torch.manual_seed(seed)
    B, V = 4, 64
    lib = nclib.stdlib(values=(0, V), memory=20, stack=16)
    prog = lib[routine]
    # Warm up (lazy imports of the checkpoint machinery, allocator) so that the peak-RSS growth
    # below is the execution's own.
    warm = torch.nn.functional.one_hot(torch.zeros(1, dtype=torch.long), V).double().requires_grad_(True)
    warm_args = [warm] if routine == "fib" else [(warm.unsqueeze(1), torch.ones(1, dtype=torch.long))]
    prog.execute(*warm_args, mode="soft", checkpoint=use_checkpoint, segment=2, max_steps=4).value.sum().backward()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    values, target = problem(routine, size, B, V)

    def run(x, max_steps=10_000):
        res = prog.execute(*arguments(routine, x, size), mode="soft", checkpoint=use_checkpoint, segment=32, max_steps=max_steps)
        out, p = correct_probs(res.value, target, V)  # p: [B, outputs]
        return res, out, p

    # (1) Exact path: one-hot inputs. p(correct) = 1; the gradient of -log p is the polynomial's
    # derivative at a vertex of the simplex.
    x = torch.nn.functional.one_hot(values, V).double().requires_grad_(True)
    start = time.perf_counter()
    res, out, p = run(x)
    loss = -p.clamp_min(1e-300).log().sum()
    loss.backward()
    seconds = time.perf_counter() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    grad = x.grad
    tangent = grad - grad.mean(-1, keepdim=True)  # the part along the simplex (sum of changes = 0)
    result = dict(steps=res.steps.max().item(), grad_norm=grad.norm().item(), tangent_norm=tangent.norm().item(),
                  seconds=seconds, correct=bool((out.argmax(-1) == target).all()), peak=peak)
    # (2) Near-one-hot inputs from logits (softmax(20 * one-hot): about 1e-7 of the mass elsewhere),
    # as a model's reader would produce them: how much of the answer survives, and the logit gradient.
    logits = (20.0 * torch.nn.functional.one_hot(values, V).double()).requires_grad_(True)
    # Spread inputs spread the instruction pointer, which may then never fully halt: run twice
    # the exact number of steps.
    _, _, p = run(logits.softmax(-1), max_steps=2 * int(result["steps"]) + 32)
    (-p.clamp_min(1e-300).log().sum()).backward()
    result.update(p_near=p.prod(-1).mean().item(), logit_grad_norm=logits.grad.norm().item())
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fib", type=int, nargs="+", default=[2, 4, 6, 8, 10])
    parser.add_argument("--sort", type=int, nargs="+", default=[2, 4, 8, 12])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="results/grad_depth.md")
    a = parser.parse_args()
    rows = ["| routine | size | soft steps | checkpoint | exact at one-hot | ‖∂loss/∂p‖ one-hot | tangent part | fwd+bwd s | peak memory growth MiB | p(correct), near-one-hot input | ‖∂loss/∂logits‖ |",
            "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    series = {}
    for routine, sizes in (("fib", a.fib), ("insertion_sort", a.sort)):
        for size in sizes:
            for use_checkpoint in (False, True):
                r, _ = run_measuring_peak(measure, routine, size, use_checkpoint, a.seed)
                peak = r["peak"]
                series.setdefault((routine, use_checkpoint), []).append((r["steps"], peak, r["tangent_norm"], r["p_near"]))
                rows.append(f"| {routine} | {size} | {r['steps']:.0f} | {'on' if use_checkpoint else 'off'} | {'yes' if r['correct'] else 'no'} | "
                            f"{r['grad_norm']:.2e} | {r['tangent_norm']:.2e} | {r['seconds']:.2f} | {peak:.0f} | {r['p_near']:.3g} | {r['logit_grad_norm']:.2e} |")
                print(rows[-1], flush=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_mem, ax_grad, ax_p) = plt.subplots(1, 3, figsize=(15, 4))
    for (routine, use_checkpoint), points in series.items():
        steps, peaks, grads, p_near = zip(*points)
        style = "-o" if use_checkpoint else "--x"
        label = f"{routine}, checkpoint {'on' if use_checkpoint else 'off'}"
        ax_mem.plot(steps, peaks, style, label=label)
        ax_grad.plot(steps, grads, style, label=label)
        if use_checkpoint:
            ax_p.plot(steps, p_near, "-o", label=routine)
    ax_mem.set(xlabel="soft steps (execution depth)", ylabel="peak memory growth (MiB)", title="memory vs depth")
    ax_grad.set(xlabel="soft steps (execution depth)", ylabel="tangent ‖∂(-log p)/∂inputs‖ at one-hot", title="gradient norm vs depth", yscale="log")
    ax_p.set(xlabel="soft steps (execution depth)", ylabel="p(correct answer)", title="inputs softmax(20·one-hot)", yscale="log")
    for ax in (ax_mem, ax_grad, ax_p):
        ax.legend(fontsize=7)
    fig.tight_layout()
    png = a.out.rsplit(".", 1)[0] + ".png"
    fig.savefig(png, dpi=100)
    write_report(a.out, "Gradient norm and memory versus execution depth", "python " + " ".join(sys.argv),
                 ["Soft mode, float64, V=64, B=4, segment=32; loss = -log p(correct) summed over outputs. "
                  "'one-hot': exact inputs (the answer is exact, loss 0); the gradient norm is that of the "
                  "multilinear soft machine at a vertex of the simplex, and its tangent part sums changes to 0. "
                  "'near-one-hot': inputs softmax(20·one-hot), about 1e-7 of each input's mass off its value, "
                  "run for twice the exact number of steps.", "",
                  *rows, "", f"![memory and gradient norm vs depth]({png.split('/')[-1]})"])


if __name__ == "__main__":
    main()

"""Gradient norm and peak memory against execution depth, with checkpointing on and off.

    python benchmarks/grad_depth.py            # writes results/grad_depth.md and results/grad_depth.png

For recursive fib(n) and insertion sort of length L (soft mode, one-hot inputs that require
grad, float32, V=64, B=4), the loss is -log p(correct answer) summed over outputs; we report the
soft steps, the loss, the norm of its gradient with respect to the input distributions, the
wall time of forward + backward, and the growth of peak resident memory of a fresh process
(CPU; on CUDA torch.cuda.max_memory_allocated). This answers how the gradient through a long
execution behaves and what the segment checkpointing buys.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from machine_common import run_measuring_peak, write_report  # noqa: E402


def measure(routine: str, size: int, use_checkpoint: bool, seed: int) -> dict:
    import nclib
    from nclib.routines.fibonacci import fib

    import resource

    torch.manual_seed(seed)
    B, V = 4, 64
    lib = nclib.stdlib(values=(0, V), memory=20, stack=16)
    prog = lib[routine]
    # Warm up (lazy imports of the checkpoint machinery, allocator) so that the peak-RSS growth
    # below is the execution's own.
    warm = torch.nn.functional.one_hot(torch.zeros(1, dtype=torch.long), V).float().requires_grad_(True)
    warm_args = [warm] if routine == "fib" else [(warm.unsqueeze(1), torch.ones(1, dtype=torch.long))]
    prog.execute(*warm_args, mode="soft", checkpoint=use_checkpoint, segment=2, max_steps=4).value.sum().backward()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if routine == "fib":
        n = torch.full((B,), size)
        x = torch.nn.functional.one_hot(n, V).float().requires_grad_(True)
        args, target = [x], torch.full((B, 1), fib(size))
    else:
        values = torch.randint(0, V, (B, size))
        x = torch.nn.functional.one_hot(values, V).float().requires_grad_(True)
        args, target = [(x, torch.full((B,), size))], values.sort(1).values
    start = time.perf_counter()
    res = prog.execute(*args, mode="soft", checkpoint=use_checkpoint, segment=32)
    out = res.value.view(B, -1, V)
    p = out.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    loss = -p.clamp_min(1e-30).log().sum()
    loss.backward()
    seconds = time.perf_counter() - start
    correct = bool((out.argmax(-1) == target).all())
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    return dict(steps=res.steps.max().item(), loss=loss.item(), grad_norm=x.grad.norm().item(),
                grad_max=x.grad.abs().max().item(), seconds=seconds, correct=correct, peak=peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fib", type=int, nargs="+", default=[2, 4, 6, 8, 10])
    parser.add_argument("--sort", type=int, nargs="+", default=[2, 4, 8, 12, 16])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="results/grad_depth.md")
    a = parser.parse_args()
    rows = ["| routine | size | soft steps | checkpoint | loss | ‖∂loss/∂inputs‖ | max abs grad | fwd+bwd s | peak memory growth MiB | exact |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    series = {}
    for routine, sizes in (("fib", a.fib), ("insertion_sort", a.sort)):
        for size in sizes:
            for use_checkpoint in (False, True):
                r, _ = run_measuring_peak(measure, routine, size, use_checkpoint, a.seed)
                peak = r["peak"]
                series.setdefault((routine, use_checkpoint), []).append((r["steps"], peak, r["grad_norm"]))
                rows.append(f"| {routine} | {size} | {r['steps']:.0f} | {'on' if use_checkpoint else 'off'} | {r['loss']:.2e} | "
                            f"{r['grad_norm']:.3e} | {r['grad_max']:.3e} | {r['seconds']:.2f} | {peak:.0f} | {'yes' if r['correct'] else 'no'} |")
                print(rows[-1], flush=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_mem, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
    for (routine, use_checkpoint), points in series.items():
        steps, peaks, grads = zip(*points)
        style = "-o" if use_checkpoint else "--x"
        label = f"{routine}, checkpoint {'on' if use_checkpoint else 'off'}"
        ax_mem.plot(steps, peaks, style, label=label)
        ax_grad.plot(steps, grads, style, label=label)
    ax_mem.set(xlabel="soft steps (execution depth)", ylabel="peak memory growth (MiB)", title="memory vs depth")
    ax_grad.set(xlabel="soft steps (execution depth)", ylabel="‖∂loss/∂inputs‖", title="gradient norm vs depth", yscale="log")
    ax_mem.legend(fontsize=7)
    ax_grad.legend(fontsize=7)
    fig.tight_layout()
    png = a.out.rsplit(".", 1)[0] + ".png"
    fig.savefig(png, dpi=100)
    write_report(a.out, "Gradient norm and memory versus execution depth", "python " + " ".join(sys.argv),
                 ["Soft mode, one-hot inputs (float32, V=64, B=4, segment=32); loss = -log p(correct).", "",
                  *rows, "", f"![memory and gradient norm vs depth]({png.split('/')[-1]})"])


if __name__ == "__main__":
    main()

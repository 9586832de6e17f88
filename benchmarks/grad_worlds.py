"""Gradient study, redone: mean-field soft mode against worlds mode, versus execution depth.

    python benchmarks/grad_worlds.py          # writes results/grad_worlds.md and results/grad_worlds.png

For recursive fib(n) (n up to 20: about 2e5 machine steps) and insertion sort of up to 16
elements, the loss is -log p(exact answer) and we report p(exact answer) and the gradient norm
‖∂(-log p)/∂inputs‖ with respect to the input probability tensors, at two inputs:

- one-hot: every input is exactly its true value;
- noisy: mass 1 - noise (default 1e-7) on the true value, the other `noise` spread uniformly over
  the other V - 1 values of the window (per list element for the sort).

Mean-field (`mode="soft"`): p(exact) is the product over output positions of the marginal
probability of the correct value (the mean-field's own estimate); the noisy run is given twice the
exact number of steps (a spread instruction pointer never halts completely), like
benchmarks/grad_depth.py. Its V x V tables make it infeasible at the windows large fib needs;
for those sizes the per-step cost is measured on a few steps and the implied run time is
reported instead of a point (`--probe`).

Worlds (`mode="worlds"`, top_k=K): p(exact) is the mass of the enumerated worlds whose exact
(hard-mode) output equals the answer, sum_k w_k [f(x_k) = answer and world k ran cleanly]; the
one-hot and noisy inputs run in one batch. At the noisy input the exact value is
(1 - noise) ** (number of input variables).

The value window is V = 64 or, for fib(n) >= 64, the next power of two above fib(n); both modes
see identical inputs at each size. Helpers are shared with benchmarks/grad_depth.py.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from grad_depth import arguments, correct_probs, problem  # noqa: E402
from machine_common import write_report  # noqa: E402

MEMORY = 20  # list memory cells (grad_depth's setting; holds a 16-element list and its length)


def window(routine: str, size: int) -> int:
    from nclib.routines.fibonacci import fib

    if routine != "fib" or fib(size) < 64:
        return 64
    return 1 << fib(size).bit_length()


def program(routine: str, V: int, stack: int):
    import nclib

    return nclib.stdlib(values=(0, V), memory=MEMORY, stack=stack)[routine]


def inputs(values: torch.Tensor, V: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(one-hot, noisy) float64 input distributions of the true values."""
    one_hot = torch.nn.functional.one_hot(values, V).double()
    return one_hot, one_hot * (1 - noise) + (1 - one_hot) * (noise / (V - 1))


def grad_norms(grad: torch.Tensor) -> float:
    """Mean over the batch of the per-element gradient norm (the loss is a sum over elements)."""
    return grad.flatten(1).norm(dim=1).mean().item()


def mean_field(routine: str, size: int, noise: float, B: int, seed: int) -> list[dict]:
    torch.manual_seed(seed)
    V = window(routine, size)
    prog = program(routine, V, stack=16)
    values, target = problem(routine, size, B, V)
    rows = []
    steps = None
    for regime, x in zip(("one-hot", "noisy"), inputs(values, V, noise)):
        x = x.requires_grad_(True)
        start = time.perf_counter()
        res = prog.execute(*arguments(routine, x, size), mode="soft", segment=32,
                           max_steps=10_000 if steps is None else 2 * steps + 32)
        _, p = correct_probs(res.value, target, V)  # [B, outputs]
        logp = p.clamp_min(1e-300).log().sum(1)  # log of the product of the marginals
        (-logp.sum()).backward()
        seconds = time.perf_counter() - start
        if steps is None:
            steps = int(res.steps.max())
        g = x.grad
        rows.append(dict(routine=routine, size=size, mode="mean-field", regime=regime, V=V, K="", steps=res.steps.mean().item(),
                         p=logp.exp().mean().item(), p_min=logp.exp().min().item(), underflow=bool((p == 0).any()),
                         grad=grad_norms(g), finite=bool(torch.isfinite(g).all()), seconds=seconds,
                         halted=res.halted.min().item(), n_vars=values[0].numel()))
    return rows


def worlds(routine: str, size: int, noise: float, B: int, K: int, seed: int) -> list[dict]:
    torch.manual_seed(seed)
    V = window(routine, size)
    prog = program(routine, V, stack=max(16, size + 4))
    values, target = problem(routine, size, B, V)
    one_hot, noisy = inputs(values, V, noise)
    x = torch.cat([one_hot, noisy]).requires_grad_(True)  # rows [0, B): one-hot, [B, 2B): noisy
    target = torch.cat([target, target])
    start = time.perf_counter()
    res = prog.execute(*arguments(routine, x, size), mode="worlds", top_k=K)
    w, wr = res.world_weight, res.world_result  # [2B, K], the hard result of the 2B * K worlds
    k = w.shape[1]
    clean = ((wr.fault == 0) & (wr.overflow_line < 0) & (wr.halted > 0.5)).view(2 * B, k)
    if routine == "fib":
        hit = wr.value.view(2 * B, k) == target
    else:
        hit = (wr.lengths.view(2 * B, k) == size) & (wr.value.view(2 * B, k, -1)[..., :size] == target[:, None, :]).all(-1)
    p = (w * (hit & clean).to(w.dtype)).sum(1)  # [2B] exact mass of the correct worlds
    (-p.clamp_min(1e-300).log().sum()).backward()
    seconds = time.perf_counter() - start
    _, marg = correct_probs(res.value, target, V)  # the output mixture's marginals of the correct values
    if routine == "fib":  # one output: its marginal is p(exact) itself
        assert torch.allclose(marg[:, 0], p, rtol=0, atol=1e-14), (marg[:, 0], p)
    rows = []
    for regime, sl in (("one-hot", slice(0, B)), ("noisy", slice(B, 2 * B))):
        rows.append(dict(routine=routine, size=size, mode="worlds", regime=regime, V=V, K=k,
                         steps=res.steps[sl].mean().item(),
                         p=p[sl].mean().item(), p_min=p[sl].min().item(), underflow=bool((p[sl] == 0).any()),
                         grad=grad_norms(x.grad[sl]), finite=bool(torch.isfinite(x.grad[sl]).all()), seconds=seconds,
                         covered=res.covered[sl].min().item(), fault=res.fault[sl].max().item(),
                         n_vars=values[0].numel()))
    return rows


def probe(V: int, n_steps: int) -> float:
    """Seconds per mean-field step (forward + backward) of fib at window V, from a short run."""
    prog = program("fib", V, stack=24)
    x = torch.nn.functional.one_hot(torch.tensor([20]), V).double().requires_grad_(True)
    start = time.perf_counter()
    prog.execute(x, mode="soft", segment=32, max_steps=n_steps).value.sum().backward()
    return (time.perf_counter() - start) / n_steps


def summarize(rows: list[dict], noise: float) -> list[str]:
    out = []
    w = [r for r in rows if r["mode"] == "worlds"]
    if w:
        dev = max(abs(r["p"] - (1.0 if r["regime"] == "one-hot" else (1 - noise) ** r["n_vars"])) for r in w)
        deepest = max(r["steps"] for r in w)
        out.append(f"- Worlds: every gradient finite: {'yes' if all(r['finite'] for r in w) else 'NO'}; largest gradient norm "
                   f"{fmt(max(r['grad'] for r in w))} (= sqrt(number of input values) / (1 − noise)); largest |p(exact) − expected| "
                   f"{dev:.1e}; deepest run {deepest:.0f} machine steps; largest fault mass {max(r['fault'] for r in w):.2g} "
                   f"(enumerated wrong worlds that fault, e.g. fib of a large n overflowing the stack).")
    for routine in ("fib", "insertion_sort"):
        m = [r for r in rows if r["mode"] == "mean-field" and r["routine"] == routine]
        hot = [r for r in m if r["regime"] == "one-hot"]
        noisy = [r for r in m if r["regime"] == "noisy"]
        if not hot:
            continue
        fin = [r for r in hot if r["finite"]]
        text = (f"- Mean-field {routine}, one-hot: p(exact) = 1 but the gradient norm grows from {fmt(fin[0]['grad'])} "
                f"(n = {fin[0]['size']}, {fin[0]['steps']:.0f} steps) to {fmt(fin[-1]['grad'])} (n = {fin[-1]['size']}, {fin[-1]['steps']:.0f} steps)")
        bad = [r for r in hot if not r["finite"]]
        if bad:
            text += f"; not finite (float64 overflow) from n = {bad[0]['size']} ({bad[0]['steps']:.0f} steps)"
        low = [r for r in noisy if r["p"] < 0.5]
        text += (f". Noisy: p(exact) falls to {fmt(noisy[-1]['p'])} at n = {noisy[-1]['size']}"
                 + (f", below 0.5 from n = {low[0]['size']} ({low[0]['steps']:.0f} steps)" if low else "") + ".")
        out.append(text)
    return out


def fmt(v: float) -> str:
    return f"{v:.3g}" if v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fib", type=int, nargs="+", default=[2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
    parser.add_argument("--sort", type=int, nargs="+", default=[2, 4, 8, 12, 16])
    parser.add_argument("--mean-field-fib-max", type=int, default=12, help="largest fib n run in mean-field (larger: --probe)")
    parser.add_argument("--noise", type=float, default=1e-7)
    parser.add_argument("--top-k", type=int, default=4)
    parser.add_argument("--sort-batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="results/grad_worlds.md")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    began = time.perf_counter()
    rows, skipped = [], []
    for routine, sizes in (("fib", a.fib), ("insertion_sort", a.sort)):
        B = 1 if routine == "fib" else a.sort_batch
        for size in sizes:
            new = worlds(routine, size, a.noise, B, a.top_k, a.seed)
            if routine == "insertion_sort" or size <= a.mean_field_fib_max:
                new = mean_field(routine, size, a.noise, B, a.seed) + new
            else:
                skipped.append((size, window(routine, size), new[0]["steps"]))
            for r in new:
                print(r, flush=True)
            rows += new
    probes = {}
    for V in sorted({V for _, V, _ in skipped}):
        probes[V] = probe(V, 4 if V <= 2048 else 2)
        print(f"probe V={V}: {probes[V]:.3g} s/step", flush=True)
    total = time.perf_counter() - began

    table = ["| routine | n | mode | input | V | K | steps | p(exact) | expected p | ‖∂(−log p)/∂inputs‖ | finite | fwd+bwd s | notes |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    for r in rows:
        expected = "1" if r["regime"] == "one-hot" else f"{(1 - a.noise) ** r['n_vars']:.10f}" if r["mode"] == "worlds" else ""
        if r["mode"] == "worlds":
            notes = f"1 − covered = {1 - r['covered']:.2g}, fault = {r['fault']:.2g}"
        else:
            notes = f"halted ≥ {r['halted']:.3g}" + (", p underflows to 0 (gradient clamped)" if r["underflow"] else "")
            if not r["finite"]:
                notes += ", gradient overflows float64 (inf/nan)"
        p = f"{r['p']:.10f}" if r["p"] > 0.999 else fmt(r["p"])
        table.append(f"| {r['routine']} | {r['size']} | {r['mode']} | {r['regime']} | {r['V']} | {r['K']} | {r['steps']:.0f} | {p} | {expected} | "
                     f"{fmt(r['grad'])} | {'yes' if r['finite'] else 'NO'} | {r['seconds']:.2f} | {notes} |")
    infeasible = ["| fib n | V | machine steps | mean-field s/step (fwd+bwd, measured) | implied one-hot fwd+bwd | implied noisy run (2x steps) |",
                  "|---:|---:|---:|---:|---:|---:|"]
    for size, V, steps in skipped:
        s = probes[V] * steps
        infeasible.append(f"| {size} | {V} | {steps:.0f} | {probes[V]:.3g} | {s / 3600:.3g} h | {2 * s / 3600:.3g} h |")

    plot(rows, a.out.rsplit(".", 1)[0] + ".png", a.noise)
    findings = summarize(rows, a.noise)
    date = subprocess.run(["date"], capture_output=True, text=True).stdout.strip()
    write_report(a.out, "Gradient study, redone: mean-field soft mode versus worlds mode", "python " + " ".join(sys.argv), [
        f"Machine: 2-core CPU (shared), no GPU; torch.set_num_threads({a.threads}); `date`: {date}; torch {torch.__version__}; "
        f"total runtime {total:.0f} s.", "",
        f"Loss −log p(exact answer); gradient with respect to the input probability tensors (float64), mean over the batch "
        f"of the per-element norm (fib: B = 1; sort: B = {a.sort_batch} random lists of values in [0, 64), seed {a.seed}). "
        f"Inputs 'one-hot': exactly the true values; 'noisy': mass 1 − {a.noise:g} on the true value and {a.noise:g} spread "
        f"uniformly over the other V − 1 values (per list element). Mean-field: `mode=\"soft\"`, segment 32, stack 16; "
        f"p(exact) is the product of the output marginals; the noisy run gets 2 × steps + 32 steps. Worlds: "
        f"`mode=\"worlds\"`, top_k = {a.top_k}, stack max(16, n + 4); p(exact) is the mass of the worlds whose exact output is "
        f"the answer, expected (1 − noise)^(number of input values) at the noisy input. 'steps': exact machine steps of the "
        f"true input (mean-field noisy rows: expected soft steps). The window V is 64 or, for fib(n) ≥ 64, the next power of "
        f"two above fib(n); memory {MEMORY}.", "",
        *table, "",
        f"Mean-field fib beyond n = {a.mean_field_fib_max} was not run: the window it needs makes each soft step cost "
        f"the V × V tables. Per-step cost of fib's soft run at that window, measured on 4 steps (2 for V > 2048; table set-up "
        f"included, stack 24), times the machine steps: an estimate, not a data point, not plotted:", "",
        *infeasible, "",
        "Summary (computed from the rows above):", "", *findings, "",
        f"![gradient norm and p(exact) vs steps]({a.out.rsplit('/', 1)[-1].rsplit('.', 1)[0]}.png)"])
    print(f"total {total:.0f} s", flush=True)


def plot(rows: list[dict], path: str, noise: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_g, ax_p) = plt.subplots(1, 2, figsize=(12, 4.5))
    colors = {("fib", "mean-field"): "C3", ("fib", "worlds"): "C1", ("insertion_sort", "mean-field"): "C0",
              ("insertion_sort", "worlds"): "C2"}
    for (routine, mode), color in colors.items():
        for regime, style in (("one-hot", "-o"), ("noisy", "--s")):
            rs = [r for r in rows if (r["routine"], r["mode"], r["regime"]) == (routine, mode, regime)]
            if not rs:
                continue
            label = f"{'sort' if routine != 'fib' else 'fib'}, {mode}, {regime}"
            pts = [(r["steps"], r["grad"]) for r in rs if r["grad"] > 0 and math.isfinite(r["grad"])]
            if pts:
                ax_g.plot(*zip(*pts), style, color=color, label=label, markersize=4)
            pts = [(r["steps"], r["p"]) for r in rs if r["p"] > 0]  # p = 0 (underflow) cannot be drawn
            if pts:
                ax_p.plot(*zip(*pts), style, color=color, label=label, markersize=4)
    ax_g.set(xscale="log", yscale="log", xlabel="machine steps (execution depth)", ylabel="‖∂(−log p(exact))/∂inputs‖",
             title="gradient norm vs depth")
    ax_p.set(xscale="log", yscale="log", xlabel="machine steps (execution depth)", ylabel="p(exact answer)",
             title=f"p(exact) vs depth (noisy: 1 − {noise:g} on the true value)")
    for ax in (ax_g, ax_p):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    import os

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()

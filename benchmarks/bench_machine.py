"""Machine throughput: hard mode items/s against CPython, soft mode steps/s and peak memory.

    python benchmarks/bench_machine.py                       # CPU, writes results/machine_cpu.md
    python benchmarks/bench_machine.py --device cuda --batches 1 256 4096 65536 --out results/machine_cuda.md

Hard mode: insertion sort of 16 elements and recursive fib(12), batch 1 / 256 / 4096, on each hard
backend (the compiled interpreter and the torch step on the CPU; the torch step on CUDA), against
CPython running the same function (the same file, `nclib/routines/`) in a loop on the same
inputs. Every batch's outputs are checked against CPython first; no figure is printed for a
wrong result. Soft mode: forward + backward at B=64, V=128 (steps/s, peak memory growth).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from machine_common import run_measuring_peak, write_report  # noqa: E402

import nclib  # noqa: E402
from nclib.routines.fibonacci import fib  # noqa: E402
from nclib.routines.sorting import insertion_sort  # noqa: E402


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def cpython_per_item(fn, inputs) -> float:
    def run():
        for x in inputs:
            fn(*[list(a) if isinstance(a, list) else a for a in x])
    return median_time(run, 5) / len(inputs)


def hard_rows(device: str, batches: list[int], seed: int, backends: list[str]) -> list[str]:
    """Each backend (NCLIB_HARD: torch = the eager step, compiled = the numba interpreter, CPU only)
    and CPython are timed in the same run on the same inputs; the ratio is machine time / CPython time."""
    rng = random.Random(seed)
    lib = nclib.stdlib(values=(0, 256), memory=24, stack=16)
    rows = ["| routine | batch | backend | steps (max) | machine µs/item | items/s | CPython µs/item | ratio machine/CPython |",
            "|---|---:|---|---:|---:|---:|---:|---:|"]
    cases = {
        "insertion_sort (16)": (lib["insertion_sort"], insertion_sort, lambda: [[rng.randrange(256) for _ in range(16)]]),
        "fib(12) recursive": (lib["fib"], fib, lambda: [12]),
    }
    for label, (prog, py, make) in cases.items():
        for B in batches:
            inputs = [make() for _ in range(B)]
            expected = [py(*[list(a) if isinstance(a, list) else a for a in x]) for x in inputs]
            if prog.param_kinds[0] == "list":
                values = torch.tensor([x[0] for x in inputs], device=device)
                args = [(values, torch.full((B,), 16, device=device))]
            else:
                args = [torch.tensor([x[0] for x in inputs], device=device)]
            for backend in backends:
                os.environ["NCLIB_HARD"] = backend
                res = prog.execute(*args)  # also the compiled interpreter's first call (compile or cache load)
                got = res.value.tolist()
                if got != expected or bool((res.fault != 0).any()):
                    rows.append(f"| {label} | {B} | {backend} | — | correctness check FAILED, no timing | | | |")
                    continue
                repeats = 3 if (B <= 256 or backend == "compiled") else 1
                if device == "cuda":
                    torch.cuda.synchronize()
                seconds = median_time(lambda: (prog.execute(*args), torch.cuda.synchronize() if device == "cuda" else None), repeats)
                per_item = seconds / B
                py_item = cpython_per_item(py, inputs[: min(B, 2000)])
                rows.append(f"| {label} | {B} | {backend} | {int(res.steps.max())} | {per_item * 1e6:.2f} | {1 / per_item:,.0f} | "
                            f"{py_item * 1e6:.2f} | {per_item / py_item:.2f}× |")
                print(rows[-1], flush=True)
    os.environ.pop("NCLIB_HARD", None)
    return rows


def soft_case(name: str, device: str, seed: int):
    torch.manual_seed(seed)
    lib = nclib.stdlib(values=(0, 128), memory=24, stack=16)
    prog = lib[name]
    B, V = 64, 128
    if name == "insertion_sort":
        values = torch.randint(0, V, (B, 16))
        x = torch.nn.functional.one_hot(values, V).float().to(device).requires_grad_(True)
        args, expected = [(x, torch.full((B,), 16, device=device))], values.sort(1).values
    else:
        n = torch.full((B,), 10)
        x = torch.nn.functional.one_hot(n, V).float().to(device).requires_grad_(True)
        args, expected = [x], torch.full((B,), fib(10))
    start = time.perf_counter()
    res = prog.execute(*args, mode="soft")
    forward = time.perf_counter() - start
    correct = torch.equal(res.value.argmax(-1).cpu(), expected)
    loss = -(res.value.clamp_min(1e-30).log() * torch.nn.functional.one_hot(expected.to(device), V)).sum()
    start = time.perf_counter()
    loss.backward()
    backward = time.perf_counter() - start
    steps = int(res.steps.max().round())
    peak_cuda = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
    return dict(steps=steps, forward=forward, backward=backward, correct=correct, grad_norm=float(x.grad.norm()), peak_cuda=peak_cuda)


def soft_rows(device: str, seed: int) -> list[str]:
    rows = ["| routine | B | V | steps | forward s | backward s | steps/s (fwd) | steps/s (fwd+bwd) | peak memory growth MiB | correct |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name in ("insertion_sort", "fib"):
        out, peak = run_measuring_peak(soft_case, name, device, seed)
        if out["peak_cuda"] is not None:
            peak = out["peak_cuda"]
        if not out["correct"]:
            rows.append(f"| {name} | 64 | 128 | {out['steps']} | correctness check FAILED, no timing | | | | | no |")
            continue
        total = out["forward"] + out["backward"]
        rows.append(f"| {name} ({'16 elements' if name == 'insertion_sort' else 'n=10'}) | 64 | 128 | {out['steps']} | {out['forward']:.2f} | "
                    f"{out['backward']:.2f} | {out['steps'] / out['forward']:.0f} | {out['steps'] / total:.0f} | {peak:.0f} | yes |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 256, 4096])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    parser.add_argument("--skip-soft", action="store_true")
    parser.add_argument("--skip-hard", action="store_true")
    parser.add_argument("--hard-backends", nargs="+", default=None, choices=["torch", "compiled"],
                        help="default: compiled and torch on the CPU, torch on CUDA")
    a = parser.parse_args()
    out = a.out or f"results/machine_{a.device}.md"
    backends = a.hard_backends or (["compiled", "torch"] if a.device == "cpu" else ["torch"])
    lines = [] if a.skip_hard else ["## Hard mode (exact, int64)", "", *hard_rows(a.device, a.batches, a.seed, backends)]
    if not a.skip_soft:
        lines += ["", "## Soft mode, forward + backward (one-hot inputs, float32, checkpointing on)", "", *soft_rows(a.device, a.seed)]
    write_report(out, "Machine benchmark", "python " + " ".join(sys.argv), lines)


if __name__ == "__main__":
    main()

"""Soft mode on the CPU with and without the step's fast paths (docs/machine.md, "Soft step: fast
paths"): soft insertion sort of 16 elements, B = 64, V = 128, 300 steps, forward and backward,
the fast paths against the kernels' PyTorch references (`_local_path` forced to false),
interleaved so both see the same machine load.

    python benchmarks/soft_fast_paths.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import torch

import nclib
from nclib.machine import soft


def timed_run(prog, x, lens) -> tuple[float, float]:
    start = time.perf_counter()
    res = prog.execute((x, lens), mode="soft", max_steps=300, eps=0.0)
    forward = time.perf_counter() - start
    res.lists[0].sum().backward()
    return forward, time.perf_counter() - start - forward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    prog = nclib.stdlib(values=(0, 128), memory=48, stack=12)["insertion_sort"]
    B = 64
    x = torch.nn.functional.one_hot(torch.randint(0, 128, (B, 16)), 128).float().requires_grad_(True)
    lens = torch.full((B,), 16)
    fast = soft._local_path
    try:
        for _ in range(args.repeats):
            for label, choose in (("fast paths (soft.py)", fast), ("kernels' references", lambda t: False)):
                soft._local_path = choose
                f, b = timed_run(prog, x, lens)
                print(f"{label}: forward {f:.2f} s, backward {b:.2f} s (300 steps, B={B}, V=128)")
    finally:
        soft._local_path = fast


if __name__ == "__main__":
    main()

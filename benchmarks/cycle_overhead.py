"""Cost of the hard machine's cycle detection (`machine.CycleDetector`) on runs that halt.

Runs the same hard-mode batch with detection on and off (alternating which goes first), and prints the median
CPU time of this process (time.process_time: on a shared machine, wall time mostly measures the
other jobs) and wall time of each, and the relative overhead. Usage:

    OMP_NUM_THREADS=1 python benchmarks/cycle_overhead.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch

import nclib
from nclib import machine


def timed(prog: nclib.Program, args: list, cycles: bool) -> tuple[float, float, torch.Tensor]:
    """CPU and wall seconds of one hard run of `prog` on the batched `args`, and its result."""
    original = machine.run_hard

    def run(asm, state, max_steps, trace=None, cycles_=cycles):
        return original(asm, state, max_steps, trace, cycles=cycles_)

    import nclib.runtime.program as program

    program.run_hard = run
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        res = prog.execute(*args)
        return time.process_time() - cpu, time.perf_counter() - wall, res
    finally:
        program.run_hard = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4096)
    a = parser.parse_args()
    torch.set_num_threads(1)
    lib = nclib.stdlib()
    rng = random.Random(0)
    cases = [("insertion_sort", [[[rng.randrange(0, 100) for _ in range(16)]] for _ in range(a.batch)]),
             ("fib", [[12]])]
    for name, calls in cases:
        prog = lib[name]
        args = prog.encode(calls)
        cpu, wall = {True: [], False: []}, {True: [], False: []}
        results = {}
        for r in range(a.repeats):
            for cycles in ((False, True) if r % 2 == 0 else (True, False)):  # alternate which runs first
                c, w, res = timed(prog, args, cycles)
                cpu[cycles].append(c)
                wall[cycles].append(w)
                results[cycles] = res
        same = all(torch.equal(getattr(results[True], f), getattr(results[False], f)) for f in ("steps", "fault", "halted"))
        same = same and prog.decode(results[True]) == prog.decode(results[False])
        line = f"{name} batch {len(calls)}: {int(results[True].steps.max())} steps; results identical: {same}"
        for what, times in (("CPU", cpu), ("wall", wall)):
            off, on = statistics.median(times[False]), statistics.median(times[True])
            line += (f"; {what} without detection {off * 1000:.0f} ms, with {on * 1000:.0f} ms, "
                     f"overhead {100 * (on / off - 1):+.1f}%")
        print(line + f" (medians of {a.repeats})", flush=True)


if __name__ == "__main__":
    main()

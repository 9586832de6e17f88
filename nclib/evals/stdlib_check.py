"""The standard library checked against CPython: `check_stdlib(out)` compiles every routine of
`nclib.routines`, runs random inputs (`random_args`) in hard and soft (one-hot) mode, compares each
result with the Python function itself, prints one table row per routine, and writes the library,
its listings and a few execution traces under `out`. `nclib check-stdlib` is this function.
"""

from __future__ import annotations

import copy
import random
import time
from pathlib import Path

__all__ = ["check_stdlib", "random_args"]

TRACED = [("insertion_sort", [[5, 2, 8, 1, 9, 3]]), ("fib", [6]), ("gcd", [84, 36]),
          ("bfs_distance", [[0, 1, 1, 2, 2, 3, 0, 4], 5, 0, 3])]


def random_args(prog, rng: random.Random, max_len: int) -> list:
    """Inputs for the stdlib routine `prog` whose CPython computation stays in the window (the
    routine decides what is valid); lists have at most `max_len` elements. KeyError for a routine
    that is not in the stdlib."""
    from nclib.routines import digits

    hi = prog.lo + prog.V
    name = prog.name
    if name in ("add", "sub", "mul", "divmod", "compare", "gcd"):
        a, b = rng.randrange(0, 16), rng.randrange(1, 16)
        return [a + 16, b] if name == "sub" else [a, b]
    if name in ("fib", "fib_iter", "factorial"):
        return [rng.randrange(0, {"fib": 11, "fib_iter": 12, "factorial": 6}[name])]
    if name in ("insertion_sort", "bubble_sort"):
        return [[rng.randrange(0, 100) for _ in range(rng.randrange(0, max_len + 1))]]
    if name == "binary_search":
        return [sorted(rng.randrange(0, 100) for _ in range(rng.randrange(0, max_len + 1))), rng.randrange(0, 100)]
    if name in ("bfs_reachable", "dfs_reachable", "bfs_distance"):
        n = rng.randrange(2, 7)
        edges = [rng.randrange(n) for _ in range(2 * rng.randrange(0, 6))]
        return [edges, n, rng.randrange(n), rng.randrange(n)]
    if name == "reachable":
        edges = [rng.randrange(8) for _ in range(2 * rng.randrange(0, 6))]
        return [edges, rng.randrange(8), rng.randrange(8)]
    if name in ("bfs_order", "dfs_order", "bfs_distances"):
        n = rng.randrange(1, 7)
        edges = [rng.randrange(n) for _ in range(2 * rng.randrange(0, 6))]
        return [edges, n, rng.randrange(n)]
    if name == "parse_digits":
        return [digits.render_digits(rng.randrange(0, hi))]
    if name == "render_digits":
        return [rng.randrange(0, hi)]
    raise KeyError(name)


def _oracle() -> dict:
    """Routine name -> the Python function it was compiled from."""
    from nclib.routines import ROUTINES

    return {name: getattr(__import__(f"nclib.routines.{module}", fromlist=[name]), name)
            for module, names in ROUTINES.items() for name in names}


def check_stdlib(out, n: int = 1000, n_soft: int = 64, max_len: int = 8, seed: int = 0) -> int:
    """Compile the standard library, check hard and soft (one-hot) execution against CPython on
    `n` random inputs per routine (the first `n_soft` of them in soft mode; one batch per routine
    and mode), save the library to `out/stdlib`, and write listings (`out/listings`) and
    execution traces (`out/traces`). Prints a table as it goes; returns the number of
    routine/mode pairs with a mismatch."""
    import nclib
    from nclib.evals.trace import plot_trace
    from nclib.runtime.checked_run import result_text

    out = Path(out)
    (out / "listings").mkdir(parents=True, exist_ok=True)
    start = time.time()
    lib = nclib.stdlib()
    lib.save(out / "stdlib", overwrite=True)  # the check's own output folder, rewritten on every run
    oracle = _oracle()
    rng = random.Random(seed)
    print(f"{'routine':<16}{'lines':>6}{'regs':>6}{'hard = CPython':>16}{'soft = CPython':>16}{'mean steps':>12}{'seconds':>9}")
    failures = 0
    for prog in lib:
        began = time.time()
        (out / "listings" / f"{prog.name}.txt").write_text(prog.listing() + "\n")
        calls = [random_args(prog, rng, max_len) for _ in range(n)]
        expected = []
        for args in calls:
            args = copy.deepcopy(args)
            result = oracle[prog.name](*args)
            expected.append(result if prog.returns != "none" else [x for x, k in zip(args, prog.param_kinds) if k == "list"])
        hard = prog.execute(*prog.encode(calls, "hard"))
        hard_ok = sum(got == want and not fault for got, want, fault in zip(prog.decode(hard, "hard"), expected, (hard.fault != 0).tolist()))
        soft_calls = calls[:n_soft]
        soft = prog.execute(*prog.encode(soft_calls, "soft"), mode="soft")
        soft_ok = sum(got == want for got, want in zip(prog.decode(soft, "soft"), expected))
        failures += (hard_ok < len(calls)) + (soft_ok < len(soft_calls))
        print(f"{prog.name:<16}{prog.asm.n_lines:>6}{prog.asm.n_regs:>6}{f'{hard_ok}/{len(calls)}':>16}"
              f"{f'{soft_ok}/{len(soft_calls)}':>16}{soft.steps.mean().item():>12.1f}{time.time() - began:>9.1f}", flush=True)
    for name, args in TRACED:
        prog = lib[name]
        res = prog.execute(*prog.encode([args]), trace=True)
        plot_trace(prog, res, out / "traces" / f"{name}.png", title=f"{name}{tuple(args)} = {result_text(prog, res, 'hard')}")
    print(f"library saved to {out / 'stdlib'}; listings in {out / 'listings'}; traces in {out / 'traces'}")
    print(f"{len(lib)} routines, {failures} with mismatches, {time.time() - start:.1f} s")
    return failures

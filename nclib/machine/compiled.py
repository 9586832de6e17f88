"""Hard mode as a compiled loop: each batch element runs its own steps to the end, the batch in parallel.

The torch machine (`hard.py`) takes one step of every element with about 60 eager tensor ops, so a
step costs microseconds whatever the batch. Here one step of one element is a handful of machine
instructions: the loop of `interp.py` (plain Python, `run_batch` / `step` / `alu`) is compiled by
numba (LLVM) and the batch is split over the CPU cores with `prange` (as many threads as torch
uses). numba rather than a C++ torch extension: the interpreter stays Python source next to the ISA
it implements, the same source also runs uncompiled (what a single call starts on, with neither
numba nor torch loaded), it needs no compiler tool chain on the user's machine (numba ships LLVM in
its wheel), and the compiled code is cached on disk after the first run (keyed on interp.py, where
all of the compiled code lives).

tests/machine/test_compiled.py checks it against the torch machine on the standard library, the
compiler corpus and random programs, element by element.
"""

from __future__ import annotations

import sys
import warnings

from nclib.machine import interp
from nclib.machine.state import HARD_FIELDS, HardState

try:
    import numba
except ImportError:  # pragma: no cover - numba is a declared dependency
    numba = None

AVAILABLE = numba is not None

if numba is not None:
    # `alu` and `step` stay plain Python functions (what an interpreted run calls); registered as
    # jitable, numba compiles them into run_batch, inlined. run_batch's `prange` becomes numba's.
    from numba.extending import register_jitable

    register_jitable(inline="always")(interp.alu)  # inlined: 4-5x faster than calls (measured)
    register_jitable(inline="always")(interp.step)
    interp.prange = numba.prange
    _run = numba.njit(parallel=True, cache=True)(interp.run_batch)


def warm() -> bool:
    """Whether this process has the interpreter loaded (compiled, or read from numba's disk cache)."""
    return numba is not None and bool(_run.signatures)


def run_arrays(asm, arrays: list, max_steps: int, cycles: bool = True, stride: int = 8, threads: int | None = None) -> None:
    """`interp.run_batch` compiled, on the HARD_FIELDS numpy arrays (changed in place), over
    `threads` threads (default: torch's thread count when torch is loaded, else numba's)."""
    if numba is None:
        raise RuntimeError("the compiled hard machine needs numba (pip install numba)")
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    numba.set_num_threads(max(1, min(threads or torch_threads or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS)))
    with warnings.catch_warnings():
        # The first call compiles. numba's SSA pass reports variables of the inlined `step` as "not in
        # scope" (NumbaIRAssumptionWarning, an internal pedantic check) for overload-inlined code;
        # the results are checked element by element against the torch machine (test_compiled.py).
        warnings.simplefilter("ignore", numba.core.errors.NumbaIRAssumptionWarning)
        _run(*interp.batch_args(asm, arrays, max_steps, cycles, stride))
    if torch is not None and torch.get_num_threads() != torch_threads:
        torch.set_num_threads(torch_threads)  # numba's OpenMP layer starts with all cores, in the OpenMP torch shares


def run_compiled(asm, state: HardState, max_steps: int, cycles: bool = True, stride: int = 8,
                 threads: int | None = None) -> HardState:
    """`run_hard` on the CPU as one compiled call; returns new tensors (the input state is not changed)."""
    import torch

    from nclib.util.memory import check_hard_run

    check_hard_run(asm, state.mem.shape[0], copies=2)  # the state and the CPU copy the loop works on
    arrays = [getattr(state, name).detach().to("cpu", torch.int64).contiguous().numpy().copy() for name in HARD_FIELDS]
    run_arrays(asm, arrays, max_steps, cycles, stride, threads)
    return HardState(*(torch.from_numpy(a) for a in arrays))


def warm_cache() -> float:
    """Compile the loop (or load it from numba's disk cache) by running a one-line program once;
    returns the seconds it took. What `python -m nclib.machine.compiled` and scripts/setup.sh run,
    so that no run of a user's waits for the compile."""
    import time

    from nclib.runtime.call import initial_arrays
    from nclib.compiler import compile_text

    start = time.perf_counter()
    asm = compile_text("def one(x: int) -> int:\n    return x + 1\n", "one")
    arrays, _ = initial_arrays(asm, [1])
    run_arrays(asm, arrays, 100)
    return time.perf_counter() - start


if __name__ == "__main__":
    if numba is None:
        sys.exit("nclib: numba is not installed; the hard machine runs interpreted")
    print(f"nclib: the compiled hard-machine loop is ready ({warm_cache():.1f} s)")

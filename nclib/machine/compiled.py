"""Hard mode as a compiled loop: each batch element runs its own steps to the end, the batch in parallel.

The torch machine (`hard.py`) takes one step of every element with about 60 eager tensor ops, so a
step costs microseconds whatever the batch. Here one step of one element is a handful of machine
instructions: the loop of `interp.py` (plain Python, `run_batch` / `step` / `alu`) is compiled by
numba (LLVM) and the batch is split over the CPU cores with `prange` (as many threads as torch
uses). numba rather than a C++ torch extension: the interpreter stays Python source next to the ISA
it implements, the same source also runs uncompiled (what a single call starts on, with neither
numba nor torch loaded), it needs no compiler tool chain on the user's machine (numba ships LLVM in
its wheel), and the compiled code is cached on disk after the first run (numba keys it on
interp.py; the cycle rule of cycles.py and the opcode numbers of isa.py are compiled in too, so a
cache older than any of them is removed here before numba looks: `loop_cache.stale_loop_caches`).

When it runs is `backend.py`'s choice. tests/machine/test_compiled.py checks it against the torch
machine on the standard library, the compiler corpus and random programs, element by element.
"""

from __future__ import annotations

import sys
import warnings

from nclib.machine import interp
from nclib.machine.cycles import STRIDE, loop_line, snapshot_due, state_key
from nclib.machine.loop_cache import stale_loop_caches
from nclib.machine.state import HardState

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
    for rule in (state_key, snapshot_due, loop_line):  # the cycle rule, inlined as it was written in the loop
        register_jitable(inline="always")(rule)
    interp.prange = numba.prange
    for index in stale_loop_caches():
        index.unlink(missing_ok=True)
    _run = numba.njit(parallel=True, cache=True)(interp.run_batch)


def warm() -> bool:
    """Whether this process has the interpreter loaded (compiled, or read from numba's disk cache)."""
    return numba is not None and bool(_run.signatures)


def run_loop(asm, state: HardState, max_steps: int, cycles: bool = True, stride: int = STRIDE,
             threads: int | None = None) -> None:
    """`interp.run_batch` compiled, on `state` (int64 numpy arrays, changed in place), over
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
        _run(*interp.batch_args(asm, state, max_steps, cycles, stride))
    if torch is not None and torch.get_num_threads() != torch_threads:
        torch.set_num_threads(torch_threads)  # numba's OpenMP layer starts with all cores, in the OpenMP torch shares


def warm_cache() -> float:
    """Compile the loop (or load it from numba's disk cache) by running a one-line program once;
    returns the seconds it took. What `python -m nclib.machine.compiled` and scripts/setup.sh run,
    so that no run of a user's waits for the compile."""
    import time

    from nclib.compiler import compile_text
    from nclib.machine.state import initial_state

    start = time.perf_counter()
    asm = compile_text("def one(x: int) -> int:\n    return x + 1\n", "one")
    state, _ = initial_state(asm, [1])
    run_loop(asm, state, 100)
    return time.perf_counter() - start


if __name__ == "__main__":
    if numba is None:
        sys.exit("nclib: numba is not installed; the hard machine runs interpreted")
    print(f"nclib: the compiled hard-machine loop is ready ({warm_cache():.1f} s)")

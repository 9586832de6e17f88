"""Which hard machine runs a batch: the torch step, the compiled numba loop or the interpreted loop.

Three backends compute the same hard machine (tests/machine/test_opcodes.py, test_compiled.py):

    torch        `hard.run_torch`: one eager torch step of the whole batch at a time, on any device;
                 the reference, the path on GPUs and the one that records per-step traces
    compiled     `compiled.run_loop`: `interp.run_batch` compiled by numba, each element run to its
                 end, the batch over the CPU cores
    interpreted  `interp.run_interpreted`: the same loop as plain Python (~1.4 us a step); needs
                 neither numba nor torch, so a single call starts at once

This module alone chooses. NCLIB_HARD=torch forces the torch step, NCLIB_HARD=compiled the
compiled loop (refusing what it cannot run), and NCLIB_HARD=auto (default) takes the compiled
loop on the CPU when no trace is asked for: at once when this process has it loaded; otherwise
interpreted for up to COLD_STEPS element-steps first, then compiled (`run_state`). If numba has not
cached the compiled loop yet (`compiled_loop_cached`), a long run says so once, compiles it in a
background process (`compile_in_background`) and runs interpreted until it is ready. The cycle
detector's schedule restarts where a run moves from one loop to the other, which changes only the
step at which a non-halting element is caught.

Entries: `run_hard` (a torch state, `Program.execute`) and `run_state` (a numpy state changed in
place, one call: `nclib/runtime/call.py`). Importing this module loads neither torch nor numba.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from nclib.machine import interp
from nclib.machine.isa import HALT_LINE
from nclib.machine.loop_cache import compiled_loop_cached
from nclib.machine.state import HardState

HARD_BACKENDS = ("auto", "compiled", "torch")  # the values of NCLIB_HARD
MACHINES = ("torch", "compiled", "interpreted")

# Element-steps a run takes interpreted (~1.4 us each here) before it moves to the compiled loop,
# whose first load in a process costs ~1 s (numba's import and disk cache): spending about as long
# interpreted as the switch costs bounds a run's start-up at about twice the best choice made
# knowing its length in advance (the ski-rental argument). Without the disk cache the compile
# takes ~30 s: the run then says so once, starts the compile in a background process and goes on
# interpreted, in chunks of COLD_STEPS, until the cache exists (`compile_in_background`).
COLD_STEPS = 400_000



def hard_choice() -> str:
    """NCLIB_HARD (default "auto"), one of HARD_BACKENDS, else a ValueError naming it."""
    choice = os.environ.get("NCLIB_HARD", "auto")
    if choice not in HARD_BACKENDS:
        raise ValueError(f"NCLIB_HARD={choice!r}: expected one of {', '.join(HARD_BACKENDS)}")
    return choice


def hard_backend(device, trace: list | None) -> str:
    """"compiled" or "torch" for a batched run on `device` (see the module docstring; "compiled"
    under auto may start interpreted, `run_state`)."""
    choice = hard_choice()
    if choice == "torch":
        return "torch"
    have_numba = importlib.util.find_spec("numba") is not None  # (without importing it: 0.2 s)
    on_cpu = getattr(device, "type", str(device)) == "cpu"
    usable = on_cpu and trace is None and have_numba
    if choice == "compiled" and not usable:
        why = "numba is not installed" if not have_numba else "a trace was asked for" if trace is not None else f"the state is on {device}"
        raise ValueError(f"NCLIB_HARD=compiled: the compiled hard machine cannot run this ({why}); use NCLIB_HARD=torch or auto")
    return "compiled" if usable else "torch"


def run_hard(asm, state: HardState, max_steps: int, trace: list | None = None, cycles: bool = True) -> HardState:
    """Run a torch state until every element halted (or faulted) or max_steps steps were taken, on
    the backend `hard_backend` picks; returns the new state. With `cycles`, an element whose full
    state repeats is stopped with fault FAULT_NO_HALT at its loop's line (`cycles.py`)."""
    if hard_backend(state.regs.device, trace) == "compiled":
        arrays = state.to_numpy()
        run_state(asm, arrays, max_steps, cycles)
        return arrays.to_torch()
    from nclib.machine.hard import run_torch

    return run_torch(asm, state, max_steps, trace, cycles)


def run_machine(machine: str, asm, state: HardState, max_steps: int, cycles: bool = True) -> None:
    """Run a numpy state (changed in place) on one of MACHINES, no switching."""
    if machine == "interpreted":
        interp.run_interpreted(asm, state, max_steps, cycles)
    elif machine == "compiled":
        from nclib.machine.compiled import run_loop

        run_loop(asm, state, max_steps, cycles)
    elif machine == "torch":
        from nclib.machine.hard import run_torch

        done = run_torch(asm, state.to_torch(), max_steps, None, cycles)
        for array, tensor in zip(state, done):
            array[...] = tensor.numpy()
    else:
        raise ValueError(f"unknown hard machine {machine!r}; the machines are {', '.join(MACHINES)}")


def run_state(asm, state: HardState, max_steps: int, cycles: bool = True) -> None:
    """Run a numpy state (changed in place) on the machine NCLIB_HARD picks; auto: the compiled loop
    once this process has it loaded, else interpreted for up to COLD_STEPS element-steps and then
    compiled (the module docstring)."""
    choice = hard_choice()
    if choice != "auto":
        run_machine(choice, asm, state, max_steps, cycles)
        return
    loaded = sys.modules.get("nclib.machine.compiled")
    if not (loaded is not None and loaded.warm()):
        chunk = max(1, COLD_STEPS // max(1, state.regs.shape[0]))  # steps per element of one interpreted stretch

        def interpreted(steps: int) -> bool:
            """Run up to `steps` interpreted; True when the run is over."""
            nonlocal max_steps
            steps = min(max_steps, steps)
            interp.run_interpreted(asm, state, steps, cycles)
            max_steps -= steps
            return max_steps == 0 or bool((state.ip == HALT_LINE).all())

        if interpreted(chunk):
            return
        if importlib.util.find_spec("numba") is None:  # no compiled loop: go on interpreted
            interpreted(max_steps)
            return
        if not compiled_loop_cached():
            compiling = compile_in_background()
            while compiling.poll() is None:  # the compile takes ~30 s: keep running meanwhile
                if interpreted(chunk):
                    return
    run_machine("compiled", asm, state, max_steps, cycles)


_background = None  # the process compiling the loop, started at most once per process


def compile_in_background():
    """Start `python -m nclib.machine.compiled` (numba compiles the machine loop into its disk
    cache, ~30 s, once per installation) unless this process already did, saying so on stderr once;
    returns the process (`poll()` is None while it runs)."""
    global _background
    if _background is None:
        import subprocess

        print("nclib: a long hard-mode run, and numba's compiled machine loop is not cached yet: compiling it in the "
              "background (about 30 s, once per installation; `python -m nclib.machine.compiled` does it ahead), "
              "running interpreted meanwhile", file=sys.stderr, flush=True)
        _background = subprocess.Popen([sys.executable, "-m", "nclib.machine.compiled"], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return _background

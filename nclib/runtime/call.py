"""One call of a compiled routine on Python values, in hard mode, without torch.

`call_hard(asm, args)` is what `Program.__call__` and `nclib run FILE.py:f ...` do: check the
arguments (count, kinds, value window, defaults), place them in the machine's state
(`state.place_arguments`, as batched execution does), run the hard machine, raise the error the
run ran into (naming the source line), copy list arguments back (Python's in-place mutation) and
decode the result. The state is numpy arrays in the `HARD_FIELDS` layout, so a call needs neither
torch nor numba: a run starts on the interpreted loop (`machine/interp.py`, about 3 us a step) and
moves to the compiled one (`machine/compiled.py`) when it is still running after COLD_STEPS steps
or when the compiled loop is already loaded. If numba has not cached the compiled loop yet, a long
run says so once and compiles it in a background process, running interpreted until it is ready.
`raise_fault` turns a finished element into its error for batched results too
(`Program.raise_for_fault`).

NCLIB_HARD picks the machine as for batched runs: auto (above), compiled (always the compiled
loop), torch (the torch step, `hard.run_hard`: the reference).
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import numpy as np

from nclib.errors import MachineFault, NonHaltingError, RoutineError, StepLimitError, ValueRangeError
from nclib.machine.isa import FAULT_NAMES, FAULT_NO_HALT, FAULT_RAISE, HALT_LINE, RV
from nclib.machine.state import HARD_FIELDS, list_layout, place_arguments

__all__ = ["COLD_STEPS", "call_hard", "compile_in_background", "compiled_loop_cached", "check_call_args", "check_value", "enclosing_loop", "raise_fault", "run_arrays"]

# Element-steps a run takes interpreted (~1.4 us each here) before it moves to the compiled loop,
# whose first load in a process costs ~1 s (numba's import and disk cache): spending about as long
# interpreted as the switch costs bounds a run's start-up at about twice the best choice made
# knowing its length in advance (the ski-rental argument). Without the disk cache the compile
# takes ~30 s: the run then says so once, starts the compile in a background process and goes on
# interpreted, in chunks of COLD_STEPS, until the cache exists (`compile_in_background`).
COLD_STEPS = 400_000


def check_call_args(asm, args: tuple) -> list:
    """The arguments of one call, defaults filled in: TypeError for a wrong count or kind,
    ValueRangeError for a value outside the window (checked before it becomes an int64)."""
    params, kinds, name = list(asm.params), list(asm.param_kinds), asm.entry
    defaults = list(getattr(asm, "defaults", []))
    if len(params) - len(defaults) <= len(args) < len(params):  # omitted arguments take their defaults
        args = tuple(args) + tuple(defaults[len(defaults) - (len(params) - len(args)):])
    if len(args) != len(params):
        raise TypeError(f"{name}() takes {len(params)} arguments ({', '.join(params)}), got {len(args)}")
    for param, kind, arg in zip(params, kinds, args):
        if kind == "list":
            if not isinstance(arg, (list, tuple)) or not all(isinstance(x, int) for x in arg):
                raise TypeError(f"argument {param} of {name} must be a list of ints, got {arg!r}")
            for x in arg:
                check_value(asm, param, x)
        else:
            if not isinstance(arg, int):
                raise TypeError(f"argument {param} of {name} must be an int, got {type(arg).__name__} {arg!r}")
            check_value(asm, param, arg)
    return list(args)


def check_value(asm, param: str, x: int) -> None:
    """A Python int argument must lie in the window (checked before it becomes an int64)."""
    if not asm.lo <= x < asm.lo + asm.V:
        raise ValueRangeError(f"argument {param}: value {x} is outside the value window [{asm.lo}, {asm.lo + asm.V}) "
                              f"of {asm.entry}")


def initial_arrays(asm, args: list) -> tuple[list, list[int]]:
    """(the HARD_FIELDS arrays of a batch of one, each list argument's base cell) for checked
    `args`: the layout `Program.execute` uses (lists in order from cell 0, then the heap)."""
    from nclib.util.memory import check_hard_run

    check_hard_run(asm, 1)  # before anything of size memory= is allocated
    parsed = [(np.array([list(arg) or [0]], dtype=np.int64), np.array([len(arg)], dtype=np.int64)) if kind == "list"
              else int(arg) for kind, arg in zip(asm.param_kinds, args)]  # an empty list keeps one unused cell, as in execute
    layout, offset = list_layout(asm, [p[0].shape[1] for kind, p in zip(asm.param_kinds, parsed) if kind == "list"])
    placement = place_arguments(asm.param_registers, list(asm.param_kinds), parsed, layout, offset)
    R, A, K = asm.n_regs, asm.memory, asm.stack
    regs = np.zeros((1, R + len(asm.consts)), dtype=np.int64)
    regs[0, R:] = asm.consts
    mem = np.zeros((1, A), dtype=np.int64)
    for base, lengths, values in placement.blocks:
        n = int(lengths[0])
        mem[0, base] = n
        mem[0, base + 1:base + 1 + n] = values[0, :n]
    for reg, value in placement.registers:
        regs[0, reg] = value
    zeros = [np.zeros(1, dtype=np.int64) for _ in range(7)]
    sp, ip, steps, fault, fault_line, overflow_line, overflow_value = zeros
    overflow_line -= 1
    arrays = [regs, mem, np.zeros((1, K, R), dtype=np.int64), np.zeros((1, K), dtype=np.int64),
              sp, ip, steps, fault, fault_line, overflow_line, overflow_value]
    return arrays, layout


HARD_BACKENDS = ("auto", "compiled", "torch")


def hard_choice() -> str:
    """NCLIB_HARD (default "auto"), one of HARD_BACKENDS, else a ValueError naming it."""
    choice = os.environ.get("NCLIB_HARD", "auto")
    if choice not in HARD_BACKENDS:
        raise ValueError(f"NCLIB_HARD={choice!r}: expected one of {', '.join(HARD_BACKENDS)}")
    return choice


def run_arrays(asm, arrays: list, max_steps: int, cycles: bool = True) -> None:
    """Run the batch in `arrays` (HARD_FIELDS, numpy, changed in place) on the machine NCLIB_HARD
    picks; auto: the compiled loop once this process has it loaded, else interpreted for up to
    COLD_STEPS element-steps and then compiled (numba's cycle detector restarts there, which
    changes only the step count at which a non-halting element is caught)."""
    choice = hard_choice()
    if choice == "torch":
        import torch

        from nclib.machine.hard import _run_torch
        from nclib.machine.state import HardState

        state = _run_torch(asm, HardState(*(torch.from_numpy(a) for a in arrays)), max_steps, None, cycles)
        for a, name in zip(arrays, HARD_FIELDS):
            a[...] = getattr(state, name).numpy()
        return
    loaded = sys.modules.get("nclib.machine.compiled")
    if choice == "auto" and not (loaded is not None and loaded.warm()):
        import importlib.util

        from nclib.machine.interp import run_interpreted

        chunk = max(1, COLD_STEPS // max(1, arrays[0].shape[0]))  # steps per element of one interpreted stretch

        def interpreted(steps: int) -> bool:
            """Run up to `steps` interpreted; True when the run is over."""
            nonlocal max_steps
            steps = min(max_steps, steps)
            run_interpreted(asm, arrays, steps, cycles)
            max_steps -= steps
            return max_steps == 0 or bool((arrays[5] == HALT_LINE).all())

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
    from nclib.machine.compiled import run_arrays as run_compiled_arrays

    run_compiled_arrays(asm, arrays, max_steps, cycles)


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


def compiled_loop_cached() -> bool:
    """Whether numba's disk cache holds the compiled loop for the current interp.py, so loading it
    costs ~1 s rather than a ~30 s compile: an index file `interp.run_batch-*.nbi` no older than
    interp.py, next to it (numba's default) or under NUMBA_CACHE_DIR / ~/.cache/numba (its
    locators for read-only installs). Checked without importing numba."""
    from nclib.machine import interp

    source = Path(interp.__file__)
    stamp = source.stat().st_mtime
    places = [source.parent / "__pycache__"]
    for root in (os.environ.get("NUMBA_CACHE_DIR"), Path.home() / ".cache" / "numba"):
        if root and Path(root).is_dir():
            places += [p for p in Path(root).iterdir() if p.is_dir()]
    return any(index.stat().st_mtime >= stamp for place in places if place.is_dir()
               for index in place.glob("interp.run_batch-*.nbi"))


def call_hard(asm, args: tuple, max_steps: int = 1_000_000):
    """`asm`'s routine on Python ints and lists, like calling the Python function: list arguments
    are updated in place; errors raise (see `raise_fault`)."""
    args = check_call_args(asm, args)
    arrays, layout = initial_arrays(asm, args)
    run_arrays(asm, arrays, max_steps)
    regs, mem = arrays[0], arrays[1]
    ip, steps, fault, fault_line, overflow_line, overflow_value = (int(a[0]) for a in arrays[5:])
    halted = ip == HALT_LINE and fault != FAULT_NO_HALT
    raise_fault(asm, overflow_line, overflow_value, fault, fault_line, regs[0, :asm.n_regs], halted, steps)
    lists = iter(layout)
    for kind, arg in zip(asm.param_kinds, args):
        if kind == "list":
            base = next(lists)
            if isinstance(arg, list):
                arg[:] = mem[0, base + 1:base + 1 + len(arg)].tolist()
    if asm.returns == "none":
        return None
    value = int(regs[0, RV])
    if asm.returns == "list":
        addr = min(max(value, 0), asm.memory - 1)
        n = int(mem[0, addr])
        out = mem[0, addr + 1:addr + 1 + n].tolist()
        return tuple(out) if getattr(asm, "returns_tuple", False) else out
    return value


def raise_fault(asm, overflow_line: int, overflow_value: int, fault: int, fault_line: int, registers, halted: bool,
                steps: int) -> None:
    """Raise the error a finished hard-mode element ran into, naming the source line: a result
    outside the value window (ValueRangeError), the routine's raise / failed assert (RoutineError,
    its message formatted with the registers [R] at that line), a loop found returning to an earlier
    state (NonHaltingError), another fault (MachineFault) or no halt within max_steps (StepLimitError)."""
    name, lo, hi = asm.entry, asm.lo, asm.lo + asm.V
    if overflow_line >= 0:
        value = overflow_value
        shown = str(value) if abs(value) < 2**62 else ("-" if value < 0 else "") + "2**62 or beyond"
        raise ValueRangeError(f"{name}: result {shown} is outside the value window [{lo}, {hi}) "
                              f"{where(asm, overflow_line)}; widen values=(lo, hi) (negative intermediates need a "
                              f"signed window such as (-128, 128))")
    if fault == FAULT_RAISE:
        line = asm.lines[fault_line]
        values = [int(registers[x[1]]) if x[0] == "r" else x[1] for x in line.values]
        raise RoutineError(f"{asm.file}:{line.loc[0]}: {line.note.format(*values)}")
    if fault == FAULT_NO_HALT:
        loop = enclosing_loop(asm.source, asm.lines[fault_line].loc[0])
        src = asm.source.splitlines()
        text = src[loop - 1].strip() if 0 < loop <= len(src) else ""
        raise NonHaltingError(f"{name}: does not halt: the loop at line {loop} of {asm.file} (`{text}`) returns "
                              f"to an earlier state (same registers, memory and stack; machine line {fault_line}), so it "
                              f"would never halt, whatever max_steps; fix the loop's condition or what the loop changes")
    if fault:
        raise MachineFault(f"{name}: {FAULT_NAMES[fault]} {where(asm, fault_line)}")
    if not halted:
        raise StepLimitError(f"{name}: did not halt within max_steps={steps} steps")


def where(asm, line: int) -> str:
    """'at line L of FILE (`source text`, machine line N)' for machine line `line`."""
    loc = asm.lines[line].loc
    src = asm.source.splitlines()
    text = src[loc[0] - 1].strip() if 0 < loc[0] <= len(src) else ""
    return f"at line {loc[0]} of {asm.file} (`{text}`, machine line {line})"


def enclosing_loop(source: str, line: int) -> int:
    """The header line of the innermost `while` / `for` of `source` that contains source line
    `line` (the line itself when none does, or when the source does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return line
    headers = [node.lineno for node in ast.walk(tree)
               if isinstance(node, (ast.While, ast.For)) and node.lineno <= line <= (node.end_lineno or node.lineno)]
    return max(headers, default=line)


"""One call of a compiled routine on Python values, in hard mode, without torch.

`call_hard(asm, args)` is what `Program.__call__` and `nclib run FILE.py:f ...` do: check the
arguments (count, kinds, value window, defaults), place them in the machine's state
(`state.place_arguments`, as batched execution does), run the hard machine, raise the error the
run ran into (naming the source line), copy list arguments back (Python's in-place mutation) and
decode the result. The state is a `HardState` of numpy arrays, so a call needs neither torch nor
numba; which machine runs it (interpreted first, then the compiled loop, or as NCLIB_HARD says) is
`nclib.machine.backend.run_state`'s choice. `raise_fault` turns a finished element into its error
for batched results too (`Program.raise_for_fault`).

COLD_STEPS, compile_in_background, compiled_loop_cached, enclosing_loop and hard_choice are
re-exported from `nclib.machine.backend` / `nclib.machine.cycles`, where they live.
"""

from __future__ import annotations

from nclib.errors import MachineFault, NonHaltingError, RoutineError, StepLimitError, ValueRangeError
from nclib.machine.isa import FAULT_NAMES, FAULT_NO_HALT, FAULT_RAISE, HALT_LINE, RV
from nclib.machine.backend import COLD_STEPS, compile_in_background, compiled_loop_cached, hard_choice, run_state  # noqa: F401
from nclib.machine.cycles import enclosing_loop
from nclib.machine.state import initial_state

__all__ = ["COLD_STEPS", "call_hard", "compile_in_background", "compiled_loop_cached", "check_call_args", "check_value",
           "enclosing_loop", "hard_choice", "initial_state", "none_flags", "raise_fault", "with_defaults"]


def check_call_args(asm, args: tuple) -> list:
    """The arguments of one call, defaults filled in: TypeError for a wrong count or kind,
    ValueRangeError for a value outside the window (checked before it becomes an int64)."""
    params, kinds, name = list(asm.params), list(asm.param_kinds), asm.entry
    args = with_defaults(asm, args)
    if len(args) != len(params):
        raise TypeError(f"{name}() takes {len(params)} arguments ({', '.join(params)}), got {len(args)}")
    for param, kind, arg in zip(params, kinds, args):
        if arg is None and param in none_flags(asm):
            continue
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


def none_flags(asm) -> dict[str, int]:
    """Parameter with default None -> the register of its flag (1: holds a value, 0: None)."""
    return getattr(asm, "none_flags", {})


def with_defaults(asm, args) -> tuple:
    """`args` with the omitted trailing arguments that have a default filled in (None for a
    parameter whose default is None), as Python fills them; other counts are left as they are."""
    params, defaults = list(asm.params), list(getattr(asm, "defaults", []))
    if not len(params) - len(defaults) <= len(args) < len(params):
        return tuple(args)
    return tuple(args) + tuple(defaults[len(defaults) - (len(params) - len(args)):])


def check_value(asm, param: str, x: int) -> None:
    """A Python int argument must lie in the window (checked before it becomes an int64)."""
    if not asm.lo <= x < asm.lo + asm.V:
        raise ValueRangeError(f"argument {param}: value {x} is outside the value window [{asm.lo}, {asm.lo + asm.V}) "
                              f"of {asm.entry}")


def call_hard(asm, args: tuple, max_steps: int = 1_000_000):
    """`asm`'s routine on Python ints and lists, like calling the Python function: list arguments
    are updated in place; errors raise (see `raise_fault`)."""
    args = check_call_args(asm, args)
    flags = none_flags(asm)
    state, layout = initial_state(asm, [([] if kind == "list" else 0) if arg is None else arg
                                        for kind, arg in zip(asm.param_kinds, args)])
    for param, arg in zip(asm.params, args):
        if param in flags:
            state.regs[0, flags[param]] = int(arg is not None)
    run_state(asm, state, max_steps)
    regs, mem = state.regs, state.mem
    ip, steps, fault, fault_line, overflow_line, overflow_value = (
        int(x[0]) for x in (state.ip, state.steps, state.fault, state.fault_line, state.overflow_line, state.overflow_value))
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

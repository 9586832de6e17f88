"""The register/memory machine that runs an `Assembly`, in hard mode and in soft mode.

    isa       the instruction set: opcodes, line-table columns, reserved registers, fault codes
    state     the machine's state as named types (HardState, SoftState) and the starting state
    cycles    the cycle detector: one rule (schedule, key, verdict) for every hard backend
    hard      hard mode on torch tensors (any device): the torch step, the reference
    interp    hard mode as a loop per batch element, plain Python (interpreted) ...
    compiled  ... and the same loop compiled by numba, for the CPU
    backend   which hard machine runs a batch (NCLIB_HARD, the interpreted-to-compiled switch)
    soft      soft mode: distributions over values and lines (docs/design.md §2.2, docs/machine.md)

Names are re-exported here and imported on first use, so `nclib.machine.isa` can be imported by
the compiler without loading the machines (which import the compiler).
"""

from __future__ import annotations

from nclib.util.lazy import lazy_exports

_EXPORTS = {
    "isa": ("ALU_BINARY", "ALU_UNARY", "ARITHMETIC", "COMPARISONS", "FAULT_DIVZERO", "FAULT_INDEX", "FAULT_MEMORY",
            "FAULT_NAMES", "FAULT_NO_HALT", "FAULT_NO_RETURN", "FAULT_OVERFLOW", "FAULT_RAISE", "FAULT_STACK", "HALT_LINE",
            "HP", "INT64_GUARD", "INT64_GUARD_INT", "ISA", "OP", "OPCODES", "RV", "SCRATCH", "WRITES_REGISTER", "Op",
            "python_op"),
    "state": ("HARD_FIELDS", "HardState", "SoftState"),
    "cycles": ("CycleDetector", "enclosing_loop"),
    "hard": ("HardProgram", "hard_program", "hard_step", "run_torch"),
    "backend": ("hard_backend", "run_hard", "run_state"),
    "soft": ("SoftTables", "binary_table", "prune_mass", "run_soft", "soft_parameters", "soft_step"),
}
__getattr__, __dir__, __all__ = lazy_exports(globals(), _EXPORTS)

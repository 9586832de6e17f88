"""Checks of the options and arguments users pass to the compiler and the machine (torch-free):
each bad value is a one-line ArgumentError naming it."""

from __future__ import annotations

from nclib.errors import ArgumentError

__all__ = ["MODES", "WINDOW_LIMIT", "check_int", "check_unit", "check_window", "compile_options"]

# Window bounds: sums and differences of two window values stay exact in int64.
WINDOW_LIMIT = 2 ** 62
MODES = ("hard", "soft", "worlds")


def check_int(name: str, value, minimum: int, what: str = "") -> int:
    """`value` as an int >= minimum, else a one-line ArgumentError naming `name` and the value."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{name}={value!r} must be an int{f' ({what})' if what else ''}, got {type(value).__name__}")
    if value < minimum:
        raise ArgumentError(f"{name}={value} must be at least {minimum}{f' ({what})' if what else ''}")
    return value


def check_window(values) -> tuple[int, int]:
    if not (isinstance(values, (tuple, list)) and len(values) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in values)):
        raise ArgumentError(f"values={values!r} must be a pair of ints (lo, hi), e.g. values=(0, 256)")
    lo, hi = values
    if not -WINDOW_LIMIT <= lo < hi <= WINDOW_LIMIT:
        raise ArgumentError(f"values=({lo}, {hi}) must satisfy -2**62 <= lo < hi <= 2**62 (values are int64, and the "
                            "sum of two of them must stay exact)")
    return lo, hi


def check_unit(name: str, value, allow_one: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value < 1 or (allow_one and value == 1)):
        raise ArgumentError(f"{name}={value!r} must be a number in [0, 1{']' if allow_one else ')'}")
    return float(value)


def compile_options(values, memory, stack) -> tuple[tuple[int, int], int, int]:
    """(values, memory, stack) checked, memory defaulting to min(64, hi - 1): every address must
    be a value of the window."""
    values = check_window(values)
    if memory is None:
        memory = max(1, min(64, values[1] - 1))
    check_int("memory", memory, 1, "cells of list memory")
    check_int("stack", stack, 1, "call frames")
    return values, memory, stack

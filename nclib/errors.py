"""Exceptions raised by nclib. Each names the bad value or source location."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NclibError", "CompileError", "Problem", "ValueRangeError", "MachineFault", "StepLimitError", "LibraryError",
           "ArgumentError", "MemoryLimitError", "NonHaltingError", "UsageError", "RoutineError"]


class NclibError(Exception):
    """Base class of every nclib error."""


@dataclass(frozen=True)
class Problem:
    """One unsupported construct found by the compiler."""

    file: str
    line: int
    col: int
    construct: str
    hint: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.construct} is not supported; {self.hint}"


class CompileError(NclibError, SyntaxError):
    """The source uses constructs outside the accepted subset. `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the source:\n{lines}")

    def __str__(self) -> str:
        return self.args[0]


class ValueRangeError(NclibError, ValueError):
    """A value left the program's value window (an input, or a result computed by a source line)."""


class MachineFault(NclibError, RuntimeError):
    """The machine stopped on a runtime fault (index out of range, out of memory, stack overflow,
    division by zero, or a function that ended without returning its value)."""


class RoutineError(NclibError, RuntimeError):
    """The compiled routine itself stopped with an error: a `raise` or a failed `assert` of its
    source ran. The message is "file:line: ExceptionType: message" (the message when the source
    gives a literal or an f-string of ints)."""


class StepLimitError(MachineFault):
    """The program did not halt within `max_steps`."""


class NonHaltingError(StepLimitError):
    """The program never halts: the hard machine returned to an earlier state (registers, memory,
    call stack and instruction pointer all equal), so it repeats that loop forever. The message
    names the loop's source line."""


class UsageError(NclibError, ValueError):
    """A command-line argument of `nclib` is wrong in itself (an unknown name, a malformed value).
    The command exits with code 2 for it, as for argparse's own usage errors."""


class LibraryError(NclibError, ValueError):
    """A saved library is corrupt, incomplete, or does not match this version of nclib."""


class ArgumentError(NclibError, ValueError, TypeError):
    """An API argument has the wrong type or value (names the argument, the value and what to pass).
    A ValueError and a TypeError, so callers that caught either keep working."""


class MemoryLimitError(NclibError, MemoryError):
    """A soft-mode run (or its tables) would need more memory than the machine has; raised before
    anything is allocated, naming the window, the estimate and the alternative (hard or worlds mode)."""

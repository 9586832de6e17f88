"""What every `nclib` command shares: the parser class, argument types and options, and the one
place where an error becomes a line on stderr and an exit code (`explain`).

Errors: a usage error (`UsageError`, or a malformed argument that argparse finds) exits with code
2, anything else that stops a command with code 1; both print one line, `nclib <command>: error:
<message>` (argparse's adds `; see `nclib <command> --help``).
"""

from __future__ import annotations

import argparse
import contextlib

from nclib.errors import CompileError, NclibError, UsageError

__all__ = ["NATURAL", "POSITIVE", "Parser", "WindowAction", "explain", "int_at_least", "max_steps_option",
           "target_options", "writing"]


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (`nclib run: error: <message>; see `nclib run --help``,
    exit code 2) and a `--debug` option on every (sub)command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="on an error, show the Python traceback instead of one line")

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def int_at_least(minimum: int):
    """An argparse type: an int >= minimum (else a usage error naming the value)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value

    parse.__name__ = f"int >= {minimum}"
    return parse


POSITIVE, NATURAL = int_at_least(1), int_at_least(0)


class WindowAction(argparse.Action):
    """--values LO HI: two ints with LO < HI."""

    def __call__(self, parser, namespace, values, option_string=None):
        lo, hi = values
        if lo >= hi:
            parser.error(f"argument {option_string}: LO must be below HI, got {lo} {hi} (e.g. --values 0 256)")
        setattr(namespace, self.dest, [lo, hi])


def target_options(p: argparse.ArgumentParser) -> None:
    """TARGET and the compile options --values, --memory, --stack (None when not given)."""
    p.add_argument("target", help="FILE.py[:FUNC] or a saved LIBRARY_DIR[:ROUTINE]")
    p.add_argument("--values", nargs=2, type=int, default=None, action=WindowAction, metavar=("LO", "HI"),
                   help="value window [LO, HI) (default 0 256)")
    p.add_argument("--memory", type=POSITIVE, default=None, help="memory cells (default min(64, HI - 1))")
    p.add_argument("--stack", type=POSITIVE, default=None, help="call stack frames (default 16)")


def max_steps_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-steps", type=POSITIVE, default=None,
                   help="stop with an error after this many machine steps (default: 1000000 hard; soft: "
                        "max(10000, the hard run's steps + 1)); a loop that repeats a state is reported at once")


@contextlib.contextmanager
def writing(path, what: str):
    """An OSError while writing `what` to `path` becomes an NclibError naming the path the user
    gave (not a temporary sibling of it)."""
    from nclib.util.atomic import SaveError

    try:
        yield
    except SaveError:  # a refusal before anything was written: its message says what to do
        raise
    except OSError as err:
        raise NclibError(f"cannot write {what} to {str(path)!r}: {err.strerror or err}; choose a writable path") from err


def explain(err: Exception) -> tuple[int, str]:
    """(exit code, message) for an error that stopped a command: 2 for a UsageError, else 1. The
    message is one line, except a CompileError's list of problems (one line each)."""
    if isinstance(err, UsageError):
        return 2, str(err)
    if isinstance(err, CompileError):
        return 1, str(err.problems[0]) if len(err.problems) == 1 else str(err)
    if isinstance(err, NclibError):
        return 1, str(err)
    if isinstance(err, SyntaxError):
        return 1, f"{err.filename}:{err.lineno}:{err.offset}: the source is not valid Python: {err.msg}"
    if isinstance(err, OSError):
        if err.strerror and err.filename:
            return 1, f"{err.strerror}: {err.filename}" + (f" -> {err.filename2}" if err.filename2 else "")
        return 1, " ".join(str(err).split())
    if isinstance(err, MemoryError):
        return 1, f"out of memory{': ' + str(err) if str(err) else ''}; try a smaller batch, window or input"
    if isinstance(err, (ValueError, TypeError)):
        return 1, " ".join(str(err).split())
    return 1, f"unexpected {type(err).__name__}: {' '.join(str(err).split())} (rerun with --debug for the traceback)"

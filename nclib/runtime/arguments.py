"""Python-literal arguments for one call of a program: `parse_arguments(prog, ["84", "[3, 1, 2]"])`
reads each text as an int or a list of ints and checks their number against the program's
signature. Anything else raises `UsageError` with one line naming the text (a text too long to
show is cut, with its length). No torch is imported: `prog` may be a `Program` or an `Assembly`.
"""

from __future__ import annotations

import ast
import sys

from nclib.errors import UsageError
from nclib.runtime.call import none_flags, with_defaults

__all__ = ["parse_arguments"]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_literal(text: str):
    """One text -> an int or a list of ints (a UsageError naming the text otherwise)."""
    shown = repr(text) if len(text) <= 60 else f"{text[:40]!r}... ({len(text):,} characters)"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as err:
        if "integer string conversion" in str(err):  # Python refuses to read ints of over 4,300 digits
            raise UsageError(f"argument {shown} is an integer of more than {sys.get_int_max_str_digits():,} digits, "
                             "outside every value window (and Python's limit for reading one)") from None
        value = None
    except (TypeError, MemoryError, RecursionError):
        value = None
    if not (_is_int(value) or (isinstance(value, list) and all(map(_is_int, value)))):
        raise UsageError(f"argument {shown} is not an int or a list of ints (e.g. 12 or '[3, 1, 2]')")
    return value


def parse_arguments(prog, texts: list[str]) -> list:
    """Texts -> Python ints and lists of ints for `prog` (a Program or an Assembly), as many as it
    has parameters, omitted trailing ones taking their defaults (usage errors otherwise). `None`
    is read for a parameter whose default is None."""
    asm = getattr(prog, "asm", prog)
    nullable = none_flags(asm)
    args = list(with_defaults(asm, [None if text == "None" and param in nullable else parse_literal(text)
                                    for param, text in zip(list(prog.params) + [""] * len(texts), texts)]))
    name = getattr(prog, "name", None) or prog.entry
    if len(args) != len(prog.params):
        raise UsageError(f"{name} takes {len(prog.params)} arguments ({', '.join(prog.params)}), got {len(args)}: "
                         f"{' '.join(texts) or 'none'}")
    return args

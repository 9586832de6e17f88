"""`nclib disasm TARGET`: the assembly listing of a routine, or of every routine of a saved library."""

from __future__ import annotations

from pathlib import Path

from nclib.cli.parser import target_options

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("disasm", help="print the assembly listing")
    target_options(p)
    p.set_defaults(func=run)


def run(a) -> None:
    from nclib.runtime.targets import compile_file, is_library_target, load_program

    if Path(a.target).is_dir() and ":" not in a.target:
        import nclib

        load_program(a.target, a.values, a.memory, a.stack)  # refuses compile options on a saved library
        for prog in nclib.Library.load(a.target):
            print(prog.listing(), end="\n\n")
        return
    if is_library_target(a.target):
        print(load_program(a.target, a.values, a.memory, a.stack).listing())
    else:
        print(compile_file(a.target, a.values, a.memory, a.stack).listing())  # no torch

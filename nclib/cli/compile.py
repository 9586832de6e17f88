"""`nclib compile TARGET -o DIR [--overwrite]`: compile a routine and save it as a library."""

from __future__ import annotations

from nclib.cli.parser import target_options, writing

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("compile", help="compile a routine and save it as a library")
    target_options(p)
    p.add_argument("-o", "--output", required=True, help="output library directory")
    p.add_argument("--overwrite", action="store_true", help="replace a library already saved in the output directory")
    p.set_defaults(func=run)


def run(a) -> None:
    import nclib
    from nclib.runtime.targets import load_program

    prog = load_program(a.target, a.values, a.memory, a.stack)
    with writing(a.output, "the library"):
        nclib.Library([prog]).save(a.output, overwrite=a.overwrite)
    print(f"compiled {prog!r} -> {a.output}")

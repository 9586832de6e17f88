"""The `nclib` command line: compile, run, disasm, trace, check-stdlib, train, eval and analyze.

One module per command (`nclib.cli.compile`, `.run`, `.disasm`, `.trace`, `.check_stdlib`,
`.train`, `.eval`, `.analyze`), each with `add_parser(subparsers)`, which registers the command's
arguments, and `run(args)`, which calls library code (nclib.runtime.targets, .arguments,
.checked_run, .stdlib_check, nclib.evals.side_by_side, nclib.algeval.analyze, ...). Building the
parser imports none of that library code, so `nclib --help` and a hard `nclib run` stay light.

Errors: every command stops with one line on stderr, `nclib <command>: error: <message>`, and exit
code 2 for a usage error (a malformed or unknown argument value, found by argparse or by the
command: `UsageError`) or 1 for an error while running (an nclib error, a file that cannot be
read or written, a bad value found by the library); `nclib.cli.parser.explain` decides which.
`--debug` (anywhere on the command line) shows the traceback instead.
"""

from __future__ import annotations

import sys

from nclib.cli import analyze, check_stdlib, compile, disasm, eval, run, trace, train
from nclib.cli.parser import Parser, explain

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (compile, run, disasm, trace, check_stdlib, train, eval, analyze)  # in the order `nclib --help` lists them


def build_parser() -> Parser:
    """The `nclib` parser with every command of COMMANDS."""
    parser = Parser(prog="nclib", description="Neurally compiled libraries: compile Python routines into differentiable programs.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run one command. Errors end it with one line on stderr and SystemExit(2) (usage) or
    SystemExit(1) (anything else); `--debug` re-raises them with their traceback."""
    a = build_parser().parse_args(argv)
    command = " ".join(["nclib", a.command] + ([a.analyze_command] if a.command == "analyze" else []))
    debug = getattr(a, "debug", False)
    try:
        a.func(a)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{command}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as err:  # noqa: BLE001  (the one boundary where every error becomes a message)
        if debug:
            raise
        code, message = explain(err)
        print(f"{command}: error: {message}", file=sys.stderr)
        raise SystemExit(code) from None

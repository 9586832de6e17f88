"""`nclib run TARGET ARGS... [--soft]`: one call of a routine on Python literals.

Hard mode (the default) loads no torch: a source file is compiled to an Assembly and a saved
library's routine is recompiled from its manifest, then run on the interpreted machine
(nclib/runtime/call.py); lists the call changed in place are printed after the result. `--soft`
runs the soft machine on one-hot inputs after the hard machine has checked them.
"""

from __future__ import annotations

import copy

from nclib.cli.parser import max_steps_option, target_options

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("run", help="run a routine on Python literals")
    target_options(p)
    p.add_argument("args", nargs="*", help="arguments as Python literals, e.g. 12 '[3, 1, 2]'")
    p.add_argument("--soft", action="store_true", help="run the soft machine on one-hot inputs (after the hard machine checks them)")
    max_steps_option(p)
    p.set_defaults(func=run)


def run(a) -> None:
    from nclib.runtime.arguments import parse_arguments
    from nclib.runtime.targets import compile_file, is_library_target, library_assembly, load_program

    if not a.soft:
        from nclib.runtime.call import call_hard

        load = library_assembly if is_library_target(a.target) else compile_file
        asm = load(a.target, a.values, a.memory, a.stack)
        args = parse_arguments(asm, a.args)
        before = copy.deepcopy(args)
        print(call_hard(asm, args, a.max_steps or 1_000_000))
        for param, old, new in zip(asm.params, before, args):
            if isinstance(new, list) and new != old:  # changed in place (e.g. a sort that returns None)
                print(f"{param} = {new}")
        return
    from nclib.runtime.checked_run import result_text, run_soft

    prog = load_program(a.target, a.values, a.memory, a.stack)
    res = run_soft(prog, parse_arguments(prog, a.args), a.max_steps)
    print(result_text(prog, res, "soft"))
    print(f"steps {float(res.steps[0]):.1f}, halted mass {float(res.halted[0]):.6f}")

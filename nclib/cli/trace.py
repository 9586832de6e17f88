"""`nclib trace TARGET ARGS... -o IMAGE [--soft]`: a picture of the instruction pointer and the
registers over one call.

Hard mode: the trace is drawn up to where the machine stopped, then its error (if any) is raised.
Soft mode: the hard machine's error is raised before anything is drawn.
"""

from __future__ import annotations

import copy

from nclib.cli.parser import max_steps_option, target_options, writing
from nclib.errors import NclibError

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("trace", help="write a PNG of instruction pointer and registers over time")
    target_options(p)
    p.add_argument("args", nargs="*")
    p.add_argument("-o", "--output", required=True, help="image path (.png, or another format matplotlib writes)")
    p.add_argument("--soft", action="store_true")
    max_steps_option(p)
    p.set_defaults(func=run)


def run(a) -> None:
    from nclib.evals.trace import check_image_path, plot_trace
    from nclib.runtime.arguments import parse_arguments
    from nclib.runtime.checked_run import result_text, run_soft
    from nclib.runtime.targets import load_program

    check_image_path(a.output)
    prog = load_program(a.target, a.values, a.memory, a.stack)
    args = parse_arguments(prog, a.args)
    call = f"{prog.name}{tuple(args)}"
    if a.soft:
        res = run_soft(prog, args, a.max_steps, trace=True)
        with writing(a.output, "the trace"):
            path = plot_trace(prog, res, a.output, title=f"{call} = {result_text(prog, res, 'soft')} (soft)")
        print(f"wrote {path} ({len(res.trace)} steps)")
        return
    res = prog.execute(*prog.encode([copy.deepcopy(args)], "hard"), trace=True, max_steps=a.max_steps)
    try:
        prog.raise_for_fault(res, 0)
    except NclibError as err:
        with writing(a.output, "the trace"):
            path = plot_trace(prog, res, a.output, title=f"{call} stopped: {type(err).__name__} (hard)")
        print(f"wrote {path} ({len(res.trace)} steps, up to the error)")
        raise
    with writing(a.output, "the trace"):
        path = plot_trace(prog, res, a.output, title=f"{call} = {result_text(prog, res, 'hard')} (hard)")
    print(f"wrote {path} ({len(res.trace)} steps)")

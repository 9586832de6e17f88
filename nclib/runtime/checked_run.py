"""One call of a `Program`, with the hard machine's errors first.

Soft mode on one-hot inputs follows the hard machine's path exactly, so a value-window error, a
fault or a loop that never halts is found by a hard run (`check_hard`) and raised with the source
line before the soft machine runs (`run_soft`), where it would be hidden in a distribution.
`result_text` formats the result of element 0 for printing.
"""

from __future__ import annotations

import copy

from nclib.errors import StepLimitError

__all__ = ["check_hard", "result_text", "run_soft"]


def check_hard(prog, args: list, max_steps: int | None) -> int:
    """Run `args` on the hard machine and raise its error (value window, fault, no halt), naming
    the source line; returns its number of steps."""
    res = prog.execute(*prog.encode([copy.deepcopy(args)], "hard"), max_steps=max_steps)
    prog.raise_for_fault(res, 0)
    return int(res.steps[0])


def run_soft(prog, args: list, max_steps: int | None, trace: bool = False):
    """The soft machine on one-hot `args` (an ExecResult), after the hard machine found no error;
    raises StepLimitError if its halted mass stays below 1 - 1e-4. Without `max_steps` the soft
    run may take max(10000, the hard run's steps + 1)."""
    import torch

    steps = check_hard(prog, args, max_steps)
    limit = max_steps or max(10_000, steps + 1)
    with torch.no_grad():  # nothing is trained here; no autograd also skips checkpointing (which imports torch._dynamo)
        res = prog.execute(*prog.encode([args], "soft"), mode="soft", max_steps=limit, trace=trace)
    halted = float(res.halted[0])
    if halted < 1 - 1e-4:
        raise StepLimitError(f"{prog.name}: the soft machine's halted mass is {halted:.6f} after max_steps={limit} steps "
                             f"(the hard machine halts after {steps}); raise --max-steps")
    return res


def result_text(prog, res, mode: str):
    """Element 0 of a result, for printing (a routine that returns None shows its list arguments)."""
    value = prog.decode(res, mode)[0]
    return f"None (list arguments after the call: {value})" if prog.returns == "none" else value

"""Lower: each checked function to three-address IR (see `nclib/compiler/ir.py`).

Takes the functions to compile (`collect_functions.Module`, every check passed) and their
`Kinds` (`infer_kinds`); gives one `IRFunction` per function, whose operands are virtual registers
(the Python variable's name, `name.set` for the None flag of a name that can hold None, `%tN` for
temporaries) or constants, with calls still the high-level `call`. Rejects nothing: every
construct was checked before. What Python checks at run time becomes a `fault` line (a failed
assert, a raise, an index out of range, None used as a number, a function ending without its
value).

The lowering is one class, `function.FunctionLowering`, assembled from one mixin per concern:
`statements`, `loops`, `expressions`, `calls`, `lists`, `arithmetic`, over `emit` (temporaries,
labels, instructions at a source location).
"""

from __future__ import annotations

from nclib.compiler.collect_functions import Module
from nclib.compiler.infer_kinds import Kinds
from nclib.compiler.ir import IRFunction
from nclib.compiler.lower.function import FunctionLowering

__all__ = ["FunctionLowering", "lower"]


def lower(module: Module, kinds: Kinds) -> dict[str, IRFunction]:
    """The IR of every function of `module`, in the module's order (the entry first)."""
    return {name: FunctionLowering(fn, module, kinds).lower() for name, fn in module.functions.items()}

"""Lower: each checked function to three-address IR (see `nclib/compiler/ir.py`).

Takes the functions to compile (`collect_functions.Module`, every check passed) and their
`Kinds` (`infer_kinds`); gives one `IRFunction` per function, whose operands are virtual registers
(the Python variable's name, `name.set` for the None flag of a name that can hold None, `%tN` for
temporaries) or constants, with calls still the high-level `call`. Rejects nothing: every
construct was checked before. What Python checks at run time becomes a `fault` line (a failed
assert, a raise, an index out of range, None used as a number, a function ending without its
value).

The lowering of a function is one class, `FunctionLowering`, joined from one mixin per concern,
each in its own module: `lower.statements`, `lower.loops`, `lower.expressions`, `lower.calls`,
`lower.lists`, `lower.arithmetic`, over `lower.emit` (temporaries, labels, instructions at a source
location).
"""

from __future__ import annotations

import ast

from nclib.compiler.collect_functions import Module
from nclib.compiler.infer_kinds import Kinds, none_defaults, nullable_names
from nclib.compiler.ir import Const, IRFunction
from nclib.compiler.language import const_int, is_none
from nclib.compiler.lower.arithmetic import ArithmeticLowering
from nclib.compiler.lower.calls import CallLowering
from nclib.compiler.lower.emit import Emitter
from nclib.compiler.lower.expressions import ExpressionLowering
from nclib.compiler.lower.lists import ListLowering
from nclib.compiler.lower.loops import LoopLowering
from nclib.compiler.lower.statements import StatementLowering

__all__ = ["FunctionLowering", "lower"]


def lower(module: Module, kinds: Kinds) -> dict[str, IRFunction]:
    """The IR of every function of `module`, in the module's order (the entry first)."""
    return {name: FunctionLowering(fn, module, kinds).lower() for name, fn in module.functions.items()}


class FunctionLowering(StatementLowering, LoopLowering, ExpressionLowering, CallLowering, ListLowering, ArithmeticLowering, Emitter):
    """Lowers one checked function to three-address IR."""

    def __init__(self, fn: ast.FunctionDef, module: Module, kinds: Kinds):
        self.fn = fn
        self.module = module
        self.all_kinds = kinds
        self.kinds = kinds.variables[fn.name]  # extended with the temporaries and `name.set` flags
        self.body: list = []
        self.n_temps = 0
        self.n_labels = 0
        self.loops: list[tuple[str, str]] = []  # (continue label, break label)
        self.loc = (fn.lineno, fn.col_offset + 1)
        self.nullable = nullable_names(fn)
        for name in self.nullable:
            self.kinds[f"{name}.set"] = "int"

    def lower(self) -> IRFunction:
        """The function's IR: its body, then the end a path falls off (return None, or a fault when the
        function returns a value elsewhere)."""
        flags = [f"{p}.set" for p in none_defaults(self.fn)]  # 1: the parameter holds a value, 0: None
        params = [a.arg for a in self.fn.args.args] + flags
        for stmt in self.fn.body:
            self.stmt(stmt)
        returns = self.all_kinds.returns[self.fn.name]
        self.loc = (self.fn.body[-1].end_lineno or self.fn.lineno, 1)
        if returns == "none":
            self.emit("ret", args=[Const(0)])
        else:
            self.emit("fault", note=f"{self.fn.name} reached its end without returning a value")
        args = self.fn.args
        defaults = {a.arg: None if is_none(d) else const_int(d) for a, d in zip(args.args[len(args.args) - len(args.defaults):], args.defaults)}
        return IRFunction(self.fn.name, params, self.kinds, returns, self.body, hidden=flags,
                          defaults=defaults, returns_tuple=self.fn.name in self.all_kinds.tuples)

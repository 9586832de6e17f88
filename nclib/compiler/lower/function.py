"""The lowering of one function: the parts of the lowering joined into one class, and its result.

`FunctionLowering` is the statements, loops, expressions, calls, list operations and arithmetic
(one mixin each, in the modules of this package) over the shared instruction output (`Emitter`);
`lower()` lowers the body and returns the function's `IRFunction`.
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
        hidden = none_defaults(self.fn)
        params = [a.arg for a in self.fn.args.args] + [f"{p}.set" for p in hidden]
        for stmt in self.fn.body:
            self.stmt(stmt)
        returns = self.all_kinds.returns[self.fn.name]
        self.loc = (self.fn.body[-1].end_lineno or self.fn.lineno, 1)
        if returns == "none":
            self.emit("ret", args=[Const(0)])
        else:
            self.emit("fault", note=f"{self.fn.name} reached its end without returning a value")
        args = self.fn.args
        defaults = {a.arg: const_int(d) for a, d in zip(args.args[len(args.args) - len(args.defaults):], args.defaults) if not is_none(d)}
        return IRFunction(self.fn.name, params, self.kinds, returns, self.body, hidden=hidden + [f"{p}.set" for p in hidden],
                          defaults=defaults, returns_tuple=self.fn.name in self.all_kinds.tuples)

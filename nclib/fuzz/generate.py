"""Random programs in the accepted language, for differential testing against CPython.

`generate(seed, index)` is a pure function of its arguments: program `index` of `seed` is always
the same source text (the random stream is seeded with the string "nclib-fuzz:<seed>:<index>",
which Python hashes the same way in every process). Every program is built to terminate in
CPython by construction:

- `for` loops run over `range(...)` with constant steps and bounded ends (`len(a)`, a constant,
  `min(e, 6)`, `e % 5`), over lists the body never appends to, or over enumerate/zip of lists;
- `while` loops carry their own counter `kN`, incremented first thing in the body (so `continue`
  cannot skip it) and tested first in the condition (`kN < K and ...`);
- recursion goes through one helper whose first parameter is a depth that the helper tests
  (`if d <= 0: return ...`) and decreases by one in its only recursive call; callers pass
  `e % 6`, so the depth is at most 5;
- lists grow only by `append` on lists created in the function, inside loops bounded as above.

What a program may contain (the README's "Accepted Python" plus the idioms the desugarer
rewrites): int and list[int] parameters, int literals, `+ - * // %` on signed values (divisors
that may be zero on purpose, a few times), unary minus, `**` by a small constant, `& | ^ << >>`
on values made non-negative with `% 2**k`, comparisons and chains, `and/or/not`, conditional
expressions, `if/elif/else`, `for` over `range` / `reversed(range)` / a list / `enumerate` /
`zip`, bounded `while`, `break`, `continue`, early `return`, helpers (int, tuple and list
results, a default parameter, bounded recursion), tuple assignment and swaps (also of list
elements), `a[i]` read and write, `a[-1]`, `len`, `[x] * n`, list literals, `append`/`pop` on
new lists, slices, list comprehensions, `sum/min/max/any/all` over lists and generator
expressions, `min/max/abs` of ints, `x in a`, `x in (1, 2)`, list `==`, `raise ValueError(...)`
and `assert` for validation, and entry functions returning an int, a bool, a tuple, a list or
nothing (mutating their list arguments).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

ENTRY = "f"
# (values, memory) of the hard-mode compile, and how often each is drawn
WINDOWS = [((-256, 256), 255), ((-128, 128), 127), ((-1024, 1024), 512)]
WINDOW_WEIGHTS = [6, 3, 1]
SOFT_WINDOW = ((-32, 32), 24)  # soft mode: tables grow with V squared, so a small window
MAX_RANGE = 6  # bound of loop ends and recursion depth: keeps every run short
INT_LO, INT_HI = -12, 12  # argument ints (hard mode)
LIST_MAX = 6  # argument list length (hard mode)


@dataclass(frozen=True)
class GeneratedProgram:
    """One generated program: `source` (module text: helpers, then the entry `f`), the kind of each
    parameter of `f` ("int" or "list"), and the window / memory it is compiled with."""

    seed: int
    index: int
    source: str
    param_kinds: tuple[str, ...]
    values: tuple[int, int]
    memory: int
    entry: str = ENTRY

    @property
    def name(self) -> str:
        return f"fuzz {self.seed}:{self.index}"


def generate(seed: int, index: int) -> GeneratedProgram:
    """Program `index` of `seed` (always the same text)."""
    rng = random.Random(f"nclib-fuzz:{seed}:{index}")
    values, memory = rng.choices(WINDOWS, WINDOW_WEIGHTS)[0]
    source, kinds = ModuleBuilder(rng).build()
    return GeneratedProgram(seed, index, source, kinds, values, memory)


def draw_arguments(program: GeneratedProgram, rng: random.Random, small: bool = False) -> tuple:
    """One argument tuple for `program`'s entry: ints in [-12, 12] (now and then up to +-40) and
    lists of 0..6 of them; `small` (soft mode): ints in [-5, 5] and lists of 0..3."""
    out = []
    for kind in program.param_kinds:
        if small:
            lo, hi, n = -5, 5, 3
        else:
            lo, hi, n = (INT_LO, INT_HI, LIST_MAX) if rng.random() < 0.9 else (-40, 40, LIST_MAX)
        if kind == "int":
            out.append(rng.randint(lo, hi))
        else:
            few = rng.random() < 0.3  # few distinct values: equal elements, duplicates, `in` hits
            out.append([rng.randint(0, 3) if few else rng.randint(lo, hi) for _ in range(rng.randint(0, n))])
    return tuple(out)


# -- scopes ------------------------------------------------------------------------------------
@dataclass
class Scope:
    """The names a statement may use. `ints` / `lists`: readable names of each kind; `assignable`:
    int names a statement may assign (not while counters or recursion depths); `appendable`: lists
    created in this function (append/pop allowed); `iterating`: lists an enclosing `for x in`
    walks (never appended to); `loops`: enclosing loop depth (break/continue allowed when > 0)."""

    ints: list[str]
    lists: list[str]
    assignable: list[str]
    appendable: list[str] = field(default_factory=list)
    iterating: list[str] = field(default_factory=list)
    loops: int = 0

    def inner(self, ints=(), lists=(), iterating=(), loop: bool = False) -> "Scope":
        return Scope(self.ints + list(ints), self.lists + list(lists), list(self.assignable), list(self.appendable),
                     self.iterating + list(iterating), self.loops + loop)


@dataclass(frozen=True)
class Helper:
    """A helper function the code after it may call: `params` kinds, `returns` "int" | "tuple2" |
    "list", `recursive` (its first parameter is a depth), `defaults` (trailing int parameters with
    a default value)."""

    name: str
    params: tuple[str, ...]
    returns: str
    recursive: bool = False
    defaults: int = 0


def recursive_arguments(args: list[str], params: list[str], kinds: tuple[str, ...]) -> list[str]:
    """The arguments of a recursive helper's call of itself, with every list argument replaced by the
    helper's own parameter at that position: a list the helper grew, passed down, would grow again
    at every level (6 elements, 36, 1296, ...: seed 1, program 24450 ran CPython out of memory)."""
    return [param if kind == "list" else arg for arg, param, kind in zip(args, params, kinds)]


# -- building ------------------------------------------------------------------------------------
class ModuleBuilder:
    """Builds one module: 0..2 helpers, then the entry function `f`."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.helpers: list[Helper] = []
        self.counter = 0
        self.fn_returns = "int"  # what the function being built returns (its return statements follow it)
        self.self_call: Helper | None = None  # the recursive helper being built (returns only at its base case and end)

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base}{self.counter}"

    def build(self) -> tuple[str, tuple[str, ...]]:
        chunks = []
        for _ in range(self.rng.choice([0, 0, 1, 1, 1, 2, 2])):
            chunks.append(self.helper())
        kinds = tuple(self.rng.choice(["int", "int", "list", "list", "list"]) for _ in range(self.rng.randint(1, 3)))
        returns = self.rng.choice(["int"] * 5 + ["bool", "tuple", "list"] + (["none"] if "list" in kinds else []))
        chunks.append(self.function(ENTRY, kinds, returns, defaults=0))
        return "\n\n".join(chunks) + "\n", kinds

    # -- functions ---------------------------------------------------------------------------
    def helper(self) -> str:
        rng = self.rng
        name = self.fresh("h")
        returns = rng.choice(["int", "int", "int", "tuple2", "list"])
        recursive = returns == "int" and rng.random() < 0.4
        kinds = tuple(rng.choice(["int", "int", "list"]) for _ in range(rng.randint(1, 3)))
        if recursive:
            kinds = ("int",) + kinds
        defaults = 1 if kinds[-1] == "int" and len(kinds) > 1 and rng.random() < 0.3 else 0
        helper = Helper(name, kinds, returns, recursive, defaults)
        text = self.function(name, kinds, returns, defaults, helper if recursive else None)
        self.helpers.append(helper)
        return text

    def function(self, name: str, kinds: tuple[str, ...], returns: str, defaults: int,
                 recursive: Helper | None = None) -> str:
        rng = self.rng
        self.fn_returns, self.self_call = returns, recursive
        params = [self.fresh("n" if k == "int" else "a") for k in kinds]
        depth = params[0] if recursive else None
        ints = [p for p, k in zip(params, kinds) if k == "int"]
        lists = [p for p, k in zip(params, kinds) if k == "list"]
        scope = Scope(list(ints), list(lists), [p for p in ints if p != depth])
        signature = []
        for i, (p, k) in enumerate(zip(params, kinds)):
            hint = "int" if k == "int" else "list[int]"
            default = f" = {rng.randint(0, 4)}" if i >= len(params) - defaults else ""
            signature.append(f"{p}: {hint}{default}")
        ret_hint = {"int": "int", "bool": "bool", "tuple": "tuple[int, int]", "tuple2": "tuple[int, int]",
                    "list": "list[int]", "none": "None"}[returns]
        lines = [f"def {name}({', '.join(signature)}) -> {ret_hint}:"]
        body: list[str] = []
        if recursive:
            body += [f"if {depth} <= 0:", f"    return {self.int_expr(scope, 1)}"]
        for _ in range(rng.randint(1, 3)):  # int locals, assigned before anything reads them
            v = self.fresh("v")
            body.append(f"{v} = {self.int_expr(scope, 2)}")
            scope.ints.append(v)
            scope.assignable.append(v)
        for _ in range(rng.choice([0, 1, 1, 2])):  # local lists
            b = self.fresh("b")
            text, appendable = self.new_list(scope)
            body.append(f"{b} = {text}")
            scope.lists.append(b)
            if appendable:
                scope.appendable.append(b)
        for _ in range(rng.randint(2, 4) if name == ENTRY else rng.randint(1, 3)):
            body += self.statement(scope, 0)
        if recursive:
            args = [f"{depth} - 1"] + [self.argument(scope, k) for k in kinds[1:]]
            args = recursive_arguments(args, params, kinds)
            body.append(f"return {name}({', '.join(args)}) {rng.choice(['+', '-', '*'])} {self.paren(self.int_expr(scope, 1))}")
        elif returns != "none":
            body.append(f"return {self.return_value(scope)}")
        self.self_call = None
        return "\n".join(lines + ["    " + line for line in body])

    def return_value(self, scope: Scope) -> str:
        kind = self.fn_returns
        if kind == "int":
            return self.int_expr(scope, 2)
        if kind == "bool":
            return self.condition(scope, 2)
        if kind in ("tuple", "tuple2"):
            return f"{self.int_expr(scope, 1)}, {self.int_expr(scope, 1)}"
        if kind == "list":
            if scope.lists and self.rng.random() < 0.7:
                return self.rng.choice(scope.lists)
            return self.new_list(scope)[0]
        return ""

    # -- lists -------------------------------------------------------------------------------
    def new_list(self, scope: Scope) -> tuple[str, bool]:
        """A list expression that makes a new list (never an alias), and whether appending to it is
        allowed (it is a fresh list)."""
        rng = self.rng
        src = rng.choice(scope.lists) if scope.lists else None
        choices = ["empty", "literal", "repeat", "range_comp"]
        if src:
            choices += ["comp", "comp", "slice", "slice", "copy", "sorted"]
        helpers = [h for h in self.helpers if h.returns == "list"]
        if helpers:
            choices.append("helper")
        pick = rng.choice(choices)
        if pick == "empty":
            return "[]", True
        if pick == "literal":
            return "[" + ", ".join(str(rng.randint(-9, 9)) for _ in range(rng.randint(1, 4))) + "]", True
        if pick == "repeat":
            count = rng.choice([str(rng.randint(0, 5)), f"len({src})" if src else "3", f"min({self.int_expr(scope, 1)}, 5)"])
            return f"[{self.int_expr(scope, 1)}] * {self.paren(count)}", True
        if pick == "range_comp":
            i = self.fresh("i")
            inner = scope.inner(ints=[i])
            return f"[{self.int_expr(inner, 1)} for {i} in range({self.bound(scope)})]", True
        if pick == "comp":
            x = self.fresh("e")
            inner = scope.inner(ints=[x])
            cond = f" if {self.condition(inner, 1)}" if rng.random() < 0.5 else ""
            return f"[{self.int_expr(inner, 1)} for {x} in {src}{cond}]", True
        if pick == "slice":
            lo = rng.choice(["", "1", "2", f"len({src}) // 2"])
            hi = rng.choice(["", "-1", "3", f"len({src}) - 1"])
            if rng.random() < 0.25:
                return f"{src}[::-1]", True
            return f"{src}[{lo}:{hi}]", True
        if pick == "copy":
            return f"list({src})", True
        if pick == "sorted":
            return f"sorted({src})", True
        # a helper's list may be one its caller holds (it may return its parameter): not appendable
        return self.call(rng.choice(helpers), scope), False

    # -- statements --------------------------------------------------------------------------
    def statement(self, scope: Scope, depth: int) -> list[str]:
        rng = self.rng
        kinds = ["assign", "assign", "augassign", "if", "if", "for_range", "for_list", "while", "swap"]
        if scope.lists:
            kinds += ["store", "store", "for_index", "enumerate"]
        if len(scope.lists) >= 2:
            kinds.append("zip")
        if [b for b in scope.appendable if b not in scope.iterating]:
            kinds += ["append", "append"]
        if scope.appendable:
            kinds.append("pop")
        if scope.loops:
            kinds += ["break", "continue"]
        kinds += ["return"] + (["raise", "assert"] if rng.random() < 0.4 else [])  # most inputs should get through
        if [h for h in self.helpers if h.returns == "tuple2"] and len(scope.assignable) >= 2:
            kinds.append("tuple_call")
        if depth >= 2:  # no deeper nesting
            kinds = [k for k in kinds if k not in ("if", "for_range", "for_list", "while", "for_index", "enumerate", "zip")]
        kind = rng.choice(kinds)
        return getattr(self, "stmt_" + kind)(scope, depth)

    def block(self, scope: Scope, depth: int, n: int | None = None) -> list[str]:
        out = []
        for _ in range(n or self.rng.randint(1, 3)):
            out += self.statement(scope, depth + 1)
        return ["    " + line for line in out]

    def stmt_assign(self, scope, depth):
        if not scope.assignable:
            return ["pass"]
        return [f"{self.rng.choice(scope.assignable)} = {self.int_expr(scope, 2)}"]

    def stmt_augassign(self, scope, depth):
        if not scope.assignable:
            return ["pass"]
        op = self.rng.choice(["+=", "-=", "*=", "//=", "%=", "+=", "-="])
        right = self.divisor(scope) if op in ("//=", "%=") else self.int_expr(scope, 1)
        return [f"{self.rng.choice(scope.assignable)} {op} {right}"]

    def stmt_swap(self, scope, depth):
        rng = self.rng
        if len(scope.assignable) >= 2 and rng.random() < 0.6:
            x, y = rng.sample(scope.assignable, 2)
            if rng.random() < 0.5:
                return [f"{x}, {y} = {y}, {x}"]
            return [f"{x}, {y} = {self.int_expr(scope, 1)}, {self.int_expr(scope, 1)}"]
        if scope.lists:
            a = rng.choice(scope.lists)
            i, j = self.fresh("i"), self.fresh("j")
            return [f"for {i} in range(len({a}) // 2):",
                    f"    {j} = len({a}) - 1 - {i}",
                    f"    {a}[{i}], {a}[{j}] = {a}[{j}], {a}[{i}]"]
        return self.stmt_assign(scope, depth)

    def stmt_store(self, scope, depth):
        rng = self.rng
        a = rng.choice(scope.lists)
        op = rng.choice(["=", "=", "+=", "-=", "*="])
        if rng.random() < 0.15:  # a raw constant index: IndexError on short lists, on purpose
            return [f"{a}[{rng.randint(0, 2)}] {op} {self.int_expr(scope, 1)}"]
        return [f"if len({a}) > 0:",
                f"    {a}[{self.paren(self.int_expr(scope, 1))} % len({a})] {op} {self.int_expr(scope, 1)}"]

    def stmt_if(self, scope, depth):
        rng = self.rng
        out = [f"if {self.condition(scope, 2)}:"] + self.block(scope, depth)
        for _ in range(rng.choice([0, 0, 1, 2])):
            out += [f"elif {self.condition(scope, 2)}:"] + self.block(scope, depth)
        if rng.random() < 0.5:
            out += ["else:"] + self.block(scope, depth)
        return out

    def stmt_for_range(self, scope, depth):
        rng = self.rng
        i = self.fresh("i")
        pick = rng.random()
        if pick < 0.4:
            header = f"range({self.bound(scope)})"
        elif pick < 0.6:
            header = f"range({rng.randint(-3, 2)}, {self.bound(scope)})"
        elif pick < 0.8:
            step = rng.choice([2, 3, -1, -2])
            start, stop = (rng.randint(-3, 2), rng.randint(3, 9)) if step > 0 else (rng.randint(3, 8), rng.randint(-4, 1))
            header = f"range({start}, {stop}, {step})"
        else:
            header = f"reversed(range({self.bound(scope)}))"
        inner = scope.inner(ints=[i], loop=True)
        if rng.random() < 0.15:
            inner.assignable.append(i)  # assigning the loop variable: the next iteration resets it
        return [f"for {i} in {header}:"] + self.block(inner, depth)

    def stmt_for_list(self, scope, depth):
        if not scope.lists:
            return self.stmt_for_range(scope, depth)
        a, x = self.rng.choice(scope.lists), self.fresh("e")
        return [f"for {x} in {a}:"] + self.block(scope.inner(ints=[x], iterating=[a], loop=True), depth)

    def stmt_for_index(self, scope, depth):
        a, i = self.rng.choice(scope.lists), self.fresh("i")
        inner = scope.inner(ints=[i], loop=True)
        store = f"    {a}[{i}] {self.rng.choice(['=', '+=', '-='])} {self.int_expr(inner, 1)}"
        rest = self.block(inner, depth) if self.rng.random() < 0.5 else []
        return [f"for {i} in range(len({a})):", store] + rest

    def stmt_enumerate(self, scope, depth):
        a, i, x = self.rng.choice(scope.lists), self.fresh("i"), self.fresh("e")
        start = self.rng.choice(["", "", ", 1"])
        inner = scope.inner(ints=[i, x], iterating=[a], loop=True)
        return [f"for {i}, {x} in enumerate({a}{start}):"] + self.block(inner, depth)

    def stmt_zip(self, scope, depth):
        a, b = self.rng.sample(scope.lists, 2)
        x, y = self.fresh("e"), self.fresh("e")
        inner = scope.inner(ints=[x, y], iterating=[a, b], loop=True)
        return [f"for {x}, {y} in zip({a}, {b}):"] + self.block(inner, depth)

    def stmt_while(self, scope, depth):
        rng = self.rng
        k = self.fresh("k")
        inner = scope.inner(loop=True)
        inner.ints.append(k)
        cond = f"{k} < {rng.randint(1, MAX_RANGE)}"
        if rng.random() < 0.7:
            cond += f" and {self.paren(self.condition(inner, 1))}" if rng.random() < 0.5 else f" and {self.compare(inner, 1)}"
        return [f"{k} = 0", f"while {cond}:", f"    {k} += 1"] + self.block(inner, depth)

    def stmt_append(self, scope, depth):
        b = self.rng.choice([b for b in scope.appendable if b not in scope.iterating])
        return [f"{b}.append({self.int_expr(scope, 2)})"]

    def stmt_pop(self, scope, depth):
        rng = self.rng
        b = rng.choice(scope.appendable)
        where = rng.choice(["", "", "0", f"len({b}) - 1"])
        call = f"{b}.pop({where})"
        if scope.assignable and rng.random() < 0.6:
            call = f"{rng.choice(scope.assignable)} = {call}"
        if rng.random() < 0.15:
            return [call]  # unguarded: IndexError on an empty list, on purpose
        return [f"if len({b}) > 0:", "    " + call]

    def stmt_break(self, scope, depth):
        return [f"if {self.condition(scope, 1)}:", "    break"]

    def stmt_continue(self, scope, depth):
        return [f"if {self.condition(scope, 1)}:", "    continue"]

    def stmt_return(self, scope, depth):
        if self.self_call is not None:
            return self.stmt_assign(scope, depth)  # the recursive helper returns at its base case and its end
        value = self.return_value(scope)
        return [f"if {self.condition(scope, 1)}:", f"    return {value}".rstrip()]

    def stmt_raise(self, scope, depth):
        error = self.rng.choice(["ValueError", "ValueError", "IndexError", "RuntimeError"])
        return [f"if {self.condition(scope, 2)}:", f'    raise {error}("bad input")']

    def stmt_assert(self, scope, depth):
        message = self.rng.choice(["", ', "check failed"'])
        return [f"assert {self.condition(scope, 2)}{message}"]

    def stmt_tuple_call(self, scope, depth):
        helper = self.rng.choice([h for h in self.helpers if h.returns == "tuple2"])
        x, y = self.rng.sample(scope.assignable, 2)
        return [f"{x}, {y} = {self.call(helper, scope)}"]

    # -- expressions -------------------------------------------------------------------------
    def paren(self, text: str) -> str:
        return text if text.replace("_", "").isalnum() or (text.startswith("-") and text[1:].isdigit()) else f"({text})"

    def bound(self, scope: Scope) -> str:
        """A loop end in 0..6 (or up to a list's length, at most 6 in the inputs, or grown by appends)."""
        rng = self.rng
        pick = rng.random()
        if pick < 0.3 or not scope.ints:
            return str(rng.randint(0, MAX_RANGE))
        if pick < 0.6 and scope.lists:
            return f"len({rng.choice(scope.lists)})"
        if pick < 0.8:
            return f"min({self.int_expr(scope, 1)}, {MAX_RANGE})"
        return f"{self.paren(self.int_expr(scope, 1))} % {rng.randint(2, MAX_RANGE)}"

    def divisor(self, scope: Scope) -> str:
        """Mostly a non-zero constant (negative too); now and then any expression (ZeroDivisionError on purpose)."""
        rng = self.rng
        if rng.random() < 0.85:
            return str(rng.choice([2, 3, 4, 5, 7, -2, -3, -5]))
        return self.paren(self.int_expr(scope, 1))

    def int_expr(self, scope: Scope, depth: int) -> str:
        rng = self.rng
        if depth <= 0 or rng.random() < 0.3:
            return self.atom(scope)
        kinds = ["arith", "arith", "arith", "div", "neg", "ifexp", "minmax", "abs", "bits", "pow", "boolint"]
        if scope.lists:
            kinds += ["len", "index", "index", "reduce", "last", "contains"]
        if [h for h in self.helpers if h.returns == "int"]:
            kinds += ["call", "call"]
        kind = rng.choice(kinds)
        sub = depth - 1
        if kind == "arith":
            return f"{self.paren(self.int_expr(scope, sub))} {rng.choice(['+', '-', '*', '+', '-'])} {self.paren(self.int_expr(scope, sub))}"
        if kind == "div":
            return f"{self.paren(self.int_expr(scope, sub))} {rng.choice(['//', '%'])} {self.divisor(scope)}"
        if kind == "neg":
            return f"-{self.paren(self.int_expr(scope, sub))}"
        if kind == "ifexp":
            return f"({self.int_expr(scope, sub)} if {self.condition(scope, sub)} else {self.int_expr(scope, sub)})"
        if kind == "minmax":
            args = [self.int_expr(scope, sub) for _ in range(rng.randint(2, 3))]
            return f"{rng.choice(['min', 'max'])}({', '.join(args)})"
        if kind == "abs":
            return f"abs({self.int_expr(scope, sub)})"
        if kind == "bits":
            left = f"{self.paren(self.int_expr(scope, sub))} % {rng.choice([8, 16, 32])}"
            op = rng.choice(["&", "|", "^", "<<", ">>"])
            if op in ("<<", ">>"):
                return f"({left}) {op} {rng.randint(0, 3)}"
            return f"({left}) {op} ({self.paren(self.int_expr(scope, sub))} % {rng.choice([8, 16])})"
        if kind == "pow":
            return f"{self.paren(self.int_expr(scope, 0))} ** {rng.randint(0, 2)}"
        if kind == "boolint":
            return f"int({self.compare(scope, sub)})" if rng.random() < 0.5 else f"({self.compare(scope, sub)}) + {self.atom(scope)}"
        if kind == "len":
            return f"len({rng.choice(scope.lists)})"
        if kind == "index":
            a = rng.choice(scope.lists)
            if rng.random() < 0.1:
                return f"{a}[{rng.randint(0, 2)}]"  # IndexError on short lists, on purpose
            return f"({a}[{self.paren(self.int_expr(scope, sub))} % len({a})] if len({a}) > 0 else {self.atom(scope)})"
        if kind == "last":
            a = rng.choice(scope.lists)
            return f"({a}[-1] if len({a}) > 0 else {self.atom(scope)})"
        if kind == "reduce":
            return self.reduce(scope, sub)
        if kind == "contains":
            return f"int({self.atom(scope)} {rng.choice(['in', 'not in'])} {rng.choice(scope.lists)})"
        return self.call(rng.choice([h for h in self.helpers if h.returns == "int"]), scope, sub)

    def reduce(self, scope: Scope, depth: int) -> str:
        rng = self.rng
        a = rng.choice(scope.lists)
        pick = rng.choice(["sum", "sum_gen", "minmax", "minmax_gen", "anyall"])
        x = self.fresh("e")
        inner = scope.inner(ints=[x])
        if pick == "sum":
            return f"sum({a})"
        if pick == "sum_gen":
            cond = f" if {self.compare(inner, 0)}" if rng.random() < 0.5 else ""
            return f"sum({self.int_expr(inner, 1)} for {x} in {a}{cond})"
        name = rng.choice(["min", "max"])
        if pick == "minmax":
            if rng.random() < 0.15:
                return f"{name}({a})"  # ValueError on an empty list, on purpose
            return f"({name}({a}) if len({a}) > 0 else {self.atom(scope)})"
        if pick == "minmax_gen":
            return f"({name}({self.int_expr(inner, 1)} for {x} in {a}) if len({a}) > 0 else {self.atom(scope)})"
        return f"int({rng.choice(['any', 'all'])}({self.compare(inner, 0)} for {x} in {a}))"

    def call(self, helper: Helper, scope: Scope, depth: int = 1) -> str:
        """A call of `helper` with arguments of the right kinds (a recursive helper's depth: `e % 6`;
        its only call of itself is the one `function` writes at its end, with `d - 1`)."""
        args = []
        kinds = helper.params
        if helper.defaults and self.rng.random() < 0.5:
            kinds = kinds[:-helper.defaults]
        for i, kind in enumerate(kinds):
            if i == 0 and helper.recursive:
                args.append(f"{self.paren(self.int_expr(scope, depth))} % {MAX_RANGE}")
            else:
                args.append(self.argument(scope, kind, depth, helper.returns == "list"))
        return f"{helper.name}({', '.join(args)})"

    def argument(self, scope: Scope, kind: str, depth: int = 1, returns_list: bool = False) -> str:
        """An argument of `kind`; for a helper returning a list (which may be this argument), never a
        list this function appends to (the compiler refuses that alias), but a copy of it."""
        if kind == "int":
            return self.int_expr(scope, depth)
        if scope.lists and (self.rng.random() < 0.8 or depth <= 0):
            name = self.rng.choice(scope.lists)
            return f"{name}[:]" if returns_list and name in scope.appendable else name
        return self.new_list(scope)[0] if depth > 0 else "[]"

    def atom(self, scope: Scope) -> str:
        rng = self.rng
        if scope.ints and rng.random() < 0.65:
            return rng.choice(scope.ints)
        value = rng.choice([0, 1, 1, 2, 2, 3, 4, 5, 7, 9, -1, -2, -3, -5])
        return str(value)

    def compare(self, scope: Scope, depth: int) -> str:
        rng = self.rng
        ops = ["<", "<=", ">", ">=", "==", "!="]
        if rng.random() < 0.15:
            return f"{self.int_expr(scope, depth)} {rng.choice(ops[:2])} {self.int_expr(scope, depth)} {rng.choice(ops[:2])} {self.int_expr(scope, depth)}"
        return f"{self.int_expr(scope, depth)} {rng.choice(ops)} {self.int_expr(scope, depth)}"

    def condition(self, scope: Scope, depth: int) -> str:
        rng = self.rng
        if depth <= 0:
            return self.compare(scope, 0)
        pick = rng.random()
        if pick < 0.45:
            return self.compare(scope, depth - 1)
        if pick < 0.65:
            op = rng.choice(["and", "or"])
            return f"{self.paren(self.condition(scope, depth - 1))} {op} {self.paren(self.condition(scope, depth - 1))}"
        if pick < 0.72:
            return f"not {self.paren(self.condition(scope, depth - 1))}"
        if pick < 0.8 and scope.lists:
            return f"{self.atom(scope)} {rng.choice(['in', 'not in'])} {rng.choice(scope.lists)}"
        if pick < 0.85:
            items = ", ".join(str(rng.randint(-3, 5)) for _ in range(rng.randint(2, 3)))
            return f"{self.atom(scope)} in ({items})"
        if pick < 0.92 and scope.lists:
            x = self.fresh("e")
            inner = scope.inner(ints=[x])
            return f"{rng.choice(['any', 'all'])}({self.compare(inner, 0)} for {x} in {rng.choice(scope.lists)})"
        if pick < 0.96 and len(scope.lists) >= 2:
            a, b = rng.sample(scope.lists, 2)
            return f"{a} {rng.choice(['==', '!='])} {b}"
        return self.compare(scope, depth - 1)

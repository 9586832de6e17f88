"""Pass 1: check the source against the accepted subset and infer int / list kinds.

Every unsupported construct is collected (with line, column and what to write instead) before
anything is built; the user's code is only parsed, never executed.
"""

from __future__ import annotations

import ast
import copy
import warnings
from dataclasses import dataclass, field

from nclib.errors import CompileError, Problem

BUILTINS = {"len": 1, "abs": 1, "min": None, "max": None, "isinstance": 2, "int": 1, "list": 1, "sorted": 1}
LIST_BUILTINS = ("list", "sorted")  # list(a): a copy; sorted(a): a sorted copy
# isinstance(x, T): decided at compile time from x's kind; T is one of these names (or a tuple of them)
TYPE_NAMES = {"int": "int", "bool": None, "float": None, "str": None, "list": "list", "tuple": None, "dict": None,
              "set": None, "complex": None}

# Node types the lowering understands; anything else is reported with the hint below.
HINTS = {
    ast.ClassDef: "write plain functions over ints and lists",
    ast.Import: "remove the import; only the functions of this source can be called",
    ast.ImportFrom: "remove the import; only the functions of this source can be called",
    ast.Try: "remove the try; faults stop the machine and are reported by Program.__call__",
    ast.With: "remove the with block",
    ast.Lambda: "define a named function with def",
    ast.Global: "pass the value as a parameter",
    ast.Nonlocal: "pass the value as a parameter",
    ast.Dict: "use a list indexed by small integers",
    ast.Set: "use a list of 0/1 flags indexed by value",
    ast.ListComp: "build the list with [0] * n and a for loop",
    ast.SetComp: "use a list of 0/1 flags and a for loop",
    ast.DictComp: "use a list indexed by small integers and a for loop",
    ast.GeneratorExp: "write an explicit for loop",
    ast.Yield: "return a list instead of yielding",
    ast.YieldFrom: "return a list instead of yielding",
    ast.Await: "write synchronous code",
    ast.AsyncFunctionDef: "write a plain def",
    ast.AsyncFor: "write a plain for loop",
    ast.AsyncWith: "remove the with block",
    ast.Delete: "overwrite the value instead of deleting it",
    ast.Attribute: "use the builtins len/min/max/abs and indexing; methods such as append are not available (preallocate with [0] * n)",
    ast.Starred: "pass arguments one by one",
    ast.Slice: "assign the elements one at a time in a loop",
    ast.JoinedStr: "return numbers, not strings",
    ast.NamedExpr: "assign on its own line",
    ast.Match: "use if / elif / else",
}
if hasattr(ast, "TryStar"):
    HINTS[ast.TryStar] = HINTS[ast.Try]

METHODS = {"append": (1, 1), "pop": (0, 1), "copy": (0, 0)}  # list methods: (fewest, most) arguments
METHOD_HINTS = {
    "index": "write a loop that finds the index",
    "count": "count the matches in a loop",
    "sort": "call a sort function defined in this source",
    "reverse": "swap the elements from both ends in a loop",
    "insert": "shift the elements in a loop (or build a new list with append)",
    "remove": "find the index in a loop, then shift the later elements down",
    "extend": "append the elements one by one in a loop",
    "clear": "start a new list with []",
}

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.FloorDiv: "floordiv", ast.Mod: "mod"}
BINOP_HINTS = {
    ast.Div: "true division gives a float; write a // b (rounds down) or int(a / b) (rounds toward zero)",
    ast.Pow: "multiply in a loop",
    ast.LShift: "multiply by a power of two",
    ast.RShift: "divide with // by a power of two",
    ast.BitAnd: "use % and // on the bits",
    ast.BitOr: "use + on disjoint bits",
    ast.BitXor: "use % 2 of the sum",
    ast.MatMult: "write the loops",
}
# operators lowered to short loops of ALU ops (ast_to_ir.FunctionLowering.binary)
LOOP_BINOPS = (ast.Pow, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)
CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}


@dataclass
class ModuleInfo:
    """What later passes need to know about the validated source."""

    file: str
    functions: dict[str, ast.FunctionDef]
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)  # function -> variable -> kind
    returns: dict[str, str] = field(default_factory=dict)  # function -> "int" | "list" | "none"
    tuples: set[str] = field(default_factory=set)  # functions whose every return is a tuple


def _construct(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return f"{type(node.value).__name__} literal {node.value!r}"
    return {ast.Lambda: "lambda", ast.ListComp: "list comprehension", ast.GeneratorExp: "generator expression",
            ast.Global: "global statement", ast.Try: "try statement", ast.ClassDef: "class definition"}.get(
        type(node), type(node).__name__)


class Validator(ast.NodeVisitor):
    def __init__(self, file: str, functions: dict[str, ast.FunctionDef]):
        self.file = file
        self.functions = functions
        self.problems: list[Problem] = []
        self.locals: set[str] = set()
        self.loop_depth = 0

    def report(self, node: ast.AST, construct: str, hint: str) -> None:
        self.problems.append(Problem(self.file, getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1, construct, hint))

    def generic_visit(self, node: ast.AST) -> None:
        if type(node) in HINTS:
            self.report(node, _construct(node), HINTS[type(node)])
            return
        super().generic_visit(node)

    def check_function(self, fn: ast.FunctionDef) -> None:
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            self.report(fn, f"*args/**kwargs/keyword-only parameters of {fn.name}", "use plain positional parameters")
        for default in args.defaults:
            if not (_const_int(default) is not None or (isinstance(default, ast.Constant) and default.value is None)):
                self.report(default, f"the default value {ast.unparse(default)} of {fn.name}",
                            "use an int literal, True/False or None as a default (for a list, default None and create it in the body)")
        for dec in fn.decorator_list:
            self.report(dec, "decorator", "remove the decorator")
        self.locals = {a.arg for a in args.args} | _assigned_names(fn)
        self.function, self.params = fn, {a.arg for a in args.args}
        self.loop_depth = 0
        body = fn.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body = body[1:]  # docstring
        for stmt in body:
            self.visit(stmt)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.report(node, f"nested function {node.name}", "define it at module level")

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a string used as a comment
        self.visit(node.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool) or type(node.value) is int:
            return
        if node.value is None and getattr(node, "_none_ok", False):
            return
        if node.value is None:
            self.report(node, "None here", "use None only as a sentinel: x = None, a default =None, x is None / x is not None, "
                                           "or an argument for a parameter whose default is None")
            return
        hint = {str: "encode text as a list of integers", float: "scale to integers (fixed point)"}.get(
            type(node.value), "use an integer")
        self.report(node, _construct(node), hint)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("True", "False"):
            return
        if isinstance(node.ctx, ast.Load) and node.id not in self.locals:
            if getattr(node, "_imported", None):
                self.report(node, f"{node.id} (imported from {node._imported})",
                            "only functions defined in this source can be used; copy the function into the file")
            elif node.id in self.functions or node.id in BUILTINS:
                self.report(node, f"function {node.id} used as a value", "call it directly")
            else:
                self.report(node, f"global name {node.id}", "pass it as a parameter or define it as a local variable")

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in BINOPS and not isinstance(node.op, LOOP_BINOPS):
            self.report(node, f"operator {type(node.op).__name__}", BINOP_HINTS.get(type(node.op), "use + - * // %"))
        if isinstance(node.op, ast.Mult) and isinstance(node.left, ast.List):
            self.visit_List(node.left, repeat=True)
            self.visit(node.right)
            return
        self.generic_visit(node)

    def visit_List(self, node: ast.List, repeat: bool = False) -> None:
        for elt in node.elts:
            self.visit(elt)
        if repeat and len(node.elts) != 1:
            self.report(node, "repetition of a list of several elements", "write [x] * n with one element")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left] + node.comparators
        nones = [isinstance(x, ast.Constant) and x.value is None for x in sides]
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)) and self.bool_test(sides):
            node._bool_is = True  # flag is True / flag is False on a name that only ever holds True / False
            self.generic_visit(node)
            return
        for op in node.ops:
            if isinstance(op, (ast.Is, ast.IsNot)) and not (len(node.ops) == 1 and any(nones)):
                self.report(node, f"{'is not' if isinstance(op, ast.IsNot) else 'is'} between two values",
                            "use is / is not only with None (x is None); compare numbers with == or !=")
            elif type(op) not in CMPOPS and not isinstance(op, (ast.Is, ast.IsNot)):
                self.report(node, f"comparison {type(op).__name__}", "use < <= > >= == != (for membership, loop over the list)")
        if len(node.ops) == 1 and any(nones):
            if all(nones) or not isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
                self.report(node, "this comparison with None", "write x is None or x is not None")
            elif not isinstance(sides[1 - nones.index(True)], ast.Name):
                self.report(node, "testing an expression for None", "test a variable: x is None")
            for x in sides:
                x._none_ok = True
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if node.keywords:
            self.report(node, "keyword arguments", "pass arguments by position")
        if isinstance(node.func, ast.Attribute):
            self.method_call(node)
            return
        if not isinstance(node.func, ast.Name):
            self.report(node.func, f"the call {ast.unparse(node.func)}(...)", "call a function of this source by its name")
        else:
            name = node.func.id
            if name in ("range", "reversed"):
                self.report(node, f"{name}() outside a for statement", f"use {name}() only as `for x in {name}(...)`")
            elif name == "isinstance":
                self.check_isinstance(node)
                return
            elif name == "int" and len(node.args) == 1 and _square_root(node.args[0]) is not None:
                self.visit(_square_root(node.args[0]))  # int(math.sqrt(n)), int(n ** 0.5): integer square root
                return
            elif name == "int" and len(node.args) == 1 and isinstance(node.args[0], ast.BinOp) and isinstance(node.args[0].op, ast.Div):
                self.visit(node.args[0].left)  # int(a / b): division truncating toward zero
                self.visit(node.args[0].right)
                return
            elif name in BUILTINS:
                arity = BUILTINS[name]
                if arity is not None and len(node.args) != arity:
                    self.report(node, f"{name}() with {len(node.args)} arguments", f"{name} takes {arity}")
                if arity is None and len(node.args) < 2:
                    self.report(node, f"{name}() with {len(node.args)} argument(s)", f"{name} takes two or more ints (over a list, write a loop)")
            elif name in self.functions:
                expected = len(self.functions[name].args.args)
                required = expected - len(self.functions[name].args.defaults)
                for param, arg in zip(self.functions[name].args.args[required:], node.args[required:]):
                    default = self.functions[name].args.defaults[self.functions[name].args.args.index(param) - required]
                    if isinstance(arg, ast.Constant) and arg.value is None and isinstance(default, ast.Constant) and default.value is None:
                        arg._none_ok = True
                if not required <= len(node.args) <= expected:
                    takes = f"{expected}" if required == expected else f"{required} to {expected}"
                    self.report(node, f"call of {name} with {len(node.args)} arguments", f"{name} takes {takes}")
            elif getattr(node.func, "_imported", None):
                self.report(node, f"call of {name} (imported from {node.func._imported})",
                            "only functions defined in this source can be called; copy the function into the file")
            else:
                self.report(node, f"call of unknown function {name}", "define it in the same source (only len, min, max, abs are built in)")
        for arg in node.args:
            self.visit(arg)

    def bool_test(self, sides: list[ast.AST]) -> bool:
        """`x is True` / `x is False` where every assignment to the name x is a True/False literal."""
        literal = [isinstance(x, ast.Constant) and isinstance(x.value, bool) for x in sides]
        name = next((x for x in sides if isinstance(x, ast.Name)), None)
        if not any(literal) or name is None:
            return False
        values = [n.value for n in ast.walk(self.function) if isinstance(n, (ast.Assign, ast.AnnAssign))
                  and any(isinstance(t, ast.Name) and t.id == name.id for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
        return bool(values) and name.id not in self.params and all(
            isinstance(v, ast.Constant) and isinstance(v.value, bool) for v in values)

    def check_isinstance(self, node: ast.Call) -> None:
        if len(node.args) != 2:
            self.report(node, f"isinstance() with {len(node.args)} arguments", "write isinstance(x, int) or isinstance(x, list)")
            return
        types = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
        for t in types:
            if not (isinstance(t, ast.Name) and t.id in TYPE_NAMES):
                self.report(t, f"isinstance() with the type {ast.unparse(t)}", f"test one of {', '.join(TYPE_NAMES)}")
        self.visit(node.args[0])

    def method_call(self, node: ast.Call) -> None:
        """x.append(v), x.pop(), x.pop(i) and x.copy() on a list variable; anything else gets a hint in
        the words of the method."""
        func = node.func
        owner = func.value
        text = f"{ast.unparse(func)}(...)"
        if isinstance(owner, ast.Name) and getattr(owner, "_imported", None) == "math" and func.attr == "isqrt" and len(node.args) == 1:
            self.visit(node.args[0])
            return
        if isinstance(owner, ast.Name) and getattr(owner, "_imported", None):
            self.report(node, f"the call {text} (from the imported module {owner._imported})",
                        "only functions defined in this source can be called; copy the function you need into the file")
        elif not isinstance(owner, ast.Name) or owner.id not in self.locals:
            self.report(node, f"the call {text}", "only methods of a list variable (append, pop, copy) are available")
        elif func.attr in METHODS:
            low, high = METHODS[func.attr]
            if not low <= len(node.args) <= high:
                self.report(node, f"{ast.unparse(func)}() with {len(node.args)} arguments",
                            f"{func.attr} takes {low if low == high else f'{low} or {high}'}")
        else:
            self.report(node, f"the method call {text}", METHOD_HINTS.get(func.attr, "write it with a loop over the list"))
        for arg in node.args:
            self.visit(arg)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.slice, ast.Slice):
            sl = node.slice
            if sl.step is not None and not (_const_int(sl.step) == -1 and sl.lower is None and sl.upper is None):
                self.report(node, f"the slice {ast.unparse(node)} with a step", "write a[i:j] (a new list), a[::-1] (reversed copy) or a loop")
            self.visit(node.value)
            for part in (sl.lower, sl.upper):
                if part is not None:
                    self.visit(part)
            return
        self.visit(node.value)
        self.visit(node.slice)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Constant) and node.value.value is None and isinstance(node.targets[0], ast.Name):
            node.value._none_ok = True
        if len(node.targets) != 1:
            self.report(node, "chained assignment a = b = ...", "assign each variable on its own line")
        target = node.targets[0]
        if isinstance(target, ast.Tuple):
            if isinstance(node.value, (ast.Tuple, ast.List)) and len(node.value.elts) != len(target.elts):
                self.report(node, f"unpacking {len(node.value.elts)} values into {len(target.elts)} names",
                            "write the same number of names and values")
            for elt in target.elts:
                self._check_target(elt)
        else:
            self._check_target(target)
        self.visit(node.value)

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            return
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            self.visit(target.value)
            self.visit(target.slice)
            return
        self.report(target, f"assignment to {_construct(target)}", "assign to a variable or to one list element x[i]")

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if type(node.op) not in BINOPS and not isinstance(node.op, LOOP_BINOPS):
            self.report(node, f"augmented operator {type(node.op).__name__}=", BINOP_HINTS.get(type(node.op), "use += -= *= //= %="))
        self._check_target(node.target)
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        if node.value is not None:
            self.visit(node.value)

    def visit_While(self, node: ast.While) -> None:
        if node.orelse:
            self.report(node.orelse[0], "while ... else", "use a flag variable set before break")
        self.visit(node.test)
        self._loop_body(node.body)

    def visit_For(self, node: ast.For) -> None:
        if node.orelse:
            self.report(node.orelse[0], "for ... else", "use a flag variable set before break")
        if not isinstance(node.target, ast.Name):
            self.report(node.target, f"loop target {_construct(node.target)}", "loop over one variable")
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed":
            if len(it.args) != 1 or it.keywords:
                self.report(it, "reversed() with other than one argument", "write reversed(range(...))")
            elif not (_is_range(it.args[0])):
                self.report(it, "reversed() of something other than range", "write reversed(range(n)) or index the list backwards")
            else:
                self._check_range(it.args[0], reversed_=True)
        elif _is_range(it):
            self._check_range(it)
        else:
            self.visit(it)  # iteration over a list variable or expression
        self._loop_body(node.body)

    def _check_range(self, call: ast.Call, reversed_: bool = False) -> None:
        if call.keywords or not 1 <= len(call.args) <= 3:
            self.report(call, f"range() with {len(call.args)} arguments", "write range(stop), range(start, stop) or range(start, stop, step)")
            return
        if len(call.args) == 3:
            step = _const_int(call.args[2])
            if step is None or step == 0:
                self.report(call.args[2], "range() with a non-constant or zero step", "use a nonzero integer literal step, or a while loop")
            elif reversed_ and step != 1:
                self.report(call, "reversed(range()) with a step other than 1", "write range(start, stop, -step) with explicit bounds")
        for arg in call.args:
            self.visit(arg)

    def _loop_body(self, body: list[ast.stmt]) -> None:
        self.loop_depth += 1
        for stmt in body:
            self.visit(stmt)
        self.loop_depth -= 1

    def visit_Raise(self, node: ast.Raise) -> None:
        if node.exc is None:
            self.report(node, "raise without an exception", "raise a named exception, e.g. raise ValueError(\"...\")")
            return
        exc = node.exc
        if isinstance(exc, ast.Call):
            if not isinstance(exc.func, (ast.Name, ast.Attribute)) or exc.keywords or len(exc.args) > 1:
                self.report(exc, f"raise {ast.unparse(exc)}", "raise an exception with at most one message argument")
                return
            if exc.args:
                self.message(exc.args[0])
        elif not isinstance(exc, (ast.Name, ast.Attribute)):
            self.report(exc, f"raise {ast.unparse(exc)}", "raise a named exception, e.g. raise ValueError(\"...\")")

    def visit_Assert(self, node: ast.Assert) -> None:
        self.visit(node.test)
        if node.msg is not None:
            self.message(node.msg)

    def message(self, node: ast.AST) -> None:
        """The message of a raise / assert: a string literal, an f-string of int expressions, or any
        other expression (then the message is left out)."""
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    if part.format_spec is not None:
                        self.report(part, "a format specification in an error message", "write {x} without :spec")
                    self.visit(part.value)
        elif not isinstance(node, ast.Constant):
            self.visit(node)

    def visit_Break(self, node: ast.Break) -> None:
        if self.loop_depth == 0:
            self.report(node, "break outside a loop", "use break only inside while/for")

    def visit_Continue(self, node: ast.Continue) -> None:
        if self.loop_depth == 0:
            self.report(node, "continue outside a loop", "use continue only inside while/for")


def _square_root(node: ast.AST) -> ast.AST | None:
    """The operand n of math.sqrt(n) or n ** 0.5 (inside int(...) they are the integer square root)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sqrt"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "math" and len(node.args) == 1):
        return node.args[0]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and node.right.value == 0.5:
        return node.left
    return None


def is_isqrt(node: ast.AST) -> bool:
    """math.isqrt(n)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "isqrt"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "math" and len(node.args) == 1)


def _is_range(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"


def _const_int(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and (type(node.value) is int or isinstance(node.value, bool)):
        return int(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _const_int(node.operand)
        return None if inner is None else -inner
    return None


def _assigned_names(fn: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _annotation_kind(ann: ast.AST | None) -> str | None:
    if ann is None:
        return None
    text = ast.unparse(ann).replace(" ", "")
    if text in ("int", "bool"):
        return "int"
    if text in ("list", "list[int]", "List[int]", "typing.List[int]", "list[bool]"):
        return "list"
    return None


LIST_METHODS_RETURNING_LIST = ("copy",)


def is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def none_defaults(fn: ast.FunctionDef) -> list[str]:
    """The parameters of `fn` whose default is None."""
    args = fn.args.args
    first = len(args) - len(fn.args.defaults)
    return [a.arg for a, d in zip(args[first:], fn.args.defaults) if is_none(d)]


def nullable_names(fn: ast.FunctionDef) -> set[str]:
    """Names that can hold None: parameters with default None, names assigned None, names tested
    with `is None`. Each gets a companion flag `name.set` (1: holds a value, 0: None)."""
    names = set(none_defaults(fn))
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and is_none(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            pair = [node.left, node.comparators[0]]
            if any(is_none(x) for x in pair):
                names |= {x.id for x in pair if isinstance(x, ast.Name)}
    copies = []  # (target, source) of x = y and of a, b = y, z
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value, ast.Name):
                    copies.append((target.id, node.value.id))
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    copies += [(t.id, v.id) for t, v in zip(target.elts, node.value.elts) if isinstance(t, ast.Name) and isinstance(v, ast.Name)]
    changed = True
    while changed:  # a name assigned from a name that can hold None can hold None too
        changed = False
        for target, source in copies:
            if source in names and target not in names:
                names.add(target)
                changed = True
    return names


def expr_kind(kinds: dict[str, str], returns: dict[str, str], node: ast.AST) -> str:
    """"list" when expression `node` evaluates to a list (or tuple) address, else "int"."""
    if isinstance(node, ast.Name):
        return kinds.get(node.id, "int")
    if isinstance(node, (ast.List, ast.Tuple)):
        return "list"
    if isinstance(node, ast.Subscript):
        return "list" if isinstance(node.slice, ast.Slice) else "int"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and (
            isinstance(node.left, ast.List) or isinstance(node.right, ast.List)):
        return "list"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and expr_kind(kinds, returns, node.left) == "list":
        return "list"  # a + b of two lists: a new list
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in returns:
        return "list" if returns[node.func.id] == "list" else "int"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LIST_BUILTINS:
        return "list"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return "list" if node.func.attr in LIST_METHODS_RETURNING_LIST else "int"
    if isinstance(node, ast.IfExp):
        return "list" if "list" in (expr_kind(kinds, returns, node.body), expr_kind(kinds, returns, node.orelse)) else "int"
    if isinstance(node, ast.BoolOp):
        return "list" if any(expr_kind(kinds, returns, v) == "list" for v in node.values) else "int"
    return "int"


def _is_tuple_value(node: ast.AST, tuples: set[str]) -> bool:
    return isinstance(node, ast.Tuple) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in tuples)


def infer_kinds(info: ModuleInfo, problems: list[Problem]) -> None:
    """Decide for every variable whether it holds an int or a list (a fixpoint over all functions),
    then check that every name, argument and return keeps one kind."""
    kinds = {name: {} for name in info.functions}
    returns = {name: "none" for name in info.functions}
    params = {name: {a.arg for a in fn.args.args if _annotation_kind(a.annotation) is None} for name, fn in info.functions.items()}
    for name, fn in info.functions.items():
        for a in fn.args.args:
            kind = _annotation_kind(a.annotation)
            if kind:
                kinds[name][a.arg] = kind

    for _ in range(2 * len(info.functions) + 4):
        changed = False

        def mark(fname: str, var: str, kind: str) -> None:
            nonlocal changed
            if kind == "list" and kinds[fname].get(var) != "list":
                kinds[fname][var] = "list"
                changed = True

        for fname, fn in info.functions.items():
            for node in ast.walk(fn):
                if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                    mark(fname, node.value.id, "list")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                    if not is_isqrt(node) and _square_root(node) is None:
                        mark(fname, node.func.value.id, "list")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    if node.func.id in ("len",) + LIST_BUILTINS and node.args and isinstance(node.args[0], ast.Name):
                        mark(fname, node.args[0].id, "list")
                    callee = info.functions.get(node.func.id)
                    if callee is not None:
                        for param, arg in zip(callee.args.args, node.args):
                            if isinstance(arg, ast.Name):
                                if kinds[node.func.id].get(param.arg) == "list":
                                    mark(fname, arg.id, "list")
                                if kinds[fname].get(arg.id) == "list":
                                    mark(node.func.id, param.arg, "list")
                            elif expr_kind(kinds[fname], returns, arg) == "list":
                                mark(node.func.id, param.arg, "list")
                elif isinstance(node, ast.For) and isinstance(node.iter, ast.Name):
                    mark(fname, node.iter.id, "list")
                elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
                    pair = [node.left, node.comparators[0]]
                    if any(expr_kind(kinds[fname], returns, x) == "list" for x in pair):
                        for x in pair:
                            if isinstance(x, ast.Name):
                                mark(fname, x.id, "list")
                elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) else [(target, node.value)]
                        for t, v in pairs:
                            if isinstance(t, ast.Name):
                                if expr_kind(kinds[fname], returns, v) == "list":
                                    mark(fname, t.id, "list")
                                if isinstance(v, ast.Name) and kinds[fname].get(t.id) == "list" and v.id in params[fname]:
                                    mark(fname, v.id, "list")  # an unannotated parameter copied into a list name
                elif isinstance(node, ast.Return) and node.value is not None:
                    kind = expr_kind(kinds[fname], returns, node.value)
                    if returns[fname] != "list" and (kind == "list" or returns[fname] == "none"):
                        if returns[fname] != kind:
                            returns[fname] = kind
                            changed = True
        if not changed:
            break

    tuples: set[str] = set()  # functions whose every return is a tuple (the entry's result is decoded as one)
    for _ in range(len(info.functions) + 1):
        for fname, fn in info.functions.items():
            values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
            if values and all(_is_tuple_value(v, tuples) for v in values):
                tuples.add(fname)
    for fname, fn in info.functions.items():
        for a in fn.args.args:
            kinds[fname].setdefault(a.arg, "int")
            declared = _annotation_kind(a.annotation)
            if declared == "int" and kinds[fname][a.arg] == "list":
                problems.append(Problem(info.file, a.lineno, a.col_offset + 1, f"parameter {a.arg} annotated int but used as a list",
                                        "annotate it list[int]"))
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                kinds[fname].setdefault(node.id, "int")
    info.kinds = kinds
    info.returns = returns
    info.tuples = tuples
    aliasing = returns_argument(info)
    for fname, fn in info.functions.items():
        problems.extend(KindChecker(info, fname, aliasing).run(fn))


def returns_argument(info: ModuleInfo) -> set[str]:
    """Functions that may return one of their list arguments rather than a new list: `return a` of
    a parameter, of a name ever bound to something other than a new list, or of a call of such a
    function (to a fixed point). A list that the caller appends to must not be passed to them: the
    append may move the list to a new block, and the name holding the returned list would keep the
    old one (found by the differential fuzzer, tests/compiler/test_fuzz_regressions.py)."""
    result: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, fn in info.functions.items():
            if name in result or info.returns.get(name) != "list":
                continue
            values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value is not None]
            if any(_may_be_argument(fn, v, result, info) for v in values):
                result.add(name)
                changed = True
    return result


def _may_be_argument(fn: ast.FunctionDef, value: ast.AST, aliasing: set[str], info: ModuleInfo) -> bool:
    if isinstance(value, ast.IfExp):
        return _may_be_argument(fn, value.body, aliasing, info) or _may_be_argument(fn, value.orelse, aliasing, info)
    if isinstance(value, ast.Name):
        if value.id in {a.arg for a in fn.args.args}:
            return True
        bound = [n.value for n in ast.walk(fn) if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name) and t.id == value.id]
        return any(not is_none(v) and not _new_list(v, aliasing, info) for v in bound)
    return not _new_list(value, aliasing, info)


def _new_list(node: ast.AST, aliasing: set[str], info: ModuleInfo) -> bool:
    """A list expression that is surely a new list: `fresh_list`, or a call of a list-returning
    function not in `aliasing`."""
    if fresh_list(node):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in info.functions
            and node.func.id not in aliasing)


def fresh_list(node: ast.AST) -> bool:
    """A new list that no other name holds: a literal, [x] * n, a slice, a copy, or a list
    comprehension (desugared into a call of a helper that builds and returns a new list)."""
    return (getattr(node, "nc_fresh_list", False) or isinstance(node, (ast.List, ast.Tuple))
            or (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice))
            or (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)))
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "copy")
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LIST_BUILTINS))


class KindChecker(ast.NodeVisitor):
    """Every name holds one kind on every path, every argument matches its parameter's kind and every
    return matches the function's kind: a list where an int is expected (or the reverse) would read
    an address as a number, so each mismatch is a problem at its line."""

    def __init__(self, info: ModuleInfo, fname: str, aliasing: set[str] = frozenset()):
        self.info, self.fname, self.aliasing = info, fname, aliasing
        self.kinds = info.kinds[fname]
        self.problems: list[Problem] = []

    def run(self, fn: ast.FunctionDef) -> list[Problem]:
        self.params = {a.arg for a in fn.args.args}
        self.grown = {n.func.value.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                      and n.func.attr == "append" and isinstance(n.func.value, ast.Name)}
        for stmt in fn.body:
            self.visit(stmt)
        return self.problems

    def fresh(self, node: ast.AST) -> bool:
        return fresh_list(node)

    def kind(self, node: ast.AST) -> str:
        return expr_kind(self.kinds, self.info.returns, node)

    def report(self, node: ast.AST, construct: str, hint: str) -> None:
        self.problems.append(Problem(self.info.file, node.lineno, node.col_offset + 1, construct, hint))

    @staticmethod
    def word(kind: str) -> str:
        return "a list" if kind == "list" else "an int"

    def target(self, target: ast.AST, value: ast.AST | None, kind: str) -> None:
        if value is not None and is_none(value):
            return
        if isinstance(target, ast.Name) and target.id in self.grown and value is not None and not self.fresh(value):
            self.report(value, f"{target.id} = {ast.unparse(value)}, a list that {target.id}.append(...) would also change",
                        f"append only to lists this function creates: write {target.id} = [] or {target.id} = {ast.unparse(value)}[:]")
        if isinstance(value, ast.Name) and value.id in self.grown and isinstance(target, ast.Name):
            self.report(value, f"a second name {target.id} for the list {value.id}, which is appended to",
                        f"use one name for the list, or copy it with {target.id} = {value.id}[:]")
        if isinstance(target, ast.Name) and self.kinds.get(target.id, "int") != kind:
            self.report(target, f"{target.id} holding {self.word(kind)} here and {self.word(self.kinds[target.id])} elsewhere",
                        "use a separate variable for each kind (a name keeps one kind: int or list)")
        elif isinstance(target, ast.Subscript) and kind == "list":
            self.report(target, "a list stored as a list element", "lists of lists are not available; store ints")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for t, v in zip(target.elts, node.value.elts):
                    self.target(t, v, self.kind(v))
                for v in node.value.elts:  # a, b = b, a assigns item by item: lists may be swapped
                    self.visit(v)
                return
            elif isinstance(target, ast.Tuple):
                for t in target.elts:
                    self.target(t, None, "int")
            else:
                self.target(target, node.value, self.kind(node.value))
        self.generic_visit(node)

    def visit_List(self, node: ast.AST) -> None:
        for elt in node.elts:
            if self.kind(elt) == "list":
                self.report(elt, "a list inside a list or tuple", "lists of lists are not available; keep separate lists")
        self.generic_visit(node)

    visit_Tuple = visit_List

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.target(node.target, node.value, self.kind(node.value))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self.kind(node.target) == "list" or self.kind(node.value) == "list":
            self.report(node, "augmented assignment on a list", "loop over the elements (list concatenation is not available; use append)")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        both = [self.kind(node.left), self.kind(node.right)]
        if isinstance(node.op, ast.Add) and both == ["list", "list"]:
            pass  # concatenation
        elif not (isinstance(node.op, ast.Mult) and (isinstance(node.left, ast.List) or isinstance(node.right, ast.List))):
            if "list" in both:
                self.report(node, "arithmetic on a list", "loop over the elements (list concatenation is not available)")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, ast.Not) and self.kind(node.operand) == "list":
            self.report(node, "arithmetic on a list", "loop over the elements")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left] + node.comparators
        kinds = [self.kind(x) for x in sides]
        if "list" in kinds and not any(is_none(x) for x in sides):
            if len(node.ops) > 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)) or kinds[0] != kinds[1]:
                self.report(node, "this comparison of a list", "compare two lists only with == or != (by value), or compare their elements in a loop")
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.condition(node.test)
        if self.kind(node.body) != self.kind(node.orelse):
            self.report(node, "a conditional expression giving a list on one branch and an int on the other",
                        "give both branches the same kind")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if "list" in [self.kind(v) for v in node.values] and not getattr(node, "_condition", False):
            self.report(node, "and/or giving a list", "test the list with len(x) > 0 and pick the value with if/else")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        want = self.info.returns[self.fname]
        if node.value is None:
            if want != "none":
                self.report(node, f"return without a value in {self.fname}, which returns a value elsewhere",
                            "return a value on every path (Python would return None here)")
        elif self.kind(node.value) != want:
            self.report(node, f"return of {self.word(self.kind(node.value))} in {self.fname}, which returns {self.word(want)} elsewhere",
                        "return one kind on every path")
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if isinstance(node.target, ast.Name) and self.kinds.get(node.target.id) == "list":
            self.report(node.target, f"loop variable {node.target.id} that holds a list elsewhere", "use a separate variable for the loop")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in self.aliasing:
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in self.grown:
                    self.report(arg, f"the list {arg.id}, which {self.fname} appends to, passed to {node.func.id}, which may "
                                f"return it (a second name for a list that moves when it grows)",
                                f"pass a copy, {node.func.id}(..., {arg.id}[:], ...), or make {node.func.id} return a new list")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "append" and node.func.value.id in self.params:
            self.report(node, f"{node.func.value.id}.append(...) on the parameter {node.func.value.id}",
                        "append only to lists this function creates (copy the parameter first: result = "
                        f"{node.func.value.id}[:]); the caller's list cannot grow")
        if is_isqrt(node) or _square_root(node) is not None:
            self.generic_visit(node)
            return
        if isinstance(node.func, ast.Attribute) and self.kind(node.func.value) != "list":
            self.report(node, f"the method call {ast.unparse(node.func)}(...) on an int", "call list methods on lists")
        if isinstance(node.func, ast.Attribute) and node.func.attr == "append" and self.kind(node.args[0]) == "list":
            self.report(node.args[0], "appending a list to a list", "lists of lists are not available; append ints")
        name = node.func.id if isinstance(node.func, ast.Name) else None
        callee = self.info.functions.get(name) if name else None
        if callee is not None:
            for param, arg in zip(callee.args.args, node.args):
                want = self.info.kinds[name].get(param.arg, "int")
                if self.kind(arg) != want and not is_none(arg):
                    self.report(arg, f"argument {ast.unparse(arg)} ({self.word(self.kind(arg))}) for parameter {param.arg} of {name}, "
                                     f"which is {self.word(want)}", "pass the same kind at every call")
        elif name in ("abs", "min", "max"):
            for arg in node.args:
                if self.kind(arg) == "list":
                    self.report(arg, f"{name}() of a list", "loop over the elements")
        elif name in ("len",) + LIST_BUILTINS and node.args and self.kind(node.args[0]) != "list":
            self.report(node, f"{name}() of an int", f"{name} takes a list")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self.kind(node.value) != "list":
            self.report(node, "indexing a value that is not a list", "index only lists")
        if not isinstance(node.slice, ast.Slice) and self.kind(node.slice) == "list":
            self.report(node.slice, "a list used as an index", "index with an int")
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        pass

    def condition(self, node: ast.AST) -> None:
        """Mark and/or/not in a condition: there a list operand is tested for being non-empty."""
        if isinstance(node, ast.BoolOp):
            node._condition = True
            for v in node.values:
                self.condition(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.condition(node.operand)

    def visit_If(self, node: ast.If) -> None:
        self.condition(node.test)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self.condition(node.test)
        self.generic_visit(node)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_main_block(stmt: ast.stmt) -> bool:
    """`if __name__ == "__main__":` (either operand order)."""
    if not (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) and len(stmt.test.ops) == 1):
        return False
    sides = [stmt.test.left, stmt.test.comparators[0]]
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) and any(
        isinstance(x, ast.Constant) and x.value == "__main__" for x in sides)


def _defined_names(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement binds (imports, classes, assignments)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    if isinstance(stmt, ast.ClassDef):
        return {stmt.name}
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _referenced(fn: ast.FunctionDef) -> set[str]:
    return {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def reached_functions(functions: dict[str, ast.FunctionDef], entry: str) -> list[str]:
    """The entry and every module function its body names, transitively (entry first)."""
    order, todo = [], [entry]
    while todo:
        name = todo.pop(0)
        if name in order or name not in functions:
            continue
        order.append(name)
        todo += sorted(_referenced(functions[name]) & set(functions))
    return order


def check_functions(file: str, functions: dict[str, ast.FunctionDef], names: list[str]) -> list[Problem]:
    validator = Validator(file, functions)
    for name in names:
        validator.check_function(functions[name])
    return validator.problems


def hoist_nested(tree: ast.Module) -> None:
    """Move each function defined at the top level of another function's body to module level as
    `outer.inner`, with the outer function's names it reads passed as extra parameters at every call
    (a call passes their current values, which is what a closure would read)."""
    for outer in [s for s in tree.body if isinstance(s, ast.FunctionDef)]:
        nested = [s for s in outer.body if isinstance(s, ast.FunctionDef)]
        if not nested:
            continue
        outer_names = {a.arg for a in outer.args.args} | {n.id for s in outer.body if not isinstance(s, ast.FunctionDef)
                                                           for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        names = {fn.name for fn in nested}
        captured = {}
        for fn in nested:
            own = {a.arg for a in fn.args.args} | _assigned_names(fn)
            captured[fn.name] = sorted(n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                                       and n.id in outer_names and n.id not in own and n.id not in names)
        for _ in range(len(nested)):  # a nested function calling another passes that one's captures on
            for fn in nested:
                for n in ast.walk(fn):
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names and n.func.id != fn.name:
                        own = {a.arg for a in fn.args.args} | _assigned_names(fn)
                        extra = [c for c in captured[n.func.id] if c not in captured[fn.name] and c not in own]
                        captured[fn.name] = sorted(set(captured[fn.name]) | set(extra))
        signature = {fn.name: (fn.args.args, fn.args.defaults) for fn in nested}
        for scope in [outer] + nested:
            for n in ast.walk(scope):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names:
                    params, defaults = signature[n.func.id]
                    missing = len(params) - len(n.args)  # omitted arguments get their defaults before the captures
                    if 0 < missing <= len(defaults):
                        n.args = n.args + [copy.deepcopy(d) for d in defaults[len(defaults) - missing:]]
                    n.args = n.args + [ast.Name(id=c, ctx=ast.Load(), lineno=n.lineno, col_offset=n.col_offset,
                                                end_lineno=n.end_lineno, end_col_offset=n.end_col_offset) for c in captured[n.func.id]]
                    n.func.id = f"{outer.name}.{n.func.id}"
        # a body of nothing but nested defs becomes `pass` (returns None, as Python does; an empty
        # body crashed the lowering: found by hypothesmith, tests/compiler/test_fuzz_regressions.py)
        outer.body = [s for s in outer.body if not isinstance(s, ast.FunctionDef)] or [
            ast.copy_location(ast.Pass(), nested[-1])]
        for fn in nested:
            if captured[fn.name]:
                fn.args.defaults = []  # every call now passes every argument (defaults filled in above)
            fn.args.args = fn.args.args + [ast.arg(arg=c, lineno=fn.lineno, col_offset=fn.col_offset) for c in captured[fn.name]]
            fn.name = f"{outer.name}.{fn.name}"
            tree.body.append(fn)


def inline_messages(tree: ast.Module) -> None:
    """`msg = f"..."` followed by `raise ValueError(msg)`: a name assigned only strings and read only as
    raise / assert messages is replaced by its string at each raise (an f-string's fields are then
    read at the raise) and its assignments become `pass`."""
    for fn in [s for s in ast.walk(tree) if isinstance(s, ast.FunctionDef)]:
        messages: set[int] = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and len(node.exc.args) == 1:
                messages.add(id(node.exc.args[0]))
            elif isinstance(node, ast.Assert) and node.msg is not None:
                messages.add(id(node.msg))
        assigned: dict[str, list[ast.Assign]] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node)
        for name, stmts in assigned.items():
            if len(stmts) != 1 or not isinstance(stmts[0].value, ast.JoinedStr) and not (
                    isinstance(stmts[0].value, ast.Constant) and isinstance(stmts[0].value.value, str)):
                continue
            loads = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
            if not loads or any(id(n) not in messages for n in loads):
                continue
            value = stmts[0].value
            for parent in ast.walk(fn):
                if isinstance(parent, ast.Raise) and isinstance(parent.exc, ast.Call) and parent.exc.args and parent.exc.args[0] in loads:
                    parent.exc.args = [copy.deepcopy(value)]
                elif isinstance(parent, ast.Assert) and parent.msg in loads:
                    parent.msg = copy.deepcopy(value)
            stmt = stmts[0]
            for parent in ast.walk(fn):
                for field_name in ("body", "orelse"):
                    block = getattr(parent, field_name, None)
                    if isinstance(block, list) and stmt in block:
                        block[block.index(stmt)] = ast.copy_location(ast.Pass(), stmt)


def validate(tree: ast.Module, file: str, entry: str | None = None) -> ModuleInfo:
    """Collect every problem in the functions the entry reaches; raise CompileError listing all of
    them. Imports, docstrings and the `if __name__ == "__main__":` block are ignored; other module
    statements only matter when a compiled function uses a name they define; functions the entry
    does not reach are not compiled (a warning names the first unsupported construct of each)."""
    problems: list[Problem] = []
    hoist_nested(tree)
    inline_messages(tree)
    functions: dict[str, ast.FunctionDef] = {}
    others: dict[str, ast.stmt] = {}  # name -> the module statement (not a def) that binds it
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            if stmt.name in functions:
                problems.append(Problem(file, stmt.lineno, stmt.col_offset + 1, f"second definition of {stmt.name}", "give each function one definition"))
            functions[stmt.name] = stmt
        elif not (_is_docstring(stmt) or _is_main_block(stmt)):
            for name in _defined_names(stmt):
                others.setdefault(name, stmt)
    if entry is None:
        entry = next(iter(functions), None)
    if entry not in functions:
        known = ", ".join(functions) or "none"
        raise CompileError([Problem(file, 1, 1, f"entry function {entry!r}", f"it is not defined in the source (defined: {known})")])
    reached = reached_functions(functions, entry)
    for name in reached:
        fn = functions[name]
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in others and node.id not in functions:
                stmt = others[node.id]
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    module = stmt.module if isinstance(stmt, ast.ImportFrom) else next(a.name for a in stmt.names if (a.asname or a.name).split(".")[0] == node.id)
                    node._imported = module or "a module"
    for name in functions:
        if name not in reached:
            found = check_functions(file, functions, [name])
            if found:
                warnings.warn(f"{file}:{functions[name].lineno}: function {name} is not compiled (the entry {entry} does not call it); "
                              f"it could not be: {found[0]}", stacklevel=3)
    compiled = {name: functions[name] for name in reached}
    problems.extend(check_functions(file, compiled, reached))
    info = ModuleInfo(file, compiled)
    if not problems:
        infer_kinds(info, problems)
        problems.extend(_check_recursion(info))
    if problems:
        problems.sort(key=lambda p: (p.line, p.col))
        raise CompileError(problems)
    return info


def _check_recursion(info: ModuleInfo) -> list[Problem]:
    """Report recursion that can never stop: a function whose every path calls itself (directly)
    before any return. Such a call chain always grows past the machine's call stack."""
    problems = []
    for name, fn in info.functions.items():
        if _always_recurses(fn.body, name):
            problems.append(Problem(info.file, fn.lineno, fn.col_offset + 1, f"recursion without a base case in {name}",
                                    "every path calls the function again, so it would recurse deeper than any stack; add a return that does not recurse"))
    return problems


def _surely_calls(node: ast.AST, name: str) -> bool:
    """True when every evaluation of expression `node` calls `name`: the branches of a conditional
    expression and the operands after the first of and/or may be skipped, so they count only when
    every alternative calls it."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
        return True
    if isinstance(node, ast.IfExp):
        return _surely_calls(node.test, name) or (_surely_calls(node.body, name) and _surely_calls(node.orelse, name))
    if isinstance(node, ast.BoolOp):
        return _surely_calls(node.values[0], name)
    if isinstance(node, ast.Compare):
        return _surely_calls(node.left, name) or _surely_calls(node.comparators[0], name)
    if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
        return False
    return any(_surely_calls(child, name) for child in ast.iter_child_nodes(node))


def _always_recurses(stmts: list[ast.stmt], name: str) -> bool:
    """True when executing `stmts` from the top surely reaches a call of `name` before any return
    that does not involve such a call."""
    for stmt in stmts:
        if isinstance(stmt, ast.Return):
            return stmt.value is not None and _surely_calls(stmt.value, name)
        if isinstance(stmt, ast.If):
            if _surely_calls(stmt.test, name):
                return True
            if _always_recurses(stmt.body, name) and _always_recurses(stmt.orelse, name):
                return True
            if any(isinstance(n, (ast.Return, ast.Raise)) for s in stmt.body + stmt.orelse for n in ast.walk(s)):
                return False
            continue
        if isinstance(stmt, (ast.While, ast.For)):
            if isinstance(stmt, ast.While) and _surely_calls(stmt.test, name):
                return True
            if isinstance(stmt, ast.For) and _surely_calls(stmt.iter, name):
                return True
            if any(isinstance(n, (ast.Return, ast.Raise)) for n in ast.walk(stmt)):
                return False
            continue
        if isinstance(stmt, ast.Raise):
            return False
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Assert)) and _surely_calls(stmt, name):
            return True
    return False

"""Check the language: report every construct of the compiled functions outside the accepted subset.

Takes the functions the entry reaches (`collect_functions`) after the tree rewrites; gives the list
of problems, each with line, column, the construct and what to write instead (all of them, before
anything is built; the user's code is only parsed, never executed). Rejects what the tables of
`language` do not list: classes, imports inside functions, try/with, lambdas, dicts and sets,
strings and floats, unknown calls and methods, wrong arities, slices with a step, break outside a
loop, None outside the sentinel forms, and so on. Checks of kinds (int or list) come later, in
`check_kinds`, once every construct is known to be one the kind inference understands.

Marks it leaves on the tree: `_none_ok` on a None literal in an accepted place, `_bool_is` on
`flag is True` / `flag is False` where the name only ever holds True or False (the lowering
compares it as an int), and `_rejected` on every node it reports. `without_rejected` then gives
the later checks the functions without the statements holding a rejected node, and the filter
(`FollowOn`) that keeps a problem those statements explain from being reported a second time.
"""

from __future__ import annotations

import ast
import copy
import dataclasses

from nclib.compiler.language import (BINOP_HINTS, BINOPS, BUILTINS, CMPOPS, HINTS, LOOP_BINOPS, METHOD_HINTS, METHODS,
                                     OPERATORS, TYPE_NAMES, assigned_names, const_int, construct, is_range, square_root)
from nclib.errors import Problem


def check_language(module) -> list[Problem]:
    """The problems of every function of `module` (a `collect_functions.Module`), function by function."""
    return check_functions(module.file, module.functions, list(module.functions))


class LanguageChecker(ast.NodeVisitor):
    """Visits the statements of each function, reporting every construct outside the subset."""

    def __init__(self, file: str, functions: dict[str, ast.FunctionDef]):
        self.file = file
        self.functions = functions
        self.problems: list[Problem] = []
        self.locals: set[str] = set()
        self.loop_depth = 0

    def report(self, node: ast.AST, construct: str, hint: str) -> None:
        node._rejected = True  # the later checks leave its statement out (`without_rejected`)
        self.problems.append(Problem(self.file, getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1, construct, hint))

    def generic_visit(self, node: ast.AST) -> None:
        if type(node) in HINTS:
            self.report(node, construct(node), HINTS[type(node)])
            return
        super().generic_visit(node)

    def check_function(self, fn: ast.FunctionDef) -> None:
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            self.report(fn, f"*args/**kwargs/keyword-only parameters of {fn.name}", "use plain positional parameters")
        for default in args.defaults:
            if not (const_int(default) is not None or (isinstance(default, ast.Constant) and default.value is None)):
                self.report(default, f"the default value {ast.unparse(default)} of {fn.name}",
                            "use an int literal, True/False or None as a default (for a list, default None and create it in the body)")
        for dec in fn.decorator_list:
            self.report(dec, "decorator", "remove the decorator")
        self.locals = {a.arg for a in args.args} | assigned_names(fn)
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
        self.report(node, construct(node), hint)

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
            self.report(node, f"operator {OPERATORS[type(node.op)]}", BINOP_HINTS.get(type(node.op), "use + - * // %"))
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
                self.report(node, f"comparison {OPERATORS[type(op)]}", "use < <= > >= == != (for membership, loop over the list)")
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
            self.report(node, f"keyword arguments `{', '.join(map(ast.unparse, node.keywords))}`", "pass arguments by position")
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
            elif name == "int" and len(node.args) == 1 and square_root(node.args[0]) is not None:
                self.visit(square_root(node.args[0]))  # int(math.sqrt(n)), int(n ** 0.5): integer square root
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
                if not required <= len(node.args) <= expected and not node.keywords and not any(
                        isinstance(a, ast.Starred) for a in node.args):  # (those are reported, with the arguments they hide)
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
            if sl.step is not None and not (const_int(sl.step) == -1 and sl.lower is None and sl.upper is None):
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
        self.report(target, f"assignment to {construct(target)}", "assign to a variable or to one list element x[i]")

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if type(node.op) not in BINOPS and not isinstance(node.op, LOOP_BINOPS):
            self.report(node, f"augmented operator {OPERATORS[type(node.op)]}=", BINOP_HINTS.get(type(node.op), "use += -= *= //= %="))
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
            self.report(node.target, f"loop target {construct(node.target)}", "loop over one variable")
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed":
            if len(it.args) != 1 or it.keywords:
                self.report(it, "reversed() with other than one argument", "write reversed(range(...))")
            elif not (is_range(it.args[0])):
                self.report(it, "reversed() of something other than range", "write reversed(range(n)) or index the list backwards")
            else:
                self._check_range(it.args[0], reversed_=True)
        elif is_range(it):
            self._check_range(it)
        else:
            self.visit(it)  # iteration over a list variable or expression
        self._loop_body(node.body)

    def _check_range(self, call: ast.Call, reversed_: bool = False) -> None:
        if call.keywords or not 1 <= len(call.args) <= 3:
            self.report(call, f"range() with {len(call.args)} arguments", "write range(stop), range(start, stop) or range(start, stop, step)")
            return
        if len(call.args) == 3:
            step = const_int(call.args[2])
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


def check_functions(file: str, functions: dict[str, ast.FunctionDef], names: list[str]) -> list[Problem]:
    """The problems of the functions `names` (in that order), where `functions` are those that may be called."""
    checker = LanguageChecker(file, functions)
    for name in names:
        checker.check_function(functions[name])
    return checker.problems


# -- what the later checks see when the language check found problems ---------------------------------

def without_rejected(module) -> tuple:
    """(a copy of `module` without the rejected constructs, the follow-on filter): every statement
    holding a construct `check_language` reported is left out (a compound statement whose header
    holds one, with its body), so that the kind and recursion checks run on what can still be
    checked. The names such a statement assigned, the names computed from them, and the functions
    that lost a statement are tainted: `FollowOn.caused` says which later problems come from a
    rejected construct rather than from the code around it (reported once, never twice)."""
    functions, follow_on = {}, FollowOn()
    for name, fn in module.functions.items():
        fn = copy.deepcopy(fn)
        tainted = _clean_signature(fn)
        fn.body = _clean_body(fn.body, tainted)
        if LOST in tainted or getattr(fn, "_rejected", False):
            follow_on.functions.add(name)
        follow_on.names[name] = tainted
        functions[name] = fn
    for name, fn in functions.items():
        follow_on.spread(name, fn)
    return dataclasses.replace(module, functions=functions, defined={**module.defined, **functions}), follow_on


def _rejected(node: ast.AST) -> bool:
    return any(getattr(n, "_rejected", False) for n in ast.walk(node))


def _clean_signature(fn: ast.FunctionDef) -> set[str]:
    """Drop what the language check rejected in `fn`'s signature; the names it loses are tainted."""
    args, tainted = fn.args, set()
    if getattr(fn, "_rejected", False):
        tainted |= {a.arg for a in [args.vararg, args.kwarg, *args.kwonlyargs] if a is not None}
        args.args, args.posonlyargs, args.kwonlyargs, args.kw_defaults = args.posonlyargs + args.args, [], [], []
        args.vararg = args.kwarg = None
    first = len(args.args) - len(args.defaults)
    for k, default in enumerate(args.defaults):
        if _rejected(default):
            args.defaults[k] = ast.Constant(0)
            tainted.add(args.args[first + k].arg)
    fn.decorator_list = []
    return tainted


def _headers(stmt: ast.stmt) -> list[ast.AST]:
    """The parts of a statement outside its nested bodies (the whole of a simple statement)."""
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, ast.For):
        return [stmt.target, stmt.iter]
    return [stmt]


def _clean_body(body: list[ast.stmt], tainted: set[str]) -> list[ast.stmt]:
    """`body` without its rejected statements (their assigned names added to `tainted`)."""
    out = []
    for stmt in body:
        if getattr(stmt, "_rejected", False) or any(_rejected(h) for h in _headers(stmt)):
            tainted |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            tainted.add(LOST)
            continue
        for field in ("body", "orelse"):
            if isinstance(stmt, (ast.If, ast.While, ast.For)) and getattr(stmt, field):
                setattr(stmt, field, _clean_body(getattr(stmt, field), tainted) or [ast.Pass()])
        out.append(stmt)
    return out or [ast.Pass()]


LOST = "<a statement was left out>"  # in a function's tainted names: the function lost a statement


class FollowOn:
    """The tainted names of each function and the functions that lost a statement; `caused` tells
    a later problem that one of them explains."""

    def __init__(self):
        self.names: dict[str, set[str]] = {}
        self.functions: set[str] = set()
        self.spans: list[tuple[tuple[int, int], tuple[int, int]]] = []

    def mentions(self, fname: str, node: ast.AST) -> bool:
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and (n.id in self.names[fname] or n.id in self.functions):
                return True
        return False

    def spread(self, fname: str, fn: ast.FunctionDef) -> None:
        """Taint the names computed from tainted ones (to a fixed point), then note the span of
        every statement of `fn` that mentions a tainted name or calls a function that lost a statement."""
        statements = [s for s in ast.walk(fn) if isinstance(s, ast.stmt) and s is not fn]
        changed = True
        while changed:
            changed = False
            for stmt in statements:
                if any(self.mentions(fname, h) for h in _headers(stmt)):
                    new = {n.id for h in _headers(stmt) for n in ast.walk(h)
                           if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - self.names[fname]
                    if new:
                        self.names[fname] |= new
                        changed = True
        for stmt in statements:
            heads = _headers(stmt)
            if any(self.mentions(fname, h) for h in heads):
                end = max(((h.end_lineno, h.end_col_offset) for h in heads), default=(stmt.lineno, stmt.col_offset))
                self.spans.append(((stmt.lineno, stmt.col_offset + 1), (end[0], end[1] + 1)))
        if fname in self.functions:  # its recursion check (at the def line) may have lost the base case
            self.spans.append(((fn.lineno, fn.col_offset + 1), (fn.lineno, fn.col_offset + 1)))

    def caused(self, problem: Problem) -> bool:
        """The problem lies in a statement that mentions a tainted name (or in a tainted function's
        def line): it follows from a construct reported already."""
        return any(start <= (problem.line, problem.col) <= end for start, end in self.spans)

"""The accepted language: what the compiler takes, in tables, and recognisers of its special forms.

The tables say which builtins, list methods and operators a compiled function may use, and the hint
given for each construct it may not (`check_language` reports them; `lower` emits code for the
accepted ones). The recognisers (`const_int`, `is_range`, `square_root`, ...) name the forms that
more than one pass must see the same way: a `range(...)` call, `int(math.sqrt(n))`, a negative
literal, None.
"""

from __future__ import annotations

import ast

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
    ast.Attribute: "use local variables, the builtins len/min/max/abs and indexing; the only methods are append, pop and copy of a list variable",
    ast.Starred: "pass arguments one by one",
    ast.Slice: "assign the elements one at a time in a loop",
    ast.JoinedStr: "return numbers, not strings",
    ast.NamedExpr: "assign on its own line",
    ast.Match: "use if / elif / else",
}
if hasattr(ast, "TryStar"):
    HINTS[ast.TryStar] = HINTS[ast.Try]

# The Python words for each node type a problem can name (never the class name of the AST).
CONSTRUCTS = {
    ast.ClassDef: "class definition", ast.Import: "import statement", ast.ImportFrom: "import statement",
    ast.Try: "try statement", ast.With: "with statement", ast.Lambda: "lambda", ast.Global: "global statement",
    ast.Nonlocal: "nonlocal statement", ast.Dict: "dict literal", ast.Set: "set literal", ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension", ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression",
    ast.Yield: "yield expression", ast.YieldFrom: "yield from expression", ast.Await: "await expression",
    ast.AsyncFunctionDef: "async def", ast.AsyncFor: "async for loop", ast.AsyncWith: "async with statement",
    ast.Delete: "del statement", ast.Attribute: "attribute access", ast.Starred: "starred expression", ast.Slice: "slice",
    ast.JoinedStr: "f-string", ast.NamedExpr: "assignment expression :=", ast.Match: "match statement",
    ast.Tuple: "tuple", ast.List: "list display", ast.Subscript: "subscript", ast.Call: "call", ast.Name: "name",
}
if hasattr(ast, "TryStar"):
    CONSTRUCTS[ast.TryStar] = "try statement"
SHOWN = (ast.Attribute, ast.Starred, ast.Tuple, ast.List, ast.Subscript, ast.Call, ast.Name, ast.Slice)  # named with their source text
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
             ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.MatMult: "@",
             ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Is: "is",
             ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def construct(node: ast.AST) -> str:
    """The Python words naming `node` in a problem: "f-string", "set literal", "attribute access
    `math.pi`", "str literal 'abc'", ... (the source text of a short expression is shown)."""
    if isinstance(node, ast.Constant):
        if node.value is Ellipsis:
            return "the literal ..."
        return f"{type(node.value).__name__} literal {node.value!r}"
    words = CONSTRUCTS.get(type(node), "statement" if isinstance(node, ast.stmt) else "expression")
    if isinstance(node, SHOWN) or words in ("statement", "expression"):
        text = ast.unparse(node)
        return f"{words} `{text}`" if len(text) <= 40 else words
    return words

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
# operators lowered to short loops of ALU ops (nclib.compiler.lower.arithmetic)
LOOP_BINOPS = (ast.Pow, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)
CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}



def square_root(node: ast.AST) -> ast.AST | None:
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


def is_range(node: ast.AST) -> bool:
    """A call of range(...)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"


def const_int(node: ast.AST) -> int | None:
    """The value of an int or bool literal, or of a negated one (-3), else None."""
    if isinstance(node, ast.Constant) and (type(node.value) is int or isinstance(node.value, bool)):
        return int(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = const_int(node.operand)
        return None if inner is None else -inner
    return None


def assigned_names(fn: ast.FunctionDef) -> set[str]:
    """Every name `fn` stores to (its local variables other than parameters never assigned)."""
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def is_none(node: ast.AST) -> bool:
    """The literal None."""
    return isinstance(node, ast.Constant) and node.value is None

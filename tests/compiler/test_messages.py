"""Rejection messages speak Python, never the class names of Python's AST (`JoinedStr`, `Attribute`,
`Set`, ...): every message the compiler gives for the textbook corpus, for the rejected sources of
the compiler tests and for one snippet of each unsupported construct is checked."""

import ast
import re
import warnings
from pathlib import Path

import pytest

from nclib.compiler.compiling import compile_text
from nclib.errors import CompileError

HERE = Path(__file__).parent
AST_NAMES = {name for name in dir(ast) if name[0].isupper() and isinstance(getattr(ast, name), type)
             and issubclass(getattr(ast, name), ast.AST)}
AST_WORD = re.compile(r"\b(" + "|".join(sorted(AST_NAMES, key=len, reverse=True)) + r")\b")
QUOTED = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"")  # the user's own source text, shown as written

SNIPPETS = {
    "f-string": ('def f(x: int) -> int:\n    s = f"{x}"\n    return 0\n', "f-string"),
    "attribute": ("def f(x: int) -> int:\n    return x.real\n", "attribute access `x.real`"),
    "module attribute": ("import math\n\ndef f(x: int) -> int:\n    return math.pi\n", "attribute access `math.pi`"),
    "set literal": ("def f(x: int) -> int:\n    s = {x, 1}\n    return 0\n", "set literal"),
    "set comprehension": ("def f(x: int) -> int:\n    s = {i for i in range(x)}\n    return 0\n", "set comprehension"),
    "dict literal": ("def f(x: int) -> int:\n    d = {1: x}\n    return 0\n", "dict literal"),
    "dict comprehension": ("def f(x: int) -> int:\n    d = {i: i for i in range(x)}\n    return 0\n", "dict comprehension"),
    "lambda": ("def f(x: int) -> int:\n    g = lambda y: y\n    return 0\n", "lambda"),
    "try": ("def f(x: int) -> int:\n    try:\n        x = x + 1\n    except ValueError:\n        pass\n    return x\n", "try statement"),
    "with": ("def f(x: int) -> int:\n    with open(x) as h:\n        pass\n    return x\n", "with statement"),
    "global": ("def f(x: int) -> int:\n    global y\n    return x\n", "global statement"),
    "generator expression": ("def f(a: list) -> int:\n    g = (v for v in a)\n    return 0\n", "generator expression"),
    "yield": ("def f(x: int) -> int:\n    yield x\n", "yield expression"),
    "yield from": ("def f(x: list) -> int:\n    yield from x\n", "yield from expression"),
    "del": ("def f(x: list) -> int:\n    del x[0]\n    return 0\n", "del statement"),
    "starred": ("def g(a: int, b: int) -> int:\n    return a\n\ndef f(x: list) -> int:\n    return g(*x)\n", "starred expression `*x`"),
    "walrus": ("def f(x: int) -> int:\n    if (y := x) > 1:\n        return y\n    return 0\n", "assignment expression"),
    "match": ("def f(x: int) -> int:\n    match x:\n        case 1:\n            return 1\n    return 0\n", "match statement"),
    "class": ("def f(x: int) -> int:\n    class C:\n        pass\n    return 0\n", "class definition"),
    "import": ("def f(x: int) -> int:\n    import math\n    return x\n", "import statement"),
    "from import": ("def f(x: int) -> int:\n    from math import gcd\n    return x\n", "import statement"),
    "string": ("def f(x: int) -> int:\n    s = 'abc'\n    return x\n", "str literal"),
    "float": ("def f(x: int) -> int:\n    return x + 1.5\n", "float literal"),
    "complex": ("def f(x: int) -> int:\n    return x + 1j\n", "complex literal"),
    "bytes": ("def f(x: int) -> int:\n    s = b'ab'\n    return x\n", "bytes literal"),
    "ellipsis": ("def f(x: int) -> int:\n    ...\n    return x\n", "the literal ..."),
    "true division": ("def f(x: int) -> int:\n    return x / 2\n", "operator /"),
    "matmul": ("def f(x: int) -> int:\n    return x @ x\n", "operator @"),
    "augmented matmul": ("def f(x: int) -> int:\n    x @= x\n    return x\n", "augmented operator @="),
    "membership chain": ("def f(a: list, x: int) -> int:\n    return 0 < x in a\n", "comparison in"),
    "attribute target": ("def f(x: list) -> int:\n    x.size = 3\n    return 0\n", "assignment to attribute access `x.size`"),
    "starred target": ("def f(x: list) -> int:\n    a, *b = x\n    return a\n", "starred expression `*b`"),
    "tuple loop target": ("def f(x: list) -> int:\n    for i, v in x:\n        pass\n    return 0\n", "loop target tuple"),
    "slice assignment": ("def f(x: list) -> int:\n    x[1:2] = [3]\n    return 0\n", "assignment to subscript `x[1:2]`"),
    "list target": ("def f(x: int) -> int:\n    [a, b] = [x, x]\n    return a\n", "assignment to list display"),
    "keyword arguments": ("def g(a: int) -> int:\n    return a\n\ndef f(x: int) -> int:\n    return g(a=x)\n", "keyword argument"),
    "method of a call": ("def f(x: int) -> int:\n    return str(x).count(1)\n", "the call str(x).count(...)"),
}


def messages(source: str, entry: str) -> list[str]:
    """The problems compiling `entry` of `source` reports (none when it compiles)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile_text(source, entry=entry, values=(-4096, 4096), memory=512)
        except CompileError as err:
            return [f"{p.construct}; {p.hint}" for p in err.problems]
        except (ValueError, TypeError):
            return []
    return []


def function_names(source: str) -> list[str]:
    try:
        return [n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    except SyntaxError:
        return []


def corpus_and_test_sources() -> list[tuple[str, str]]:
    """(label, source) of every corpus file and of every source text written in a compiler test."""
    sources = [(str(path.relative_to(HERE)), path.read_text()) for path in sorted((HERE / "corpus").rglob("*.py"))]
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "def " in node.value:
                sources.append((f"{path.name}:{node.lineno}", node.value))
    return sources


def ast_words(message: str) -> list[str]:
    return AST_WORD.findall(QUOTED.sub("", message))


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippet_message_names_the_construct_in_python_words(name):
    source, words = SNIPPETS[name]
    found = messages(source, "f")
    assert any(words in m for m in found), found
    assert not [w for m in found for w in ast_words(m)], found


def test_no_message_names_an_ast_class():
    offenders, rejected = [], 0
    for label, source in corpus_and_test_sources():
        for entry in function_names(source):
            found = messages(source, entry)
            rejected += bool(found)
            offenders += [(label, entry, m) for m in found if ast_words(m)]
    assert rejected > 50  # the corpus and the tests reject many functions: the check has material
    assert not offenders, offenders

"""Each compiler pass on its own (nclib/compiler/compiling.py calls them in order): what it takes,
what it gives, what it reports. The end-to-end behaviour is tested against CPython elsewhere."""

import ast
import importlib

import pytest

from nclib.compiler.check_kinds import check_kinds
from nclib.compiler.check_language import check_language
from nclib.compiler.check_recursion import check_recursion
from nclib.compiler.collect_functions import collect_functions
from nclib.compiler.hoist_nested import hoist_nested
from nclib.compiler.infer_kinds import infer_kinds, nullable_names
from nclib.compiler.inline_messages import inline_messages
from nclib.compiler.lower import lower

PASSES = ["desugar", "hoist_nested", "inline_messages", "collect_functions", "check_language", "infer_kinds", "check_kinds",
          "check_recursion", "lower", "regalloc", "assemble"]


def module_of(source: str, entry: str = "f"):
    tree = inline_messages(hoist_nested(ast.parse(source)))
    module, problems = collect_functions(tree, "<test>", entry)
    assert problems == []
    return module


@pytest.mark.parametrize("name", PASSES)
def test_every_pass_says_what_it_takes_gives_and_rejects(name):
    doc = importlib.import_module(f"nclib.compiler.{name}").__doc__
    assert doc and "Takes" in doc and ("gives" in doc or "fills" in doc) and "Reject" in doc, name


def test_hoist_nested_passes_captured_names():
    tree = hoist_nested(ast.parse("def f(n):\n    k = 2\n    def g(x):\n        return x * k\n    return g(n)\n"))
    names = [fn.name for fn in tree.body]
    assert names == ["f", "f.g"]
    assert [a.arg for a in tree.body[1].args.args] == ["x", "k"]
    assert ast.unparse(tree.body[0].body[-1]) == "return f.g(n, k)"


def test_inline_messages_moves_the_message_to_the_raise():
    tree = inline_messages(ast.parse("def f(n):\n    msg = f'bad {n}'\n    if n < 0:\n        raise ValueError(msg)\n    return n\n"))
    text = ast.unparse(tree)
    assert "msg" not in text and "raise ValueError(f'bad {n}')" in text


def test_collect_functions_keeps_what_the_entry_reaches():
    module = module_of("def g(x):\n    return x\n\ndef unused(x):\n    return x\n\ndef f(n):\n    return g(n)\n")
    assert list(module.functions) == ["f", "g"] and "unused" in module.defined


def test_infer_kinds_decides_int_list_and_results():
    module = module_of("def h(a):\n    return a[0], len(a)\n\ndef f(a, n):\n    b = a\n    t = h(b)\n    return n\n")
    kinds = infer_kinds(module)
    assert kinds.variables["f"] == {"a": "list", "n": "int", "b": "list", "t": "list"}
    assert kinds.returns == {"f": "int", "h": "list"} and kinds.tuples == {"h"}
    assert nullable_names(module.functions["f"]) == set()


def test_checks_return_problems_without_raising():
    module = module_of("def f(a: list[int]):\n    x = 'text'\n    return f(a)\n")
    assert [p.construct for p in check_language(module)] == ["str literal 'text'"]
    assert [p.construct for p in check_recursion(module)] == ["recursion without a base case in f"]
    module = module_of("def f(a: list[int], n):\n    if n:\n        b = a\n    else:\n        b = 3\n    return 0\n")
    assert check_language(module) == []
    assert [p.line for p in check_kinds(module, infer_kinds(module))] == [5]


def test_lower_gives_one_ir_function_per_function():
    module = module_of("def g(x):\n    return x + 1\n\ndef f(n):\n    return g(n) * 2\n")
    functions = lower(module, infer_kinds(module))
    assert list(functions) == ["f", "g"]
    assert [i.op for i in functions["f"].body] == ["call", "mul", "ret", "fault"]

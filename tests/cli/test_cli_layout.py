"""The command line's layout (issue 23): one thin module per command over library functions that
work without it, and no import circle through `nclib.cli`."""

import ast
import sys
from pathlib import Path

import pytest

import nclib
from nclib.cli import COMMANDS, build_parser
from nclib.errors import UsageError
from nclib.runtime.arguments import parse_arguments
from nclib.runtime.targets import compile_file, is_library_target, split_target

PACKAGE = Path(nclib.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """The nclib modules `path` imports anywhere in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            module = ".".join(base[:len(base) - node.level + 1] + [node.module or ""]).strip(".") if node.level else node.module
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def test_no_import_cycle_goes_through_the_cli():
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: imported_modules(path, name, set(files)) for name, path in files.items()}

    def reachable(start):  # every module `start` imports, directly or not
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    for name in (n for n in graph if n == "nclib.cli" or n.startswith("nclib.cli.")):
        assert name not in reachable(name), f"{name} imports itself back"
    assert not any(n.startswith("nclib.cli") for n in reachable("nclib.algeval.analyze"))


def test_every_command_is_a_module_with_add_parser_and_run():
    names = [m.__name__.rpartition(".")[2].replace("_", "-") for m in COMMANDS]
    assert names == ["compile", "run", "disasm", "trace", "check-stdlib", "train", "eval", "analyze"]
    for module in COMMANDS:
        assert callable(module.add_parser) and callable(module.run)
    args = build_parser().parse_args(["disasm", "x.py"])
    assert args.func is sys.modules["nclib.cli.disasm"].run


def test_library_functions_work_without_the_cli(tmp_path):
    src = tmp_path / "algo.py"
    src.write_text("def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n")
    assert split_target(f"{src}:gcd") == (str(src), "gcd") and split_target("lib") == ("lib", "")
    assert not is_library_target(f"{src}:gcd") and is_library_target(f"{tmp_path}:gcd")
    asm = compile_file(f"{src}:gcd", values=[0, 64])
    assert parse_arguments(asm, ["84", "36"]) == [84, 36]
    with pytest.raises(UsageError, match=r"gcd takes 2 arguments \(a, b\), got 1: 7"):
        parse_arguments(asm, ["7"])
    with pytest.raises(UsageError, match="defines no function 'lcm'; it defines gcd"):
        compile_file(f"{src}:lcm")

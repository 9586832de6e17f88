"""The folders are the layers (docs/design.md §1.4): no import circle among nclib's modules, and no
module imports a layer above its own. Imports inside functions count too: a lazy import is still
a dependency, only a later one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nclib"

# Bottom up; a module may import its own layer and the ones before it. The instruction set is the
# contract between the compiler and the machine, so it sits below both.
LAYERS = [
    ("nclib", "nclib.errors", "nclib.util"),
    ("nclib.machine.isa",),
    ("nclib.compiler",),
    ("nclib.machine", "nclib.kernels", "nclib.routines"),
    ("nclib.runtime",),
    ("nclib.model",),
    ("nclib.tasks", "nclib.data"),
    ("nclib.evals", "nclib.train", "nclib.algeval", "nclib.fuzz"),
    ("nclib.cli",),
]


def module_files() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


MODULES = module_files()


def owner(name: str) -> str | None:
    """The nclib module that provides `name` (a module, or an attribute of one)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {owner(a.name) for a in node.names if a.name.startswith("nclib")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("nclib"):
                found |= {owner(f"{base}.{a.name}") for a in node.names}
    # importing a submodule runs its parents' __init__ first: that is not a dependency
    return {m for m in found if m and m != module and not module.startswith(m + ".")}


GRAPH = {m: imports_of(m) for m in MODULES}


def layer(module: str) -> int:
    matches = [(len(name), i) for i, names in enumerate(LAYERS) for name in names
               if module == name or module.startswith(name + ".")]
    return max(matches)[1]


def test_every_module_has_a_layer():
    assert all(layer(m) >= 0 for m in MODULES)


def test_no_import_circle():
    circles, done = [], set()

    def visit(m, path):
        if m in path:
            circles.append(path[path.index(m):] + [m])
            return
        if m in done:
            return
        for d in sorted(GRAPH.get(m, ())):
            visit(d, path + [m])
        done.add(m)

    for m in sorted(GRAPH):
        visit(m, [])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_goes_up_a_layer(module):
    up = sorted(d for d in GRAPH[module] if layer(d) > layer(module))
    assert not up, f"{module} (layer {LAYERS[layer(module)][0]}) imports {up} from a higher layer"


def test_the_check_sees_a_circle_and_an_upward_import(monkeypatch):
    graph = {"nclib.runtime.a": {"nclib.runtime.b"}, "nclib.runtime.b": {"nclib.runtime.a", "nclib.cli"}}
    assert layer("nclib.cli") > layer("nclib.runtime.b")
    monkeypatch.setattr(__import__(__name__), "GRAPH", graph)
    with pytest.raises(AssertionError, match="import circles"):
        test_no_import_circle()

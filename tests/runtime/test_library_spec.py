"""Libraries of any routines from a config (nclib.model.library_spec): stdlib names compile as in
`nclib.stdlib()`, user files compile with their window, labels and symbols reach the model, and
every bad entry is one LibrarySpecError naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import nclib
from nclib.model.library_spec import LibrarySpecError, compile_library, parse_library

# the walkthrough's routine (examples/inversions) and a second routine that calls it
INVERSIONS = (Path(__file__).parents[2] / "examples" / "inversions" / "routine.py").read_text() + '''

def is_sorted(xs: list[int]) -> int:
    return count_inversions(xs) == 0
'''


@pytest.fixture
def routines(tmp_path):
    path = tmp_path / "inversions.py"
    path.write_text(INVERSIONS)
    return str(path)


def test_stdlib_name_compiles_like_the_stdlib():
    lib = compile_library(["gcd", "insertion_sort"]).library
    std = nclib.stdlib()
    assert lib.names == ["gcd", "insertion_sort"]
    for name in lib.names:
        assert (lib[name].asm.table == std[name].asm.table).all()
        assert (lib[name].lo, lib[name].V, lib[name].memory) == (std[name].lo, std[name].V, std[name].memory)
    wide = compile_library([{"source": "gcd", "values": [0, 1 << 14], "memory": 64}]).library["gcd"]
    assert (wide.lo, wide.V, wide.memory) == (0, 1 << 14, 64) and wide(9000, 6000) == 3000


def test_user_file_compiles_with_its_window(routines):
    compiled = compile_library([{"source": f"{routines}:count_inversions", "values": [0, 64], "stack": 4},
                                {"source": f"{routines}:is_sorted", "output": "labels", "labels": [" No", " Yes"]}])
    inv, srt = compiled.library["count_inversions"], compiled.library["is_sorted"]
    assert inv([3, 1, 2]) == 2 and inv([5, 4, 3, 2, 1]) == 10
    assert (inv.lo, inv.V, inv.memory) == (0, 64, 63)  # memory min(128, hi - 1)
    same = nclib.compile(INVERSIONS, entry="count_inversions", values=(0, 64), memory=63, stack=4)
    assert (inv.asm.table == same.asm.table).all()
    assert srt([1, 2]) == 1 and srt([2, 1]) == 0
    assert compiled.labels == {"is_sorted": [" No", " Yes"]} and compiled.symbols == []
    first = compile_library([routines]).library  # a file without :func: its first function
    assert first.names == ["count_inversions"]


def test_augment_passes_labels_and_symbols(routines):
    from nclib.tasks.task_model import load_backbone

    compiled = compile_library([{"source": f"{routines}:is_sorted", "output": "labels", "labels": [" No", " Yes"]},
                                {"source": "reachable", "symbols": [" lobby", " A", " B"]}])
    base, tok = load_backbone("tiny")
    model = compiled.augment(base, tok, nc_machine_mode="worlds")
    cfg = model.config
    assert [r["name"] for r in cfg.nc_routines] == ["is_sorted", "reachable"]
    assert cfg.nc_routines[0]["labels"] == [tok(t, add_special_tokens=False)["input_ids"] for t in (" No", " Yes")]
    assert sorted(cfg.nc_symbol_tokens.values()) == [0, 1, 2]
    assert cfg.nc_machine_mode == "worlds" and cfg.nc_max_list_len == 48


@pytest.mark.parametrize("entries, message", [
    (["gdc"], "library[0] ('gdc'): unknown stdlib routine 'gdc'"),
    ([{"source": "gcd", "window": [0, 9]}], "library[0] ('gcd'): unknown key(s) ['window']"),
    ([{"source": "gcd", "values": [9, 0]}], "values must be [lo, hi] with ints lo < hi, got [9, 0]"),
    ([{"source": "gcd", "memory": 0}], "memory must be an int >= 1, got 0"),
    ([{"source": "gcd", "output": "text"}], "output must be one of ('number', 'list', 'labels'), got 'text'"),
    ([{"source": "gcd", "labels": [" No", " Yes"]}], "output: labels and a non-empty labels list go together"),
    ([{"source": "gcd", "output": "labels"}], "output: labels and a non-empty labels list go together"),
    (["gcd", {"source": "reachable", "symbols": [" A"]}, {"source": "bfs_reachable", "symbols": [" B"]}],
     "library[2] ('bfs_reachable'): symbols [' B'] differ from those of library[1] ('reachable')"),
    ([3], "library[0] (3): expected a stdlib routine name or a mapping"),
    ("gcd", "library must be a list of routines"),
], ids=["unknown-stdlib", "unknown-key", "values", "memory", "output", "labels-without-output", "output-without-labels",
        "symbols", "entry-type", "not-a-list"])
def test_bad_entry_is_named_when_parsed(entries, message):
    with pytest.raises(LibrarySpecError) as err:
        parse_library(entries)
    assert message in str(err.value)


def test_missing_source_file_is_named(tmp_path):
    with pytest.raises(LibrarySpecError, match=r"library\[1\] \('.*nope.py:f'\): no such source file '.*nope.py'"):
        compile_library(["gcd", {"source": f"{tmp_path}/nope.py:f"}])


def test_source_that_does_not_compile_carries_the_compile_error(tmp_path, routines):
    path = tmp_path / "lookup.py"
    path.write_text("def lookup(x: int) -> int:\n    table = {1: 2}\n    return table[x]\n")
    with pytest.raises(LibrarySpecError) as err:
        compile_library([{"source": f"{path}:lookup"}])
    assert str(err.value).startswith(f"library[0] ('{path}:lookup'): 1 problem(s) in the source:")
    assert f"{path}:2:" in str(err.value)  # file and line of the problem, from the CompileError
    assert isinstance(err.value.__cause__, nclib.CompileError)
    with pytest.raises(LibrarySpecError, match=r"entry function 'sort_me'"):
        compile_library([{"source": f"{routines}:sort_me"}])
    with pytest.raises(LibrarySpecError, match=r"cannot address memory=100 cells"):
        compile_library([{"source": "gcd", "values": [0, 16], "memory": 100}])


def test_routine_result_must_fit_the_output(routines):
    with pytest.raises(LibrarySpecError, match=r"library\[0\] \('insertion_sort'\): output 'number' does not fit insertion_sort"):
        compile_library([{"source": "insertion_sort", "output": "number"}])
    with pytest.raises(LibrarySpecError, match=r"library\[1\] .*a routine named 'count_inversions' is already defined by library\[0\]"):
        compile_library([f"{routines}:count_inversions", f"{routines}:count_inversions"])

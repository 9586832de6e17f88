"""Textbook functions compile unchanged and agree with CPython (benchmarks/compile_corpus.py).

The corpus is tests/compiler/corpus/: files written the way public textbook repositories write
them, compiled from their unchanged text. Every function that compiles must be exact on 200 hard
inputs and on a few soft ones (the benchmark runs 10), with no silent wrong answer; at least
COMPILE_FLOOR of them must compile. results/compiler_corpus.md has the full run.
"""

import doctest
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from compile_corpus import (CORPUS, CORPUS_DIR, Entry, Int, Outcome, check_entry, compile_entry,  # noqa: E402
                            load_module, statement_spans, verdict)

from nclib.errors import CompileError  # noqa: E402

# Functions of CORPUS that compiled when the floor was last set (98 of 108, 2026-11-27 06:47 UTC, results/compiler_corpus.md);
# raise it when the compiler accepts more, never lower it to make a change pass.
COMPILE_FLOOR = 98
HARD_INPUTS = 200
SOFT_INPUTS = 2

pytestmark = [pytest.mark.usefixtures("one_thread"),
              pytest.mark.filterwarnings("ignore:.* is not compiled")]  # unreached functions of a file


def test_corpus_is_complete():
    files = sorted(str(p.relative_to(CORPUS_DIR)) for p in CORPUS_DIR.rglob("*.py"))
    listed = {e.file for e in CORPUS}
    assert len(files) >= 64
    assert not set(files) - listed, "every corpus file needs an entry in CORPUS (benchmarks/compile_corpus.py)"
    assert not listed - set(files)
    assert len({e.name for e in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("file", sorted({e.file for e in CORPUS}))
def test_corpus_doctests_pass_in_cpython(file):
    """The oracle itself is right: each file's doctests pass when CPython runs them."""
    result = doctest.testmod(load_module(file), verbose=False, report=False)
    assert result.attempted > 0, f"{file} has no doctest"
    assert result.failed == 0, f"{file}: {result.failed} doctest(s) fail under CPython"


def test_compile_floor():
    compiled, refused = 0, []
    for spec in CORPUS:
        try:
            compile_entry(spec)
        except CompileError as err:
            refused.append(f"{spec.name}: {err.problems[0]}")
        else:
            compiled += 1
    assert compiled >= COMPILE_FLOOR, f"{compiled} of {len(CORPUS)} compile, floor {COMPILE_FLOOR}:\n" + "\n".join(refused)


# Compiled functions known to be wrong, each reported to the compiler engineers with a minimal case;
# strict, so the entry fails as soon as the bug is fixed and must then be removed from here.
KNOWN_WRONG: dict[str, str] = {}  # second_largest (None copied between names) was fixed by E1


def _params():
    for spec in CORPUS:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[spec.name])] if spec.name in KNOWN_WRONG else []
        yield pytest.param(spec, id=spec.name, marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize("spec", list(_params()))
def test_compiled_function_is_exact(spec):
    rep = check_entry(spec, HARD_INPUTS, SOFT_INPUTS)
    if not rep.compiled:
        pytest.skip(f"does not compile: {rep.compile_error}")
    assert not rep.crash, rep.crash
    assert rep.silent == 0, f"silent wrong answers: {rep.examples}"
    assert rep.hard_exact == rep.hard_n == HARD_INPUTS, rep.examples
    assert rep.soft_exact == rep.soft_n, rep.examples
    assert rep.soft_n == SOFT_INPUTS or rep.soft_note, "soft inputs went missing without a reason"


# -- the checker itself can fail -------------------------------------------------------------------
def test_verdict_rules():
    returned = Outcome(value=[1, 2], lists=[[2, 1]])
    assert verdict(returned, Outcome(value=[1, 2], lists=[[2, 1]])) == "exact"
    assert verdict(returned, Outcome(value=[1, 2], lists=[[1, 2]])) == "silent"  # in-place effect differs
    assert verdict(returned, Outcome(value=[2, 1], lists=[[2, 1]])) == "silent"
    raised = Outcome(error="ValueError", line=7, kind="raise", message="bad")
    assert verdict(raised, Outcome(value=0, lists=[])) == "silent"  # a value where Python raises
    assert verdict(raised, Outcome(error="ValueError", line=7, kind="raise")) == "exact"
    assert verdict(raised, Outcome(error="TypeError", line=7, kind="raise")) == "wrong_error"
    assert verdict(raised, Outcome(error="ValueError", line=9, kind="raise")) == "wrong_error"
    assert verdict(raised, Outcome(error="MachineFault", line=7, kind="fault")) == "wrong_error"
    index = Outcome(error="IndexError", line=4, kind="fault")
    assert verdict(index, Outcome(error="MachineFault", line=4, kind="fault")) == "exact"
    assert verdict(returned, Outcome(error="ValueRangeError", line=3, kind="window")) == "window"
    # a statement over several lines may report its error on any of them, but not on another statement
    spans = statement_spans("def f(n):\n    assert n > 0, (\n        'bad'\n    )\n    return n\n")
    assert verdict(Outcome(error="AssertionError", line=2, kind="raise"), Outcome(error="AssertionError", line=3, kind="raise"),
                   spans) == "exact"
    assert verdict(Outcome(error="AssertionError", line=2, kind="raise"), Outcome(error="AssertionError", line=5, kind="raise"),
                   spans) == "wrong_error"


def test_checker_reports_a_silent_wrong_answer(tmp_path, monkeypatch):
    path = tmp_path / "double.py"
    path.write_text('def double(n: int) -> int:\n    """>>> double(2)\n    4\n    """\n    return n + n\n')
    spec = Entry(str(path), "double", (Int(-10, 10),), values=(-32, 32), memory=4)
    monkeypatch.setattr(load_module(spec.file), "double", lambda n: n + n + (n == 3))  # the oracle disagrees at n = 3
    rep = check_entry(spec, n_hard=200, n_soft=0)
    assert rep.compiled and rep.silent > 0 and rep.hard_exact == rep.hard_n - rep.silent
    assert all(ex["args"] == [3] for ex in rep.examples)

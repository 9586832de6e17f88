"""The differential fuzzer (nclib/fuzz/): a slice of generated programs agrees with CPython in hard
and soft mode, the generator is reproducible, the checker can fail, and hypothesmith's arbitrary
sources either compile or raise CompileError. The soak (benchmarks/fuzz_soak.py, results/fuzz_soak.md)
runs the same check on 100,000 programs.
"""

import ast
import random
import warnings

import hypothesmith
import libcst
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import nclib
import nclib.fuzz.differential as differential
from nclib.errors import CompileError
from nclib.fuzz.differential import check_program, instrument, judge, run_python
from nclib.fuzz.generate import GeneratedProgram, draw_arguments, generate

pytestmark = [pytest.mark.usefixtures("one_thread"),
              pytest.mark.filterwarnings("ignore:.* is not compiled")]  # helpers the entry never calls

SEED = 20261207
SLICE = 40  # programs, all in hard mode
SOFT_EVERY = 8  # soft mode on programs 0, 8, 16, ...


def test_ci_slice_agrees_with_cpython():
    reports = [check_program(generate(SEED, i), soft=i % SOFT_EVERY == 0) for i in range(SLICE)]
    findings = [f for r in reports for f in r.findings]
    assert not findings, "\n".join(f"{f.program} {f.mode} {f.args}: {f.verdict}; CPython {f.python}; nclib {f.nclib}"
                                   f"\n{f.source}" for f in findings[:3])
    assert not [r.crash for r in reports if r.crash]
    assert not [(r.name, r.rejected) for r in reports if r.rejected]
    # the slice must exercise the comparison: most inputs compared, some where CPython raises or
    # a value leaves the window, and soft runs on most of the soft-checked programs
    hard = sum(r.hard for r in reports)
    assert hard >= 0.9 * SLICE * differential.HARD_INPUTS
    assert 0 < sum(r.python_raised for r in reports) < hard
    assert sum(r.window for r in reports) > 0
    assert sum(r.soft > 0 for r in reports) >= SLICE // SOFT_EVERY // 2


def test_generator_is_reproducible_and_varied():
    first = [generate(SEED, i).source for i in range(30)]
    assert first == [generate(SEED, i).source for i in range(30)]
    assert len(set(first)) == 30
    assert generate(SEED + 1, 0).source != first[0]
    text = "\n".join(first)
    for construct in ("while ", "for ", "enumerate(", "zip(", ".append(", ".pop(", "[::-1]", " for e", "sum(",
                      "raise ", "assert ", "break", "continue", " // ", " % ", "return ", "def h"):
        assert construct in text, construct
    for source in first:
        ast.parse(source)


def test_recursion_passes_its_own_lists_down():
    """Seed 1, program 24450 once passed a list the helper grew to its own recursive call (its length
    squared at every level, until CPython ran out of memory); now a recursive call passes the
    helper's own list parameters."""
    source = generate(1, 24450).source
    assert "return h1(n2 - 1, a3, " in source
    for i in range(200):
        program = generate(SEED, i)
        tree = ast.parse(program.source)
        for fn in tree.body:
            params = [a.arg for a in fn.args.args]
            for call in ast.walk(fn):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == fn.name:
                    assert all(not isinstance(arg, ast.Name) or not arg.id.startswith("b") or arg.id in params
                               for arg in call.args), program.source


def test_instrumented_cpython_reports_leaving_the_window():
    source = "def f(a: list[int], n: int) -> int:\n    a[0] += n * n\n    return sum(a)\n"
    program = GeneratedProgram(0, 0, source, ("list", "int"), (-128, 128), 100)
    fn = run_python(program, (-128, 128))
    assert fn([1, 2], 3) == 12
    with pytest.raises(differential.WindowExceeded):
        fn([1, 2], 12)  # 12 * 12 = 144 on line 2
    with pytest.raises(differential.WindowExceeded):
        fn([100, 100, -100], 0)  # a partial sum of sum() is 200
    assert ast.unparse(instrument(source)).count("_nc_w(") == 2
    report = check_program(program)  # both sides leave the window on the same line, or return the same value
    assert report.compiled and not report.findings and report.hard == differential.HARD_INPUTS


def test_checker_reports_a_wrong_answer(monkeypatch):
    program = GeneratedProgram(0, 1, "def f(n: int) -> int:\n    return n + n\n", ("int",), (-128, 128), 100)
    monkeypatch.setattr(differential, "run_python", lambda p, window: (lambda n: n + n + (n == 3)))
    report = check_program(program, n_hard=200)  # enough draws from [-12, 12] to hit n = 3
    assert report.findings and {f.verdict for f in report.findings} == {"silent"}
    assert all(f.args == [3] for f in report.findings)


def test_judge_rules():
    Outcome = differential.Outcome  # nclib.fuzz.outcomes'
    window = Outcome(error="WindowExceeded", line=2, kind="fault")
    assert judge(window, Outcome(error="ValueRangeError", line=2, kind="window"), []) == "exact"
    assert judge(window, Outcome(value=5, lists=[]), []) == "window missed"
    returned = Outcome(value=5, lists=[])
    assert judge(returned, Outcome(error="ValueRangeError", line=2, kind="window"), []) == "window"
    memory = Outcome(error="MachineFault", line=3, kind="fault", message="f: out of memory (the lists do not fit ...)")
    assert judge(returned, memory, []) == "resource: out of memory"
    assert judge(returned, Outcome(error="MachineFault", line=3, kind="fault", message="f: list index out of range"),
                 []) == "wrong_error"
    # an IndexError inside an assert's condition is the indexing's fault, not the assert's
    program = GeneratedProgram(0, 2, "def f(a: list[int]) -> int:\n    assert a[3] > 0\n    return 1\n", ("list",),
                               (-128, 128), 100)
    assert not check_program(program).findings


def test_draw_arguments_fit_the_window():
    rng = random.Random(0)
    for i in range(20):
        program = generate(SEED, i)
        for small in (False, True):
            for arg, kind in zip(draw_arguments(program, rng, small), program.param_kinds):
                values = arg if kind == "list" else [arg]
                assert all(-40 <= v <= 40 for v in values) and (not small or all(-5 <= v <= 5 for v in values))


def _first_def(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return next((n.name for n in tree.body if isinstance(n, ast.FunctionDef)), None)


def _compiles_or_refuses(source: str) -> None:
    """nclib.compile returns a Program or raises CompileError, never anything else (sources
    without a def are skipped: the entry is the first def)."""
    entry = _first_def(source)
    if entry is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prog = nclib.compile(source, entry=entry, values=(-128, 128), memory=64)
        except CompileError as err:
            assert err.problems and all(p.line >= 0 for p in err.problems)
            return
    assert isinstance(prog, nclib.Program)


# no shrinking: shrinking a hypothesmith source can take many minutes; the failing source is printed as it is
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          phases=[Phase.explicit, Phase.generate])
@given(hypothesmith.from_node(libcst.FunctionDef))
def test_hypothesmith_functions_compile_or_raise_compile_error(source):
    _compiles_or_refuses(source)


# no shrinking: shrinking a hypothesmith source can take many minutes; the failing source is printed as it is
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          phases=[Phase.explicit, Phase.generate])
@given(hypothesmith.from_grammar())
def test_hypothesmith_modules_compile_or_raise_compile_error(source):
    _compiles_or_refuses(source)

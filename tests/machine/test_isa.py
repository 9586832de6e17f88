"""One test over the instruction-set table: for every ALU opcode, on random operands in a signed and
an unsigned window, Python (the ISA's reference) == the torch hard machine == the compiled hard
machine == the soft machine on one-hot inputs. Each backend also refuses to import without an
implementation of every opcode (checked by `isa.check_implemented` at import)."""

import random

import pytest
import torch

import nclib
from nclib.machine import isa

SYNTAX = {
    "add": "a + b", "sub": "a - b", "mul": "a * b", "floordiv": "a // b", "mod": "a % b",
    "lt": "a < b", "le": "a <= b", "gt": "a > b", "ge": "a >= b", "eq": "a == b", "ne": "a != b",
    "min": "min(a, b)", "max": "max(a, b)", "neg": "-a", "abs": "abs(a)", "not": "not a",
}
WINDOWS = [(0, 16), (-8, 8)]


def test_every_alu_opcode_has_a_source_form():
    assert set(SYNTAX) == set(isa.ALU_BINARY + isa.ALU_UNARY)


def test_opcode_tables_are_derived_from_the_isa():
    from nclib.compiler import assemble
    from nclib.machine import hard, interp, soft

    assert assemble.OPCODES is isa.OPCODES
    assert set(hard.HARD_ALU) | set(hard.HARD_OTHER) == set(isa.OPCODES)
    assert set(soft.SOFT_VALUE) | set(soft.SOFT_OTHER) == set(isa.OPCODES)
    assert set(interp.IMPLEMENTED) == set(isa.OPCODES)
    with pytest.raises(ImportError, match="'?zap'?"):
        isa.check_implemented("a backend", isa.OPCODES, isa.OPCODES + ("zap",))


def wrap(x: int, lo: int, V: int) -> int:
    return (x - lo) % V + lo


@pytest.mark.parametrize("window", WINDOWS, ids=["unsigned", "signed"])
@pytest.mark.parametrize("name", sorted(SYNTAX))
def test_python_equals_hard_compiled_and_soft(name, window, monkeypatch):
    lo, hi = window
    V = hi - lo
    prog = nclib.compile(f"def f(a: int, b: int) -> int:\n    return {SYNTAX[name]}\n", values=window, memory=4)
    assert name in prog.listing().split(), f"{name}: the compiled program does not use the opcode"
    rng = random.Random(hash((name, lo)) % 1000)
    pairs = [(rng.randrange(lo, hi), rng.randrange(lo, hi)) for _ in range(48)] + [(lo, lo), (hi - 1, hi - 1), (lo, hi - 1)]
    if name in ("floordiv", "mod"):
        pairs = [(a, b) for a, b in pairs if b != 0] + [(lo + 3, 0)]
    a = torch.tensor([p[0] for p in pairs])
    b = torch.tensor([p[1] for p in pairs])
    results = {}
    for backend in ("torch", "compiled"):
        monkeypatch.setenv("NCLIB_HARD", backend)
        results[backend] = prog.execute(a, b)
    op = isa.BY_NAME[name]
    for i, (x, y) in enumerate(pairs):
        if name in ("floordiv", "mod") and y == 0:
            for res in results.values():
                assert int(res.fault[i]) == isa.FAULT_DIVZERO
            continue
        exact = isa.python_op(name, x, y)
        for backend, res in results.items():
            assert int(res.fault[i]) == 0, (backend, x, y)
            assert int(res.value[i]) == wrap(exact, lo, V), (backend, name, x, y)
            left = not lo <= exact < hi
            assert (int(res.overflow_line[i]) >= 0) == (left and op.arithmetic), (backend, name, x, y)
            if left and op.arithmetic:
                assert int(res.overflow_value[i]) == exact
    for field in ("value", "steps", "fault", "fault_line", "overflow_line", "overflow_value"):
        assert torch.equal(getattr(results["torch"], field), getattr(results["compiled"], field)), field
    # soft mode on one-hot inputs: exactly one-hot on the wrapped Python result
    ok = torch.tensor([not (name in ("floordiv", "mod") and y == 0) for _, y in pairs])
    onehot = lambda t: torch.nn.functional.one_hot(t[ok] - lo, V).double()  # noqa: E731
    soft = prog.execute(onehot(a), onehot(b), mode="soft", eps=0.0)
    expected = torch.tensor([wrap(isa.python_op(name, x, y), lo, V) - lo for (x, y), keep in zip(pairs, ok) if keep])
    assert torch.equal(soft.value.argmax(-1), expected)
    assert torch.allclose(soft.value.max(-1).values, torch.ones(len(expected), dtype=soft.value.dtype))

"""The compiled hard interpreter (nclib/machine/compiled.py) and the same loop interpreted
(nclib/machine/interp.py) against the torch hard machine (the reference), element by element:
registers, memory, call stack, step counts, faults and their lines, overflow records and the cycle
detector's verdicts; and one call (nclib/runtime/call.py) on each machine, and the backend choice
(nclib/machine/backend.py)."""

import random
import sys
from types import SimpleNamespace

import pytest
import torch

import nclib
from nclib.machine import backend, isa
from nclib.machine.backend import hard_backend, run_hard
from nclib.machine.state import HARD_FIELDS, HardState


def assert_same(ref: HardState, got: HardState, where: str) -> None:
    for field in HARD_FIELDS:
        a, b = getattr(ref, field), getattr(got, field)
        if not torch.equal(a, b):
            bad = (a != b).reshape(a.shape[0], -1).any(1).nonzero()[:, 0].tolist()
            raise AssertionError(f"{where}: field {field} differs for elements {bad[:10]}")


def run_on(machine: str, asm, state: HardState, max_steps: int, cycles: bool = True) -> HardState:
    """`state` (torch) run on one of backend.MACHINES, without switching; the input is not changed."""
    arrays = state.to_numpy()
    backend.run_machine(machine, asm, arrays, max_steps, cycles)
    return arrays.to_torch()


def random_program(rng: random.Random, P: int, R: int, C: int, A: int, K: int, lo: int, V: int):
    """A random line table over every opcode (operands, targets, offsets, checks at random), and a
    random state: both machines must agree on whatever it does, faults and nonsense included."""
    table = torch.zeros(P, isa.N_FIELDS, dtype=torch.int64)
    for i in range(P):
        op = rng.randrange(len(isa.OPCODES))
        table[i] = torch.tensor([op, rng.randrange(R), rng.randrange(R + C), rng.randrange(R + C), rng.randrange(R + C),
                                 rng.randrange(-2, A), rng.randrange(P), rng.randrange(2)])
    # the invariants of every assembly: HALT_LINE holds halt (the machines stop there), the last line
    # does not fall through; and (for the torch step's address clamping) a program with alloc has a load
    table[isa.HALT_LINE] = 0
    table[P - 1, isa.F_OP] = isa.OP["jmp"]
    table[3, isa.F_OP] = isa.OP["load"]
    consts = [rng.randrange(lo, lo + V) for _ in range(C)]
    lines = [SimpleNamespace(loc=(rng.randrange(0, 5), 0)) for _ in range(P)]
    asm = SimpleNamespace(table=table, n_regs=R, memory=A, stack=K, lo=lo, V=V, lines=lines, n_lines=P, consts=consts)
    return asm


def random_state(rng: random.Random, asm, B: int) -> HardState:
    R, A, K, P = asm.n_regs, asm.memory, asm.stack, asm.n_lines

    def value():
        r = rng.random()
        return rng.choice([2**40, -(2**40), 2**33]) if r < 0.03 else rng.randrange(asm.lo - 2, asm.lo + asm.V + 2)

    regs = torch.tensor([[value() for _ in range(R)] + list(asm.consts) for _ in range(B)])
    regs[:, isa.HP] = torch.tensor([rng.randrange(0, A + 1) for _ in range(B)])  # the heap pointer is a cell index
    mem = torch.tensor([[rng.randrange(-1, A + 1) for _ in range(A)] for _ in range(B)])
    stack_regs = torch.tensor([[[value() for _ in range(R)] for _ in range(K)] for _ in range(B)])
    stack_ret = torch.tensor([[rng.randrange(P) for _ in range(K)] for _ in range(B)])
    sp = torch.tensor([rng.randrange(0, K + 1) for _ in range(B)])
    ip = torch.tensor([rng.randrange(P) for _ in range(B)])
    zeros = torch.zeros(B, dtype=torch.int64)
    return HardState(regs, mem, stack_regs, stack_ret, sp, ip, zeros, zeros.clone(), zeros.clone(),
                     torch.full((B,), -1), zeros.clone())


def random_case(seed: int) -> tuple[random.Random, object]:
    """(the generator, a random program) for `seed`: windows signed and unsigned, sizes at random."""
    rng = random.Random(seed)
    lo, V = rng.choice([(0, 16), (-8, 16), (-100, 256)])
    return rng, random_program(rng, P=rng.randrange(5, 24), R=rng.randrange(3, 7), C=rng.randrange(1, 4),
                               A=rng.randrange(2, 12), K=rng.randrange(1, 5), lo=lo, V=V)


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_agree(seed, monkeypatch):
    rng, asm = random_case(seed)
    state = random_state(rng, asm, B=64)
    monkeypatch.setenv("NCLIB_HARD", "torch")
    for cycles in (True, False):
        max_steps = rng.randrange(1, 200)
        ref = run_hard(asm, state, max_steps, cycles=cycles)
        got = run_on("compiled", asm, state, max_steps, cycles=cycles)
        assert_same(ref, got, f"seed {seed}, cycles {cycles}")


@pytest.mark.parametrize("seed", range(0, 40, 5))
def test_random_programs_agree_interpreted(seed, monkeypatch):
    """The same loop as plain Python (what a single call starts on) computes what the torch step does."""
    rng, asm = random_case(seed)
    state = random_state(rng, asm, B=16)
    monkeypatch.setenv("NCLIB_HARD", "torch")
    for cycles in (True, False):
        max_steps = rng.randrange(1, 200)
        ref = run_hard(asm, state, max_steps, cycles=cycles)
        assert_same(ref, run_on("interpreted", asm, state, max_steps, cycles=cycles), f"seed {seed}, cycles {cycles}")


@pytest.mark.parametrize("machine", ["torch", "compiled", "interpreted", "interpreted-then-compiled"])
def test_one_call_on_every_machine(machine, monkeypatch):
    """Program.__call__ (nclib.runtime.call.call_hard) gives CPython's results and errors on each machine,
    including a run that starts interpreted and moves to the compiled loop midway."""
    lib = nclib.stdlib(values=(0, 1024), memory=48, stack=24)
    monkeypatch.setenv("NCLIB_HARD", "compiled" if machine == "compiled" else "torch" if machine == "torch" else "auto")
    if machine.startswith("interpreted"):
        import nclib.machine.compiled as compiled

        monkeypatch.setattr(compiled, "warm", lambda: False)  # as in a process that has not loaded it
        monkeypatch.setattr(backend, "COLD_STEPS", 37 if machine == "interpreted-then-compiled" else 10**9)
    xs = [9, 3, 7, 1, 8, 2]
    assert lib["insertion_sort"](list(xs)) == sorted(xs)
    assert lib["fib"](14) == 377
    assert lib["gcd"](462, 1001) == 77
    with pytest.raises(nclib.ValueRangeError, match="outside the value window"):
        lib["add"](1000, 100)
    with pytest.raises(nclib.StepLimitError, match="did not halt within max_steps=50"):
        lib["fib"](14, max_steps=50)


def test_random_programs_exercise_every_outcome(monkeypatch):
    """The differential test above is only as good as what the random programs reach."""
    monkeypatch.setenv("NCLIB_HARD", "torch")
    faults, overflowed, halted = set(), 0, 0
    for seed in range(12):
        rng, asm = random_case(seed)
        res = run_on("compiled", asm, random_state(rng, asm, B=64), 150)
        faults |= set(res.fault.tolist())
        overflowed += int((res.overflow_line >= 0).sum())
        halted += int((res.ip == isa.HALT_LINE).sum())
    assert {isa.FAULT_INDEX, isa.FAULT_MEMORY, isa.FAULT_STACK, isa.FAULT_DIVZERO, isa.FAULT_NO_RETURN, isa.FAULT_RAISE,
            isa.FAULT_NO_HALT} <= faults
    assert overflowed > 0 and halted > 0


def run_both(prog, monkeypatch, *args):
    out = {}
    for machine in ("torch", "compiled"):
        monkeypatch.setenv("NCLIB_HARD", machine)
        out[machine] = prog.execute(*args)
    for field in ("value", "lengths", "steps", "fault", "fault_line", "overflow_line", "overflow_value", "halted"):
        a, b = getattr(out["torch"], field), getattr(out["compiled"], field)
        assert (a is None and b is None) or torch.equal(a, b), f"{prog.name}: {field}"
    return out["compiled"]


def test_stdlib_agrees(monkeypatch):
    lib = nclib.stdlib(values=(0, 64), memory=48, stack=12)
    rng = random.Random(0)
    B = 32
    for prog in lib:
        args = []
        for kind in prog.param_kinds:
            if kind == "list":
                n = rng.randrange(0, 9)
                values = torch.tensor([[rng.randrange(0, 64) for _ in range(8)] for _ in range(B)])
                args.append((values, torch.tensor([rng.randrange(0, n + 1) for _ in range(B)])))
            else:
                args.append(torch.tensor([rng.randrange(0, 12) for _ in range(B)]))
        run_both(prog, monkeypatch, *args)


SOURCE = '''
def deep(n: int) -> int:
    if n == 0:
        return 0
    return deep(n - 1) + 1

def spin(n: int) -> int:
    while n > 0:
        n = n + 0
    return n

def checks(xs: list[int], i: int, d: int) -> int:
    assert d != 3, "three"
    return xs[i] // d + xs[i] * xs[i] * xs[i]
'''


def test_faults_and_cycles_agree(monkeypatch):
    deep = nclib.compile(SOURCE, entry="deep", values=(0, 64), memory=4, stack=6)
    res = run_both(deep, monkeypatch, torch.arange(0, 12))
    assert (res.fault == isa.FAULT_STACK).any() and (res.fault == 0).any()
    spin = nclib.compile(SOURCE, entry="spin", values=(0, 64), memory=4)
    res = run_both(spin, monkeypatch, torch.tensor([0, 1, 5]))
    assert res.fault.tolist() == [0, isa.FAULT_NO_HALT, isa.FAULT_NO_HALT]
    checks = nclib.compile(SOURCE, entry="checks", values=(-64, 64), memory=16)
    xs = torch.tensor([[5, -7, 9]] * 5)
    res = run_both(checks, monkeypatch, (xs, torch.tensor([3] * 5)), torch.tensor([0, 1, 5, 2, 0]), torch.tensor([1, 0, 1, 3, 2]))
    assert res.fault.tolist() == [0, isa.FAULT_DIVZERO, isa.FAULT_INDEX, isa.FAULT_RAISE, 0]
    assert (res.overflow_line >= 0).tolist() == [True, False, False, False, True]


def test_backend_choice(monkeypatch):
    monkeypatch.setenv("NCLIB_HARD", "auto")
    assert hard_backend(torch.device("cpu"), None) == "compiled"
    assert hard_backend(torch.device("cpu"), []) == "torch"  # per-step traces come from the torch step
    monkeypatch.setenv("NCLIB_HARD", "compiled")
    with pytest.raises(ValueError, match="trace"):
        hard_backend(torch.device("cpu"), [])
    monkeypatch.setenv("NCLIB_HARD", "fast")
    with pytest.raises(ValueError, match="'fast'"):
        hard_backend(torch.device("cpu"), None)


def test_torch_thread_count_is_kept(monkeypatch):
    """numba's OpenMP layer shares OpenMP with torch; a run must not change torch's thread count."""
    monkeypatch.setenv("NCLIB_HARD", "compiled")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        nclib.compile("def f(n: int) -> int:\n    return n + 1\n", values=(0, 16), memory=2)(3)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_an_uncached_compiled_loop_is_compiled_in_the_background(monkeypatch, capsys):
    """Without numba's disk cache the switch costs a ~30 s compile: a long run says so once on
    stderr, starts the compile in another process and stays interpreted until it has finished;
    with the cache it moves on after COLD_STEPS (issue 29)."""
    import nclib.machine.compiled as compiled

    prog = nclib.stdlib(values=(0, 1024), memory=48, stack=24)["fib"]
    prog.execute(torch.tensor([5] * 64))  # the compiled loop has run, so numba's cache holds it
    monkeypatch.setenv("NCLIB_HARD", "auto")
    assert backend.compiled_loop_cached()
    monkeypatch.setattr(compiled, "warm", lambda: False)
    monkeypatch.setattr(backend, "COLD_STEPS", 37)
    moved = []
    real = compiled.run_loop
    monkeypatch.setattr(compiled, "run_loop", lambda *a, **k: (moved.append(1), real(*a, **k)))
    assert prog(14) == 377 and moved == [1]

    class Compiling:  # a background compile that finishes after `polls` checks
        def __init__(self, polls):
            self.polls = polls

        def poll(self):
            self.polls -= 1
            return None if self.polls >= 0 else 0

    monkeypatch.setattr(backend, "compiled_loop_cached", lambda: False)
    monkeypatch.setattr(backend, "compile_in_background", lambda: Compiling(10 ** 9))
    assert prog(14) == 377 and moved == [1]  # stayed interpreted while the compile ran
    monkeypatch.setattr(backend, "compile_in_background", lambda: Compiling(3))
    assert prog(14) == 377 and moved == [1, 1]  # moved on once it had finished
    assert prog(3) == 2 and moved == [1, 1]  # a short run never starts a compile


def test_the_background_compile_says_so_once(monkeypatch, capsys):
    started = []

    class Popen:
        def __init__(self, args, **kwargs):
            started.append(args)

    import subprocess

    monkeypatch.setattr(subprocess, "Popen", Popen)
    monkeypatch.setattr(backend, "_background", None)
    first, second = backend.compile_in_background(), backend.compile_in_background()
    assert first is second and started == [[sys.executable, "-m", "nclib.machine.compiled"]]
    err = capsys.readouterr().err
    assert err.count("compiling it in the background (about 30 s, once per installation") == 1

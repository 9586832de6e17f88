"""The soft step's fast paths (issue 14 part 3) against a frozen copy of the step before them
(`tests/support/reference_soft.py`): constant-b add / sub / load / store as shifts, addresses correlated for the
A cells only, circular correlations as grouped convolutions on the CPU. Values and input gradients
must agree on random, non-one-hot states (every line carries instruction-pointer mass), in
float64 (the convolutions' reference implementation) and float32 (the oneDNN path the benchmarks
use), with the program tensors frozen (fast paths) and trained or edited (general paths)."""

from __future__ import annotations

import pytest
import torch

import nclib
from nclib.machine import soft
from nclib.machine.isa import OPCODES, F_OP
from nclib.machine.state import SoftState
import reference_soft as reference  # tests/support: the frozen copy of the step before the fast paths

MIX = '''
def mix(xs: list[int], k: int) -> list[int]:
    out = [0] * (k + 3)
    out[0] = xs[0] + k
    out[2] = xs[1] - k
    out[1] = xs[2] - xs[0] + 5
    xs[1] = out[2] - 2
    i = len(xs) - 1
    out[k] = xs[i] + xs[i - 1]
    return out
'''


def programs():
    """(label, Program): stdlib insertion sort and recursive fib (unsigned, and sort in a signed
    window), and `mix`: loads and stores at constant and register offsets, alloc, add and sub
    with constant and register b, in a signed window."""
    unsigned = nclib.stdlib(values=(0, 32), memory=24, stack=4)
    signed = nclib.stdlib(values=(-8, 24), memory=12, stack=4)
    return [
        ("insertion_sort", unsigned["insertion_sort"]),
        ("fib", unsigned["fib"]),
        ("insertion_sort_signed", signed["insertion_sort"]),
        ("mix_signed", nclib.compile(MIX, entry="mix", values=(-8, 24), memory=14, stack=2)),
    ]


PROGRAMS = programs()
pytestmark = pytest.mark.usefixtures("one_thread")  # tiny ops; two threads spin on a shared 2-core machine


def random_state(prog, B: int, dtype, seed: int):
    """A soft state with every entry positive: registers and cells are spread distributions, the
    instruction pointer covers every line, the stack pointer every depth, the stack random."""
    g = torch.Generator().manual_seed(seed)
    asm = prog.asm
    R, V, A, P, K = asm.n_regs, asm.V, asm.memory, asm.n_lines, prog.stack

    def dist(*shape):
        return torch.softmax(2 * torch.randn(*shape, generator=g, dtype=torch.float64), -1).to(dtype)

    regs, mem = dist(B, R, V), dist(B, A, V)
    stack = torch.rand(B, K, R * V + P, generator=g, dtype=torch.float64).to(dtype)
    sp, ip = dist(B, K + 1), dist(B, P)
    return [regs, mem, stack, sp, ip, torch.zeros(B, dtype=dtype)]


def step_and_grads(module, prog, prm, state, weights, exact_constants=None):
    """One step of `module` (soft or reference): its outputs and the gradients of a fixed random
    functional of them w.r.t. the five input tensors and every program tensor that requires grad."""
    leaves = [x.detach().clone().requires_grad_(True) for x in state[:5]] + [state[5]]
    tab = module.SoftTables(prog.asm, torch.device("cpu"))
    kwargs = {} if exact_constants is None else {"exact_constants": exact_constants}
    out = module.soft_step(prog.asm, tab, prm, SoftState(*leaves), **kwargs)
    loss = sum((o * w).sum() for o, w in zip(out[:5], weights))
    wrt = leaves[:5] + [t for t in prm.values() if t.requires_grad]
    grads = torch.autograd.grad(loss, wrt, allow_unused=True)
    return [o.detach() for o in out], [torch.zeros_like(t) if gr is None else gr for gr, t in zip(grads, wrt)]


def assert_step_matches(prog, prm, state, weights, rtol: float, what: str):
    """One step of the soft machine and of the frozen reference: equal values and gradients;
    returns the soft step's (values, gradients)."""
    got = step_and_grads(soft, prog, prm, state, weights)
    want = step_and_grads(reference, prog, prm, state, weights)
    assert_match(got[0], want[0], rtol, f"{what} values")
    assert_match(got[1], want[1], rtol, f"{what} gradients")
    return got


def assert_match(got, want, rtol: float, what: str):
    for i, (x, y) in enumerate(zip(got, want)):
        scale = float(y.abs().max()) if y.numel() else 0.0
        torch.testing.assert_close(x, y, rtol=rtol, atol=rtol * scale, msg=lambda m: f"{what} #{i}: {m}")


def params(prog, dtype, train: bool = False):
    prm = {k: v.to(dtype).clone() for k, v in soft_parameters(prog).items()}
    if train:
        for t in prm.values():
            t.requires_grad_(True)
    return prm


def soft_parameters(prog):
    return soft.soft_parameters(prog.asm)


@pytest.mark.parametrize("dtype,rtol", [(torch.float64, 1e-9), (torch.float32, 1e-5)], ids=["float64", "float32"])
@pytest.mark.parametrize("label,prog", PROGRAMS, ids=[label for label, _ in PROGRAMS])
def test_step_matches_reference_with_frozen_program(label, prog, dtype, rtol):
    prm = params(prog, dtype)
    tab = soft.SoftTables(prog.asm, torch.device("cpu"))
    assert tab.exact_constants(prm)  # every program here has constant-b lines, so the shifts run
    state = random_state(prog, 3, dtype, seed=1)
    g = torch.Generator().manual_seed(2)
    weights = [torch.randn(x.shape, generator=g, dtype=torch.float64).to(dtype) for x in state[:5]]
    assert_step_matches(prog, prm, state, weights, rtol, label)


@pytest.mark.parametrize("label,prog", PROGRAMS, ids=[label for label, _ in PROGRAMS])
def test_step_matches_reference_with_trained_or_edited_program(label, prog):
    """Program tensors that require grad, or constants that are no longer one-hot, take the
    general path: the same values and gradients as before, including those of the program tensors."""
    dtype = torch.float64
    state = random_state(prog, 2, dtype, seed=3)
    g = torch.Generator().manual_seed(4)
    weights = [torch.randn(x.shape, generator=g, dtype=dtype) for x in state[:5]]
    trained = params(prog, dtype, train=True)
    assert not soft.SoftTables(prog.asm, torch.device("cpu")).exact_constants(trained)
    got = assert_step_matches(prog, trained, state, weights, 1e-9, f"{label} (trained; gradients incl. program tensors)")
    assert len(got[1]) == 5 + len(trained)

    edited = params(prog, dtype)
    edited["consts"] = edited["consts"] * 0.5 + 0.5 / prog.V  # e.g. a checkpoint with trained constants
    assert not soft.SoftTables(prog.asm, torch.device("cpu")).exact_constants(edited)
    assert_step_matches(prog, edited, state, weights, 1e-9, f"{label} (edited constants)")


def test_exact_constants_checks_the_selector_and_the_constant():
    prog = PROGRAMS[3][1]
    tab = soft.SoftTables(prog.asm, torch.device("cpu"))
    prm = params(prog, torch.float32)
    assert tab.exact_constants(prm)
    line = int(tab.const_lines[0])
    moved = dict(prm, sel_b=prm["sel_b"].clone())
    moved["sel_b"][line] = torch.roll(moved["sel_b"][line], 1)  # b now reads another column
    assert not tab.exact_constants(moved)
    col = int(tab.const_cols[0]) - prog.asm.n_regs
    shifted = dict(prm, consts=prm["consts"].clone())
    shifted["consts"][col] = torch.roll(shifted["consts"][col], 1)  # still one-hot, another value
    assert not tab.exact_constants(shifted)
    # the general path on such a program still matches the reference
    state = random_state(prog, 2, torch.float64, seed=5)
    weights = [torch.ones_like(x) for x in state[:5]]
    shifted64 = {k: v.double() for k, v in shifted.items()}
    assert_step_matches(prog, shifted64, state, weights, 1e-9, "(shifted constant)")


@pytest.mark.parametrize("label,prog", PROGRAMS[2:], ids=[label for label, _ in PROGRAMS[2:]])
def test_kernel_path_split_matches_reference(label, prog, monkeypatch):
    """With the correlations left to the kernels (the CUDA path; here their CPU reference), the
    constant-b shifts and the split groups still give the reference values and gradients."""
    monkeypatch.setattr(soft, "_local_path", lambda t: False)
    dtype = torch.float64
    prm = params(prog, dtype)
    state = random_state(prog, 2, dtype, seed=6)
    g = torch.Generator().manual_seed(7)
    weights = [torch.randn(x.shape, generator=g, dtype=dtype) for x in state[:5]]
    assert_step_matches(prog, prm, state, weights, 1e-9, label)


def test_groups_put_constant_b_lines_first():
    prog = PROGRAMS[3][1]
    asm = prog.asm
    tab = soft.SoftTables(asm, torch.device("cpu"))
    ops = [OPCODES[o] for o in asm.table[:, F_OP].tolist()]
    for name in soft.CONST_B_OPS:
        lines = tab.groups[name].tolist()
        assert sorted(lines) == [i for i, o in enumerate(ops) if o == name]
        n = tab.n_const[name]
        assert 0 < n < len(lines), name  # mix has both kinds for all four ops
        assert all(asm.table[i, 3] >= asm.n_regs for i in lines[:n])
        assert all(asm.table[i, 3] < asm.n_regs for i in lines[n:])


def use_machine(monkeypatch, module) -> None:
    """Make Program.execute run soft mode on `module` (soft or reference) with its own tables."""
    def run(asm, tab, prm, state, *args, **kwargs):
        return module.run_soft(asm, module.SoftTables(asm, state[0].device), prm, state, *args, **kwargs)
    monkeypatch.setattr(nclib.runtime.program, "run_soft", run)


@pytest.mark.parametrize("label,prog", [PROGRAMS[0], PROGRAMS[1], PROGRAMS[3]], ids=["insertion_sort", "fib", "mix_signed"])
def test_run_matches_reference(label, prog, monkeypatch):
    """A whole checkpointed run (40 steps, segments of 8) on smoothed float64 inputs: outputs,
    expected steps and input gradients."""
    V, lo = prog.V, prog.lo
    g = torch.Generator().manual_seed(8)

    def near(values):  # 95% on the value, the rest spread at random
        noise = torch.softmax(torch.randn(*values.shape, V, generator=g, dtype=torch.float64), -1)
        return 0.95 * torch.nn.functional.one_hot(values - lo, V).double() + 0.05 * noise

    if label == "fib":
        x = near(torch.tensor([4, 5]))
        make_args = lambda x: [x]  # noqa: E731
    elif label == "insertion_sort":
        x = near(torch.tensor([[5, 2, 9, 1], [3, 3, 0, 7]]))
        make_args = lambda x: [(x, torch.tensor([4, 4]))]  # noqa: E731
    else:
        x, k = near(torch.tensor([[5, -2, 9, 1], [3, 3, 0, 7]])), near(torch.tensor([1, 2]))
        make_args = lambda x: [(x, torch.tensor([4, 3])), k]  # noqa: E731
    results = []
    for module in (soft, reference):
        use_machine(monkeypatch, module)
        leaf = x.clone().requires_grad_(True)
        res = prog.execute(*make_args(leaf), mode="soft", max_steps=40, eps=0.0, segment=8)
        assert res.value.dtype == torch.float64
        (res.value * torch.linspace(-1, 1, res.value.numel(), dtype=torch.float64).view_as(res.value)).sum().backward()
        results.append([res.value.detach(), res.steps.detach(), leaf.grad])
    assert results[0][2].abs().sum() > 0
    assert_match(results[0], results[1], 1e-5, label)


@pytest.mark.parametrize("label,prog", [PROGRAMS[0], PROGRAMS[3]], ids=["insertion_sort", "mix_signed"])
def test_one_hot_run_is_exact_and_equal_to_reference(label, prog, monkeypatch):
    """One-hot float32 inputs: the new machine's output is bitwise the reference's, one-hot, and
    what the hard machine returns."""
    if label == "insertion_sort":
        values, lengths = torch.tensor([[7, 3, 30, 0, 3, 12], [1, 2, 3, 4, 5, 0]]), torch.tensor([6, 5])
        hard_args, extra = [(values, lengths)], []
    else:
        values, lengths = torch.tensor([[7, -3, 10, 0], [1, 2, 3, 4]]), torch.tensor([4, 3])
        hard_args, extra = [(values, lengths), torch.tensor([2, 1])], [1]
    hard = prog.execute(*hard_args)
    onehot = lambda v: torch.nn.functional.one_hot(v - prog.lo, prog.V).float()  # noqa: E731
    soft_args = [(onehot(values), lengths)] + [onehot(hard_args[1]) for _ in extra]
    outs = []
    for module in (soft, reference):
        use_machine(monkeypatch, module)
        outs.append(prog.execute(*soft_args, mode="soft").value)
    assert torch.equal(outs[0], outs[1])
    assert torch.equal(outs[0].amax(-1), torch.ones_like(outs[0].amax(-1)))
    got = outs[0].argmax(-1) + prog.lo
    for b in range(2):
        n = int(hard.lengths[b])
        assert got[b, :n].tolist() == hard.value[b, :n].tolist()


@pytest.mark.parametrize("label,prog", [PROGRAMS[1], PROGRAMS[3]], ids=["fib", "mix_signed"])
def test_checkpointed_segments_give_the_program_tensors_their_gradients(label, prog, monkeypatch):
    """Trained program tensors (every one requires grad) and a smoothed input: a run in
    checkpointed segments (`_Segment`) gives the values and the gradients w.r.t. the input and
    every program tensor of the run without checkpointing, and of the reference machine."""
    V, lo = prog.V, prog.lo
    g = torch.Generator().manual_seed(9)
    noise = torch.softmax(torch.randn(2, V, generator=g, dtype=torch.float64), -1)
    n = 0.9 * torch.nn.functional.one_hot(torch.tensor([3, 4]) - lo, V).double() + 0.1 * noise
    if label == "fib":
        make_args = lambda x: [x]  # noqa: E731
    else:
        xs = 0.9 * torch.nn.functional.one_hot(torch.tensor([[4, -2, 9], [3, 3, 0]]) - lo, V).double() + 0.1 / V
        make_args = lambda x: [(xs, torch.tensor([3, 3])), x]  # noqa: E731
    results = []
    for module, use_checkpoint in ((soft, True), (soft, False), (reference, True)):
        use_machine(monkeypatch, module)
        prog.tensors = {k: v.double().detach().requires_grad_(True) for k, v in soft.soft_parameters(prog.asm).items()}
        leaf = n.clone().requires_grad_(True)
        res = prog.execute(*make_args(leaf), mode="soft", max_steps=24, eps=0.0, segment=5, checkpoint=use_checkpoint)
        (res.value * torch.linspace(-1, 1, res.value.numel(), dtype=torch.float64).view_as(res.value)).sum().backward()
        grads = {k: t.grad for k, t in prog.tensors.items()}
        results.append([res.value.detach(), leaf.grad] + [grads[k] for k in sorted(grads) if grads[k] is not None])
        assert sorted(k for k, v in grads.items() if v is None) == ([] if label != "fib" else ["sel_c"])  # fib has no store
    prog.tensors = None
    assert sum(float(t.abs().sum()) for t in results[0][2:]) > 0
    assert_match(results[0], results[1], 1e-9, f"{label}: checkpointed vs not")
    assert_match(results[0], results[2], 1e-9, f"{label}: vs reference")


def test_double_backward_through_segments_is_refused():
    prog = PROGRAMS[1][1]
    n = torch.nn.functional.one_hot(torch.tensor([3]), prog.V).double() * 0.9 + 0.1 / prog.V
    n.requires_grad_(True)
    res = prog.execute(n, mode="soft", max_steps=12, eps=0.0, segment=4)
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.grad(res.value.sum(), n, create_graph=True)


@pytest.mark.parametrize("name, call", [("add", (3, 4)), ("gcd", (12, 18)), ("fib", (7,)),
                                         ("insertion_sort", ([5, 3, 9, 1],)), ("binary_search", ([1, 3, 5, 7, 9], 7))])
def test_bfloat16_soft_runs_match_float32(name, call):
    """Soft mode in bfloat16 (the dtype a bf16 model's module runs in): a ret's register restore was
    a float32 mask, which turned the registers float32 after the first step and then failed."""
    prog = nclib.stdlib(values=(0, 64), memory=32, stack=12)[name]
    out = {}
    for dtype in (torch.float32, torch.bfloat16):
        args = [(a[0].requires_grad_(), a[1]) if isinstance(a, tuple) else a.requires_grad_()
                for a in prog.encode([call], "soft", dtype=dtype)]
        res = prog.execute(*args, mode="soft")
        assert float(res.halted[0]) == 1.0 and res.halted.dtype == dtype
        (res.value if res.value is not None else res.lists[0]).float().sum().backward()
        out[dtype] = prog.decode(res, "soft")
    assert out[torch.bfloat16] == out[torch.float32]

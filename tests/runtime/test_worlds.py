"""Worlds mode (docs/design.md §2.4): exact enumeration over the top-K joint argument assignments.

The oracle is brute force: every joint assignment with positive probability, run by CPython
(the stdlib sources are plain Python), gives E[onehot(f(X))] and the faulted mass."""

import itertools
import random

import pytest
import torch

import nclib
from nclib.routines import arithmetic, fibonacci, graphs, sorting
from nclib.runtime.worlds import Choice, ListChoice, enumerate_worlds, top_worlds

SRC = {m.__name__.rsplit(".", 1)[1]: open(m.__file__).read() for m in (arithmetic, fibonacci, graphs, sorting)}


def _dist(g, B, V, support):
    """[B, V] float64 rows with random mass on `support` random entries."""
    out = torch.zeros(B, V, dtype=torch.float64)
    for b in range(B):
        idx = torch.randperm(V, generator=g)[:support]
        out[b, idx] = torch.rand(support, generator=g, dtype=torch.float64) + 0.05
    return out / out.sum(1, keepdim=True)


def _brute(fn, lo, V, choices):
    """choices: per variable a list of (value, prob) -> ({output: prob}, fault mass)."""
    dist, fault = {}, 0.0
    for combo in itertools.product(*choices):
        p = 1.0
        for _, q in combo:
            p *= q
        if p == 0:
            continue
        try:
            out = fn(*[v for v, _ in combo])
        except (IndexError, ZeroDivisionError, RecursionError):
            fault += p
            continue
        outs = out if isinstance(out, list) else [out]
        if any(not lo <= o < lo + V for o in outs):
            fault += p
            continue
        key = tuple(outs) if isinstance(out, list) else out
        dist[key] = dist.get(key, 0.0) + p
    return dist, fault


def _support(row, lo):
    return [(i + lo, float(row[i])) for i in torch.nonzero(row)[:, 0].tolist()]


@pytest.mark.parametrize("name,module,V,support", [("add", "arithmetic", 16, 4), ("gcd", "arithmetic", 16, 5),
                                                    ("fib", "fibonacci", 64, 4)])
def test_scalar_routines_equal_brute_force(name, module, V, support):
    prog = nclib.compile(SRC[module], entry=name, values=(0, V))
    fn = getattr({"arithmetic": arithmetic, "fibonacci": fibonacci}[module], name)
    g = torch.Generator().manual_seed(1)
    B = 3
    args = [_dist(g, B, V, support if name != "fib" else 6) for _ in prog.params]
    if name == "fib":  # n in 0..11: fib(10) = 55 fits, fib(11) = 89 leaves the window (fault mass)
        args = [torch.zeros(B, V, dtype=torch.float64).index_copy(1, torch.arange(12), _dist(g, B, 12, 6))]
    res = prog.execute(*args, mode="worlds", top_k=support ** len(args) if name != "fib" else 12)
    for b in range(B):
        dist, fault = _brute(fn, 0, V, [_support(a[b], 0) for a in args])
        want = torch.zeros(V, dtype=torch.float64)
        for v, p in dist.items():
            want[v] += p
        torch.testing.assert_close(res.value[b], want, atol=1e-12, rtol=0)
        assert abs(float(res.fault[b]) - fault) < 1e-12
        assert abs(float(res.covered[b]) - 1.0) < 1e-12


def _list_marginals(dist, L_out, V):
    value = torch.zeros(L_out, V, dtype=torch.float64)
    length = torch.zeros(V, dtype=torch.float64)
    for out, p in dist.items():
        length[len(out)] += p
        for j, v in enumerate(out):
            value[j, v] += p
    return value, length


@pytest.mark.parametrize("membership", [False, True], ids=["fixed-length", "membership"])
def test_insertion_sort_equals_brute_force(membership):
    V, L = 16, 3
    prog = nclib.compile(SRC["sorting"], entry="insertion_sort", values=(0, V), memory=12)
    g = torch.Generator().manual_seed(2)
    B = 2
    values = torch.stack([_dist(g, B, V, 3) for _ in range(L)], 1)  # [B, L, V]
    lengths = torch.tensor([3, 2])
    member = torch.rand(B, L, generator=g, dtype=torch.float64) if membership else None
    args = (values, lengths, member) if membership else (values, lengths)
    res = prog.execute(args, mode="worlds", top_k=512)
    for b in range(B):
        n = int(lengths[b])
        choices = [_support(values[b, j], 0) for j in range(n)]
        if membership:
            choices += [[(0, 1 - float(member[b, j])), (1, float(member[b, j]))] for j in range(n)]

        def fn(*xs):
            vals = list(xs[:n])
            if membership:
                vals = [v for v, m in zip(vals, xs[n:]) if m]
            return sorting.insertion_sort(vals)

        dist, fault = _brute(fn, 0, V, choices)
        want_value, want_len = _list_marginals(dist, res.value.shape[1], V)
        torch.testing.assert_close(res.value[b], want_value, atol=1e-12, rtol=0)
        torch.testing.assert_close(res.length_probs[b], want_len, atol=1e-12, rtol=0)
        assert fault == 0 and float(res.fault[b]) == 0


def test_reachable_with_uncertain_doors_equals_brute_force():
    V = 64
    prog = nclib.compile(SRC["graphs"], entry="reachable", values=(0, V), memory=48)
    edges = torch.tensor([[0, 1, 1, 2, 2, 3]])  # a path 0-1-2-3; each endpoint read exactly
    values = torch.nn.functional.one_hot(edges, V).double()
    member = torch.tensor([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4]], dtype=torch.float64)
    start = torch.nn.functional.one_hot(torch.tensor([0]), V).double()
    goal = torch.zeros(1, V, dtype=torch.float64)
    goal[0, 2], goal[0, 3] = 0.5, 0.5
    res = prog.execute((values, torch.tensor([6]), member), start, goal, mode="worlds", top_k=256)
    choices = [[(0, 1 - float(m)), (1, float(m))] for m in member[0]] + [[(0, 1.0)], [(2, 0.5), (3, 0.5)]]

    def fn(*xs):
        kept = [e for e, m in zip(edges[0].tolist(), xs[:6]) if m]
        if len(kept) % 2:
            raise IndexError("odd edge list")  # the routine reads edges[e + 1]
        return graphs.reachable(kept, xs[6], xs[7])

    dist, fault = _brute(fn, 0, V, choices)
    assert abs(float(res.fault[0]) - fault) < 1e-12
    for v in (0, 1):
        assert abs(float(res.value[0, v]) - dist.get(v, 0.0)) < 1e-12


def test_gradcheck_float64():
    prog = nclib.compile(SRC["arithmetic"], entry="add", values=(0, 8))
    g = torch.Generator().manual_seed(3)
    a = _dist(g, 2, 8, 8).requires_grad_()
    b = _dist(g, 2, 8, 8).requires_grad_()
    assert torch.autograd.gradcheck(lambda x, y: prog.execute(x, y, mode="worlds", top_k=64).value, (a, b))
    sort = nclib.compile(SRC["sorting"], entry="insertion_sort", values=(0, 8), memory=7)
    vals = torch.stack([_dist(g, 1, 2, 2) for _ in range(3)], 1).requires_grad_()  # [1, 3, 2]: mass on values 0, 1 only
    member = torch.tensor([[0.3, 0.6, 0.9]], dtype=torch.float64, requires_grad=True)

    def run(v, m):  # every one of the 2^3 * 2^3 worlds is enumerated, so the beam never changes under perturbation
        res = sort.execute((torch.nn.functional.pad(v, (0, 6)), torch.tensor([3]), m), mode="worlds", top_k=64)
        return res.value, res.length_probs

    assert torch.autograd.gradcheck(run, (vals, member))


def test_covered_with_fewer_worlds_than_support():
    prog = nclib.compile(SRC["arithmetic"], entry="add", values=(0, 32))
    g = torch.Generator().manual_seed(4)
    a, b = _dist(g, 4, 32, 6), _dist(g, 4, 32, 6)
    for k in (1, 5, 17):
        res = prog.execute(a, b, mode="worlds", top_k=k)
        joint = (a[:, :, None] * b[:, None, :]).flatten(1).sort(1, descending=True).values[:, :k].sum(1)
        torch.testing.assert_close(res.covered, joint, atol=1e-12, rtol=0)
        torch.testing.assert_close(res.value.sum(1) + res.fault, res.covered, atol=1e-12, rtol=0)


def test_beam_is_exact_top_k():
    rng = random.Random(5)
    for _ in range(20):
        sizes = [rng.randint(1, 5) for _ in range(rng.randint(1, 4))]
        factors = [torch.rand(1, n, dtype=torch.float64) for n in sizes]
        k = rng.randint(1, 12)
        _, weight = top_worlds(factors, k)
        joint = sorted((float(torch.prod(torch.stack([f[0, i] for f, i in zip(factors, c)])))
                        for c in itertools.product(*[range(n) for n in sizes])), reverse=True)[:k]
        torch.testing.assert_close(weight[0], torch.tensor(joint, dtype=torch.float64))


def test_one_hot_worlds_equal_hard_mode():
    prog = nclib.compile(SRC["sorting"], entry="insertion_sort", values=(0, 128), memory=40)
    xs = [[random.Random(i).randrange(100) for _ in range(16)] for i in range(4)]
    oh = torch.nn.functional.one_hot(torch.tensor(xs), 128).float()
    res = prog.execute((oh, torch.tensor([16] * 4)), mode="worlds", top_k=4)
    assert prog.decode(res, "soft") == [sorted(x) for x in xs]
    assert res.covered.tolist() == [1.0] * 4 and res.fault.tolist() == [0.0] * 4


@pytest.mark.parametrize("bad,msg", [(float("nan"), "finite"), (-0.5, ">= 0"), (0.9, "sums to")])
def test_bad_distributions_are_named(bad, msg):
    prog = nclib.compile(SRC["arithmetic"], entry="add", values=(0, 8))
    a = torch.zeros(1, 8)
    a[0, 0], a[0, 1] = 0.5, bad
    with pytest.raises(ValueError, match=msg):
        prog.execute(a, torch.eye(8)[:1], mode="worlds", top_k=4)
    with pytest.raises(ValueError, match="top_k"):
        prog.execute(torch.eye(8)[:1], torch.eye(8)[:1], mode="worlds", top_k=0)


def test_front_end_given_elements_equal_one_hot_element_choices():
    """The one worlds front end (`enumerate_worlds`) serves both callers: the model's lists (given
    elements, membership only) and the runtime's (an element distribution per slot). One-hot element
    distributions give the same worlds, weights and members as the same elements given."""
    g = torch.Generator().manual_seed(7)
    B, L, V = 3, 5, 9
    elements = torch.randint(0, V, (B, L), generator=g)
    present = torch.arange(L)[None] < torch.tensor([[5], [3], [0]])  # [B, L]
    member = torch.rand(B, L, generator=g, dtype=torch.float64) * present
    scalar = _dist(g, B, 4, 3)
    given = [Choice(scalar), ListChoice(present, member=member, elements=torch.where(present, elements, -1))]
    chosen = [Choice(scalar), ListChoice(present, probs=torch.nn.functional.one_hot(elements, V).double(), member=member)]
    a, b = enumerate_worlds(given, 6), enumerate_worlds(chosen, 6)
    assert torch.equal(a.weight, b.weight)
    live = a.weight > 0  # [B, K]; zero-mass worlds may fill the beam in any order
    assert torch.equal(a.choice(0)[live], b.choice(0)[live])
    cols, n = a.members(1, given[1], fill=-1)
    vals, m = b.members(1, chosen[1], fill=-1)
    assert torch.equal(n[live], m[live]) and torch.equal(cols[live], vals[live])
    keep = torch.arange(L)[None, None] < n[..., None]
    assert bool((cols[keep] >= 0).all()) and bool((cols[~keep] == -1).all())  # members first, then the fill
    assert int(n[2].max()) == 0  # an empty list has no members in any world


def test_members_keep_slot_order():
    present = torch.ones(1, 4, dtype=torch.bool)
    arg = ListChoice(present, member=torch.tensor([[0.9, 0.2, 0.8, 0.7]], dtype=torch.float64),
                     elements=torch.tensor([[10, 11, 12, 13]]))
    worlds = enumerate_worlds([arg], 1)
    elements, lengths = worlds.members(0, arg, fill=-1)
    assert elements.tolist() == [[[10, 12, 13, -1]]] and lengths.tolist() == [[3]]
    assert torch.allclose(worlds.weight, torch.tensor([[0.9 * 0.8 * 0.8 * 0.7]], dtype=torch.float64))
    assert torch.equal(worlds.clean(torch.tensor([[True]])), torch.zeros(1, 1, dtype=torch.float64))

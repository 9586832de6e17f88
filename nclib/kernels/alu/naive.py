"""Reference distribution ALU (also the CPU path).

A value is a categorical distribution over the V entries of a window [lo, lo + V): index i
stands for the integer lo + i. Every operation here is an exact bilinear (or linear) map of its
input distributions assuming the operands are independent, batched over any leading dimensions
(the machine passes [B, lines, V]). Results wrap inside the window. Derivations: README.md.
"""

import torch


def _circular_corr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """out[..., s] = sum_i x[..., i] * y[..., (i + s) mod V], as windows of y @ x (no autograd)."""
    V = x.shape[-1]
    windows = torch.cat([y, y[..., :V - 1]], -1).unfold(-1, V, 1)  # [..., V, V]: windows[s, i] = y[i + s]
    # One contiguous copy: a matmul over the strided view copies it matrix by matrix instead.
    return (windows.contiguous() @ x.unsqueeze(-1)).squeeze(-1)


def _flip(x: torch.Tensor) -> torch.Tensor:
    """x_f[..., m] = x[..., (-m) mod V]."""
    return torch.roll(x.flip(-1), 1, -1)


class _CircularCorr(torch.autograd.Function):
    """Differentiable `_circular_corr` that saves only x and y: the [..., V, V] windows are
    rebuilt in backward, so a long execution does not keep a V x V matrix per step alive.

    grad_x[i] = sum_s g[s] y[i + s] = corr(g, y)[i];  grad_y[j] = sum_s g[s] x[j - s] = corr(g, x_f)[-j]."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _circular_corr(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        grad_x = _circular_corr(grad, y) if ctx.needs_input_grad[0] else None
        grad_y = _flip(_circular_corr(grad, _flip(x))) if ctx.needs_input_grad[1] else None
        return grad_x, grad_y


_INDEX_CACHE: dict = {}


def _result_index(V: int, lo: int, sign: int, device) -> torch.Tensor:
    key = (V, lo, sign, str(device))
    if key not in _INDEX_CACHE:
        k = torch.arange(V, device=device)
        _INDEX_CACHE[key] = (lo - k) % V if sign > 0 else (-k - lo) % V
    return _INDEX_CACHE[key]


def dist_add(a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    """a, b: [..., V] -> [..., V], the distribution of a + b (wrapped).

    c[k] = sum_i a[i] b[(k - i - lo) mod V] (index i + j stands for 2 lo + i + j): a circular
    correlation of a with the flipped b, read at (lo - k) mod V. Computed directly, not by FFT:
    with one-hot inputs every product is 0 or 1, so the result is exactly one-hot in any float
    precision, which keeps long one-hot executions exact."""
    a, b = torch.broadcast_tensors(a, b)
    return _CircularCorr.apply(a, _flip(b))[..., _result_index(a.shape[-1], lo, 1, a.device)]


def dist_sub(a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    """a, b: [..., V] -> [..., V], the distribution of a - b (wrapped).

    c[k] = sum_i a[i] b[(i - k - lo) mod V]: the circular correlation of a and b read at (-k - lo) mod V."""
    a, b = torch.broadcast_tensors(a, b)
    return _CircularCorr.apply(a, b)[..., _result_index(a.shape[-1], lo, -1, a.device)]


def _as_bool(p_true: torch.Tensor, mass: torch.Tensor, lo: int, V: int) -> torch.Tensor:
    """Probability of 'true' [...] -> distribution [..., V] on the values 1 (true) and 0 (false)."""
    out = p_true.new_zeros(*p_true.shape, V)
    out[..., 1 - lo] = p_true
    out[..., -lo] = mass - p_true
    return out


def dist_compare(a: torch.Tensor, b: torch.Tensor, op: str, lo: int) -> torch.Tensor:
    """a, b: [..., V] -> [..., V], the distribution of the 0/1 result of `a op b`.

    op is one of "lt", "le", "gt", "ge", "eq", "ne". lt is sum_i a_i sum_{j > i} b_j, computed
    with a cumulative sum, so the cost is O(V).
    """
    V = a.shape[-1]
    mass = a.sum(-1) * b.sum(-1)
    if op in ("eq", "ne"):
        p = (a * b).sum(-1)
        if op == "ne":
            p = mass - p
        return _as_bool(p, mass, lo, V)
    if op in ("gt", "ge"):
        a, b = b, a
        op = "lt" if op == "gt" else "le"
    cum_b = torch.cumsum(b, -1)
    total_b = cum_b[..., -1:]
    above = total_b - cum_b if op == "lt" else total_b - cum_b + b  # sum_{j > i} or sum_{j >= i}
    return _as_bool((a * above).sum(-1), mass, lo, V)


def dist_min(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """P(min = k) = a_k P(b >= k) + b_k P(a > k)."""
    cum_a, cum_b = torch.cumsum(a, -1), torch.cumsum(b, -1)
    b_ge = cum_b[..., -1:] - cum_b + b
    a_gt = cum_a[..., -1:] - cum_a
    return a * b_ge + b * a_gt


def dist_max(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """P(max = k) = a_k P(b <= k) + b_k P(a < k)."""
    cum_a, cum_b = torch.cumsum(a, -1), torch.cumsum(b, -1)
    return a * cum_b + b * (cum_a - a)


def dist_binary_table(a: torch.Tensor, b: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Any binary op given by its result table [V, V] of indices: c[table[i, j]] += a_i b_j.

    Used for mul, floordiv and mod, which have no cheaper exact form. a, b: [..., V].
    """
    V = a.shape[-1]
    outer = (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(-2)  # [..., V*V]
    index = table.reshape(-1).expand(outer.shape)
    return outer.new_zeros(*outer.shape[:-1], V).scatter_add(-1, index, outer)


def dist_unary_table(a: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Any unary op given by its result table [V] of indices: c[table[i]] += a_i (neg, abs, not)."""
    return a.new_zeros(a.shape).scatter_add(-1, table.expand(a.shape), a)

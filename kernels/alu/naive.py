"""Reference distribution ALU (also the CPU path).

A value is a categorical distribution over the V entries of a window [lo, lo + V): index i
stands for the integer lo + i. Every operation here is an exact bilinear (or linear) map of its
input distributions assuming the operands are independent, batched over any leading dimensions
(the machine passes [B, lines, V]). Results wrap inside the window. Derivations: README.md.
"""

import torch


class _GatheredBilinear(torch.autograd.Function):
    """c[..., k] = sum_i a[..., i] * b[..., idx[k, i]] with the exact gradients

        grad_a[..., i] = sum_k g[..., k] * b[..., idx[k, i]]
        grad_b[..., j] = sum_i a[..., i] * g[..., idx_t[j, i]]   (idx_t inverts idx for fixed i)

    Only a and b are saved; the [..., V, V] gathers are transient, so a long execution does not
    keep a V x V matrix per step alive for backward."""

    @staticmethod
    def forward(ctx, a, b, idx, idx_t):
        ctx.save_for_backward(a, b, idx, idx_t)
        return torch.einsum("...ki,...i->...k", b[..., idx], a)

    @staticmethod
    def backward(ctx, grad):
        a, b, idx, idx_t = ctx.saved_tensors
        grad_a = torch.einsum("...ki,...k->...i", b[..., idx], grad) if ctx.needs_input_grad[0] else None
        grad_b = torch.einsum("...ji,...i->...j", grad[..., idx_t], a) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b, None, None


_INDEX_CACHE: dict = {}


def _shift_index(V: int, sign: int, lo: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Index tables of add (sign = +1) and sub (sign = -1) over a window of V values from lo."""
    key = (V, sign, lo, str(device))
    if key not in _INDEX_CACHE:
        k = torch.arange(V, device=device)[:, None]
        i = torch.arange(V, device=device)[None, :]
        if sign > 0:  # a + b: index i + j + lo = k, so j = k - i - lo; for grad_b: k = i + j + lo
            idx, idx_t = (k - i - lo) % V, (i + k + lo) % V
        else:  # a - b: index i - j - lo = k, so j = i - k - lo; for grad_b: k = i - j - lo
            idx, idx_t = (i - k - lo) % V, (i - k - lo) % V
        _INDEX_CACHE[key] = (idx, idx_t)
    return _INDEX_CACHE[key]


def dist_add(a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    """a, b: [..., V] -> [..., V], the distribution of a + b (wrapped): a circular convolution
    shifted by lo, because index i + j stands for 2 lo + i + j.

    Computed directly (no FFT): with one-hot inputs every product is 0 or 1, so the result is
    exactly one-hot in any float precision, which keeps long one-hot executions exact."""
    a, b = torch.broadcast_tensors(a, b)
    idx, idx_t = _shift_index(a.shape[-1], 1, lo, a.device)
    return _GatheredBilinear.apply(a, b, idx, idx_t)


def dist_sub(a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    """a, b: [..., V] -> [..., V], the distribution of a - b (wrapped): a circular cross-correlation."""
    a, b = torch.broadcast_tensors(a, b)
    idx, idx_t = _shift_index(a.shape[-1], -1, lo, a.device)
    return _GatheredBilinear.apply(a, b, idx, idx_t)


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

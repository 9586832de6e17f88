"""Triton dist_add / dist_sub: direct circular convolution / correlation over the value window.

O(V^2) per row instead of the reference's FFT; for the window sizes the machine uses (V up to a
few hundred) the direct form is one pass over L1-resident rows and has no FFT round-off.
Index maps (derivation in nclib/kernels/README.md), all mod V:
    add: c[k] = sum_i a[i] b[k - i - lo]        sub: c[k] = sum_j b[j] a[k + j + lo]
"""

import torch
import triton
import triton.language as tl

from nclib.kernels.alu.utils import prepare_pair
from nclib.kernels.utils import acc_dtype, block


@triton.jit
def dist_circular_fwd_kernel(
    X, Y, O, R, V, C,
    S_OUT: tl.constexpr, S_SUM: tl.constexpr, ACC: tl.constexpr,
    BLOCK_R: tl.constexpr, BLOCK_I: tl.constexpr, BLOCK_K: tl.constexpr,
):
    # O[r, k] = sum_i X[r, i] * Y[r, (S_OUT k + S_SUM i + C) mod V], with 0 <= C < V.
    i_r, i_k = tl.program_id(0), tl.program_id(1)
    o_r = i_r * BLOCK_R + tl.arange(0, BLOCK_R)
    o_k = i_k * BLOCK_K + tl.arange(0, BLOCK_K)
    m_r = o_r < R
    row = o_r.to(tl.int64) * V
    acc = tl.zeros([BLOCK_R, BLOCK_K], dtype=ACC)
    for i0 in range(0, V, BLOCK_I):
        o_i = i0 + tl.arange(0, BLOCK_I)
        m_i = o_i < V
        x = tl.load(X + row[:, None] + o_i[None, :], mask=m_r[:, None] & m_i[None, :], other=0.0).to(ACC)
        # + 2 V keeps the dividend non-negative: C and Python's % agree only on non-negatives
        idx = (S_OUT * o_k[None, :] + S_SUM * o_i[:, None] + C + 2 * V) % V  # [BLOCK_I, BLOCK_K]
        y = tl.load(Y + row[:, None, None] + idx[None, :, :],
                    mask=m_r[:, None, None] & m_i[None, :, None] & (o_k[None, None, :] < V), other=0.0).to(ACC)
        acc += tl.sum(x[:, :, None] * y, axis=1)
    tl.store(O + row[:, None] + o_k[None, :], acc.to(O.dtype.element_ty), mask=m_r[:, None] & (o_k[None, :] < V))


@triton.jit
def dist_circular_bwd_kernel(
    DO, A, B, DA, DB, R, V, CA, CB,
    SA_OUT: tl.constexpr, SA_SUM: tl.constexpr, SB_OUT: tl.constexpr, SB_SUM: tl.constexpr,
    ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_I: tl.constexpr, BLOCK_K: tl.constexpr,
):
    # DA[r, p] = sum_k DO[r, k] * B[r, (SA_OUT p + SA_SUM k + CA) mod V]
    # DB[r, p] = sum_k DO[r, k] * A[r, (SB_OUT p + SB_SUM k + CB) mod V]
    i_r, i_p = tl.program_id(0), tl.program_id(1)
    o_r = i_r * BLOCK_R + tl.arange(0, BLOCK_R)
    o_p = i_p * BLOCK_K + tl.arange(0, BLOCK_K)
    m_r = o_r < R
    m_p = o_p < V
    row = o_r.to(tl.int64) * V
    da = tl.zeros([BLOCK_R, BLOCK_K], dtype=ACC)
    db = tl.zeros([BLOCK_R, BLOCK_K], dtype=ACC)
    for k0 in range(0, V, BLOCK_I):
        o_k = k0 + tl.arange(0, BLOCK_I)
        m_k = o_k < V
        do = tl.load(DO + row[:, None] + o_k[None, :], mask=m_r[:, None] & m_k[None, :], other=0.0).to(ACC)
        mask = m_r[:, None, None] & m_k[None, :, None] & m_p[None, None, :]
        idx_a = (SA_OUT * o_p[None, :] + SA_SUM * o_k[:, None] + CA + 2 * V) % V
        idx_b = (SB_OUT * o_p[None, :] + SB_SUM * o_k[:, None] + CB + 2 * V) % V
        b = tl.load(B + row[:, None, None] + idx_a[None, :, :], mask=mask, other=0.0).to(ACC)
        a = tl.load(A + row[:, None, None] + idx_b[None, :, :], mask=mask, other=0.0).to(ACC)
        da += tl.sum(do[:, :, None] * b, axis=1)
        db += tl.sum(do[:, :, None] * a, axis=1)
    out_mask = m_r[:, None] & m_p[None, :]
    tl.store(DA + row[:, None] + o_p[None, :], da.to(DA.dtype.element_ty), mask=out_mask)
    tl.store(DB + row[:, None] + o_p[None, :], db.to(DB.dtype.element_ty), mask=out_mask)


# (forward: which operand is summed, S_OUT, S_SUM, C(lo)), (backward: SA_OUT, SA_SUM, CA, SB_OUT, SB_SUM, CB)
_MAPS = {
    "add": (("a", 1, -1, lambda lo: -lo), (-1, 1, lambda lo: -lo, -1, 1, lambda lo: -lo)),
    "sub": (("b", 1, 1, lambda lo: lo), (1, -1, lambda lo: -lo, 1, 1, lambda lo: lo)),
}


def _blocks(R: int, V: int):
    BLOCK_K = block(V, hi=64)
    BLOCK_I = block(V, hi=32)
    BLOCK_R = max(1, min(triton.next_power_of_2(R), 8192 // (BLOCK_K * BLOCK_I)))
    return BLOCK_R, BLOCK_I, BLOCK_K


def dist_circular_fwd(op: str, a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    """a, b: [R, V] contiguous -> [R, V]."""
    R, V = a.shape
    (summed, s_out, s_sum, c), _ = _MAPS[op]
    x, y = (a, b) if summed == "a" else (b, a)
    out = torch.empty_like(a)
    BLOCK_R, BLOCK_I, BLOCK_K = _blocks(R, V)
    grid = (triton.cdiv(R, BLOCK_R), triton.cdiv(V, BLOCK_K))
    dist_circular_fwd_kernel[grid](
        x, y, out, R, V, c(lo) % V, S_OUT=s_out, S_SUM=s_sum, ACC=acc_dtype(a.dtype),
        BLOCK_R=BLOCK_R, BLOCK_I=BLOCK_I, BLOCK_K=BLOCK_K,
    )
    return out


def dist_circular_bwd(op: str, do: torch.Tensor, a: torch.Tensor, b: torch.Tensor, lo: int):
    """Upstream do [R, V] -> (da [R, V], db [R, V])."""
    R, V = a.shape
    _, (sa_out, sa_sum, ca, sb_out, sb_sum, cb) = _MAPS[op]
    da, db = torch.empty_like(a), torch.empty_like(b)
    BLOCK_R, BLOCK_I, BLOCK_K = _blocks(R, V)
    grid = (triton.cdiv(R, BLOCK_R), triton.cdiv(V, BLOCK_K))
    dist_circular_bwd_kernel[grid](
        do, a, b, da, db, R, V, ca(lo) % V, cb(lo) % V,
        SA_OUT=sa_out, SA_SUM=sa_sum, SB_OUT=sb_out, SB_SUM=sb_sum, ACC=acc_dtype(a.dtype),
        BLOCK_R=BLOCK_R, BLOCK_I=BLOCK_I, BLOCK_K=BLOCK_K,
    )
    return da, db


class DistCircularFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, op, lo):
        ctx.save_for_backward(a, b)
        ctx.op, ctx.lo = op, lo
        return dist_circular_fwd(op, a, b, lo)

    @staticmethod
    def backward(ctx, do):
        a, b = ctx.saved_tensors
        da, db = dist_circular_bwd(ctx.op, do.contiguous(), a, b, ctx.lo)
        return da, db, None, None


def _apply(op: str, a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    if not isinstance(lo, int):
        raise ValueError(f"lo must be a Python int (the window start), got {type(lo).__name__} {lo!r}")
    a, b, lead, V = prepare_pair(a, b)
    out = DistCircularFunction.apply(a.reshape(-1, V).contiguous(), b.reshape(-1, V).contiguous(), op, lo)
    return out.reshape(*lead, V)


def dist_add(a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    """Distribution of a + b wrapped into the window [lo, lo + V), Triton kernels (differentiable).

    Args:
        a, b: `[..., V]` distributions over the window (broadcast against each other; the machine
            passes `[B, lines, V]`).
        lo: the window start (the integer that index 0 stands for).

    Returns:
        `[..., V]`: c[k] = sum_i a[i] * b[(k - i - lo) mod V].
    """
    return _apply("add", a, b, lo)


def dist_sub(a: torch.Tensor, b: torch.Tensor, lo: int) -> torch.Tensor:
    """Distribution of a - b wrapped into the window [lo, lo + V), Triton kernels (differentiable).

    Args:
        a, b: `[..., V]` (broadcast against each other).
        lo: the window start.

    Returns:
        `[..., V]`: c[k] = sum_j b[j] * a[(k + j + lo) mod V].
    """
    return _apply("sub", a, b, lo)

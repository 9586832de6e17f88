"""Triton dist_binary_table: c[table[i, j]] += a_i b_j for any binary op given by its table.

The forward is a gather, not a scatter: the V*V table entries are sorted by result once per call
(a CSR list of the (i, j) pairs that land on each output k), and one program sums the pairs of
one output k for a block of rows. No atomics, so the result is deterministic.
"""

import torch
import triton
import triton.language as tl

from nclib.kernels.alu.utils import prepare_pair
from nclib.kernels.utils import acc_dtype


@triton.jit
def dist_binary_table_fwd_kernel(
    A, B, PAIRS, OFFSETS, O, R, V,
    ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_P: tl.constexpr,
):
    # O[r, k] = sum over flat pairs p = i V + j with table[i, j] = k of A[r, i] B[r, j].
    i_r, k = tl.program_id(0), tl.program_id(1)
    o_r = i_r * BLOCK_R + tl.arange(0, BLOCK_R)
    m_r = o_r < R
    row = o_r.to(tl.int64) * V
    start = tl.load(OFFSETS + k)
    end = tl.load(OFFSETS + k + 1)
    acc = tl.zeros([BLOCK_R], dtype=ACC)
    for p0 in range(start, end, BLOCK_P):
        o_p = p0 + tl.arange(0, BLOCK_P)
        m_p = o_p < end
        flat = tl.load(PAIRS + o_p, mask=m_p, other=0)
        i, j = flat // V, flat % V
        mask = m_r[:, None] & m_p[None, :]
        a = tl.load(A + row[:, None] + i[None, :], mask=mask, other=0.0).to(ACC)
        b = tl.load(B + row[:, None] + j[None, :], mask=mask, other=0.0).to(ACC)
        acc += tl.sum(a * b, axis=1)
    tl.store(O + row + k, acc.to(O.dtype.element_ty), mask=m_r)


@triton.jit
def dist_binary_table_bwd_kernel(
    X, DO, T, DX, R, V,
    ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_Q: tl.constexpr,
):
    # DX[r, p] = sum_q X[r, q] * DO[r, T[p, q]]: with X = b, T = table this is da; with X = a and
    # T = table^T it is db.
    i_r, p = tl.program_id(0), tl.program_id(1)
    o_r = i_r * BLOCK_R + tl.arange(0, BLOCK_R)
    m_r = o_r < R
    row = o_r.to(tl.int64) * V
    acc = tl.zeros([BLOCK_R], dtype=ACC)
    for q0 in range(0, V, BLOCK_Q):
        o_q = q0 + tl.arange(0, BLOCK_Q)
        m_q = o_q < V
        t = tl.load(T + p * V + o_q, mask=m_q, other=0)
        mask = m_r[:, None] & m_q[None, :]
        x = tl.load(X + row[:, None] + o_q[None, :], mask=mask, other=0.0).to(ACC)
        do = tl.load(DO + row[:, None] + t[None, :], mask=mask, other=0.0).to(ACC)
        acc += tl.sum(x * do, axis=1)
    tl.store(DX + row + p, acc.to(DX.dtype.element_ty), mask=m_r)


def _row_block(R: int) -> int:
    return max(1, min(triton.next_power_of_2(R), 64))


def table_pairs(table: torch.Tensor, V: int):
    """[V, V] result indices -> (pairs [V*V] flat (i, j) sorted by result, offsets [V + 1])."""
    flat = table.reshape(-1)
    if bool((flat < 0).any()) or bool((flat >= V).any()):
        raise ValueError(f"table entries must be indices in [0, {V}); got min {int(flat.min())}, max {int(flat.max())}")
    pairs = torch.argsort(flat, stable=True).to(torch.int32)
    counts = torch.bincount(flat, minlength=V)
    offsets = torch.zeros(V + 1, dtype=torch.int32, device=table.device)
    offsets[1:] = torch.cumsum(counts, 0)
    return pairs, offsets


def dist_binary_table_fwd(a, b, table):
    R, V = a.shape
    pairs, offsets = table_pairs(table, V)
    out = torch.empty_like(a)
    BLOCK_R = _row_block(R)
    dist_binary_table_fwd_kernel[(triton.cdiv(R, BLOCK_R), V)](
        a, b, pairs, offsets, out, R, V, ACC=acc_dtype(a.dtype), BLOCK_R=BLOCK_R, BLOCK_P=64,
    )
    return out


def dist_binary_table_bwd(do, a, b, table):
    R, V = a.shape
    da, db = torch.empty_like(a), torch.empty_like(b)
    BLOCK_R = _row_block(R)
    BLOCK_Q = max(16, min(triton.next_power_of_2(V), 128))
    grid = (triton.cdiv(R, BLOCK_R), V)
    t = table.to(torch.int32)
    dist_binary_table_bwd_kernel[grid](b, do, t.contiguous(), da, R, V, ACC=acc_dtype(a.dtype),
                                       BLOCK_R=BLOCK_R, BLOCK_Q=BLOCK_Q)
    dist_binary_table_bwd_kernel[grid](a, do, t.t().contiguous(), db, R, V, ACC=acc_dtype(a.dtype),
                                       BLOCK_R=BLOCK_R, BLOCK_Q=BLOCK_Q)
    return da, db


class DistBinaryTableFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, table):
        ctx.save_for_backward(a, b, table)
        return dist_binary_table_fwd(a, b, table)

    @staticmethod
    def backward(ctx, do):
        a, b, table = ctx.saved_tensors
        da, db = dist_binary_table_bwd(do.contiguous(), a, b, table)
        return da, db, None


def dist_binary_table(a: torch.Tensor, b: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Any binary op given by its result table, Triton kernels (differentiable in a and b).

    Args:
        a, b: `[..., V]` distributions (broadcast against each other).
        table: `[V, V]` integer tensor; table[i, j] is the index of the result of i op j, in [0, V).

    Returns:
        `[..., V]`: c[k] = sum over (i, j) with table[i, j] = k of a[i] * b[j].

    Each call sorts the V*V table (and checks its range, one host sync); cache-free by design.
    """
    a, b, lead, V = prepare_pair(a, b)
    if not isinstance(table, torch.Tensor) or table.shape != (V, V):
        got = tuple(table.shape) if isinstance(table, torch.Tensor) else type(table).__name__
        raise ValueError(f"table must be a [V, V] = [{V}, {V}] tensor of result indices, got {got}")
    if table.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ValueError(f"table must hold integer indices, got dtype {table.dtype}")
    if table.device != a.device:
        raise ValueError(f"table is on {table.device} but a is on {a.device}")
    out = DistBinaryTableFunction.apply(a.reshape(-1, V).contiguous(), b.reshape(-1, V).contiguous(),
                                        table.to(torch.int64).contiguous())
    return out.reshape(*lead, V)

"""Triton dist_compare: the 0/1 distribution of `a op b` for op in lt, le, gt, ge, eq, ne.

lt is sum_i a_i sum_{j > i} b_j, one in-register cumulative sum per row; gt/ge swap operands.
"""

import torch
import triton
import triton.language as tl

from nclib.kernels.alu.utils import prepare_pair
from nclib.kernels.utils import acc_dtype

OPS = {"eq": 0, "ne": 1, "lt": 2, "le": 3}


@triton.jit
def dist_compare_fwd_kernel(
    A, B, O, R, V, T, F,
    OP: tl.constexpr, ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_V: tl.constexpr,
):
    # Whole rows in one tile; T and F are the indices of the values 1 (true) and 0 (false).
    i_r = tl.program_id(0)
    o_r = i_r * BLOCK_R + tl.arange(0, BLOCK_R)
    o_v = tl.arange(0, BLOCK_V)
    mask = (o_r[:, None] < R) & (o_v[None, :] < V)
    p = o_r.to(tl.int64)[:, None] * V + o_v[None, :]
    a = tl.load(A + p, mask=mask, other=0.0).to(ACC)
    b = tl.load(B + p, mask=mask, other=0.0).to(ACC)
    sa = tl.sum(a, axis=1)
    sb = tl.sum(b, axis=1)
    mass = sa * sb
    if OP == 0:
        pt = tl.sum(a * b, axis=1)
    elif OP == 1:
        pt = mass - tl.sum(a * b, axis=1)
    elif OP == 2:
        pt = tl.sum(a * (sb[:, None] - tl.cumsum(b, axis=1)), axis=1)
    else:
        pt = tl.sum(a * (sb[:, None] - tl.cumsum(b, axis=1) + b), axis=1)
    out = tl.where(o_v[None, :] == T, pt[:, None], tl.where(o_v[None, :] == F, (mass - pt)[:, None], 0.0))
    tl.store(O + p, out.to(O.dtype.element_ty), mask=mask)


@triton.jit
def dist_compare_bwd_kernel(
    DO, A, B, DA, DB, R, V, T, F,
    OP: tl.constexpr, ACC: tl.constexpr, BLOCK_R: tl.constexpr, BLOCK_V: tl.constexpr,
):
    i_r = tl.program_id(0)
    o_r = i_r * BLOCK_R + tl.arange(0, BLOCK_R)
    o_v = tl.arange(0, BLOCK_V)
    mask = (o_r[:, None] < R) & (o_v[None, :] < V)
    p = o_r.to(tl.int64)[:, None] * V + o_v[None, :]
    a = tl.load(A + p, mask=mask, other=0.0).to(ACC)
    b = tl.load(B + p, mask=mask, other=0.0).to(ACC)
    do = tl.load(DO + p, mask=mask, other=0.0).to(ACC)
    sa = tl.sum(a, axis=1)[:, None]
    sb = tl.sum(b, axis=1)[:, None]
    # out[T] = p_true, out[F] = mass - p_true
    dmass = tl.sum(tl.where(o_v[None, :] == F, do, 0.0), axis=1)[:, None]
    dp = tl.sum(tl.where(o_v[None, :] == T, do, 0.0), axis=1)[:, None] - dmass
    if OP == 0:
        da = dp * b + dmass * sb
        db = dp * a + dmass * sa
    elif OP == 1:
        da = -dp * b + (dmass + dp) * sb
        db = -dp * a + (dmass + dp) * sa
    elif OP == 2:
        ca = tl.cumsum(a, axis=1)
        cb = tl.cumsum(b, axis=1)
        da = dp * (sb - cb) + dmass * sb
        db = dp * (ca - a) + dmass * sa
    else:
        ca = tl.cumsum(a, axis=1)
        cb = tl.cumsum(b, axis=1)
        da = dp * (sb - cb + b) + dmass * sb
        db = dp * ca + dmass * sa
    tl.store(DA + p, da.to(DA.dtype.element_ty), mask=mask)
    tl.store(DB + p, db.to(DB.dtype.element_ty), mask=mask)


def _blocks(R: int, V: int):
    BLOCK_V = triton.next_power_of_2(V)
    BLOCK_R = max(1, min(triton.next_power_of_2(R), 4096 // BLOCK_V))
    return BLOCK_R, BLOCK_V


def dist_compare_fwd(a, b, op_code, lo):
    R, V = a.shape
    out = torch.empty_like(a)
    BLOCK_R, BLOCK_V = _blocks(R, V)
    dist_compare_fwd_kernel[(triton.cdiv(R, BLOCK_R),)](
        a, b, out, R, V, 1 - lo, -lo, OP=op_code, ACC=acc_dtype(a.dtype), BLOCK_R=BLOCK_R, BLOCK_V=BLOCK_V,
    )
    return out


def dist_compare_bwd(do, a, b, op_code, lo):
    R, V = a.shape
    da, db = torch.empty_like(a), torch.empty_like(b)
    BLOCK_R, BLOCK_V = _blocks(R, V)
    dist_compare_bwd_kernel[(triton.cdiv(R, BLOCK_R),)](
        do, a, b, da, db, R, V, 1 - lo, -lo, OP=op_code, ACC=acc_dtype(a.dtype), BLOCK_R=BLOCK_R, BLOCK_V=BLOCK_V,
    )
    return da, db


class DistCompareFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, op_code, lo):
        ctx.save_for_backward(a, b)
        ctx.op_code, ctx.lo = op_code, lo
        return dist_compare_fwd(a, b, op_code, lo)

    @staticmethod
    def backward(ctx, do):
        a, b = ctx.saved_tensors
        da, db = dist_compare_bwd(do.contiguous(), a, b, ctx.op_code, ctx.lo)
        return da, db, None, None


def dist_compare(a: torch.Tensor, b: torch.Tensor, op: str, lo: int) -> torch.Tensor:
    """Distribution of the 0/1 result of `a op b`, Triton kernels (differentiable).

    Args:
        a, b: `[..., V]` distributions over the window [lo, lo + V) (broadcast against each other).
        op: one of "lt", "le", "gt", "ge", "eq", "ne".
        lo: the window start; the window must contain 0 and 1 (lo <= 0 < 1 < lo + V).

    Returns:
        `[..., V]`, zero except at the indices of 1 (probability of true, times the total mass
        sum(a) * sum(b)) and of 0 (the rest of that mass).
    """
    if op not in ("lt", "le", "gt", "ge", "eq", "ne"):
        raise ValueError(f"op must be one of lt, le, gt, ge, eq, ne; got {op!r}")
    if not isinstance(lo, int):
        raise ValueError(f"lo must be a Python int (the window start), got {type(lo).__name__} {lo!r}")
    a, b, lead, V = prepare_pair(a, b)
    if not (lo <= 0 and lo + V >= 2):
        raise ValueError(f"the window [{lo}, {lo + V}) must contain 0 and 1 to hold a comparison result")
    if op in ("gt", "ge"):
        a, b = b, a
        op = "lt" if op == "gt" else "le"
    out = DistCompareFunction.apply(a.reshape(-1, V).contiguous(), b.reshape(-1, V).contiguous(), OPS[op], lo)
    return out.reshape(*lead, V)

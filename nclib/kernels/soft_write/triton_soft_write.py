"""Triton soft memory write (erase + add), out of place with autograd, and in place without."""

import torch
import triton
import triton.language as tl

from nclib.kernels.soft_read.triton_soft_read import soft_read_fwd
from nclib.kernels.utils import acc_dtype, block, check_runnable, check_same, check_tensor, dot_precision


@triton.jit
def soft_write_fwd_kernel(
    M, W, X, O, N, A, V,
    ACC: tl.constexpr, PREC: tl.constexpr,
    BLOCK_N: tl.constexpr, BLOCK_A: tl.constexpr, BLOCK_V: tl.constexpr,
):
    # O[b, a, v] = M[b, a, v] * (1 - sum_n W[b, n, a]) + sum_n W[b, n, a] * X[b, n, v].
    # Each program reads and writes only its own [BLOCK_A, BLOCK_V] tile, so O may alias M.
    i_b, i_a, i_v = tl.program_id(0).to(tl.int64), tl.program_id(1), tl.program_id(2)
    o_a = i_a * BLOCK_A + tl.arange(0, BLOCK_A)
    o_v = i_v * BLOCK_V + tl.arange(0, BLOCK_V)
    erase = tl.zeros([BLOCK_A], dtype=ACC)
    added = tl.zeros([BLOCK_A, BLOCK_V], dtype=ACC)
    for n0 in range(0, N, BLOCK_N):
        o_n = n0 + tl.arange(0, BLOCK_N)
        w = tl.load(W + i_b * N * A + o_n[:, None] * A + o_a[None, :],
                    mask=(o_n[:, None] < N) & (o_a[None, :] < A), other=0.0).to(ACC)
        x = tl.load(X + i_b * N * V + o_n[:, None] * V + o_v[None, :],
                    mask=(o_n[:, None] < N) & (o_v[None, :] < V), other=0.0).to(ACC)
        erase += tl.sum(w, axis=0)
        added += tl.dot(tl.trans(w), x, input_precision=PREC, out_dtype=ACC)
    mask = (o_a[:, None] < A) & (o_v[None, :] < V)
    p_m = i_b * A * V + o_a[:, None] * V + o_v[None, :]
    m = tl.load(M + p_m, mask=mask, other=0.0).to(ACC)
    tl.store(O + p_m, (m * (1.0 - erase)[:, None] + added).to(O.dtype.element_ty), mask=mask)


@triton.jit
def soft_write_bwd_kernel(
    DO, M, W, X, DM, DW, N, A, V,
    ACC: tl.constexpr, PREC: tl.constexpr,
    BLOCK_N: tl.constexpr, BLOCK_A: tl.constexpr, BLOCK_V: tl.constexpr,
):
    # Program (b, a-block), looping over all of V:
    #   dM[b, a, v] = dO[b, a, v] * (1 - sum_n W[b, n, a])
    #   dW[b, n, a] = sum_v dO[b, a, v] * (X[b, n, v] - M[b, a, v])
    # dX = W @ dO is a soft_read and is launched by the host wrapper.
    i_b, i_a = tl.program_id(0).to(tl.int64), tl.program_id(1)
    o_a = i_a * BLOCK_A + tl.arange(0, BLOCK_A)
    erase = tl.zeros([BLOCK_A], dtype=ACC)
    for n0 in range(0, N, BLOCK_N):
        o_n = n0 + tl.arange(0, BLOCK_N)
        w = tl.load(W + i_b * N * A + o_n[:, None] * A + o_a[None, :],
                    mask=(o_n[:, None] < N) & (o_a[None, :] < A), other=0.0).to(ACC)
        erase += tl.sum(w, axis=0)
    dom = tl.zeros([BLOCK_A], dtype=ACC)  # sum_v dO * M, the erase term of dW
    for v0 in range(0, V, BLOCK_V):
        o_v = v0 + tl.arange(0, BLOCK_V)
        mask = (o_a[:, None] < A) & (o_v[None, :] < V)
        p_m = i_b * A * V + o_a[:, None] * V + o_v[None, :]
        do = tl.load(DO + p_m, mask=mask, other=0.0).to(ACC)
        m = tl.load(M + p_m, mask=mask, other=0.0).to(ACC)
        dom += tl.sum(do * m, axis=1)
        tl.store(DM + p_m, (do * (1.0 - erase)[:, None]).to(DM.dtype.element_ty), mask=mask)
    for n0 in range(0, N, BLOCK_N):
        o_n = n0 + tl.arange(0, BLOCK_N)
        dw = tl.zeros([BLOCK_N, BLOCK_A], dtype=ACC)
        for v0 in range(0, V, BLOCK_V):
            o_v = v0 + tl.arange(0, BLOCK_V)
            x = tl.load(X + i_b * N * V + o_n[:, None] * V + o_v[None, :],
                        mask=(o_n[:, None] < N) & (o_v[None, :] < V), other=0.0).to(ACC)
            do = tl.load(DO + i_b * A * V + o_a[:, None] * V + o_v[None, :],
                         mask=(o_a[:, None] < A) & (o_v[None, :] < V), other=0.0).to(ACC)
            dw += tl.dot(x, tl.trans(do), input_precision=PREC, out_dtype=ACC)
        tl.store(DW + i_b * N * A + o_n[:, None] * A + o_a[None, :],
                 (dw - dom[None, :]).to(DW.dtype.element_ty),
                 mask=(o_n[:, None] < N) & (o_a[None, :] < A))


def soft_write_fwd(memory, weights, values, out):
    """Launch the forward kernel; `out` may be `memory` itself (in place)."""
    B, N, A = weights.shape
    V = memory.shape[-1]
    BLOCK_N, BLOCK_A, BLOCK_V = block(N, hi=32), block(A, hi=64), block(V, hi=128)
    grid = (B, triton.cdiv(A, BLOCK_A), triton.cdiv(V, BLOCK_V))
    soft_write_fwd_kernel[grid](
        memory, weights, values, out, N, A, V,
        ACC=acc_dtype(memory.dtype), PREC=dot_precision(memory.dtype),
        BLOCK_N=BLOCK_N, BLOCK_A=BLOCK_A, BLOCK_V=BLOCK_V,
    )
    return out


def soft_write_bwd(do, memory, weights, values):
    """Gradients (dmemory [B, A, V], dweights [B, N, A], dvalues [B, N, V]) for do [B, A, V]."""
    B, N, A = weights.shape
    V = memory.shape[-1]
    dm = torch.empty_like(memory)
    dw = torch.empty_like(weights)
    BLOCK_N, BLOCK_A, BLOCK_V = block(N, hi=32), block(A, hi=64), block(V, hi=128)
    soft_write_bwd_kernel[(B, triton.cdiv(A, BLOCK_A))](
        do, memory, weights, values, dm, dw, N, A, V,
        ACC=acc_dtype(memory.dtype), PREC=dot_precision(memory.dtype),
        BLOCK_N=BLOCK_N, BLOCK_A=BLOCK_A, BLOCK_V=BLOCK_V,
    )
    dx = soft_read_fwd(weights, do)
    return dm, dw, dx


class SoftWriteFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, memory, weights, values):
        ctx.save_for_backward(memory, weights, values)
        return soft_write_fwd(memory, weights, values, torch.empty_like(memory))

    @staticmethod
    def backward(ctx, do):
        memory, weights, values = ctx.saved_tensors
        return soft_write_bwd(do.contiguous(), memory, weights, values)


def _check(memory, weights, values):
    check_tensor("memory", memory, (3,), "[B, A, V]")
    check_tensor("weights", weights, (2, 3), "[B, N, A] or [B, A]")
    check_tensor("values", values, (weights.dim(),), "[B, N, V] (or [B, V] with weights [B, A])")
    check_same(("memory", "weights", "values"), (memory, weights, values))
    w = weights.unsqueeze(1) if weights.dim() == 2 else weights
    x = values.unsqueeze(1) if values.dim() == 2 else values
    B, A, V = memory.shape
    if w.shape[0] != B or w.shape[2] != A or x.shape[0] != B or x.shape[1] != w.shape[1] or x.shape[2] != V:
        raise ValueError(
            f"shapes do not match: memory {tuple(memory.shape)}, weights {tuple(weights.shape)}, "
            f"values {tuple(values.shape)}; expected memory [B, A, V], weights [B, N, A], values [B, N, V]"
        )
    check_runnable(memory)
    return w.contiguous(), x.contiguous()


def soft_write(memory: torch.Tensor, weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Erase-and-add blend of N writes into memory, out of place, Triton kernels (differentiable).

    Args:
        memory: `[B, A, V]`.
        weights: `[B, N, A]` address distributions of N writes (or `[B, A]` for one write).
        values: `[B, N, V]` the written value distributions (or `[B, V]`).

    Returns:
        `[B, A, V]`: memory * (1 - sum_n weights[:, n])[..., None]
        + sum_n weights[:, n, :, None] * values[:, n, None, :].
    """
    w, x = _check(memory, weights, values)
    return SoftWriteFunction.apply(memory.contiguous(), w, x)


def soft_write_(memory: torch.Tensor, weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """In-place `soft_write` for inference: overwrites and returns `memory` (no autograd).

    Shapes as in `soft_write`; `memory` must be contiguous.
    """
    w, x = _check(memory, weights, values)
    if not memory.is_contiguous():
        raise ValueError(f"memory must be contiguous for the in-place write, got strides {memory.stride()}")
    with torch.no_grad():
        return soft_write_fwd(memory, w, x, memory)

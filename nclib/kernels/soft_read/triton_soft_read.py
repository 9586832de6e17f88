"""Triton soft memory read: out[b, n, v] = sum_a weights[b, n, a] * memory[b, a, v]."""

import torch
import triton
import triton.language as tl

from nclib.kernels.utils import acc_dtype, block, check_runnable, check_same, check_tensor, dot_precision


@triton.jit
def soft_read_fwd_kernel(
    W, M, O, N, A, V,
    ACC: tl.constexpr, PREC: tl.constexpr,
    BLOCK_N: tl.constexpr, BLOCK_A: tl.constexpr, BLOCK_V: tl.constexpr,
):
    # O[b] = W[b] @ M[b]; W: [B, N, A], M: [B, A, V], O: [B, N, V]. Also used for dM = W^T @ dO
    # and for soft_write's dvalues, through the strides of the host wrapper.
    i_b, i_n, i_v = tl.program_id(0).to(tl.int64), tl.program_id(1), tl.program_id(2)
    o_n = i_n * BLOCK_N + tl.arange(0, BLOCK_N)
    o_v = i_v * BLOCK_V + tl.arange(0, BLOCK_V)
    acc = tl.zeros([BLOCK_N, BLOCK_V], dtype=ACC)
    for a0 in range(0, A, BLOCK_A):
        o_a = a0 + tl.arange(0, BLOCK_A)
        w = tl.load(W + i_b * N * A + o_n[:, None] * A + o_a[None, :],
                    mask=(o_n[:, None] < N) & (o_a[None, :] < A), other=0.0).to(ACC)
        m = tl.load(M + i_b * A * V + o_a[:, None] * V + o_v[None, :],
                    mask=(o_a[:, None] < A) & (o_v[None, :] < V), other=0.0).to(ACC)
        acc += tl.dot(w, m, input_precision=PREC, out_dtype=ACC)
    tl.store(O + i_b * N * V + o_n[:, None] * V + o_v[None, :], acc.to(O.dtype.element_ty),
             mask=(o_n[:, None] < N) & (o_v[None, :] < V))


@triton.jit
def soft_read_bwd_kernel(
    DO, M, W, DW, DM, N, A, V,
    ACC: tl.constexpr, PREC: tl.constexpr,
    BLOCK_N: tl.constexpr, BLOCK_A: tl.constexpr, BLOCK_V: tl.constexpr,
):
    # Program (b, a-block): dM[b, a, :] = W[b, :, a]^T @ dO[b] over all of V, and
    # dW[b, :, a] = dO[b] @ M[b, a, :]^T; N is small, so all N rows are looped here.
    i_b, i_a = tl.program_id(0).to(tl.int64), tl.program_id(1)
    o_a = i_a * BLOCK_A + tl.arange(0, BLOCK_A)
    for n0 in range(0, N, BLOCK_N):
        o_n = n0 + tl.arange(0, BLOCK_N)
        dw = tl.zeros([BLOCK_N, BLOCK_A], dtype=ACC)
        for v0 in range(0, V, BLOCK_V):
            o_v = v0 + tl.arange(0, BLOCK_V)
            do = tl.load(DO + i_b * N * V + o_n[:, None] * V + o_v[None, :],
                         mask=(o_n[:, None] < N) & (o_v[None, :] < V), other=0.0).to(ACC)
            m = tl.load(M + i_b * A * V + o_a[:, None] * V + o_v[None, :],
                        mask=(o_a[:, None] < A) & (o_v[None, :] < V), other=0.0).to(ACC)
            dw += tl.dot(do, tl.trans(m), input_precision=PREC, out_dtype=ACC)
        tl.store(DW + i_b * N * A + o_n[:, None] * A + o_a[None, :], dw.to(DW.dtype.element_ty),
                 mask=(o_n[:, None] < N) & (o_a[None, :] < A))
    for v0 in range(0, V, BLOCK_V):
        o_v = v0 + tl.arange(0, BLOCK_V)
        dm = tl.zeros([BLOCK_A, BLOCK_V], dtype=ACC)
        for n0 in range(0, N, BLOCK_N):
            o_n = n0 + tl.arange(0, BLOCK_N)
            w = tl.load(W + i_b * N * A + o_n[:, None] * A + o_a[None, :],
                        mask=(o_n[:, None] < N) & (o_a[None, :] < A), other=0.0).to(ACC)
            do = tl.load(DO + i_b * N * V + o_n[:, None] * V + o_v[None, :],
                         mask=(o_n[:, None] < N) & (o_v[None, :] < V), other=0.0).to(ACC)
            dm += tl.dot(tl.trans(w), do, input_precision=PREC, out_dtype=ACC)
        tl.store(DM + i_b * A * V + o_a[:, None] * V + o_v[None, :], dm.to(DM.dtype.element_ty),
                 mask=(o_a[:, None] < A) & (o_v[None, :] < V))


def soft_read_fwd(weights: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """weights [B, N, A] @ memory [B, A, V] -> [B, N, V] (contiguous inputs)."""
    B, N, A = weights.shape
    V = memory.shape[-1]
    out = torch.empty(B, N, V, dtype=memory.dtype, device=memory.device)
    BLOCK_N, BLOCK_A, BLOCK_V = block(N, hi=64), block(A, hi=64), block(V, hi=128)
    grid = (B, triton.cdiv(N, BLOCK_N), triton.cdiv(V, BLOCK_V))
    soft_read_fwd_kernel[grid](
        weights, memory, out, N, A, V,
        ACC=acc_dtype(memory.dtype), PREC=dot_precision(memory.dtype),
        BLOCK_N=BLOCK_N, BLOCK_A=BLOCK_A, BLOCK_V=BLOCK_V,
    )
    return out


def soft_read_bwd(do: torch.Tensor, weights: torch.Tensor, memory: torch.Tensor):
    """Gradients (dweights [B, N, A], dmemory [B, A, V]) for upstream do [B, N, V]."""
    B, N, A = weights.shape
    V = memory.shape[-1]
    dw = torch.empty_like(weights)
    dm = torch.empty_like(memory)
    BLOCK_N, BLOCK_A, BLOCK_V = block(N, hi=32), block(A, hi=64), block(V, hi=128)
    soft_read_bwd_kernel[(B, triton.cdiv(A, BLOCK_A))](
        do, memory, weights, dw, dm, N, A, V,
        ACC=acc_dtype(memory.dtype), PREC=dot_precision(memory.dtype),
        BLOCK_N=BLOCK_N, BLOCK_A=BLOCK_A, BLOCK_V=BLOCK_V,
    )
    return dw, dm


class SoftReadFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weights, memory):
        ctx.save_for_backward(weights, memory)
        return soft_read_fwd(weights, memory)

    @staticmethod
    def backward(ctx, do):
        weights, memory = ctx.saved_tensors
        dw, dm = soft_read_bwd(do.contiguous(), weights, memory)
        return dw, dm


def soft_read(weights: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """Soft memory read, Triton kernels (differentiable in both inputs).

    Args:
        weights: `[B, N, A]` address distributions of N reads per batch element, or `[B, A]` for
            a single read.
        memory: `[B, A, V]`, A cells each holding a distribution over V values.

    Returns:
        `[B, N, V]` (or `[B, V]`): out[b, n, v] = sum_a weights[b, n, a] * memory[b, a, v].

    Both tensors must share dtype (float32, bfloat16 or float64) and device; accumulation is in
    float32 (float64 for float64 inputs).
    """
    check_tensor("weights", weights, (2, 3), "[B, N, A] or [B, A]")
    check_tensor("memory", memory, (3,), "[B, A, V]")
    check_same(("memory", "weights"), (memory, weights))
    single = weights.dim() == 2
    w = weights.unsqueeze(1) if single else weights
    if w.shape[0] != memory.shape[0] or w.shape[2] != memory.shape[1]:
        raise ValueError(
            f"weights shape {tuple(weights.shape)} does not match memory shape {tuple(memory.shape)}: "
            "expected weights [B, N, A] (or [B, A]) with memory [B, A, V]"
        )
    check_runnable(memory)
    out = SoftReadFunction.apply(w.contiguous(), memory.contiguous())
    return out.squeeze(1) if single else out

"""Triton soft call stack: push and pop with a distribution over the K + 1 stack depths.

One program per batch element holds the whole depth axis (K + 1 <= a few thousand) in registers
and loops over the frame width F, so no reduction crosses programs.
"""

import torch
import triton
import triton.language as tl

from nclib.kernels.utils import acc_dtype, check_runnable, check_same, check_tensor


@triton.jit
def stack_push_fwd_kernel(
    S, SP, FR, G, OS, OSP, K, F,
    ACC: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_F: tl.constexpr,
):
    # Depth d in [0, K]; stack rows are depths 0..K-1, the pointer has all K + 1.
    i_b = tl.program_id(0).to(tl.int64)
    o_d = tl.arange(0, BLOCK_D)
    m_sp = o_d < K + 1
    m_k = o_d < K
    p_sp = SP + i_b * (K + 1)
    sp = tl.load(p_sp + o_d, mask=m_sp, other=0.0).to(ACC)
    g = tl.load(G + i_b).to(ACC)
    # shift_up: depth d - 1 -> d, and the mass at K stays at K
    up = tl.load(p_sp + o_d - 1, mask=(o_d >= 1) & m_sp, other=0.0).to(ACC)
    up += tl.where(o_d == K, tl.load(p_sp + K).to(ACC), 0.0)
    tl.store(OSP + i_b * (K + 1) + o_d, (sp + g * (up - sp)).to(OSP.dtype.element_ty), mask=m_sp)
    w = tl.where(m_k, g * sp, 0.0)
    for f0 in range(0, F, BLOCK_F):
        o_f = f0 + tl.arange(0, BLOCK_F)
        mask = m_k[:, None] & (o_f[None, :] < F)
        p_s = i_b * K * F + o_d[:, None] * F + o_f[None, :]
        s = tl.load(S + p_s, mask=mask, other=0.0).to(ACC)
        fr = tl.load(FR + i_b * F + o_f, mask=o_f < F, other=0.0).to(ACC)
        tl.store(OS + p_s, (s * (1.0 - w)[:, None] + w[:, None] * fr[None, :]).to(OS.dtype.element_ty), mask=mask)


@triton.jit
def stack_push_bwd_kernel(
    S, SP, FR, G, DOS, DOSP, DS, DSP, DFR, DG, K, F,
    ACC: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_F: tl.constexpr,
):
    i_b = tl.program_id(0).to(tl.int64)
    o_d = tl.arange(0, BLOCK_D)
    m_sp = o_d < K + 1
    m_k = o_d < K
    p_sp = SP + i_b * (K + 1)
    sp = tl.load(p_sp + o_d, mask=m_sp, other=0.0).to(ACC)
    g = tl.load(G + i_b).to(ACC)
    up = tl.load(p_sp + o_d - 1, mask=(o_d >= 1) & m_sp, other=0.0).to(ACC)
    up += tl.where(o_d == K, tl.load(p_sp + K).to(ACC), 0.0)
    w = tl.where(m_k, g * sp, 0.0)
    dw = tl.zeros([BLOCK_D], dtype=ACC)
    for f0 in range(0, F, BLOCK_F):
        o_f = f0 + tl.arange(0, BLOCK_F)
        mask = m_k[:, None] & (o_f[None, :] < F)
        p_s = i_b * K * F + o_d[:, None] * F + o_f[None, :]
        s = tl.load(S + p_s, mask=mask, other=0.0).to(ACC)
        dos = tl.load(DOS + p_s, mask=mask, other=0.0).to(ACC)
        fr = tl.load(FR + i_b * F + o_f, mask=o_f < F, other=0.0).to(ACC)
        tl.store(DS + p_s, (dos * (1.0 - w)[:, None]).to(DS.dtype.element_ty), mask=mask)
        tl.store(DFR + i_b * F + o_f, tl.sum(w[:, None] * dos, axis=0).to(DFR.dtype.element_ty), mask=o_f < F)
        dw += tl.sum(dos * (fr[None, :] - s), axis=1)
    p_h = DOSP + i_b * (K + 1)
    h = tl.load(p_h + o_d, mask=m_sp, other=0.0).to(ACC)
    # transpose of shift_up: d receives the gradient of d + 1, and K its own
    h_up = tl.load(p_h + tl.minimum(o_d + 1, K), mask=m_sp, other=0.0).to(ACC)
    dsp = h + g * (h_up - h) + g * dw
    tl.store(DSP + i_b * (K + 1) + o_d, dsp.to(DSP.dtype.element_ty), mask=m_sp)
    dg = tl.sum(dw * sp, axis=0) + tl.sum(h * (up - sp), axis=0)
    tl.store(DG + i_b, dg.to(DG.dtype.element_ty))


@triton.jit
def stack_pop_fwd_kernel(
    S, SP, G, OF, OSP, K, F,
    ACC: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_F: tl.constexpr,
):
    # The top frame lives at stack row d - 1 with probability sp[d], d in [1, K].
    i_b = tl.program_id(0).to(tl.int64)
    o_d = tl.arange(0, BLOCK_D)
    m_sp = o_d < K + 1
    m_top = (o_d >= 1) & m_sp
    p_sp = SP + i_b * (K + 1)
    sp = tl.load(p_sp + o_d, mask=m_sp, other=0.0).to(ACC)
    g = tl.load(G + i_b).to(ACC)
    # shift_down: depth d + 1 -> d, and the mass at 0 stays at 0
    down = tl.load(p_sp + o_d + 1, mask=o_d < K, other=0.0).to(ACC)
    down += tl.where(o_d == 0, tl.load(p_sp).to(ACC), 0.0)
    tl.store(OSP + i_b * (K + 1) + o_d, (sp + g * (down - sp)).to(OSP.dtype.element_ty), mask=m_sp)
    top = tl.where(m_top, sp, 0.0)
    for f0 in range(0, F, BLOCK_F):
        o_f = f0 + tl.arange(0, BLOCK_F)
        mask = m_top[:, None] & (o_f[None, :] < F)
        s = tl.load(S + i_b * K * F + (o_d[:, None] - 1) * F + o_f[None, :], mask=mask, other=0.0).to(ACC)
        tl.store(OF + i_b * F + o_f, tl.sum(top[:, None] * s, axis=0).to(OF.dtype.element_ty), mask=o_f < F)


@triton.jit
def stack_pop_bwd_kernel(
    S, SP, G, DOF, DOSP, DS, DSP, DG, K, F,
    ACC: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_F: tl.constexpr,
):
    i_b = tl.program_id(0).to(tl.int64)
    o_d = tl.arange(0, BLOCK_D)
    m_sp = o_d < K + 1
    m_top = (o_d >= 1) & m_sp
    p_sp = SP + i_b * (K + 1)
    sp = tl.load(p_sp + o_d, mask=m_sp, other=0.0).to(ACC)
    g = tl.load(G + i_b).to(ACC)
    down = tl.load(p_sp + o_d + 1, mask=o_d < K, other=0.0).to(ACC)
    down += tl.where(o_d == 0, tl.load(p_sp).to(ACC), 0.0)
    top = tl.where(m_top, sp, 0.0)
    dtop = tl.zeros([BLOCK_D], dtype=ACC)
    for f0 in range(0, F, BLOCK_F):
        o_f = f0 + tl.arange(0, BLOCK_F)
        mask = m_top[:, None] & (o_f[None, :] < F)
        p_s = i_b * K * F + (o_d[:, None] - 1) * F + o_f[None, :]
        s = tl.load(S + p_s, mask=mask, other=0.0).to(ACC)
        dof = tl.load(DOF + i_b * F + o_f, mask=o_f < F, other=0.0).to(ACC)
        tl.store(DS + p_s, (top[:, None] * dof[None, :]).to(DS.dtype.element_ty), mask=mask)
        dtop += tl.sum(s * dof[None, :], axis=1)
    p_h = DOSP + i_b * (K + 1)
    h = tl.load(p_h + o_d, mask=m_sp, other=0.0).to(ACC)
    # transpose of shift_down: d receives the gradient of d - 1, and 0 its own
    h_down = tl.load(p_h + tl.maximum(o_d - 1, 0), mask=m_sp, other=0.0).to(ACC)
    dsp = h + g * (h_down - h) + dtop
    tl.store(DSP + i_b * (K + 1) + o_d, dsp.to(DSP.dtype.element_ty), mask=m_sp)
    tl.store(DG + i_b, tl.sum(h * (down - sp), axis=0).to(DG.dtype.element_ty))


def _blocks(K: int, F: int):
    BLOCK_D = triton.next_power_of_2(K + 1)
    BLOCK_F = max(16, min(triton.next_power_of_2(F), 8192 // BLOCK_D))
    return BLOCK_D, BLOCK_F


def stack_push_fwd(stack, sp, frame, gate):
    B, K, F = stack.shape
    new_stack, new_sp = torch.empty_like(stack), torch.empty_like(sp)
    BLOCK_D, BLOCK_F = _blocks(K, F)
    stack_push_fwd_kernel[(B,)](stack, sp, frame, gate, new_stack, new_sp, K, F,
                                ACC=acc_dtype(stack.dtype), BLOCK_D=BLOCK_D, BLOCK_F=BLOCK_F)
    return new_stack, new_sp


def stack_push_bwd(d_stack, d_sp, stack, sp, frame, gate):
    B, K, F = stack.shape
    ds, dsp, dfr, dg = (torch.empty_like(t) for t in (stack, sp, frame, gate))
    BLOCK_D, BLOCK_F = _blocks(K, F)
    stack_push_bwd_kernel[(B,)](stack, sp, frame, gate, d_stack, d_sp, ds, dsp, dfr, dg, K, F,
                                ACC=acc_dtype(stack.dtype), BLOCK_D=BLOCK_D, BLOCK_F=BLOCK_F)
    return ds, dsp, dfr, dg


def stack_pop_fwd(stack, sp, gate):
    B, K, F = stack.shape
    frame = torch.empty(B, F, dtype=stack.dtype, device=stack.device)
    new_sp = torch.empty_like(sp)
    BLOCK_D, BLOCK_F = _blocks(K, F)
    stack_pop_fwd_kernel[(B,)](stack, sp, gate, frame, new_sp, K, F,
                               ACC=acc_dtype(stack.dtype), BLOCK_D=BLOCK_D, BLOCK_F=BLOCK_F)
    return frame, new_sp


def stack_pop_bwd(d_frame, d_sp, stack, sp, gate):
    B, K, F = stack.shape
    ds, dsp, dg = (torch.empty_like(t) for t in (stack, sp, gate))
    BLOCK_D, BLOCK_F = _blocks(K, F)
    stack_pop_bwd_kernel[(B,)](stack, sp, gate, d_frame, d_sp, ds, dsp, dg, K, F,
                               ACC=acc_dtype(stack.dtype), BLOCK_D=BLOCK_D, BLOCK_F=BLOCK_F)
    return ds, dsp, dg


class StackPushFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, stack, sp, frame, gate):
        ctx.save_for_backward(stack, sp, frame, gate)
        return stack_push_fwd(stack, sp, frame, gate)

    @staticmethod
    def backward(ctx, d_stack, d_sp):
        stack, sp, frame, gate = ctx.saved_tensors
        d_stack = torch.zeros_like(stack) if d_stack is None else d_stack.contiguous()
        d_sp = torch.zeros_like(sp) if d_sp is None else d_sp.contiguous()
        return stack_push_bwd(d_stack, d_sp, stack, sp, frame, gate)


class StackPopFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, stack, sp, gate):
        ctx.save_for_backward(stack, sp, gate)
        return stack_pop_fwd(stack, sp, gate)

    @staticmethod
    def backward(ctx, d_frame, d_sp):
        stack, sp, gate = ctx.saved_tensors
        d_frame = torch.zeros(stack.shape[0], stack.shape[2], dtype=stack.dtype, device=stack.device) \
            if d_frame is None else d_frame.contiguous()
        d_sp = torch.zeros_like(sp) if d_sp is None else d_sp.contiguous()
        return stack_pop_bwd(d_frame, d_sp, stack, sp, gate)


def _check(stack, sp, gate, frame=None):
    check_tensor("stack", stack, (3,), "[B, K, F]")
    check_tensor("sp", sp, (2,), "[B, K+1]")
    check_tensor("gate", gate, (1,), "[B]")
    names, tensors = ("stack", "sp", "gate"), (stack, sp, gate)
    if frame is not None:
        check_tensor("frame", frame, (2,), "[B, F]")
        names, tensors = names + ("frame",), tensors + (frame,)
    check_same(names, tensors)
    B, K, F = stack.shape
    bad = sp.shape != (B, K + 1) or gate.shape != (B,) or (frame is not None and frame.shape != (B, F))
    if bad:
        got = ", ".join(f"{n} {tuple(t.shape)}" for n, t in zip(names, tensors))
        raise ValueError(f"shapes do not match: {got}; expected stack [B, K, F], sp [B, K+1], gate [B], frame [B, F]")
    if K + 1 > 4096:
        raise ValueError(f"stack depth K = {K} is too deep for the Triton stack kernels (K + 1 <= 4096)")
    check_runnable(stack)


def stack_push(stack: torch.Tensor, sp: torch.Tensor, frame: torch.Tensor, gate: torch.Tensor):
    """Soft push, Triton kernels (differentiable in all inputs).

    Args:
        stack: `[B, K, F]`, K frames of F numbers.
        sp: `[B, K+1]`, distribution of the stack depth 0..K.
        frame: `[B, F]`, the frame to push.
        gate: `[B]`, probability that the push happens.

    Returns:
        (stack' `[B, K, F]`, sp' `[B, K+1]`): frame blended into depth k with weight gate * sp[k],
        sp moved up one depth with weight gate (mass at depth K stays there).
    """
    _check(stack, sp, gate, frame)
    return StackPushFunction.apply(stack.contiguous(), sp.contiguous(), frame.contiguous(), gate.contiguous())


def stack_pop(stack: torch.Tensor, sp: torch.Tensor, gate: torch.Tensor):
    """Soft pop, Triton kernels (differentiable in all inputs).

    Args:
        stack: `[B, K, F]`; sp: `[B, K+1]`; gate: `[B]`.

    Returns:
        (frame `[B, F]`, sp' `[B, K+1]`): frame = sum_k sp[k + 1] * stack[k] (not scaled by gate),
        sp moved down one depth with weight gate (mass at depth 0 stays there).
    """
    _check(stack, sp, gate)
    return StackPopFunction.apply(stack.contiguous(), sp.contiguous(), gate.contiguous())

"""Reference soft call stack (also the CPU path).

The stack holds K frames of F numbers each; the stack pointer is a distribution over the K + 1
depths 0..K (depth d means d frames are in use). A push writes at depth sp and moves sp up;
a pop reads the frame at depth sp - 1 and moves sp down. Both take a gate (the probability that
the push or pop happens at all) so that the machine can mix them with other instructions.
"""

import torch


def shift_up(sp: torch.Tensor) -> torch.Tensor:
    """[B, K+1] -> [B, K+1]: depth d -> d + 1; mass pushed past depth K is kept at K (overflow)."""
    out = torch.zeros_like(sp)
    out[:, 1:] = sp[:, :-1]
    out[:, -1] = out[:, -1] + sp[:, -1]
    return out


def shift_down(sp: torch.Tensor) -> torch.Tensor:
    """[B, K+1] -> [B, K+1]: depth d -> d - 1; mass popped at depth 0 stays at 0 (underflow)."""
    out = torch.zeros_like(sp)
    out[:, :-1] = sp[:, 1:]
    out[:, 0] = out[:, 0] + sp[:, 0]
    return out


def stack_push_naive(stack: torch.Tensor, sp: torch.Tensor, frame: torch.Tensor, gate: torch.Tensor):
    """stack: [B, K, F]; sp: [B, K+1]; frame: [B, F]; gate: [B].

    Returns (stack', sp'): frame blended into depth sp with weight gate, sp moved up with weight gate.
    """
    weights = gate.unsqueeze(-1) * sp[:, :-1]  # [B, K]
    erase = (1 - weights).unsqueeze(-1)
    new_stack = stack * erase + weights.unsqueeze(-1) * frame.unsqueeze(1)
    new_sp = sp + gate.unsqueeze(-1) * (shift_up(sp) - sp)
    return new_stack, new_sp


def stack_pop_naive(stack: torch.Tensor, sp: torch.Tensor, gate: torch.Tensor):
    """stack: [B, K, F]; sp: [B, K+1]; gate: [B].

    Returns (frame [B, F], sp'): the frame at depth sp - 1 (not scaled by gate) and sp moved down
    with weight gate.
    """
    top = sp[:, 1:]  # [B, K]: probability that the top frame is at depth k
    frame = torch.einsum("bk,bkf->bf", top, stack)
    new_sp = sp + gate.unsqueeze(-1) * (shift_down(sp) - sp)
    return frame, new_sp

"""Reference soft memory read (also the CPU path)."""

import torch


def soft_read_naive(weights: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """out[b, n, v] = sum_a weights[b, n, a] * memory[b, a, v].

    weights: [B, N, A] (or [B, A] for a single read); memory: [B, A, V].
    Returns [B, N, V] (or [B, V]).
    """
    if weights.dim() == 2:
        return torch.einsum("ba,bav->bv", weights, memory)
    return torch.bmm(weights, memory)

"""Reference soft memory write (also the CPU path)."""

import torch


def soft_write_naive(memory: torch.Tensor, weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Erase-and-add blend of N writes into memory, out of place.

    memory: [B, A, V]; weights: [B, N, A] (or [B, A]); values: [B, N, V] (or [B, V]).
    out = memory * (1 - sum_n weights[:, n])[..., None] + sum_n weights[:, n, :, None] * values[:, n, None, :]
    With one-hot weights of total mass <= 1 this is an exact overwrite of the addressed cell.
    """
    if weights.dim() == 2:
        weights, values = weights.unsqueeze(1), values.unsqueeze(1)
    erase = weights.sum(1)  # [B, A]
    added = torch.bmm(weights.transpose(1, 2), values)  # [B, A, V]
    return memory * (1 - erase).unsqueeze(-1) + added


def soft_write_naive_(memory: torch.Tensor, weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """In-place variant of `soft_write_naive` for inference (no autograd)."""
    if weights.dim() == 2:
        weights, values = weights.unsqueeze(1), values.unsqueeze(1)
    with torch.no_grad():
        erase = weights.sum(1)
        memory.mul_((1 - erase).unsqueeze(-1)).baddbmm_(weights.transpose(1, 2), values)
    return memory

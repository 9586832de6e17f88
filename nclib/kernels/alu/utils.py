"""Validation shared by the Triton ALU ops."""

import torch

from nclib.kernels.utils import check_runnable, check_same, check_tensor


def prepare_pair(a: torch.Tensor, b: torch.Tensor):
    """Validate a, b [..., V], broadcast them (differentiably) and return (a, b, leading shape, V)."""
    check_tensor("a", a, tuple(range(1, 9)), "[..., V]")
    check_tensor("b", b, tuple(range(1, 9)), "[..., V]")
    check_same(("a", "b"), (a, b))
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"a {tuple(a.shape)} and b {tuple(b.shape)} must share the last (value) dimension V")
    try:
        a, b = torch.broadcast_tensors(a, b)
    except RuntimeError as e:
        raise ValueError(f"a {tuple(a.shape)} and b {tuple(b.shape)} do not broadcast: {e}") from None
    check_runnable(a)
    return a, b, a.shape[:-1], a.shape[-1]

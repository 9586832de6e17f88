"""Helpers shared by the Triton ops: input validation, dtype and block-size choices."""

import os

import torch
import triton
import triton.language as tl

SUPPORTED_DTYPES = (torch.float32, torch.bfloat16, torch.float64)


def check_tensor(name: str, t: torch.Tensor, dims: tuple[int, ...], shape_doc: str) -> None:
    """Raise ValueError naming the argument when `t` is not a floating tensor of rank in `dims`."""
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {shape_doc}, got {type(t).__name__}")
    if t.dim() not in dims:
        raise ValueError(f"{name} must have shape {shape_doc}, got shape {tuple(t.shape)}")
    if t.dtype not in SUPPORTED_DTYPES:
        raise ValueError(
            f"{name} has dtype {t.dtype}; the Triton kernels support float32, bfloat16 and float64"
        )


def check_same(names: tuple[str, ...], tensors: tuple[torch.Tensor, ...]) -> None:
    """Raise ValueError when the tensors disagree on dtype or device."""
    first = tensors[0]
    for name, t in zip(names[1:], tensors[1:]):
        if t.dtype != first.dtype:
            raise ValueError(f"{name} has dtype {t.dtype} but {names[0]} has dtype {first.dtype}")
        if t.device != first.device:
            raise ValueError(f"{name} is on {t.device} but {names[0]} is on {first.device}")


def check_runnable(t: torch.Tensor) -> None:
    """Triton needs a CUDA tensor, or the interpreter (TRITON_INTERPRET=1) for CPU tensors."""
    if t.device.type != "cuda" and os.environ.get("TRITON_INTERPRET", "0") != "1":
        raise RuntimeError(
            f"the Triton kernels got a tensor on {t.device}; run them on CUDA tensors, or set "
            "TRITON_INTERPRET=1 before the first use to run them on CPU (slow, for tests)"
        )


def acc_dtype(dtype: torch.dtype):
    """Accumulator type inside the kernels: float64 for float64 inputs, float32 otherwise."""
    return tl.float64 if dtype == torch.float64 else tl.float32


def dot_precision(dtype: torch.dtype) -> str:
    """tl.dot precision matching torch's default for the input dtype.

    float32 uses "ieee" because torch's bmm does not use TF32 by default. bfloat16 operands are
    upcast to float32 inside the kernels (the interpreter's bf16 dot is wrong in triton 3.9);
    a bf16 value has 8 mantissa bits, so it is exact in TF32 and "tf32" keeps tensor-core speed
    without rounding anything.
    """
    return "tf32" if dtype == torch.bfloat16 else "ieee"


def block(n: int, lo: int = 16, hi: int = 128) -> int:
    """Power-of-two block size covering n, clamped to [lo, hi]."""
    return max(lo, min(hi, triton.next_power_of_2(max(int(n), 1))))

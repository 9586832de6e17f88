"""Dispatch of the soft-machine operations: pure-PyTorch references (the CPU path) and Triton kernels (CUDA).

Every public function here takes and returns plain tensors and dispatches on the device of its
inputs: CUDA tensors go to the Triton kernels, everything else to the reference in `naive.py`.
One switch forces either path: the environment variable `NCLIB_KERNELS=auto|triton|naive`
(read at import) or `set_backend(...)` at run time. Forcing "triton" on CPU tensors needs
`TRITON_INTERPRET=1` set before the first kernel call (that is how the tests run on CPU).
dist_min, dist_max and dist_unary_table have no Triton kernel (they are O(V) cumsum/gather
ops) and always run the reference.
"""

import importlib
import os

from nclib.kernels.alu import naive as _alu
from nclib.kernels.alu.naive import dist_max, dist_min, dist_unary_table
from nclib.kernels.soft_read.naive import soft_read_naive
from nclib.kernels.soft_write.naive import soft_write_naive, soft_write_naive_
from nclib.kernels.stack.naive import stack_pop_naive, stack_push_naive

BACKENDS = ("auto", "triton", "naive")


def _parse(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"kernel backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    return name


_backend = _parse(os.environ.get("NCLIB_KERNELS", "auto"))


def set_backend(name: str) -> None:
    """Choose the kernel path: "auto" (Triton for CUDA tensors), "triton" (always), "naive" (never)."""
    global _backend
    _backend = _parse(name)


def get_backend() -> str:
    """The current kernel path: "auto", "triton" or "naive"."""
    return _backend


def _use_triton(t) -> bool:
    if _backend == "auto":
        return t.is_cuda
    return _backend == "triton"


def _triton(module: str):
    # Imported on first use, so that the CPU path never imports Triton and TRITON_INTERPRET
    # can still be set after `import nclib.kernels`.
    return importlib.import_module(f"nclib.kernels.{module}")


def soft_read(weights, memory):
    """weights [B, N, A] (or [B, A]), memory [B, A, V] -> [B, N, V] (or [B, V])."""
    if _use_triton(memory):
        return _triton("soft_read.triton_soft_read").soft_read(weights, memory)
    return soft_read_naive(weights, memory)


def soft_write(memory, weights, values):
    """Erase-and-add write, out of place: memory [B, A, V], weights [B, N, A], values [B, N, V] -> [B, A, V]."""
    if _use_triton(memory):
        return _triton("soft_write.triton_soft_write").soft_write(memory, weights, values)
    return soft_write_naive(memory, weights, values)


def soft_write_(memory, weights, values):
    """In-place `soft_write` for inference (no autograd); returns `memory`."""
    if _use_triton(memory):
        return _triton("soft_write.triton_soft_write").soft_write_(memory, weights, values)
    return soft_write_naive_(memory, weights, values)


def stack_push(stack, sp, frame, gate):
    """stack [B, K, F], sp [B, K+1], frame [B, F], gate [B] -> (stack', sp')."""
    if _use_triton(stack):
        return _triton("stack.triton_stack").stack_push(stack, sp, frame, gate)
    return stack_push_naive(stack, sp, frame, gate)


def stack_pop(stack, sp, gate):
    """stack [B, K, F], sp [B, K+1], gate [B] -> (frame [B, F], sp')."""
    if _use_triton(stack):
        return _triton("stack.triton_stack").stack_pop(stack, sp, gate)
    return stack_pop_naive(stack, sp, gate)


def dist_add(a, b, lo):
    """a, b [..., V] -> [..., V]: distribution of a + b wrapped into [lo, lo + V)."""
    if _use_triton(a):
        return _triton("alu.triton_circular").dist_add(a, b, lo)
    return _alu.dist_add(a, b, lo)


def dist_sub(a, b, lo):
    """a, b [..., V] -> [..., V]: distribution of a - b wrapped into [lo, lo + V)."""
    if _use_triton(a):
        return _triton("alu.triton_circular").dist_sub(a, b, lo)
    return _alu.dist_sub(a, b, lo)


def dist_compare(a, b, op, lo):
    """a, b [..., V] -> [..., V]: distribution of the 0/1 result of `a op b`."""
    if _use_triton(a):
        return _triton("alu.triton_compare").dist_compare(a, b, op, lo)
    return _alu.dist_compare(a, b, op, lo)


def dist_binary_table(a, b, table):
    """a, b [..., V], table [V, V] -> [..., V]: c[table[i, j]] += a_i b_j."""
    if _use_triton(a):
        return _triton("alu.triton_table").dist_binary_table(a, b, table)
    return _alu.dist_binary_table(a, b, table)


__all__ = [
    "dist_add",
    "dist_binary_table",
    "dist_compare",
    "dist_max",
    "dist_min",
    "dist_sub",
    "dist_unary_table",
    "get_backend",
    "set_backend",
    "soft_read",
    "soft_write",
    "soft_write_",
    "stack_pop",
    "stack_push",
]

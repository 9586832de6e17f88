"""Soft-machine operations: pure-PyTorch references (the CPU path) and Triton kernels (CUDA).

Every public function here takes and returns plain tensors and dispatches on the device of its
inputs: CUDA tensors go to the Triton kernels, everything else to the reference in `naive.py`.
"""

from nclib.kernels.alu.naive import (
    dist_add,
    dist_binary_table,
    dist_compare,
    dist_max,
    dist_min,
    dist_sub,
    dist_unary_table,
)
from nclib.kernels.soft_read.naive import soft_read_naive as soft_read
from nclib.kernels.soft_write.naive import soft_write_naive as soft_write
from nclib.kernels.soft_write.naive import soft_write_naive_ as soft_write_
from nclib.kernels.stack.naive import stack_pop_naive as stack_pop
from nclib.kernels.stack.naive import stack_push_naive as stack_push

__all__ = [
    "dist_add",
    "dist_binary_table",
    "dist_compare",
    "dist_max",
    "dist_min",
    "dist_sub",
    "dist_unary_table",
    "soft_read",
    "soft_write",
    "soft_write_",
    "stack_pop",
    "stack_push",
]

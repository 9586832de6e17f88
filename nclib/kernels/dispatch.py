"""Dispatch of the soft-machine operations: pure-PyTorch references (the CPU path) and Triton kernels (CUDA).

Every public function here takes and returns plain tensors and dispatches on the device of its
inputs: CUDA tensors go to the Triton kernels, everything else to the reference in `naive.py`.
One switch forces either path: the environment variable `NCLIB_KERNELS=auto|triton|naive`
(read at import) or `set_backend(...)` at run time. Forcing "triton" on CPU tensors needs
`TRITON_INTERPRET=1` set before the first kernel call (that is how the tests run on CPU).
dist_min, dist_max and dist_unary_table have no Triton kernel (they are O(V) cumsum/gather
ops) and always run the reference.

The ops are the rows of one table, `OPS`; `dispatch(name, *args)` picks the path and each public
function is `dispatch` bound to its row. Triton is imported on the first call that takes the
Triton path, never by `import nclib.kernels`, so the CPU path never imports it and
TRITON_INTERPRET can still be set after the import.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from typing import Callable, NamedTuple

from nclib.kernels.alu import naive as _alu
from nclib.kernels.soft_read.naive import soft_read_naive
from nclib.kernels.soft_write.naive import soft_write_naive, soft_write_naive_
from nclib.kernels.stack.naive import stack_pop_naive, stack_push_naive

BACKENDS = ("auto", "triton", "naive")


class Op(NamedTuple):
    """One row of `OPS`."""

    naive: Callable  # the reference implementation (the CPU path); the op's signature is its signature
    triton: str | None  # module under nclib.kernels holding the Triton function of the op's name; None: no kernel
    device_arg: str  # the argument whose device picks the path in "auto"


OPS: dict[str, Op] = {
    "soft_read": Op(soft_read_naive, "soft_read.triton_soft_read", "memory"),
    "soft_write": Op(soft_write_naive, "soft_write.triton_soft_write", "memory"),
    "soft_write_": Op(soft_write_naive_, "soft_write.triton_soft_write", "memory"),
    "stack_push": Op(stack_push_naive, "stack.triton_stack", "stack"),
    "stack_pop": Op(stack_pop_naive, "stack.triton_stack", "stack"),
    "dist_add": Op(_alu.dist_add, "alu.triton_circular", "a"),
    "dist_sub": Op(_alu.dist_sub, "alu.triton_circular", "a"),
    "dist_compare": Op(_alu.dist_compare, "alu.triton_compare", "a"),
    "dist_binary_table": Op(_alu.dist_binary_table, "alu.triton_table", "a"),
    "dist_min": Op(_alu.dist_min, None, "a"),
    "dist_max": Op(_alu.dist_max, None, "a"),
    "dist_unary_table": Op(_alu.dist_unary_table, None, "a"),
}

# op name -> position of its device argument in the signature of its naive implementation
_DEVICE_POS = {name: list(inspect.signature(op.naive).parameters).index(op.device_arg) for name, op in OPS.items()}
_TRITON: dict[str, Callable] = {}  # op name -> Triton function, filled on first use


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
        return getattr(t, "is_cuda", False)
    return _backend == "triton"


def triton_impl(name: str) -> Callable:
    """The Triton function of op `name`: imports its module (and Triton) on first use."""
    fn = _TRITON.get(name)
    if fn is None:
        module = OPS[name].triton
        if module is None:
            raise ValueError(f"kernel op {name!r} has no Triton implementation (it always runs the reference)")
        fn = _TRITON[name] = getattr(importlib.import_module(f"nclib.kernels.{module}"), name)
    return fn


def dispatch(name: str, *args, **kwargs):
    """Run op `name` on the path the backend and the device of its device argument choose."""
    try:
        op = OPS[name]
    except KeyError:
        raise ValueError(f"unknown kernel op {name!r}; the ops are {', '.join(sorted(OPS))}") from None
    if op.triton is not None and _backend != "naive":
        pos = _DEVICE_POS[name]
        t = args[pos] if pos < len(args) else kwargs.get(op.device_arg)
        if _use_triton(t):
            return triton_impl(name)(*args, **kwargs)
    return op.naive(*args, **kwargs)


def _public(name: str) -> Callable:
    naive = OPS[name].naive

    @functools.wraps(naive)  # its signature and docstring: the op's contract
    def op(*args, **kwargs):
        return dispatch(name, *args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    return op


soft_read = _public("soft_read")
soft_write = _public("soft_write")
soft_write_ = _public("soft_write_")
stack_push = _public("stack_push")
stack_pop = _public("stack_pop")
dist_add = _public("dist_add")
dist_sub = _public("dist_sub")
dist_compare = _public("dist_compare")
dist_binary_table = _public("dist_binary_table")
dist_min = _public("dist_min")
dist_max = _public("dist_max")
dist_unary_table = _public("dist_unary_table")

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

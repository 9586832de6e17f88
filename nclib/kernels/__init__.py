"""Soft-machine operations: pure-PyTorch references (the CPU path) and Triton kernels (CUDA).

The public functions and the backend switch live in `dispatch.py`; see its docstring. This folder
lives inside `nclib/` (docs/design.md, "Layout"): a top-level `kernels` folder would shadow the
Hugging Face `kernels` package that transformers imports whenever the repository root is on
`sys.path`.
"""

from nclib.kernels.dispatch import *  # noqa: F401,F403
from nclib.kernels.dispatch import __all__  # noqa: F401

"""Soft-machine operations: pure-PyTorch references (the CPU path) and Triton kernels (CUDA).

The public functions and the backend switch live in `dispatch.py`; see its docstring.
"""

# With the repository root on sys.path this folder is also visible as a top-level `kernels`: the
# name of the Hugging Face kernels package, which transformers probes and may import while
# loading a model. Under that name the module stays empty (no version, nothing of nclib), so
# transformers sees no usable `kernels` and no import cycle through nclib starts.
if __name__ == "nclib.kernels":
    from nclib.kernels.dispatch import *  # noqa: F401,F403
    from nclib.kernels.dispatch import __all__  # noqa: F401

"""The nclib compiler: a Python subset -> IR -> registers -> tensors. See `compiling.compile_source`."""

from nclib.compiler.compiling import Assembly, compile_source

__all__ = ["Assembly", "compile_source"]

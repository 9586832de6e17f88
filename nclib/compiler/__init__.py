"""The nclib compiler: a Python subset -> IR -> registers -> line table. See `compiling.compile_source`."""

from nclib.compiler.compiling import Assembly, compile_source, compile_text

__all__ = ["Assembly", "compile_source", "compile_text"]

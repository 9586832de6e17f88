"""nclib: neurally compiled libraries for language models."""

from nclib.errors import (CompileError, LibraryError, MachineFault, NclibError, Problem, RoutineError, StepLimitError,
                          ValueRangeError)
from nclib.program import ExecResult, Program, compile
from nclib.library import Library, stdlib
from nclib.model import NCLlamaConfig, NCLlamaForCausalLM  # registers model_type "ncllama" with the Auto classes

__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "ExecResult",
    "Library",
    "LibraryError",
    "MachineFault",
    "NCLlamaConfig",
    "NCLlamaForCausalLM",
    "NclibError",
    "Problem",
    "Program",
    "RoutineError",
    "StepLimitError",
    "ValueRangeError",
    "__version__",
    "compile",
    "stdlib",
]

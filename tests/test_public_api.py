"""The top-level exports are pinned: removing or renaming one is a breaking change."""

import nclib
import nclib.compiler
import nclib.kernels


def test_top_level_exports():
    assert sorted(nclib.__all__) == sorted([
        "CompileError", "ExecResult", "Library", "LibraryError", "MachineFault", "NCLlamaConfig", "NCLlamaForCausalLM",
        "NclibError", "Problem", "Program", "RoutineError", "StepLimitError", "ValueRangeError", "__version__", "compile", "stdlib",
    ])
    for name in nclib.__all__:
        assert hasattr(nclib, name), name


def test_subpackages_live_in_one_namespace():
    assert nclib.compiler.__name__ == "nclib.compiler" and nclib.kernels.__name__ == "nclib.kernels"
    # nclib.compiler is the compiler itself: its compile_source gives what Program runs
    asm = nclib.compiler.compile_source("def f(a, b):\n    return a * b + 1\n", "f")
    assert nclib.Program(asm)(6, 7) == 43
    assert callable(nclib.stdlib) and callable(nclib.compile)

"""`import nclib` is light, and the model contract (docs/design.md §6) still holds.

`import nclib` and the compile / run / disasm / trace commands import neither transformers nor
accelerate nor Triton; yet `import nclib` then `AutoModelForCausalLM.from_pretrained(<saved
NCLlama>)` loads the model with no other step, whichever of nclib and transformers is imported
first. Each check runs in a fresh interpreter (this one has imported everything already)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HEAVY = ("transformers", "accelerate", "triton")


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NCLIB_KERNELS", "TRITON_INTERPRET")}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=tempfile.gettempdir())  # the installed nclib, not a source folder in cwd


LIGHT = """
import json, sys
from pathlib import Path
HEAVY = {heavy!r}
seen = {{}}

def note(step):
    seen[step] = sorted(m for m in HEAVY if m in sys.modules)

import nclib
note("import nclib")
import nclib.compiler, nclib.kernels, nclib.runtime.program, nclib.runtime.library, nclib.cli
note("import nclib.compiler, nclib.kernels, nclib.runtime.program, nclib.runtime.library, nclib.cli")
tmp = Path(sys.argv[1])
src = tmp / "tiny.py"
src.write_text("def f(a, b):\\n    return a + b\\n")
for argv in json.loads(sys.argv[2]):
    argv = [a.format(src=src, tmp=tmp) for a in argv]
    nclib.cli.main(argv)
    note(" ".join(["nclib"] + argv))
print(json.dumps(seen))
""".format(heavy=HEAVY)


def check_light(tmp_path, commands: list[list[str]]) -> list[str]:
    """Run `commands` through nclib.cli.main in one fresh interpreter; return its printed lines
    after asserting that no step imported a heavy module."""
    res = run_python(LIGHT, str(tmp_path), json.dumps(commands))
    assert res.returncode == 0, res.stderr[-3000:]
    lines = res.stdout.strip().splitlines()
    seen = json.loads(lines[-1])
    assert len(seen) == 2 + len(commands), seen
    assert {step: mods for step, mods in seen.items() if mods} == {}
    return lines


def test_import_and_cli_commands_stay_light(tmp_path):
    lines = check_light(tmp_path, [["run", "{src}:f", "1", "2"], ["compile", "{src}:f", "-o", "{tmp}/lib"],
                                   ["disasm", "{tmp}/lib"], ["run", "{tmp}/lib:f", "20", "22"],
                                   ["trace", "{src}:f", "1", "2", "-o", "{tmp}/trace.png"]])
    assert lines[0] == "3" and "42" in lines, lines
    assert (tmp_path / "trace.png").stat().st_size > 0


def test_soft_cli_commands_stay_light(tmp_path):
    lines = check_light(tmp_path, [["run", "{src}:f", "1", "2", "--soft", "--values", "0", "8"],
                                   ["trace", "{src}:f", "1", "2", "--soft", "--values", "0", "8",
                                    "-o", "{tmp}/soft.png"]])
    assert lines[0] == "3", lines


def test_model_attributes_are_lazy_but_present():
    code = ("import sys, nclib; assert 'transformers' not in sys.modules; "
            "assert {'NCLlamaConfig', 'NCLlamaForCausalLM'} <= set(dir(nclib)); "
            "c = nclib.NCLlamaConfig; import nclib.model as m; "
            "assert c is m.NCLlamaConfig and nclib.NCLlamaForCausalLM is m.NCLlamaForCausalLM; "
            "print('transformers' in sys.modules, c.model_type)")
    res = run_python(code)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.split() == ["True", "ncllama"]
    missing = run_python("import nclib; nclib.NoSuchThing")
    assert "module 'nclib' has no attribute 'NoSuchThing'" in missing.stderr


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    """A tiny NCLlama saved with save_pretrained (no library: the Auto classes are what is tested)."""
    from nclib.model import NCLlamaConfig, NCLlamaForCausalLM

    path = tmp_path_factory.mktemp("ncllama")
    config = NCLlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           num_key_value_heads=1, vocab_size=256)
    NCLlamaForCausalLM(config).save_pretrained(path)
    assert json.loads((path / "config.json").read_text())["model_type"] == "ncllama"
    return path


LOAD = """
import sys
{first}
from transformers import AutoConfig, AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
config = AutoConfig.from_pretrained(sys.argv[1])
print(type(model).__module__, type(model).__name__, type(config).__name__)
"""


@pytest.mark.slow
@pytest.mark.parametrize("first", ["import nclib", "import transformers; import nclib",
                                   "import transformers.models.auto; import nclib",
                                   "import nclib; import transformers.models.llama"])
def test_saved_model_loads_through_the_auto_classes_after_import_nclib(saved_model, first):
    res = run_python(LOAD.format(first=first), str(saved_model))
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().splitlines()[-1] == "nclib.model.modeling_ncllama NCLlamaForCausalLM NCLlamaConfig"
    assert "could not register" not in res.stderr


def test_without_import_nclib_the_model_type_is_unknown(saved_model):
    """The control: the registration really comes from `import nclib`."""
    res = run_python(LOAD.format(first=""), str(saved_model))
    assert res.returncode != 0 and "ncllama" in res.stderr


def test_a_failed_registration_warns_and_leaves_transformers_working():
    code = ("import sys, warnings, nclib; sys.modules['nclib.model.modeling_ncllama'] = None\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    import transformers\n"
            "from transformers import AutoConfig\n"
            "print(transformers.__spec__.loader.__class__.__name__, AutoConfig.__name__)\n"
            "print([str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)])")
    res = run_python(code)
    assert res.returncode == 0, res.stderr[-3000:]
    loader, warned = res.stdout.strip().splitlines()[-2:]
    assert loader == "SourceFileLoader AutoConfig"  # the real loader is back on the module
    assert "nclib could not register model_type 'ncllama'" in warned and "modeling_ncllama" in warned


TORCH_FREE = """
import sys
from pathlib import Path
import nclib.cli
src = Path(sys.argv[1]) / "fib.py"
src.write_text("def fib(n):\\n    if n < 2:\\n        return n\\n    return fib(n - 1) + fib(n - 2)\\n")
nclib.cli.main(["run", f"{src}:fib", "12", "--values", "0", "1000"])
nclib.cli.main(["disasm", f"{src}:fib"])
print(sorted(m for m in ("torch", "numba", "transformers", "triton") if m in sys.modules))
"""


def test_run_of_a_source_file_needs_neither_torch_nor_numba(tmp_path):
    """`nclib run FILE.py:f ARGS` (hard mode) compiles and runs on the interpreted hard machine
    (nclib/runtime/call.py), and `nclib disasm FILE.py:f` lists the program: `import nclib`, the compiler,
    the run and the listing load no torch, so they start at once."""
    res = run_python(TORCH_FREE, str(tmp_path))
    assert res.returncode == 0, res.stderr[-3000:]
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "144" and lines[1].startswith("; fib:") and lines[-1] == "[]", res.stdout


def test_hard_run_of_a_saved_library_needs_neither_torch_nor_numba(tmp_path):
    """`nclib run LIBRARY_DIR[:ROUTINE] ARGS` recompiles the routine from the manifest, checks its
    program hash (nclib/runtime/manifest.py) and runs it interpreted: no torch."""
    src = tmp_path / "g.py"
    src.write_text("def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n")
    made = run_python("import sys, nclib.cli; nclib.cli.main(['compile', sys.argv[1], '-o', sys.argv[2]])",
                      str(src), str(tmp_path / "lib"))
    assert made.returncode == 0, made.stderr[-3000:]
    code = ("import sys, nclib.cli; nclib.cli.main(['run', sys.argv[1] + ':gcd', '84', '120']); "
            "print(sorted(m for m in ('torch', 'numba', 'transformers', 'triton') if m in sys.modules))")
    res = run_python(code, str(tmp_path / "lib"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.split() == ["12", "[]"], res.stdout

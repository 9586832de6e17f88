"""nclib: neurally compiled libraries for language models.

`import nclib` stays light: it imports neither torch nor transformers, accelerate or Triton. The
names below are imported on first access (`nclib.Program` loads torch, `nclib.NCLlamaForCausalLM`
transformers), and the
Auto-class registration (model_type "ncllama" with `AutoConfig` / `AutoModelForCausalLM`, docs/design.md
§6) runs as soon as transformers is imported, whichever of the two is imported first: at once when
transformers is already loaded, else by a post-import hook on the module `transformers`.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import warnings

from nclib.util.lazy import lazy_exports
from nclib.errors import (CompileError, LibraryError, MachineFault, NclibError, Problem, RoutineError, StepLimitError,
                          ValueRangeError)

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

# Imported on first access: nclib.runtime.program and nclib.runtime.library import torch, nclib.model transformers.
# (`nclib run FILE.py:f ...` compiles and runs without either: nclib.compiler, nclib.runtime.call.)
__getattr__, __dir__, _ = lazy_exports(globals(), {"runtime.program": ("ExecResult", "Program", "compile"),
                                                     "runtime.library": ("Library", "stdlib"),
                                                     "model": ("NCLlamaConfig", "NCLlamaForCausalLM")})


def _register_model() -> None:
    """Register NCLlama with the transformers Auto classes (importing nclib.model registers it).

    Called once transformers is loaded. A failure is shown as a warning and never breaks the
    import of transformers; `import nclib.model` raises it again with its traceback."""
    model = sys.modules.get("nclib.model")
    if model is not None and not getattr(model, "REGISTERED", False):
        return  # nclib.model is being imported right now (it imported transformers): it registers at its end
    try:
        importlib.import_module("nclib.model").register_auto_classes()
    except Exception as err:  # noqa: BLE001 (any failure: transformers itself is fine, only the registration is not)
        warnings.warn(f"nclib could not register model_type 'ncllama' with the transformers Auto classes "
                      f"({type(err).__name__}: {err}); `import nclib.model` shows the full error",
                      RuntimeWarning, stacklevel=2)


class _RegisteringLoader:
    """Runs the real loader of `transformers`, then `_register_model`. It puts the real loader back
    on the module before running it, so transformers never sees this wrapper."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self.loader
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self.loader
        self.loader.exec_module(module)
        _register_model()


class _TransformersHook(importlib.abc.MetaPathFinder):
    """A sys.meta_path finder that answers only for the top-level module `transformers`: it asks
    the finders after it for the real spec and wraps that spec's loader in `_RegisteringLoader`."""

    nclib_transformers_hook = True  # marks the hook, so that a re-imported nclib installs no second one

    def __init__(self):
        self._busy = threading.local()

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "transformers" or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or getattr(finder, "nclib_transformers_hook", False):
                    continue
                find = getattr(finder, "find_spec", None)
                spec = find(fullname, path, target) if find is not None else None
                if spec is not None:
                    break
        finally:
            self._busy.on = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _RegisteringLoader(spec.loader)
        return spec


def _install_transformers_hook() -> None:
    loaded = sys.modules.get("transformers")
    if loaded is not None and not getattr(getattr(loaded, "__spec__", None), "_initializing", False):
        _register_model()  # transformers came first: register now
        return
    if not any(getattr(finder, "nclib_transformers_hook", False) for finder in sys.meta_path):
        sys.meta_path.insert(0, _TransformersHook())


_install_transformers_hook()

# Modules that moved into the layer folders (issue 23), by their old names. Saved models' remote
# code (`from nclib.library import ...`, `from nclib.memory import ...`) and users' imports keep
# working: importing an old name gives the module itself, not a copy.
MOVED = {
    "nclib.program": "nclib.runtime.program", "nclib.call": "nclib.runtime.call",
    "nclib.worlds": "nclib.runtime.worlds", "nclib.library": "nclib.runtime.library",
    "nclib.manifest": "nclib.runtime.manifest", "nclib.library_spec": "nclib.model.library_spec",
    "nclib.options": "nclib.util.options", "nclib.memory": "nclib.machine.memory",
    "nclib.atomic": "nclib.util.atomic", "nclib.lazy": "nclib.util.lazy",
    "nclib.corpus": "nclib.data.corpus", "nclib.userdata": "nclib.data.userdata",
    "nclib.evaluation": "nclib.evals.exact_match", "nclib.nocall": "nclib.evals.nocall",
    "nclib.trace": "nclib.evals.trace", "nclib.task_model": "nclib.tasks.task_model",
}


class _MovedModuleLoader(importlib.abc.Loader):
    """Imports the module's new name and puts that module under the old name as well (the import
    system returns whatever `sys.modules` holds for the name once the loader has run)."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        sys.modules[module.__name__] = importlib.import_module(MOVED[module.__name__])


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Answers only for the old names in MOVED."""

    nclib_moved_modules = True

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedModuleLoader())


if not any(getattr(finder, "nclib_moved_modules", False) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())

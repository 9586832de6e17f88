"""Package attributes imported on first access (PEP 562), so importing a package stays light."""

from __future__ import annotations

import importlib


def lazy_exports(namespace: dict, exports: dict[str, tuple[str, ...]]):
    """(__getattr__, __dir__, the exported names) for the package whose globals are `namespace`:
    `exports` maps each submodule to the names it provides; a name is imported from its submodule
    on first access and then kept in the package."""
    package = namespace["__name__"]
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__, sorted(where)

"""What a saved model's remote code (`trust_remote_code`) needs installed: the `nclib` package,
from the distribution below. The package registry's "nclib" is an unrelated netcat library that
also imports as `nclib`, so a failed import names the distribution to install (and the stray
package to remove). Imports nothing from nclib: save_pretrained copies it next to the model code."""

from __future__ import annotations

import importlib.util

DISTRIBUTION = "nclib-neural"  # pyproject.toml [project] name; the import name stays `nclib`


def nclib_import_error(err: BaseException) -> ImportError:
    """The one-line ImportError for remote code whose `import nclib...` failed with `err`."""
    try:
        spec = importlib.util.find_spec("nclib")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return ImportError(f"this model's code needs the nclib package, which is not installed ({err}); "
                           f"install it with: pip install {DISTRIBUTION}")
    where = spec.origin or ", ".join(spec.submodule_search_locations or []) or "an unknown location"
    return ImportError(f"this model's code needs nclib from the {DISTRIBUTION} distribution, but the nclib at {where} "
                       f"is another package or an incomplete install ({err}); "
                       f"replace it with: pip uninstall -y nclib && pip install {DISTRIBUTION}")

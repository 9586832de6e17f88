"""numba's disk cache of the compiled machine loop: is it there for the current sources, and which
of its index files are stale. Used by `backend` (whether a long run can load the loop or must
compile it) and `compiled` (stale files are removed before numba looks). Imports neither numba nor
torch."""

from __future__ import annotations

import os
from pathlib import Path

from nclib.machine import cycles, interp, isa

# The source files numba compiles into the loop (`run_batch` and what it calls). numba's disk cache
# is keyed on the first one only, so `compiled_loop_cached` and `stale_loop_caches` check them all.
LOOP_SOURCES = tuple(Path(module.__file__) for module in (interp, cycles, isa))


def loop_cache_indexes() -> list[Path]:
    """numba's index files for the compiled loop (`interp.run_batch-*.nbi`): next to interp.py
    (numba's default) or under NUMBA_CACHE_DIR / ~/.cache/numba (its locators for read-only installs)."""
    source = LOOP_SOURCES[0]
    places = [source.parent / "__pycache__"]
    for root in (os.environ.get("NUMBA_CACHE_DIR"), Path.home() / ".cache" / "numba"):
        if root and Path(root).is_dir():
            places += [p for p in Path(root).iterdir() if p.is_dir()]
    return [index for place in places if place.is_dir() for index in place.glob("interp.run_batch-*.nbi")]


def _stamp() -> float:
    return max(source.stat().st_mtime for source in LOOP_SOURCES)


def compiled_loop_cached() -> bool:
    """Whether numba's disk cache holds the compiled loop for the current sources, so loading it
    costs ~1 s rather than a ~30 s compile: an index file no older than any of LOOP_SOURCES.
    Checked without importing numba."""
    stamp = _stamp()
    return any(index.stat().st_mtime >= stamp for index in loop_cache_indexes())


def stale_loop_caches() -> list[Path]:
    """The index files older than one of LOOP_SOURCES (numba itself only compares interp.py's
    stamp, so it would load a loop compiled before a change to cycles.py or isa.py)."""
    stamp = _stamp()
    return [index for index in loop_cache_indexes() if index.stat().st_mtime < stamp]

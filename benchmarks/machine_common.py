"""Shared helpers of the machine benchmarks: environment description and peak-memory runs."""

from __future__ import annotations

import datetime
import multiprocessing as mp
import os
import platform
import resource
import subprocess
import sys

import torch


def environment() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    if torch.cuda.is_available():
        device = torch.cuda.get_device_name(0)
    else:
        device = f"CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    return (f"date {datetime.date.today()} | device {device} | torch {torch.__version__} | python {platform.python_version()} "
            f"| threads {torch.get_num_threads()} | commit {commit}")


def _child(queue, fn, args):
    try:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = fn(*args)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        queue.put(("ok", result, (peak - base) / 1024))
    except Exception as err:  # reported to the parent, which re-raises
        queue.put(("error", repr(err), 0.0))


def run_measuring_peak(fn, *args):
    """Run fn(*args) in a fresh process; return (its result, peak resident memory growth in MiB).

    On CPU the growth of the process's peak RSS over its value before the run is the honest
    figure (torch's CPU allocator has no peak counter). On CUDA, fn itself should report
    torch.cuda.max_memory_allocated."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, fn, args))
    proc.start()
    status, result, peak = queue.get()
    proc.join()
    if status != "ok":
        raise RuntimeError(f"benchmark child failed: {result}")
    return result, peak


def write_report(path: str, title: str, command: str, lines: list[str]) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(f"# {title}\n\nCommand: `{command}`\n\n{environment()}\n\n" + "\n".join(lines) + "\n")
    print(f"wrote {path}", file=sys.stderr)

"""Pictures of an execution: instruction pointer and registers over time, as a PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from nclib.compiler.regalloc import HP, RV, SCRATCH  # noqa: E402
from nclib.runtime.program import ExecResult, Program  # noqa: E402

__all__ = ["trace_arrays", "plot_trace", "check_image_path"]


def check_image_path(path: str | Path) -> Path:
    """`path` if matplotlib can write an image there by its suffix (.png, .pdf, .svg, ...) and it
    is not a directory; else a UsageError naming it (checked before a run, not after)."""
    from matplotlib.backend_bases import FigureCanvasBase

    from nclib.errors import UsageError

    path = Path(path)
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.is_dir():
        raise UsageError(f"-o {str(path)!r} is a directory; give an image file path such as {path / 'trace.png'}")
    if path.suffix.lstrip(".").lower() not in formats:
        raise UsageError(f"-o {str(path)!r}: cannot tell the image format from the suffix {path.suffix or '(none)'!r}; "
                         f"use .png (or one of {', '.join('.' + f for f in sorted(formats))})")
    return path


def trace_arrays(prog: Program, res: ExecResult, b: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """From a traced execution (execute(..., trace=True)): the instruction pointer distribution
    [T, P] and the (expected) register values [T, R] of batch element b."""
    if not res.trace:
        raise ValueError("the result holds no trace; run Program.execute(..., trace=True)")
    P = prog.asm.n_lines
    values = torch.arange(prog.lo, prog.lo + prog.V, dtype=torch.float64)
    ips, regs = [], []
    for ip, reg in res.trace:
        if ip.dim() == 1:  # hard mode: line index and integer registers
            ips.append(torch.nn.functional.one_hot(ip[b], P).double())
            regs.append(reg[b].double())
        else:  # soft mode: distributions
            ips.append(ip[b].double())
            regs.append(reg[b].double() @ values)
    return torch.stack(ips), torch.stack(regs)


def plot_trace(prog: Program, res: ExecResult, path: str | Path, b: int = 0, title: str | None = None) -> Path:
    """Write a PNG: top, the instruction pointer over time (one row per machine line, labelled by
    function); bottom, every register's value over time."""
    ip, regs = trace_arrays(prog, res, b)
    T, P = ip.shape
    fig, (ax_ip, ax_regs) = plt.subplots(2, 1, figsize=(min(16, 4 + T / 40), 7.5), sharex=True,
                                         gridspec_kw={"height_ratios": [max(P, 8), max(regs.shape[1], 4)]})
    ax_ip.imshow(ip.T.numpy(), aspect="auto", interpolation="nearest", cmap="Greys", vmin=0, vmax=1)
    ax_ip.set_ylabel("instruction pointer (line)")
    ticks = sorted(prog.asm.functions.items(), key=lambda kv: kv[1])
    ax_ip.set_yticks([line for _, line in ticks] + [2], [f"{name} @{line}" for name, line in ticks] + ["halt @2"], fontsize=7)
    names = {RV: "rv", HP: "hp", SCRATCH: "tmp"}
    image = ax_regs.imshow(regs.T.numpy(), aspect="auto", interpolation="nearest", cmap="viridis")
    ax_regs.set_yticks(range(regs.shape[1]), [names.get(r, f"r{r}") for r in range(regs.shape[1])], fontsize=7)
    ax_regs.set_ylabel("register value")
    ax_regs.set_xlabel("step")
    fig.colorbar(image, ax=ax_regs, fraction=0.03, pad=0.01)
    ax_ip.set_title(title or f"{prog.name}: {T} steps")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

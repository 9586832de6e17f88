"""Shared benchmark machinery: environment row, timers, correctness gate, result rows.

On CUDA, times come from triton.testing.do_bench (median, p20, p80 in ms). On CPU there is no
meaningful Triton timing (the interpreter is a Python emulator), so `--smoke` runs the
correctness gate only and prints no speed numbers.
"""

import dataclasses
import os
import platform
import subprocess
import time
from typing import Callable

import torch

# Same bars as tests/kernels: max |got - ref| <= TOL * max(1, max |ref|).
TOL = {torch.float32: 2e-5, torch.bfloat16: 3e-2}


@dataclasses.dataclass
class Case:
    op: str  # e.g. "soft_read"
    shapes: str  # e.g. "B=64 N=4 A=1024 V=256"
    dtype: torch.dtype
    make: Callable[[str, torch.dtype], list]  # (device, dtype) -> list of input tensors
    triton_fn: Callable  # takes the inputs, returns a tensor or a tuple of tensors
    ref_fn: Callable
    bytes_fwd: int  # minimum bytes one forward call must move (inputs read + outputs written)


def environment() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=os.path.dirname(__file__)).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    import triton

    if torch.cuda.is_available():
        device = torch.cuda.get_device_name()
    else:
        device = f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, TRITON_INTERPRET)"
    return {"device": device, "torch": torch.__version__, "triton": triton.__version__, "commit": commit}


def as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def time_ms(fn: Callable, cuda: bool, reps: int = 20) -> tuple[float, float, float]:
    """(median, p20, p80) in milliseconds."""
    if cuda:
        import triton.testing

        return tuple(triton.testing.do_bench(fn, quantiles=[0.5, 0.2, 0.8]))
    samples = []
    fn()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    q = torch.tensor(samples).quantile(torch.tensor([0.5, 0.2, 0.8])).tolist()
    return q[0], q[1], q[2]


def check(case: Case, device: str) -> tuple[bool, str]:
    """Forward and every gradient of the Triton path against the reference run in float32
    (float64 on CPU) on the same inputs and the same upstream gradients."""
    torch.manual_seed(0)
    ref_dtype = torch.float64 if device == "cpu" else torch.float32
    inputs = [t.detach().requires_grad_(t.is_floating_point()) for t in case.make(device, case.dtype)]
    ref_inputs = [t.detach().to(ref_dtype).requires_grad_() if t.is_floating_point() else t for t in inputs]
    outs, ref_outs = as_tuple(case.triton_fn(*inputs)), as_tuple(case.ref_fn(*ref_inputs))
    grads = [torch.randn(o.shape, device=device).to(o.dtype) for o in outs]
    torch.autograd.backward(outs, grads)
    torch.autograd.backward(ref_outs, [g.to(ref_dtype) for g in grads])
    pairs = list(zip(outs, ref_outs)) + [(t.grad, r.grad) for t, r in zip(inputs, ref_inputs) if t.is_floating_point()]
    worst = 0.0
    for got, ref in pairs:
        if got is None or not torch.isfinite(got).all():
            return False, "missing or non-finite result"
        err = (got.to(ref_dtype) - ref).abs().max().item() / max(1.0, ref.abs().max().item())
        worst = max(worst, err)
    return worst <= TOL[case.dtype], f"max rel err {worst:.2e}"


def bench(case: Case, device: str, smoke: bool, peak_gbs: float | None) -> dict:
    ok, detail = check(case, device)
    row = {"op": case.op, "shapes": case.shapes, "dtype": str(case.dtype).replace("torch.", ""),
           "correct": "PASS" if ok else "FAIL", "check": detail}
    if not ok:
        row["note"] = "correctness gate failed: no speed reported"
        return row
    if smoke or device == "cpu":
        return row
    inputs = case.make(device, case.dtype)
    compiled = torch.compile(case.ref_fn)
    for name, fn in (("triton", case.triton_fn), ("eager", case.ref_fn), ("compile", compiled)):
        with torch.no_grad():
            row[f"{name}_fwd_ms"] = time_ms(lambda: fn(*inputs), cuda=True)
        grad_inputs = [t.detach().requires_grad_() if t.is_floating_point() else t for t in inputs]
        outs = as_tuple(fn(*grad_inputs))
        grads = [torch.randn_like(o) for o in outs]

        def fwd_bwd():
            o = as_tuple(fn(*grad_inputs))
            torch.autograd.backward(o, grads)

        row[f"{name}_fwdbwd_ms"] = time_ms(fwd_bwd, cuda=True)
    med = row["triton_fwd_ms"][0]
    row["triton_fwd_GBps"] = case.bytes_fwd / (med * 1e-3) / 1e9
    if peak_gbs:
        row["pct_of_copy_peak"] = 100 * row["triton_fwd_GBps"] / peak_gbs
    for base in ("eager", "compile"):
        row[f"speedup_fwd_vs_{base}"] = row[f"{base}_fwd_ms"][0] / med
        row[f"speedup_fwdbwd_vs_{base}"] = row[f"{base}_fwdbwd_ms"][0] / row["triton_fwdbwd_ms"][0]
    return row


def fmt(v) -> str:
    if isinstance(v, tuple):
        return "/".join(f"{x:.4f}" for x in v)
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


COLUMNS = ["op", "shapes", "dtype", "correct", "check", "triton_fwd_ms", "eager_fwd_ms", "compile_fwd_ms",
           "triton_fwdbwd_ms", "eager_fwdbwd_ms", "compile_fwdbwd_ms", "triton_fwd_GBps", "pct_of_copy_peak",
           "speedup_fwd_vs_eager", "speedup_fwd_vs_compile", "speedup_fwdbwd_vs_eager",
           "speedup_fwdbwd_vs_compile", "note"]


def markdown(env: dict, rows: list[dict], peak_gbs: float | None) -> str:
    lines = [f"Device: {env['device']}; torch {env['torch']}; triton {env['triton']}; commit {env['commit']}",
             f"Peak copy bandwidth (torch copy_): {peak_gbs:.1f} GB/s" if peak_gbs else "Peak copy bandwidth: not measured",
             "Times: median/p20/p80 ms (triton.testing.do_bench); speed-ups are median ratios.", "",
             "| device | torch | triton | commit | " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * (len(COLUMNS) + 4)]
    for r in rows:
        cells = [env["device"], env["torch"], env["triton"], env["commit"]] + [fmt(r.get(c, "")) for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def csv_rows(env: dict, rows: list[dict]) -> str:
    head = ["device", "torch", "triton", "commit"] + COLUMNS
    out = [",".join(head)]
    for r in rows:
        cells = [env["device"], env["torch"], env["triton"], env["commit"]] + [fmt(r.get(c, "")) for c in COLUMNS]
        out.append(",".join('"' + c.replace('"', "'") + '"' for c in cells))
    return "\n".join(out) + "\n"

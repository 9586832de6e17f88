"""Command line shared by the per-op scripts and bench_all.py."""

import argparse
import os
import sys

import torch

if not torch.cuda.is_available():
    # Without a GPU only the correctness smoke run is possible, under the Triton interpreter;
    # it must be set before triton is imported.
    os.environ.setdefault("TRITON_INTERPRET", "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import bench, csv_rows, environment, markdown  # noqa: E402


def run(case_fns, argv=None) -> int:
    """case_fns: callables smoke -> list[Case]. Returns the exit status (1 if any check failed)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--smoke", action="store_true", help="tiny shapes, correctness only (works on CPU)")
    p.add_argument("--out", help="write a markdown table here and a CSV next to it (same name, .csv)")
    p.add_argument("--dtype", choices=["float32", "bfloat16", "both"], default="both")
    args = p.parse_args(argv)
    cuda = torch.cuda.is_available()
    if not cuda and not args.smoke:
        print("No CUDA device: speed numbers would be meaningless under the interpreter; use --smoke.")
        return 2
    device = "cuda" if cuda else "cpu"
    env = environment()
    peak = None
    if cuda and not args.smoke:
        from bench_bandwidth import peak_copy_gbs

        peak = peak_copy_gbs()
    print(f"device: {env['device']} | torch {env['torch']} | triton {env['triton']} | commit {env['commit']}")
    if peak:
        print(f"peak copy bandwidth: {peak:.1f} GB/s (target: memory ops >= 70 % of it)")
    dtypes = [torch.float32, torch.bfloat16] if args.dtype == "both" else [getattr(torch, args.dtype)]
    rows = []
    for case_fn in case_fns:
        for case in case_fn(args.smoke):
            if case.dtype not in dtypes:
                continue
            row = bench(case, device, args.smoke, peak)
            rows.append(row)
            print("  ".join(f"{k}={v if not isinstance(v, float) else round(v, 3)}" for k, v in row.items()))
    text = markdown(env, rows, peak)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
        with open(os.path.splitext(args.out)[0] + ".csv", "w") as f:
            f.write(csv_rows(env, rows))
        print(f"wrote {args.out}")
    failed = [r for r in rows if r["correct"] != "PASS"]
    if failed:
        print(f"{len(failed)} correctness check(s) FAILED: no speed-up reported for them")
    return 1 if failed else 0

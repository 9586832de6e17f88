import os
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "benchmarks", "kernels")


def test_bench_all_smoke_passes_and_writes_rows(tmp_path):
    out = tmp_path / "kernels_smoke.md"
    env = dict(os.environ)
    if torch.cuda.is_available():  # compiled kernels on the GPU (the interpreter cannot run on CUDA tensors)
        env.pop("TRITON_INTERPRET", None)
    else:
        env.setdefault("TRITON_INTERPRET", "1")
    r = subprocess.run([sys.executable, os.path.join(BENCH, "bench_all.py"), "--smoke", "--dtype", "float32",
                        "--out", str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    table = out.read_text()
    for op in ("soft_read", "soft_write", "stack_push", "stack_pop", "dist_add", "dist_sub", "dist_compare",
               "dist_binary_table"):
        assert f"| {op}" in table, op
    assert "FAIL" not in table
    assert (tmp_path / "kernels_smoke.csv").read_text().count("\n") == table.count("| PASS |") + 1


def test_gate_refuses_speed_for_wrong_kernel():
    sys.path.insert(0, BENCH)
    try:
        from common import Case, bench
    finally:
        sys.path.remove(BENCH)

    def make(device, dtype):
        return [torch.randn(2, 3, device=device, dtype=dtype)]

    wrong = Case("scale", "B=2 V=3", torch.float32, make, lambda x: 2 * x, lambda x: 2 * x + 1e-3, 24)
    row = bench(wrong, "cpu", smoke=True, peak_gbs=None)
    assert row["correct"] == "FAIL"
    assert not any(k.startswith("speedup") for k in row)

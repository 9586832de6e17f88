"""soft_read benchmark: python benchmarks/kernels/bench_soft_read.py [--smoke] [--out FILE.md]"""

import sys

import cli  # noqa: F401  (sets TRITON_INTERPRET on CPU before triton is imported)
import torch
from common import Case

SIZES = [(64, 4, 1024, 256), (256, 1, 256, 128), (16, 16, 4096, 256)]
SMOKE = [(2, 3, 63, 100)]


def cases(smoke: bool):
    from nclib.kernels.soft_read.naive import soft_read_naive
    from nclib.kernels.soft_read.triton_soft_read import soft_read

    out = []
    for B, N, A, V in SMOKE if smoke else SIZES:
        for dtype in (torch.float32, torch.bfloat16):
            def make(device, dtype, B=B, N=N, A=A, V=V):
                return [torch.softmax(torch.randn(B, N, A, device=device), -1).to(dtype),
                        torch.randn(B, A, V, device=device).to(dtype)]

            size = dtype.itemsize * (B * N * A + B * A * V + B * N * V)
            out.append(Case("soft_read", f"B={B} N={N} A={A} V={V}", dtype, make, soft_read, soft_read_naive, size))
    return out


if __name__ == "__main__":
    sys.exit(cli.run([cases]))

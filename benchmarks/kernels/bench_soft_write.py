"""soft_write benchmark: python benchmarks/kernels/bench_soft_write.py [--smoke] [--out FILE.md]"""

import sys

import cli  # noqa: F401
import torch
from common import Case

SIZES = [(64, 4, 1024, 256), (256, 1, 256, 128), (16, 16, 4096, 256)]
SMOKE = [(2, 3, 63, 100)]


def cases(smoke: bool):
    from nclib.kernels.soft_write.naive import soft_write_naive
    from nclib.kernels.soft_write.triton_soft_write import soft_write

    out = []
    for B, N, A, V in SMOKE if smoke else SIZES:
        for dtype in (torch.float32, torch.bfloat16):
            def make(device, dtype, B=B, N=N, A=A, V=V):
                return [torch.randn(B, A, V, device=device).to(dtype),
                        (torch.softmax(torch.randn(B, N, A, device=device), -1) / N).to(dtype),
                        torch.randn(B, N, V, device=device).to(dtype)]

            size = dtype.itemsize * (2 * B * A * V + B * N * A + B * N * V)
            out.append(Case("soft_write", f"B={B} N={N} A={A} V={V}", dtype, make, soft_write, soft_write_naive, size))
    return out


if __name__ == "__main__":
    sys.exit(cli.run([cases]))

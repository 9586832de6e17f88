"""Distribution ALU benchmark (dist_add, dist_sub, dist_compare, dist_binary_table):
python benchmarks/kernels/bench_alu.py [--smoke] [--out FILE.md]"""

import sys

import cli  # noqa: F401
import torch
from common import Case

SIZES = [(64, 32, 256), (256, 16, 64)]  # (B, lines, V): the machine evaluates every line at once
TABLE_SIZES = [(64, 32, 128)]
SMOKE = [(2, 3, 63)]


def cases(smoke: bool):
    from nclib.kernels.alu import naive
    from nclib.kernels.alu.triton_circular import dist_add, dist_sub
    from nclib.kernels.alu.triton_compare import dist_compare
    from nclib.kernels.alu.triton_table import dist_binary_table

    out = []
    for B, L, V in SMOKE if smoke else SIZES:
        for dtype in (torch.float32, torch.bfloat16):
            def make(device, dtype, B=B, L=L, V=V):
                return [torch.softmax(torch.randn(B, L, V, device=device), -1).to(dtype) for _ in range(2)]

            size = 3 * B * L * V * dtype.itemsize
            shapes = f"B={B} lines={L} V={V}"
            out.append(Case("dist_add", shapes, dtype, make, lambda a, b: dist_add(a, b, -3),
                            lambda a, b: naive.dist_add(a, b, -3), size))
            out.append(Case("dist_sub", shapes, dtype, make, lambda a, b: dist_sub(a, b, -3),
                            lambda a, b: naive.dist_sub(a, b, -3), size))
            out.append(Case("dist_compare(lt)", shapes, dtype, make, lambda a, b: dist_compare(a, b, "lt", -3),
                            lambda a, b: naive.dist_compare(a, b, "lt", -3), size))
    for B, L, V in SMOKE if smoke else TABLE_SIZES:
        for dtype in (torch.float32, torch.bfloat16):
            def make_t(device, dtype, B=B, L=L, V=V):
                i = torch.arange(V, device=device)
                return [torch.softmax(torch.randn(B, L, V, device=device), -1).to(dtype) for _ in range(2)] + \
                    [(i[:, None] * i[None, :]) % V]

            out.append(Case("dist_binary_table(mul)", f"B={B} lines={L} V={V}", dtype, make_t, dist_binary_table,
                            naive.dist_binary_table, 3 * B * L * V * dtype.itemsize))
    return out


if __name__ == "__main__":
    sys.exit(cli.run([cases]))

"""stack push/pop benchmark: python benchmarks/kernels/bench_stack.py [--smoke] [--out FILE.md]"""

import sys

import cli  # noqa: F401
import torch
from common import Case

SIZES = [(64, 64, 2048), (256, 16, 1024)]  # F = saved registers x V + return address, flattened
SMOKE = [(2, 5, 100)]


def cases(smoke: bool):
    from nclib.kernels.stack.naive import stack_pop_naive, stack_push_naive
    from nclib.kernels.stack.triton_stack import stack_pop, stack_push

    out = []
    for B, K, F in SMOKE if smoke else SIZES:
        for dtype in (torch.float32, torch.bfloat16):
            def make_push(device, dtype, B=B, K=K, F=F):
                return [torch.randn(B, K, F, device=device).to(dtype),
                        torch.softmax(torch.randn(B, K + 1, device=device), -1).to(dtype),
                        torch.randn(B, F, device=device).to(dtype), torch.rand(B, device=device).to(dtype)]

            def make_pop(device, dtype, make_push=make_push):
                stack, sp, _, gate = make_push(device, dtype)
                return [stack, sp, gate]

            e = dtype.itemsize
            shapes = f"B={B} K={K} F={F}"
            out.append(Case("stack_push", shapes, dtype, make_push, stack_push, stack_push_naive,
                            e * (2 * B * K * F + 2 * B * (K + 1) + B * F + B)))
            out.append(Case("stack_pop", shapes, dtype, make_pop, stack_pop, stack_pop_naive,
                            e * (B * K * F + B * F + 2 * B * (K + 1) + B)))
    return out


if __name__ == "__main__":
    sys.exit(cli.run([cases]))

"""Peak device copy bandwidth (GB/s), the yardstick for the >= 70 % target of the memory ops.

    python benchmarks/kernels/bench_bandwidth.py
Counts read + write bytes of a device-to-device torch copy_ of 1 GiB, median of do_bench.
"""

import torch


def peak_copy_gbs(n_bytes: int = 1 << 30) -> float:
    import triton.testing

    src = torch.empty(n_bytes // 4, dtype=torch.float32, device="cuda").uniform_()
    dst = torch.empty_like(src)
    ms = triton.testing.do_bench(lambda: dst.copy_(src), quantiles=[0.5])
    ms = ms[0] if isinstance(ms, (list, tuple)) else ms
    return 2 * n_bytes / (ms * 1e-3) / 1e9


if __name__ == "__main__":
    if not torch.cuda.is_available():
        raise SystemExit("bench_bandwidth.py needs a CUDA device")
    print(f"{torch.cuda.get_device_name()}: peak copy bandwidth {peak_copy_gbs():.1f} GB/s")

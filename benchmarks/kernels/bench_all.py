"""All kernel benchmarks in one table.

GPU run (one command; writes results/kernels_<device>.md and .csv):
    python benchmarks/kernels/bench_all.py --out results/kernels_<device>.md
CPU correctness smoke (Triton interpreter, no timings):
    python benchmarks/kernels/bench_all.py --smoke
Exit status 1 when any correctness check fails; no speed-up is reported for a failed case.
"""

import sys

import bench_alu
import bench_soft_read
import bench_soft_write
import bench_stack
import cli

if __name__ == "__main__":
    sys.exit(cli.run([bench_soft_read.cases, bench_soft_write.cases, bench_stack.cases, bench_alu.cases]))

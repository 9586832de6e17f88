#!/usr/bin/env bash
# The GPU checks of DESIGN §8 / issue 14, as one script for a lent device machine (writes under $OUT):
# kernel tests without the interpreter, the kernel benchmarks, the machine benchmark at batch 65,536.
#   OUT=/tmp/gpu bash scripts/gpu_check.sh
set -uo pipefail
# every package lives under nclib/ (no install on the device image: the repository root is the path)
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD" PYTHONDONTWRITEBYTECODE=1
unset TRITON_INTERPRET
OUT="${OUT:-/tmp/gpu}"; mkdir -p "$OUT"
tag="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr -cs 'A-Za-z0-9' '_' | sed 's/_$//')"
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv;
  python3 -c "import sys, torch, triton; print(sys.version.split()[0], torch.__version__, triton.__version__)"; } > "$OUT/device.txt" 2>&1
cat "$OUT/device.txt"
python3 -P -c "import nclib" || echo "import nclib FAILED"
steps="${STEPS:-tests kernels machine}"
if [[ $steps == *tests* ]]; then
echo "== tests/kernels (no interpreter)"
timeout "${TEST_S:-180}" python3 -P -m pytest -q -p no:cacheprovider ${XDIST:--n 8} tests/kernels 2>&1 | tee "$OUT/kernel_tests.log" | tail -15
fi
if [[ $steps == *kernels* ]]; then
echo "== benchmarks/kernels/bench_all.py"
timeout "${KBENCH_S:-200}" python3 benchmarks/kernels/bench_all.py --out "$OUT/kernels_$tag.md" 2>&1 | tail -40
fi
if [[ $steps == *machine* ]]; then
echo "== benchmarks/bench_machine.py"
timeout "${MBENCH_S:-180}" python3 benchmarks/bench_machine.py --device cuda --batches 1 256 4096 65536 --out "$OUT/machine_$tag.md" 2>&1 | tail -20
fi
ls -la "$OUT"

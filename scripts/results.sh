#!/usr/bin/env bash
# Regenerates RESULTS.md's figures and tables (about 1 hour on the 2-core CPU): the five-task
# fine-tuning of the augmented model and the LoRA baseline, the three-way evaluation, the
# gradient study through the module, and the AlgEval analyses (issue 6).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export TOKENIZERS_PARALLELISM=false
nclib train train/configs/smollm2_all_augmented.yaml
nclib train train/configs/smollm2_all_labels.yaml
nclib train train/configs/smollm2_all_baseline.yaml
nclib eval --model answers-only=out/all/augmented/final --model labels=out/all/labels/final --model lora-baseline=out/all/baseline/final \
    --model zero-shot=smollm2 --tasks sort add fib gcd graph --data out/all/data --n 100 --no-call 500 --threads 2 --out out/all/eval
mkdir -p results/all
cp out/all/eval/{table.md,accuracy.json,accuracy_by_size.png,predictions.jsonl} results/all/
python benchmarks/grad_module.py --out results/grad_module
nclib analyze sweep --predictions results/all/predictions.jsonl --out results/algeval/sweeps
nclib analyze traces --model out/all/augmented/final --dataset out/all/data/graph --split test_ood --n 100 --out results/algeval/augmented_traces
nclib analyze traces --routine reachable --n 200 --out results/algeval/stdlib
nclib analyze representations --model smollm2 --n 40 --layers 0,6,12,18,24,30 --method pca,tsne --color-by room,role --trajectory --out results/algeval/smollm2
nclib analyze attention --model smollm2 --n 8 --index 0 --layers 0,3,6,9,12,15,18,21,24,27,28,29 --out results/algeval/smollm2
nclib analyze representations --model out/all/augmented/final --n 40 --layers 0,6,12,18,24,30 --method pca --color-by role --out results/algeval/augmented

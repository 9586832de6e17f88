#!/usr/bin/env bash
# The main job (issue 5): on the embedded SmolLM2-135M-Instruct, LoRA-fine-tune the augmented
# model (NCLlama + compiled task library) and the plain backbone with identical data, steps,
# learning rate and seed on sorting and addition, then print exact match per task and split for
# the augmented model, the LoRA baseline and the zero-shot backbone side by side (test_iid, test_ood,
# test_wording), and the no-call check on 500 held-out ordinary passages.
# Outputs in out/main/ (runs, checkpoints, merged models, eval/{table.md,predictions.jsonl,
# accuracy_by_size.png}). Running it again resumes or reuses finished runs; rm -rf out/main to redo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export TOKENIZERS_PARALLELISM=false
start=$(date +%s)
nclib train train/configs/smollm2_sort_add_augmented.yaml
nclib train train/configs/smollm2_sort_add_baseline.yaml
nclib eval --model augmented=out/main/augmented/final --model lora-baseline=out/main/baseline/final \
    --model zero-shot=smollm2 --tasks sort add --data out/main/data --n 50 --no-call 500 --threads 2 --out out/main/eval
echo "main job: $(( $(date +%s) - start )) s after set-up"

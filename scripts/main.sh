#!/usr/bin/env bash
# The main job (issue 5): on the embedded SmolLM2-135M-Instruct, LoRA-fine-tune the augmented
# model (NCLlama + compiled task library) and the plain backbone with identical data, steps,
# learning rate and seed on sorting and addition, then print exact match per task and split for
# the augmented model, the LoRA baseline and the zero-shot backbone side by side (test_iid, test_ood,
# test_wording), and the no-call check on 500 held-out ordinary passages.
# Outputs in out/main/ (runs, checkpoints, merged models, eval/{table.md,predictions.jsonl,
# accuracy_by_size.png}). Running it again resumes or reuses finished runs; rm -rf out/main to redo.
# For a quick check of the whole pipeline (tests/train/test_main_script.py does this on the tiny
# model): MAIN_OUT=DIR puts every output under DIR, MAIN_SET="field=value" lines are added to both
# trainings' --set overrides, MAIN_EVAL the extra eval arguments, MAIN_ZERO_SHOT the zero-shot model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
export TOKENIZERS_PARALLELISM=false
start=$(date +%s)
out="${MAIN_OUT:-out/main}"
overrides=(data_dir="$out/data")
if [ -n "${MAIN_SET:-}" ]; then mapfile -t -O 1 overrides <<< "$MAIN_SET"; fi
read -r -a eval_extra <<< "${MAIN_EVAL:-}"
nclib train train/configs/smollm2_sort_add_augmented.yaml --set "${overrides[@]}" output_dir="$out/augmented"
nclib train train/configs/smollm2_sort_add_baseline.yaml --set "${overrides[@]}" output_dir="$out/baseline"
nclib eval --model augmented="$out/augmented/final" --model lora-baseline="$out/baseline/final" \
    --model zero-shot="${MAIN_ZERO_SHOT:-smollm2}" --tasks sort add --data "$out/data" --n 50 --no-call 500 --threads 2 \
    --out "$out/eval" "${eval_extra[@]}"
echo "main job: $(( $(date +%s) - start )) s after set-up"

"""Exact-match evaluation of causal LMs on the task datasets, the side-by-side table and the
accuracy-by-size plot.

Exact match is read from one teacher-forced forward pass: an example is correct when the model's
argmax at every answer position is the answer token and the argmax after the answer does not
continue it (not a digit and not the list separator; a fine-tuned model predicts EOS there, a
zero-shot one may go on with other text). Every part of the models is causal (the reasoning
module included: its router and reader only see positions up to the trigger), so this is exactly
"greedy decoding reproduces the answer" -- `tests/evals/test_exact_match.py` checks it against
`generate()` -- at the cost of one forward pass per example instead of one per token.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import torch

from nclib.tasks.task_model import collate, encode_rows


def _continuation_ids(tokenizer) -> set[int]:
    ids = {tokenizer(str(d), add_special_tokens=False)["input_ids"][0] for d in range(10)}
    ids.add(tokenizer(",", add_special_tokens=False)["input_ids"][0])
    return ids


@torch.no_grad()
def evaluate_rows(model, tokenizer, rows: list[dict], name: str, batch_size: int = 8, progress=None) -> list[dict]:
    """One prediction record per row: model, task, split, size, style, prompt, answer, prediction
    (the argmax tokens over the answer span, decoded), correct, seen_in_training (the row's
    prompt is also a training prompt; `sample_rows` marks it)."""
    model.eval()
    cont = _continuation_ids(tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    records = []
    # similar lengths together: less padding, and the result does not depend on the order
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]["prompt"]) + len(rows[i]["answer"]))
    for start in range(0, len(order), batch_size):
        chunk = [rows[i] for i in order[start:start + batch_size]]
        enc = encode_rows(chunk, tokenizer)  # prompt and answer only: nothing reads the labels
        batch = collate(enc, pad)
        out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        pred = out.logits.argmax(-1)  # [B, T]
        for b, (row, e) in enumerate(zip(chunk, enc)):
            P, A = len(e.prompt), len(e.answer) - 1  # answer tokens without the end token
            span = pred[b, P - 1: P + A].tolist()  # A answer predictions, then the one after
            correct = span[:A] == e.answer[:A] and span[A] not in cont
            records.append({"model": name, "task": row["task"], "split": row["split"], "size": int(row["size"]),
                            "style": row["style"], "prompt": row["prompt"], "answer": row["answer"],
                            "prediction": tokenizer.decode(span[:A + 1]), "correct": bool(correct),
                            "seen_in_training": bool(row.get("seen_in_training", False))})
        if progress is not None:
            progress.update(len(chunk))
    return records


def accuracy_table(records: list[dict]) -> dict:
    """{(model, task, split): (correct, total)} and per size {(model, task, split, size): ...}."""
    by_split, by_size = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for r in records:
        for table, key in ((by_split, (r["model"], r["task"], r["split"])), (by_size, (r["model"], r["task"], r["split"], r["size"]))):
            table[key][0] += int(r["correct"])
            table[key][1] += 1
    return {"split": {k: tuple(v) for k, v in by_split.items()}, "size": {k: tuple(v) for k, v in by_size.items()}}


def format_table(records: list[dict]) -> str:
    """Markdown: one row per (task, split), one column per model, exact match % (n); then how
    many of the evaluated rows were seen in training (the same prompt in the train split)."""
    acc = accuracy_table(records)["split"]
    models = list(dict.fromkeys(r["model"] for r in records))
    order = ["train", "test_iid", "test_ood", "test_wording"]
    keys = sorted({(t, s) for _, t, s in acc}, key=lambda k: (k[0], order.index(k[1]) if k[1] in order else 9, k[1]))
    lines = ["| task | split | " + " | ".join(models) + " |", "|---|---|" + "---:|" * len(models)]
    for task, split in keys:
        cells = []
        for m in models:
            c, n = acc.get((m, task, split), (0, 0))
            cells.append(f"{100 * c / n:.1f} % ({n})" if n else "–")
        lines.append(f"| {task} | {split} | " + " | ".join(cells) + " |")
    rows = {(r["task"], r["split"], r["prompt"]): r.get("seen_in_training", False) for r in records}
    if rows:
        lines += ["", f"Evaluated rows seen in training (their prompt is a training prompt): {sum(rows.values())} of {len(rows)}."]
    return "\n".join(lines)


def plot_accuracy_by_size(records: list[dict], path, title: str = "exact match by size") -> Path:
    """One panel per task: accuracy against size, one line per model; OOD sizes shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acc = accuracy_table(records)["size"]
    tasks = list(dict.fromkeys(r["task"] for r in records))
    models = list(dict.fromkeys(r["model"] for r in records))
    ood_sizes = defaultdict(set)
    for r in records:
        if r["split"] == "test_ood":
            ood_sizes[r["task"]].add(r["size"])
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for m in models:
            sizes = sorted({k[3] for k in acc if k[0] == m and k[1] == task and k[2] != "train"})
            ys = []
            for s in sizes:
                c = sum(v[0] for k, v in acc.items() if k[0] == m and k[1] == task and k[3] == s and k[2] != "train")
                n = sum(v[1] for k, v in acc.items() if k[0] == m and k[1] == task and k[3] == s and k[2] != "train")
                ys.append(100 * c / n)
            ax.plot(sizes, ys, marker="o", label=m)
        if ood_sizes[task]:
            ax.axvspan(min(ood_sizes[task]) - 0.5, max(ood_sizes[task]) + 0.5, color="0.9", zorder=0, label="OOD sizes")
        ax.set_title(task)
        ax.set_xlabel("size")
        ax.set_ylim(-3, 103)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("exact match (%)")
    axes[0][-1].legend(fontsize=8, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


RESULT_FILES = ("predictions.jsonl", "accuracy.json", "table.md", "accuracy_by_size.png")  # written by write_results


def write_results(records: list[dict], out_dir, title: str = "exact match by size") -> str:
    """predictions.jsonl, accuracy.json, table.md and accuracy_by_size.png under out_dir, replacing
    the previous four together (other files in out_dir are kept); returns the table."""
    from nclib.util.atomic import atomic_directory

    acc = accuracy_table(records)
    table = format_table(records)
    with atomic_directory(out_dir, keep=lambda name: name not in RESULT_FILES) as out:
        with open(out / "predictions.jsonl", "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
        (out / "accuracy.json").write_text(json.dumps(
            [{"model": m, "task": t, "split": s, "correct": c, "total": n, "accuracy": c / n} for (m, t, s), (c, n) in acc["split"].items()],
            indent=1))
        (out / "table.md").write_text(table + "\n")
        plot_accuracy_by_size(records, out / "accuracy_by_size.png", title)
    return table


def sample_rows(dataset_dict, splits, n: int, seed: int = 0) -> list[dict]:
    """The first n rows of each split after a seeded shuffle (the same rows for every model), each
    marked `seen_in_training` when its prompt is also a prompt of the dataset's train split."""
    train = set(dataset_dict["train"]["prompt"]) if "train" in dataset_dict else set()
    rows = []
    for split in splits:
        ds = dataset_dict[split].shuffle(seed=seed)
        rows += [{**row, "seen_in_training": split != "train" and row["prompt"] in train}
                 for row in ds.select(range(min(n, len(ds))))]
    return rows


__all__ = ["accuracy_table", "evaluate_rows", "format_table", "plot_accuracy_by_size", "sample_rows", "write_results"]

"""Complexity sweeps: accuracy against the complexity of each example, one line per model.

Input: a predictions JSONL file (written by ``nclib eval``), one row per example with the keys
`PREDICTION_KEYS` (``model, task, split, size, style, prompt, answer, prediction, correct``).
Graph rows get three complexity measures computed from the prompt (`graph_features`):

* ``rooms``: the number of rooms (graph size);
* ``branching``: the mean degree 2 * doors / rooms, binned to `BRANCHING_BIN` (e.g. "1.0-1.5");
* ``distance``: BFS distance from start to goal in doors, ``"unreachable"`` as its own bin.

Other tasks are swept over their ``size`` column. Every plot point is (accuracy, count n) of one
(model, bin); the markdown table lists both.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nclib.routines.traversal import bfs_distances  # noqa: E402

__all__ = ["PREDICTION_KEYS", "BRANCHING_BIN", "graph_features", "load_predictions", "sweep", "sweep_table",
           "plot_sweep", "write_sweeps"]

PREDICTION_KEYS = ("model", "task", "split", "size", "style", "prompt", "answer", "prediction", "correct")
BRANCHING_BIN = 0.5
SWEEP_FIGSIZE = (7.0, 4.5)
DPI = 80
UNREACHABLE = "unreachable"


def graph_features(prompt: str) -> dict:
    """{"rooms": int, "branching": bin label, "mean_degree": float, "distance": int | "unreachable"}
    of a graph-navigation prompt (ValueError for a prompt that is not one)."""
    from nclib.tasks import parse_graph

    rooms, doors, start, goal = parse_graph(prompt)
    ids = {r: i for i, r in enumerate(rooms)}
    edges = [ids[x] for door in doors for x in door]
    n = len(rooms)
    dist = bfs_distances(edges, n, ids[start])[ids[goal]]
    degree = 2 * len(doors) / n
    lo = math.floor(degree / BRANCHING_BIN) * BRANCHING_BIN
    return {"rooms": n, "mean_degree": degree, "branching": f"{lo:.1f}-{lo + BRANCHING_BIN:.1f}",
            "distance": UNREACHABLE if dist >= n else dist}


def load_predictions(path) -> list[dict]:
    """The rows of a predictions JSONL file; ValueError naming the line and the missing keys."""
    rows = []
    with open(path) as fh:
        for k, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{k}: not JSON ({err.msg})") from None
            missing = [key for key in PREDICTION_KEYS if key not in row]
            if missing:
                raise ValueError(f"{path}:{k}: missing keys {missing} (a predictions row has {list(PREDICTION_KEYS)})")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no prediction rows")
    return rows


def _sort_key(value):
    return (1, 0.0, str(value)) if isinstance(value, str) and not value[:1].isdigit() else (0, float(str(value).split("-")[0]), "")


def sweep(rows: list[dict], task: str, measure: str) -> dict[str, dict]:
    """{model: {bin: (accuracy, n)}} over the rows of one task, bins ordered by value.
    measure: "rooms" / "branching" / "distance" (graph rows) or "size" (any task)."""
    out: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        if row["task"] != task:
            continue
        value = row["size"] if measure == "size" else graph_features(row["prompt"])[measure]
        cell = out[row["model"]][value]
        cell[0] += bool(row["correct"])
        cell[1] += 1
    if not out:
        raise ValueError(f"no rows of task {task!r}")
    return {m: {b: (c / n, n) for b, (c, n) in sorted(bins.items(), key=lambda kv: _sort_key(kv[0]))} for m, bins in sorted(out.items())}


def sweep_table(result: dict[str, dict], measure: str) -> str:
    """A markdown table: one row per bin, per model "accuracy (n)"."""
    models = list(result)
    bins = sorted({b for m in models for b in result[m]}, key=_sort_key)
    lines = [f"| {measure} | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]
    for b in bins:
        cells = [f"{result[m][b][0]:.2f} ({result[m][b][1]})" if b in result[m] else "–" for m in models]
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_sweep(result: dict[str, dict], measure: str, path, title: str = "", figsize=SWEEP_FIGSIZE) -> Path:
    """Accuracy against the measure's bins, one line per model, each point annotated with its n."""
    bins = sorted({b for m in result for b in result[m]}, key=_sort_key)
    x = {b: i for i, b in enumerate(bins)}
    fig, ax = plt.subplots(figsize=figsize)
    for model, cells in result.items():
        xs = [x[b] for b in cells]
        ys = [acc for acc, _ in cells.values()]
        ax.plot(xs, ys, "-o", label=model)
        for xi, (acc, n) in zip(xs, cells.values()):
            ax.annotate(f"n={n}", (xi, acc), textcoords="offset points", xytext=(0, 5), fontsize=6, ha="center")
    ax.set_xticks(range(len(bins)), [str(b) for b in bins], fontsize=8, rotation=30 if len(bins) > 8 else 0)
    ax.set_ylim(-0.05, 1.1)
    ax.set_xlabel({"rooms": "rooms (graph size)", "branching": "mean degree (branching factor)",
                   "distance": "BFS distance start → goal"}.get(measure, measure))
    ax.set_ylabel("accuracy")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def write_sweeps(predictions, out_dir, split: str | None = None) -> dict:
    """For every task in the file (optionally one split): PNG per measure and a markdown file
    `sweeps.md` with the tables. Returns {"figures": [...], "tables": {task/measure: md}}."""
    rows = load_predictions(predictions)
    if split is not None:
        rows = [r for r in rows if r["split"] == split]
        if not rows:
            raise ValueError(f"no rows of split {split!r} in {predictions}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures, tables, md = [], {}, ["# Accuracy against complexity", "", f"Source: `{predictions}`" + (f", split {split}" if split else ""), ""]
    for task in sorted({r["task"] for r in rows}):
        measures = ("rooms", "branching", "distance") if task == "graph" else ("size",)
        for measure in measures:
            result = sweep(rows, task, measure)
            path = plot_sweep(result, measure, out / f"sweep_{task}_{measure}.png", title=f"{task}: accuracy by {measure}")
            figures.append(str(path))
            tables[f"{task}/{measure}"] = sweep_table(result, measure)
            md += [f"## {task}: accuracy by {measure}", "", tables[f"{task}/{measure}"], "", f"![]({path.name})", ""]
    (out / "sweeps.md").write_text("\n".join(md))
    return {"figures": figures, "tables": tables, "markdown": str(out / "sweeps.md")}

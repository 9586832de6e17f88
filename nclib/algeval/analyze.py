"""The analyses behind `nclib analyze`: attention, representations and machine traces of graph
prompts, each written as figures under `out` and returned as a JSON-ready summary
(`write_summary` saves it as ``summary_<name>.json``). The accuracy sweeps are
`nclib.algeval.sweeps.write_sweeps`.

Prompts are given, or read from a task dataset saved with ``build_tasks``, or else built as a
fresh graph dataset (`analysis_prompts`). A value that names nothing (a split, a prompt index, a
routine) raises `UsageError` with one line naming it and the `nclib analyze` option it came from.
"""

from __future__ import annotations

import json
from pathlib import Path

from nclib.errors import UsageError

__all__ = ["analysis_prompts", "attention_summary", "plot_trace_scores", "representations_summary", "trace_summary",
           "write_summary"]


def analysis_prompts(prompts: list[str] | None, dataset=None, split: str = "test_iid", n: int = 40, seed: int = 0) -> list[str]:
    """`prompts` if given, else the first `n` prompts of `split` of the task dataset `dataset`, or
    of a graph dataset built with `seed`."""
    if prompts:
        return list(prompts)
    from nclib.tasks import build_task, load_task

    data = load_task(dataset) if dataset else build_task("graph", n_train=2, n_test=max(n, 1), seed=seed)
    if split not in data:
        raise UsageError(f"--split {split!r}: the dataset has {sorted(data)}")
    rows = data[split]
    return list(rows["prompt"][:n])


def write_summary(out: Path, name: str, summary: dict) -> Path:
    """`summary` as `out`/summary_<name>.json."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"summary_{name}.json"
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return path


def attention_summary(model_spec: str, prompts: list[str], out: Path, index: int = 0, query: str = "goal",
                      keys: list[str] | None = None, layers="all", heads="all", reduce: str = "sum") -> dict:
    """Heatmaps of the attention from `query` to `keys` in prompt `index`, per layer and head
    (`out`/attention.png)."""
    from nclib.algeval.internals import attention_to_words, load_causal_lm, plot_attention

    if not 0 <= index < len(prompts):
        raise UsageError(f"--index {index} is out of range: {len(prompts)} prompts, valid 0..{len(prompts) - 1}")
    model, tok = load_causal_lm(model_spec)
    amap = attention_to_words(model, tok, prompts[index], query, keys, layers, heads, reduce)
    fig = plot_attention(amap, out / "attention.png")
    return {"model": model_spec, "prompt": amap.prompt, **amap.summary(), "figures": [str(fig)],
            "weights": amap.weights.round(5).tolist()}


def representations_summary(model_spec: str, prompts: list[str], out: Path, methods: list[str], colours: list[str],
                            layers=None, words: list[str] | None = None, occurrence: str = "last",
                            trajectory: bool = False, seed: int = 0) -> dict:
    """PCA / t-SNE (`methods`) of word representations per layer, coloured by room or role
    (`colours`), one figure each (`out`/representations_<method>_<colour>.png); `layers` (as
    `word_representations` takes them) defaults to 6 evenly spaced hidden-state layers (0 =
    embeddings)."""
    from nclib.algeval.internals import load_causal_lm, plot_layer_trajectories, plot_projections, word_representations

    model, tok = load_causal_lm(model_spec)
    if layers is None:
        n = model.config.num_hidden_layers + 1
        layers = sorted({round(i * (n - 1) / 5) for i in range(6)})
    reps = word_representations(model, tok, prompts, words, layers, occurrence)
    figures = [str(plot_projections(reps, out / f"representations_{m}_{c}.png", m, c, seed=seed)) for m in methods for c in colours]
    if trajectory:
        figures.append(str(plot_layer_trajectories(reps, out / "representations_trajectory.png", seed=seed)))
    return {"model": model_spec, "prompts": len(prompts), "points": len(reps.words), "layers": reps.layers,
            "occurrence": occurrence, "figures": figures}


def _routine_traces(routine: str, prompts: list[str]) -> list[dict]:
    """The stdlib `routine` run on each prompt's graph, its visit order scored against the candidates."""
    import nclib
    from nclib.algeval.compare import candidate_traces, graph_call, score_against_candidates
    from nclib.algeval.traces import machine_events, visit_order
    from nclib.tasks import parse_graph

    lib = nclib.stdlib()
    if routine not in lib:
        raise UsageError(f"--routine {routine!r} is not in the stdlib ({', '.join(lib.names)})")
    prog = lib[routine]
    calls = []
    for prompt in prompts:
        rooms, doors, start, goal = parse_graph(prompt)
        ids = {r: i for i, r in enumerate(rooms)}
        edges = [ids[x] for d in doors for x in d]
        full = {"edges": edges, "n": len(rooms), "start": ids[start], "goal": ids[goal]}
        calls.append(tuple(full[p] for p in prog.params))
    per = []
    for call, events in zip(calls, machine_events(prog, calls)):
        edges, n, start, goal = graph_call(prog.name, list(call))
        machine = visit_order(events)
        cands = candidate_traces(edges, n, start, goal)
        per.append({"routine": prog.name, "args": list(call), "machine": machine, "candidates": cands,
                    "scores": score_against_candidates(machine, cands)})
    return per


def trace_summary(prompts: list[str], out: Path, model_spec: str | None = None, routine: str = "reachable") -> dict:
    """The machine's visit order against BFS / DFS / Dijkstra (`out`/traces.png): the calls the
    NCLlama `model_spec` makes on the prompts, or else the stdlib `routine` run on their graphs."""
    from nclib.algeval.compare import aggregate, model_graph_traces

    if model_spec:
        from nclib.algeval.internals import load_causal_lm

        model, tok = load_causal_lm(model_spec)
        per = model_graph_traces(model, tok, prompts)
        source = f"model {model_spec}"
    else:
        per = _routine_traces(routine, prompts)
        source = f"stdlib routine {routine}"
    agg = aggregate([p["scores"] if p else None for p in per])
    fig = plot_trace_scores(agg, out / "traces.png", source)
    return {"source": source, "prompts": len(prompts), "calls": sum(p is not None for p in per), "aggregate": agg,
            "figures": [str(fig)], "examples": per[:20]}


def plot_trace_scores(agg: dict, path: Path, source: str) -> Path:
    """A bar chart of the aggregated trace scores, one group of bars per candidate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    keys = ["edit_similarity", "step_agreement", "prefix_ratio", "exact", "best"]
    names = list(agg)
    fig, ax = plt.subplots(figsize=(7.0, 4.5))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        ax.bar(np.arange(len(keys)) + i * width, [agg[name].get(k, 0.0) for k in keys], width, label=name)
    ax.set_xticks(np.arange(len(keys)) + width * (len(names) - 1) / 2, keys, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("mean over examples")
    n = next(iter(agg.values()))["n"] if agg else 0
    ax.set_title(f"machine visit order vs candidates ({source}, {n} calls)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path

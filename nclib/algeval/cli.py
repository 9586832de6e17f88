"""`nclib analyze`: attention, representations, traces and complexity sweeps as PNG + JSON.

Wiring into the main parser (nclib/cli.py)::

    from nclib.algeval.cli import add_analyze_parser, run_analyze
    add_analyze_parser(subparsers)          # registers `analyze` with func=run_analyze

Every subcommand writes its figures and a ``summary_<subcommand>.json`` into ``--out``.
Prompts come from ``--prompt`` (repeatable), or a task dataset saved with ``build_tasks``
(``--dataset DIR --split test_iid``), or else a freshly built graph dataset (``--n``, ``--seed``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nclib.errors import UsageError

__all__ = ["add_analyze_parser", "run_analyze"]


def _int_at_least(minimum: int):
    from nclib.cli import int_at_least

    return int_at_least(minimum)


def _common(p: argparse.ArgumentParser, model_required: bool = True) -> None:
    p.add_argument("--out", default="results/algeval", help="output directory (default: %(default)s)")
    p.add_argument("--prompt", action="append", default=None, help="a prompt (repeatable); default: graph prompts from --dataset or a built dataset")
    p.add_argument("--dataset", default=None, help="a task dataset directory (nclib.tasks.build_tasks output for one task)")
    p.add_argument("--split", default="test_iid", help="dataset split (default: %(default)s)")
    p.add_argument("--n", type=_int_at_least(1), default=40, help="number of prompts from the dataset (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the built graph dataset and of t-SNE (default: %(default)s)")


def add_analyze_parser(subparsers) -> argparse.ArgumentParser:
    """Register `analyze` and its subcommands on an argparse subparsers object."""
    analyze = subparsers.add_parser("analyze", help="algorithmic evaluation: attention, representations, traces, sweeps",
                                    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = analyze.add_subparsers(dest="analyze_command", required=True)

    att = sub.add_parser("attention", help="heatmaps of the attention from one token to chosen tokens, per layer and head")
    att.add_argument("--model", required=True, help="'smollm2' or a local model directory (LLaMA, NCLlama, ...)")
    _common(att)
    att.add_argument("--index", type=_int_at_least(0), default=0, help="which prompt (default: %(default)s)")
    att.add_argument("--query", default="goal", help="query word; 'goal' / 'start' for a graph prompt (default: %(default)s)")
    att.add_argument("--keys", default=None, help="comma-separated key words (default: the graph's rooms)")
    att.add_argument("--layers", default="all", help="'all' or comma-separated layer indices, negative from the end")
    att.add_argument("--heads", default="all", help="'all' or comma-separated head indices")
    att.add_argument("--reduce", choices=("sum", "max"), default="sum", help="over a key's occurrences (default: %(default)s)")

    rep = sub.add_parser("representations", help="PCA / t-SNE of word representations per layer, coloured by room or role")
    rep.add_argument("--model", required=True, help="'smollm2' or a local model directory")
    _common(rep)
    rep.add_argument("--layers", default=None, help="hidden-state layers (0 = embeddings); default: 6 evenly spaced")
    rep.add_argument("--words", default=None, help="comma-separated words (default: each prompt's rooms)")
    rep.add_argument("--method", default="pca,tsne", help="comma-separated: pca, tsne (default: %(default)s)")
    rep.add_argument("--color-by", default="room,role", help="comma-separated: room, role (default: %(default)s)")
    rep.add_argument("--occurrence", choices=("last", "first", "mean"), default="last", help="which occurrence of a word")
    rep.add_argument("--trajectory", action="store_true", help="also the slides' joint t-SNE of one prompt's rooms over layers")

    tr = sub.add_parser("traces", help="the machine's visit order against BFS / DFS / Dijkstra")
    tr.add_argument("--model", default=None, help="an NCLlama directory: score the calls it makes (needs nc_args); "
                                                 "default: run the library routine on the prompts' graphs")
    tr.add_argument("--routine", default="reachable", help="library routine without --model (default: %(default)s)")
    _common(tr)

    sw = sub.add_parser("sweep", help="accuracy against graph size, branching factor and distance-to-goal")
    sw.add_argument("--predictions", required=True, help="predictions JSONL written by `nclib eval`")
    sw.add_argument("--out", default="results/algeval", help="output directory (default: %(default)s)")
    sw.add_argument("--split", default=None, help="only this split (default: all rows)")

    analyze.set_defaults(func=run_analyze)
    return analyze


def _prompts(args) -> list[str]:
    if args.prompt:
        return list(args.prompt)
    from nclib.tasks import build_task, load_task

    data = load_task(args.dataset) if args.dataset else build_task("graph", n_train=2, n_test=max(args.n, 1), seed=args.seed)
    if args.split not in data:
        raise UsageError(f"--split {args.split!r}: the dataset has {sorted(data)}")
    rows = data[args.split]
    return list(rows["prompt"][:args.n])


def _write_summary(out: Path, name: str, summary: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"summary_{name}.json"
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return path


def _attention(args, out: Path) -> dict:
    from nclib.algeval.internals import attention_to_words, load_causal_lm, plot_attention

    prompts = _prompts(args)
    if not 0 <= args.index < len(prompts):
        raise UsageError(f"--index {args.index} is out of range: {len(prompts)} prompts, valid 0..{len(prompts) - 1}")
    model, tok = load_causal_lm(args.model)
    keys = [k.strip() for k in args.keys.split(",")] if args.keys else None
    amap = attention_to_words(model, tok, prompts[args.index], args.query, keys, args.layers, args.heads, args.reduce)
    fig = plot_attention(amap, out / "attention.png")
    return {"model": args.model, "prompt": amap.prompt, **amap.summary(), "figures": [str(fig)],
            "weights": amap.weights.round(5).tolist()}


def _representations(args, out: Path) -> dict:
    from nclib.algeval.internals import load_causal_lm, plot_layer_trajectories, plot_projections, word_representations

    methods = [m.strip() for m in args.method.split(",") if m.strip()]
    colours = [c.strip() for c in args.color_by.split(",") if c.strip()]
    for m in methods:
        if m not in ("pca", "tsne"):
            raise UsageError(f"--method {m!r}: choose from pca, tsne")
    for c in colours:
        if c not in ("room", "role"):
            raise UsageError(f"--color-by {c!r}: choose from room, role")
    prompts = _prompts(args)
    model, tok = load_causal_lm(args.model)
    layers = args.layers
    if layers is None:
        n = model.config.num_hidden_layers + 1
        layers = sorted({round(i * (n - 1) / 5) for i in range(6)})
    words = [w.strip() for w in args.words.split(",")] if args.words else None
    reps = word_representations(model, tok, prompts, words, layers, args.occurrence)
    figures = [str(plot_projections(reps, out / f"representations_{m}_{c}.png", m, c, seed=args.seed)) for m in methods for c in colours]
    if args.trajectory:
        figures.append(str(plot_layer_trajectories(reps, out / "representations_trajectory.png", seed=args.seed)))
    return {"model": args.model, "prompts": len(prompts), "points": len(reps.words), "layers": reps.layers,
            "occurrence": args.occurrence, "figures": figures}


def _traces(args, out: Path) -> dict:
    from nclib.algeval.compare import aggregate, candidate_traces, graph_call, model_graph_traces, score_against_candidates

    prompts = _prompts(args)
    if args.model:
        from nclib.algeval.internals import load_causal_lm

        model, tok = load_causal_lm(args.model)
        per = model_graph_traces(model, tok, prompts)
        source = f"model {args.model}"
    else:
        import nclib
        from nclib.algeval.traces import machine_events, visit_order
        from nclib.tasks import parse_graph

        lib = nclib.stdlib()
        if args.routine not in lib:
            raise UsageError(f"--routine {args.routine!r} is not in the stdlib ({', '.join(lib.names)})")
        prog = lib[args.routine]
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
        source = f"stdlib routine {args.routine}"
    agg = aggregate([p["scores"] if p else None for p in per])
    fig = _plot_trace_scores(agg, out / "traces.png", source)
    return {"source": source, "prompts": len(prompts), "calls": sum(p is not None for p in per), "aggregate": agg,
            "figures": [str(fig)], "examples": per[:20]}


def _plot_trace_scores(agg: dict, path: Path, source: str) -> Path:
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


def _check_paths(args) -> None:
    """Input paths named on the command line must exist (a usage error otherwise)."""
    model = getattr(args, "model", None)
    if model and model != "smollm2" and not Path(model).is_dir():
        raise UsageError(f"--model {model!r} is neither 'smollm2' nor a local model directory")
    for option, kind in (("dataset", "directory"), ("predictions", "file")):
        value = getattr(args, option, None)
        if value is not None and not Path(value).exists():
            raise UsageError(f"--{option} {value!r}: no such {kind}")


def run_analyze(args) -> int:
    """Run one `nclib analyze` subcommand; prints where the summary went. Returns 0."""
    import torch

    _check_paths(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = args.analyze_command
    with torch.no_grad():  # scoped: the CLI also runs in-process (tests), grad mode must come back
        if name == "sweep":
            from nclib.algeval.sweeps import write_sweeps

            summary = write_sweeps(args.predictions, out, args.split)
        else:
            summary = {"attention": _attention, "representations": _representations, "traces": _traces}[name](args, out)
    path = _write_summary(out, name, summary)
    print(f"analyze {name}: {len(summary.get('figures', []))} figure(s), summary {path}")
    return 0

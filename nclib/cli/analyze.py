"""`nclib analyze attention|representations|traces|sweep`: attention, representations, traces and
complexity sweeps as PNG + JSON (nclib.algeval.analyze, nclib.algeval.sweeps).

Every subcommand writes its figures and a ``summary_<subcommand>.json`` into ``--out``.
Prompts come from ``--prompt`` (repeatable), or a task dataset saved with ``build_tasks``
(``--dataset DIR --split test_iid``), or else a freshly built graph dataset (``--n``, ``--seed``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nclib.cli.parser import NATURAL, POSITIVE
from nclib.errors import UsageError

__all__ = ["add_parser", "run"]

DESCRIPTION = """`nclib analyze`: attention, representations, traces and complexity sweeps as PNG + JSON.

Every subcommand writes its figures and a ``summary_<subcommand>.json`` into ``--out``.
Prompts come from ``--prompt`` (repeatable), or a task dataset saved with ``build_tasks``
(``--dataset DIR --split test_iid``), or else a freshly built graph dataset (``--n``, ``--seed``).
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="results/algeval", help="output directory (default: %(default)s)")
    p.add_argument("--prompt", action="append", default=None, help="a prompt (repeatable); default: graph prompts from --dataset or a built dataset")
    p.add_argument("--dataset", default=None, help="a task dataset directory (nclib.tasks.build_tasks output for one task)")
    p.add_argument("--split", default="test_iid", help="dataset split (default: %(default)s)")
    p.add_argument("--n", type=POSITIVE, default=40, help="number of prompts from the dataset (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the built graph dataset and of t-SNE (default: %(default)s)")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `analyze` and its subcommands on an argparse subparsers object."""
    analyze = subparsers.add_parser("analyze", help="algorithmic evaluation: attention, representations, traces, sweeps",
                                    description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = analyze.add_subparsers(dest="analyze_command", required=True)

    att = sub.add_parser("attention", help="heatmaps of the attention from one token to chosen tokens, per layer and head")
    att.add_argument("--model", required=True, help="'smollm2' or a local model directory (LLaMA, NCLlama, ...)")
    _common(att)
    att.add_argument("--index", type=NATURAL, default=0, help="which prompt (default: %(default)s)")
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

    analyze.set_defaults(func=run)
    return analyze


def _check_paths(args) -> None:
    """Input paths named on the command line must exist (a usage error otherwise)."""
    model = getattr(args, "model", None)
    if model and model != "smollm2" and not Path(model).is_dir():
        raise UsageError(f"--model {model!r} is neither 'smollm2' nor a local model directory")
    for option, kind in (("dataset", "directory"), ("predictions", "file")):
        value = getattr(args, option, None)
        if value is not None and not Path(value).exists():
            raise UsageError(f"--{option} {value!r}: no such {kind}")


def _choices(text: str, option: str, allowed: tuple[str, ...]) -> list[str]:
    """A comma-separated option value -> its items, each one of `allowed`."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        if item not in allowed:
            raise UsageError(f"{option} {item!r}: choose from {', '.join(allowed)}")
    return items


def _words(text: str | None) -> list[str] | None:
    return [w.strip() for w in text.split(",")] if text else None


def _summary(args, out: Path) -> dict:
    from nclib.algeval import analyze

    name = args.analyze_command
    if name == "sweep":
        from nclib.algeval.sweeps import write_sweeps

        return write_sweeps(args.predictions, out, args.split)
    if name == "representations":
        methods = _choices(args.method, "--method", ("pca", "tsne"))
        colours = _choices(args.color_by, "--color-by", ("room", "role"))
    prompts = analyze.analysis_prompts(args.prompt, args.dataset, args.split, args.n, args.seed)
    if name == "attention":
        return analyze.attention_summary(args.model, prompts, out, args.index, args.query, _words(args.keys),
                                         args.layers, args.heads, args.reduce)
    if name == "representations":
        return analyze.representations_summary(args.model, prompts, out, methods, colours, args.layers,
                                               _words(args.words), args.occurrence, args.trajectory, args.seed)
    return analyze.trace_summary(prompts, out, args.model, args.routine)


def run(args) -> int:
    """Run one `nclib analyze` subcommand; prints where the summary went. Returns 0."""
    import torch

    from nclib.algeval.analyze import write_summary

    _check_paths(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():  # scoped: the CLI also runs in-process (tests), grad mode must come back
        summary = _summary(args, out)
    path = write_summary(out, args.analyze_command, summary)
    print(f"analyze {args.analyze_command}: {len(summary.get('figures', []))} figure(s), summary {path}")
    return 0

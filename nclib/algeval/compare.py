"""Score a visit order against candidate algorithms (BFS, DFS, Dijkstra), per example and in
aggregate, and read the traces of an augmented model's routine calls.

Scores of a trace `a` (the machine's) against a candidate `b`, all in [0, 1], 1.0 iff equal:

* ``edit_similarity``: 1 - Levenshtein(a, b) / max(len(a), len(b));
* ``step_agreement``: the fraction of the max(len(a), len(b)) steps at which both visit the same
  node (a step only one of them has counts as a disagreement);
* ``prefix_ratio``: the longest common prefix / max(len(a), len(b)) (how long they stay in step);
* ``exact``: 1.0 if a == b else 0.0.
"""

from __future__ import annotations

from collections import defaultdict

import torch

from nclib.errors import NclibError
from nclib.algeval.traces import machine_events, visit_order
from nclib.routines.traversal import bfs_distances, bfs_order, dfs_order

__all__ = ["SCORES", "edit_distance", "edit_similarity", "step_agreement", "prefix_ratio", "score_traces",
           "candidate_traces", "score_against_candidates", "aggregate", "graph_call", "model_graph_traces"]

SCORES = ("edit_similarity", "step_agreement", "prefix_ratio", "exact")


def edit_distance(a: list, b: list) -> int:
    """Levenshtein distance (insert, delete, substitute; each costs 1)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def edit_similarity(a: list, b: list) -> float:
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - edit_distance(a, b) / longest


def step_agreement(a: list, b: list) -> float:
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else sum(x == y for x, y in zip(a, b)) / longest


def prefix_ratio(a: list, b: list) -> float:
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return k / longest


def score_traces(a: list, b: list) -> dict[str, float]:
    """All of `SCORES` for trace a against trace b."""
    return {"edit_similarity": edit_similarity(a, b), "step_agreement": step_agreement(a, b),
            "prefix_ratio": prefix_ratio(a, b), "exact": float(list(a) == list(b))}


def candidate_traces(edges: list[int], n: int, start: int, goal: int | None = None) -> dict[str, list[int]]:
    """Visit orders of the candidate algorithms on one graph (nodes 0..n-1):

    ``bfs``: breadth-first (`bfs_order`); ``dfs``: depth-first preorder (`dfs_order`);
    ``dijkstra``: unit-weight Dijkstra with a (distance, node id) priority queue, i.e. the
    reachable nodes sorted by BFS distance, ties by id (BFS breaks ties by discovery order).
    With a goal, each order stops at the goal (inclusive), as a search for the goal would."""
    dist = bfs_distances(edges, n, start)
    orders = {"bfs": bfs_order(edges, n, start), "dfs": dfs_order(edges, n, start),
              "dijkstra": sorted((v for v in range(n) if dist[v] < n), key=lambda v: (dist[v], v))}
    if goal is not None:
        orders = {k: o[:o.index(goal) + 1] if goal in o else o for k, o in orders.items()}
    return orders


def score_against_candidates(machine_trace: list[int], candidates: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    """{candidate name: score_traces(machine_trace, candidate)}."""
    return {name: score_traces(machine_trace, trace) for name, trace in candidates.items()}


def aggregate(per_example: list[dict[str, dict[str, float]] | None]) -> dict[str, dict[str, float]]:
    """Mean of every score per candidate over the examples (None entries, e.g. examples where
    the model made no call, are skipped), plus ``best``: the share of examples where the
    candidate has the highest edit similarity (ties count for each), and ``n``."""
    rows = [r for r in per_example if r]
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        top = max(s["edit_similarity"] for s in row.values())
        for name, scores in row.items():
            for key, value in scores.items():
                sums[name][key] += value
            sums[name]["best"] += float(scores["edit_similarity"] == top)
    return {name: {**{k: v / len(rows) for k, v in s.items()}, "n": len(rows)} for name, s in sums.items()}


def graph_call(routine: str, args: list) -> tuple[list[int], int, int, int | None]:
    """(edges, n, start, goal or None) of a graph routine's Python arguments: the stdlib
    signatures `f(edges, n, start[, goal])` and `reachable(edges, start, goal)` (whose node
    count is the largest id + 1, as the routine computes it)."""
    if routine == "reachable":
        edges, start, goal = args
        return list(edges), max([start, goal] + list(edges)) + 1, int(start), int(goal)
    if len(args) == 4:
        edges, n, start, goal = args
        return list(edges), int(n), int(start), int(goal)
    if len(args) == 3:
        edges, n, start = args
        return list(edges), int(n), int(start), None
    raise ValueError(f"{routine}: expected graph arguments (edges, n, start[, goal]), got {args!r}")


def model_graph_traces(model, tokenizer, prompts: list[str], nc_call=None, specs=None) -> list[dict | None]:
    """Run an augmented model (NCLlamaForCausalLM) forward on graph prompts, take the arguments
    its reasoning module passed to the routine (``NCLlamaOutput.nc_args``: per example a list
    of Python argument values, or None where it made no call) and re-run on them the machine
    (hard mode, traced) and the candidate algorithms.

    nc_call: optional teacher-forced call passed to the forward (e.g. from
    ``model.reasoning.make_call``). Returns per prompt None (no call, or a routine without a
    trace spec) or a dict with ``routine``, ``args``, ``events`` (the machine's), ``machine``
    (its visit order), ``candidates`` (name -> visit order) and ``scores``
    (`score_against_candidates`)."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    enc = tokenizer(list(prompts), return_tensors="pt", padding=True)
    device = next(model.parameters()).device
    kwargs = {"nc_call": nc_call} if nc_call is not None else {}
    with torch.no_grad():
        out = model(input_ids=enc.input_ids.to(device), attention_mask=enc.attention_mask.to(device), **kwargs)
    nc_args = getattr(out, "nc_args", None)
    if nc_args is None:
        raise AttributeError("the model output has no nc_args (the arguments its routine calls took); "
                             "this needs an NCLlamaForCausalLM that reports them")
    programs = model.reasoning.library.programs()
    results: list[dict | None] = []
    for b, args in enumerate(nc_args):
        r = int(out.nc_routine[b]) if out.nc_routine is not None else -1
        if args is None or r < 0:
            results.append(None)
            continue
        prog = programs[r]
        try:
            events = machine_events(prog, [tuple(args)], specs)[0]
        except (ValueError, NclibError):  # not a graph search, or arguments the machine rejects
            results.append(None)
            continue
        edges, n, start, goal = graph_call(prog.name, args)
        machine = visit_order(events)
        candidates = candidate_traces(edges, n, start, goal)
        results.append({"routine": prog.name, "args": args, "events": events, "machine": machine,
                        "candidates": candidates, "scores": score_against_candidates(machine, candidates)})
    return results

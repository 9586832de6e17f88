"""Algorithmic evaluation (DESIGN.md §9, the AlgEval slides): candidate-algorithm traces and their
comparison with the machine's execution, attention and representation analysis of any HF causal
LM, and accuracy sweeps over task complexity. One concept per module:

* `traces`: ground-truth event traces from CPython and from the compiled machine;
* `compare`: trace scores against the candidates (BFS, DFS, Dijkstra), the model's call traces;
* `internals`: attention heatmaps and PCA / t-SNE projections of token representations;
* `sweeps`: accuracy against graph size, branching factor and distance-to-goal;
* `cli`: the `nclib analyze` subcommands.

Heavy dependencies (torch, matplotlib, scikit-learn, transformers) load with the module that needs
them; the names below are imported on first access, so building the `nclib` command line (which
imports `nclib.algeval.cli`) loads none of them.
"""

import importlib

_EXPORTS = {"aggregate": "compare", "candidate_traces": "compare", "model_graph_traces": "compare",
            "score_against_candidates": "compare", "score_traces": "compare", "TRACE_SPECS": "traces",
            "TraceSpec": "traces", "machine_events": "traces", "reference_events": "traces", "visit_order": "traces"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nclib.algeval' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"nclib.algeval.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value

"""Algorithmic evaluation (DESIGN.md §9, the AlgEval slides): candidate-algorithm traces and their
comparison with the machine's execution, attention and representation analysis of any HF causal
LM, and accuracy sweeps over task complexity. One concept per module:

* `traces`: ground-truth event traces from CPython and from the compiled machine;
* `compare`: trace scores against the candidates (BFS, DFS, Dijkstra), the model's call traces;
* `internals`: attention heatmaps and PCA / t-SNE projections of token representations;
* `sweeps`: accuracy against graph size, branching factor and distance-to-goal;
* `cli`: the `nclib analyze` subcommands.

Heavy dependencies (matplotlib, scikit-learn, transformers) load with the module that needs them.
"""

from nclib.algeval.compare import (aggregate, candidate_traces, model_graph_traces, score_against_candidates,
                                   score_traces)
from nclib.algeval.traces import TRACE_SPECS, TraceSpec, machine_events, reference_events, visit_order

__all__ = ["TRACE_SPECS", "TraceSpec", "aggregate", "candidate_traces", "machine_events", "model_graph_traces",
           "reference_events", "score_against_candidates", "score_traces", "visit_order"]

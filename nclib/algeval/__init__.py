"""Algorithmic evaluation (docs/design.md §9, the AlgEval slides): candidate-algorithm traces and their
comparison with the machine's execution, attention and representation analysis of any HF causal
LM, and accuracy sweeps over task complexity. One concept per module:

* `traces`: ground-truth event traces from CPython and from the compiled machine;
* `compare`: trace scores against the candidates (BFS, DFS, Dijkstra), the model's call traces;
* `internals`: attention heatmaps and PCA / t-SNE projections of token representations;
* `sweeps`: accuracy against graph size, branching factor and distance-to-goal;
* `analyze`: what the `nclib analyze` subcommands compute (their parser is `nclib/cli/analyze.py`).

Heavy dependencies (torch, matplotlib, scikit-learn, transformers) load with the module that needs
them; the names below are imported on first access, so building the `nclib` command line (which
imports `nclib.cli.analyze`) loads none of them.
"""

from nclib.util.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(globals(), {
    "compare": ("aggregate", "candidate_traces", "model_graph_traces", "score_against_candidates", "score_traces"),
    "traces": ("TRACE_SPECS", "TraceSpec", "machine_events", "reference_events", "visit_order")})

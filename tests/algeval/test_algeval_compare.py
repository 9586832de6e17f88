"""Trace scores: 1.0 for a trace against itself, less for BFS against DFS where they differ."""

import random

import pytest
import torch

from nclib.algeval.compare import (SCORES, aggregate, candidate_traces, edit_distance, edit_similarity, graph_call,
                                   prefix_ratio, score_against_candidates, score_traces, step_agreement)

torch.set_num_threads(1)


def test_edit_distance_by_hand():
    assert edit_distance([], []) == 0
    assert edit_distance([1, 2, 3], [1, 3, 2]) == 2
    assert edit_distance([1, 2, 3], [1, 2]) == 1
    assert edit_distance([0, 1, 2], [5, 6, 7, 8]) == 4
    assert edit_similarity([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.5)
    assert step_agreement([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.5)
    assert prefix_ratio([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.25)
    assert step_agreement([1, 2], [1, 2, 3, 4]) == pytest.approx(0.5)


def test_self_scores_one_and_bfs_dfs_less():
    edges, n, start = [0, 1, 0, 2, 1, 3, 2, 3, 3, 4], 6, 0
    cands = candidate_traces(edges, n, start)
    assert cands["bfs"] != cands["dfs"]
    for trace in cands.values():
        assert score_traces(trace, trace) == {k: 1.0 for k in SCORES}
    bfs_vs = score_against_candidates(cands["bfs"], cands)
    assert bfs_vs["bfs"] == {k: 1.0 for k in SCORES}
    assert all(bfs_vs["dfs"][k] < 1.0 for k in SCORES)
    assert bfs_vs["dfs"]["edit_similarity"] == pytest.approx(1 - 2 / 5)
    assert bfs_vs["dfs"]["prefix_ratio"] == pytest.approx(2 / 5)


def test_scores_stay_in_unit_interval_and_aggregate():
    rng = random.Random(0)
    rows = []
    for _ in range(60):
        n = rng.randint(2, 9)
        edges = [rng.randrange(n) for _ in range(2 * rng.randint(1, 10))]
        cands = candidate_traces(edges, n, 0)
        row = score_against_candidates(cands["bfs"], cands)
        for scores in row.values():
            assert all(0.0 <= v <= 1.0 for v in scores.values())
        rows.append(row)
    agg = aggregate(rows + [None])
    assert agg["bfs"]["edit_similarity"] == 1.0 and agg["bfs"]["best"] == 1.0 and agg["bfs"]["n"] == 60
    assert agg["dfs"]["edit_similarity"] < 1.0


def test_graph_call():
    assert graph_call("reachable", [[0, 3], 0, 1]) == ([0, 3], 4, 0, 1)
    assert graph_call("bfs_order", [[0, 1], 3, 0]) == ([0, 1], 3, 0, None)
    with pytest.raises(ValueError, match="expected graph arguments"):
        graph_call("add", [1, 2])

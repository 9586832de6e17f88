"""Attention heatmaps and representation projections from a tiny random LLaMA: non-empty PNGs of
the expected pixel size, and clear errors for bad tokens, layers and heads."""

import numpy as np
import pytest
import torch
from PIL import Image

from nclib.algeval.internals import (DPI, ATTENTION_FIGSIZE, PROJECTION_FIGSIZE, TRAJECTORY_FIGSIZE, attention_to_words,
                                     graph_words, plot_attention, plot_layer_trajectories, plot_projections, project,
                                     resolve_layers, word_positions, word_representations)

torch.set_num_threads(1)
PROMPT = "Rooms: lobby, A, B, C. Doors: lobby to A, A to B. Can you get to B from lobby?"


def pixels(figsize):
    return (int(figsize[0] * DPI), int(figsize[1] * DPI))


def test_word_positions_whole_words(smol_tok):
    pos = word_positions(smol_tok, PROMPT, "A")
    assert len(pos) == 3  # "A" in the room list and twice in the doors, never inside a word
    tokens = smol_tok.convert_ids_to_tokens(smol_tok(PROMPT)["input_ids"])
    assert all(tokens[p].strip("Ġ ") == "A" for p in pos)
    assert len(word_positions(smol_tok, PROMPT, "lobby")) == 3


def test_graph_words():
    assert graph_words(PROMPT) == (["lobby", "A", "B", "C"], "lobby", "B")
    assert graph_words("The lobby and room Q.") == (["lobby", "Q"], None, None)


def test_attention_png(tiny_lm, smol_tok, tmp_path):
    amap = attention_to_words(tiny_lm, smol_tok, PROMPT, "goal")
    assert amap.weights.shape == (2, 4, 4) and amap.query == "B"
    assert np.all(amap.weights >= 0) and np.all(amap.weights.sum(-1) <= 1 + 1e-5)
    assert amap.weights.min() > 0  # every room occurs before the query (the goal's last occurrence)
    path = plot_attention(amap, tmp_path / "att.png")
    assert path.stat().st_size > 1000
    assert Image.open(path).size == pixels(ATTENTION_FIGSIZE)
    one = attention_to_words(tiny_lm, smol_tok, PROMPT, "B", ["A", "lobby"], layers="-1", heads="0,3", reduce="max")
    assert one.weights.shape == (1, 2, 2) and one.layers == [1] and one.heads == [0, 3]


def test_bad_arguments_name_the_value(tiny_lm, smol_tok):
    with pytest.raises(ValueError, match="token 'Z' does not occur in the prompt"):
        attention_to_words(tiny_lm, smol_tok, PROMPT, "Z")
    with pytest.raises(ValueError, match="token 'W' does not occur"):
        attention_to_words(tiny_lm, smol_tok, PROMPT, "goal", keys=["A", "W"])
    with pytest.raises(ValueError, match=r"layer 5 is out of range: the model has 2 layers, valid indices 0\.\.1"):
        attention_to_words(tiny_lm, smol_tok, PROMPT, layers="0,5")
    with pytest.raises(ValueError, match=r"head 4 is out of range: the model has 4 heads, valid indices 0\.\.3"):
        attention_to_words(tiny_lm, smol_tok, PROMPT, heads=[4])
    with pytest.raises(ValueError, match=r"hidden-state layer 3 is out of range.*0\.\.2"):
        word_representations(tiny_lm, smol_tok, [PROMPT], layers=[3])
    with pytest.raises(ValueError, match="'Q' occur in none of the 1 prompts"):
        word_representations(tiny_lm, smol_tok, [PROMPT], words=["A", "Q"])
    with pytest.raises(ValueError, match="'goal' needs a graph-navigation prompt"):
        attention_to_words(tiny_lm, smol_tok, "lobby and A and B", "goal", keys=["A"])
    with pytest.raises(ValueError, match="expected comma-separated integers"):
        resolve_layers("1,x", 2)


def test_projection_pngs(tiny_lm, smol_tok, graph_prompts, tmp_path):
    reps = word_representations(tiny_lm, smol_tok, graph_prompts[:8])
    assert reps.states.shape[1:] == (3, 32) and reps.layers == [0, 1, 2]
    assert len(reps.words) == reps.states.shape[0] > 30
    assert {"goal", "start"} <= set(reps.roles)
    for method, colour in (("pca", "room"), ("tsne", "role")):
        path = plot_projections(reps, tmp_path / f"{method}.png", method, colour)
        assert path.stat().st_size > 1000 and Image.open(path).size == pixels(PROJECTION_FIGSIZE)
    path = plot_layer_trajectories(reps, tmp_path / "traj.png", method="pca")
    assert Image.open(path).size == pixels(TRAJECTORY_FIGSIZE)
    with pytest.raises(ValueError, match="method must be 'pca' or 'tsne', got 'umap'"):
        project(reps.states[:, 0], "umap")

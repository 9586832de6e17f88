"""`nclib analyze` end to end on a tiny saved model directory, and the augmented model's call traces."""

import argparse
import json

import pytest
import torch
from PIL import Image

import nclib
from nclib.algeval.internals import ATTENTION_FIGSIZE, DPI, PROJECTION_FIGSIZE
from nclib.cli.analyze import add_parser as add_analyze_parser
from nclib.errors import UsageError

torch.set_num_threads(1)


def analyze(*argv):
    parser = argparse.ArgumentParser(prog="nclib")
    add_analyze_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["analyze", *map(str, argv)])
    assert args.func(args) == 0
    return args


@pytest.fixture(scope="module")
def model_dir(tiny_lm, smol_tok, tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny_llama")
    tiny_lm.save_pretrained(d)
    smol_tok.save_pretrained(d)
    return d


def test_attention_command(model_dir, tmp_path):
    analyze("attention", "--model", model_dir, "--n", 4, "--index", 2, "--out", tmp_path)
    summary = json.loads((tmp_path / "summary_attention.json").read_text())
    assert summary["layers"] == [0, 1] and len(summary["weights"]) == 2
    png = tmp_path / "attention.png"
    assert png.stat().st_size > 1000 and Image.open(png).size == (ATTENTION_FIGSIZE[0] * DPI, ATTENTION_FIGSIZE[1] * DPI)


def test_attention_command_bad_layer(model_dir, tmp_path):
    with pytest.raises(ValueError, match="layer 7 is out of range"):
        analyze("attention", "--model", model_dir, "--prompt", "Rooms: lobby, A. Doors: lobby to A. Path from lobby to A?",
                "--layers", 7, "--out", tmp_path)
    with pytest.raises(UsageError, match="neither 'smollm2' nor a local model directory"):
        analyze("attention", "--model", tmp_path / "missing", "--out", tmp_path)


def test_representations_command(model_dir, tmp_path):
    analyze("representations", "--model", model_dir, "--n", 6, "--method", "pca,tsne", "--color-by", "role",
            "--trajectory", "--out", tmp_path)
    summary = json.loads((tmp_path / "summary_representations.json").read_text())
    assert summary["layers"] == [0, 1, 2] and len(summary["figures"]) == 3
    for name in ("representations_pca_role.png", "representations_tsne_role.png"):
        assert Image.open(tmp_path / name).size == (PROJECTION_FIGSIZE[0] * DPI, PROJECTION_FIGSIZE[1] * DPI)
    assert (tmp_path / "representations_trajectory.png").stat().st_size > 1000


@pytest.mark.parametrize("routine,best", [("bfs_order", "bfs"), ("dfs_order", "dfs"), ("reachable", "bfs")])
def test_traces_command_library(routine, best, tmp_path):
    analyze("traces", "--routine", routine, "--n", 12, "--out", tmp_path)
    summary = json.loads((tmp_path / "summary_traces.json").read_text())
    assert summary["calls"] == 12
    assert summary["aggregate"][best]["exact"] == 1.0
    assert Image.open(tmp_path / "traces.png").size == (560, 360)


def test_sweep_command(tmp_path):
    from nclib.tasks import build_task

    data = build_task("graph", n_train=2, n_test=10, seed=1)
    rows = []
    for split in ("test_iid", "test_ood"):
        for k, r in enumerate(data[split]):
            for model in ("plain", "augmented"):
                correct = model == "augmented" or k % 2 == 0
                rows.append({"model": model, "task": "graph", "split": split, "size": r["size"], "style": r["style"],
                             "prompt": r["prompt"], "answer": r["answer"],
                             "prediction": r["answer"] if correct else " Maybe", "correct": correct})
    rows.append({"model": "plain", "task": "sort", "split": "test_iid", "size": 4, "style": "terse", "prompt": "sort 3 1",
                 "answer": "1, 3", "prediction": "1, 3", "correct": True})
    pred = tmp_path / "pred.jsonl"
    pred.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    analyze("sweep", "--predictions", pred, "--out", tmp_path / "out")
    out = tmp_path / "out"
    for name in ("sweep_graph_rooms.png", "sweep_graph_branching.png", "sweep_graph_distance.png", "sweep_sort_size.png"):
        assert Image.open(out / name).size == (560, 360)
    md = (out / "sweeps.md").read_text()
    assert "| rooms | augmented | plain |" in md and "1.00 (10)" in md
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"model": "m"}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: missing keys \['task'"):
        analyze("sweep", "--predictions", bad, "--out", tmp_path / "out2")


def test_model_graph_traces_teacher_forced(smol_tok):
    from transformers import LlamaConfig, LlamaForCausalLM

    from nclib.algeval.compare import model_graph_traces
    from nclib.model import NCLlamaForCausalLM
    from nclib.tasks import ROOM_NAMES, build_task

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(smol_tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=8, tie_word_embeddings=True)
    model = NCLlamaForCausalLM.from_base(LlamaForCausalLM(cfg), library=[nclib.stdlib()["reachable"]], tokenizer=smol_tok,
                                         symbols=[" " + r for r in ROOM_NAMES], labels={"reachable": [" No", " Yes"]},
                                         nc_machine_mode="hard").eval()  # the soft machine at V=256 is slow on CPU
    rows = build_task("graph", n_train=2, n_test=4, seed=0)["test_iid"]
    prompts, args = list(rows["prompt"]), list(rows["args"])
    if smol_tok.pad_token is None:
        smol_tok.pad_token = smol_tok.eos_token
    enc = smol_tok(prompts, return_tensors="pt", padding=True)
    call = model.reasoning.make_call(enc.input_ids, ["reachable"] * len(prompts), args, attention_mask=enc.attention_mask)
    with torch.no_grad():
        out = model(input_ids=enc.input_ids, attention_mask=enc.attention_mask, nc_call=call)
    assert len(out.nc_args) == len(prompts)  # the forced call ran on every example
    results = model_graph_traces(model, smol_tok, prompts, nc_call=call)
    from nclib.tasks import prompt_values

    for prompt, idx, res, ran_on in zip(prompts, args, results, out.nc_args):
        values = prompt_values(prompt)
        ids = [[ROOM_NAMES.index(values[i]) for i in arg] for arg in idx]
        assert ran_on == [ids[0], ids[1][0], ids[2][0]], (prompt, ran_on)
        assert res["routine"] == "reachable"
        assert res["args"] == [ids[0], ids[1][0], ids[2][0]]
        assert res["scores"]["bfs"]["exact"] == 1.0  # reachable searches breadth-first and stops at the goal
        assert res["machine"][0] == ids[1][0]

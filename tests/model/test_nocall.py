"""Symbols belong to the routines that use them; the no-call check counts where the router fires."""

import torch

import nclib
from nclib.model import NCLlamaForCausalLM
from nclib.evals.nocall import format_no_call, no_call_records, no_call_summary

from ncllama_testing import encode

SYMBOLS = [" lobby", " A", " B", " F"]


def test_symbols_are_candidates_only_for_their_routines(tiny_base, llama_tok):
    lib = nclib.stdlib(values=(0, 128), memory=112)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=[lib["add"], lib["reachable"]], tokenizer=llama_tok,
                                         nc_machine_mode="hard", symbols=SYMBOLS, symbol_routines=["reachable"]).eval()
    assert [r.get("symbols") for r in model.config.nc_routines] == [False, True]
    ids, _ = encode(llama_tok, ["From F add 9 and 4:"])
    value, is_end, overflow = model.reasoning.vocab.read_numbers(ids)
    add, reach = model.config.nc_routines
    for spec, want in ((add, [9, 4]), (reach, [3, 9, 4])):
        cand = model.reasoning._candidates(spec, value, is_end, overflow, ids)
        assert value[cand].tolist() == want, spec["name"]
    # without symbol_routines every routine reads symbols (models saved before the flag behave the same)
    every = NCLlamaForCausalLM.from_base(tiny_base, library=[lib["add"]], tokenizer=llama_tok, symbols=SYMBOLS)
    assert every.config.nc_routines[0]["symbols"] is True


def test_no_call_check_counts_router_firings(tiny_base, llama_tok):
    lib = nclib.stdlib(values=(0, 128), memory=112)
    torch.manual_seed(1)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=[lib["add"]], tokenizer=llama_tok, nc_machine_mode="hard").eval()
    passages = ["The meeting moved from 3 to 5 in the afternoon.", "Nothing here has a number at all."]
    quiet = no_call_records(model, llama_tok, passages, "closed")
    assert [r["fired"] for r in quiet] == [False, False]
    with torch.no_grad():  # open the router: "add" wins at every position
        model.reasoning.router.proj.bias.copy_(torch.tensor([-5.0, 5.0]))
    loud = no_call_records(model, llama_tok, passages, "open")
    assert [r["fired"] for r in loud] == [True, True]
    plain = no_call_records(tiny_base, llama_tok, passages, "plain")
    assert [r["fired"] for r in plain] == [False, False]
    # the closed module leaves the backbone's loss bit-identical
    assert [r["loss"] for r in quiet] == [r["loss"] for r in plain]
    summary = no_call_summary(quiet + loud + plain, reference="plain")
    assert summary["open"]["false_call_rate"] == 1.0 and summary["closed"]["false_call_rate"] == 0.0
    assert summary["closed"]["loss_change"] == 0.0
    assert "| open | 2 | 100.0 % |" in format_no_call(summary)


def test_eval_cli_reports_the_no_call_split(tmp_path, capsys):
    """`nclib eval --no-call N` adds N held-out ordinary passages per model: nocall.md/json next to
    the task table, losses relative to the reference model; duplicate model names are refused."""
    import json

    import pytest

    from nclib.cli import main

    out = tmp_path / "eval"
    args = ["eval", "--model", "a=tiny", "--model", "b=tiny", "--tasks", "add", "--data", str(tmp_path / "data"),
            "--n", "2", "--n-train", "8", "--n-test", "4", "--no-call", "3", "--no-call-reference", "a", "--out", str(out)]
    main(args)
    summary = json.loads((out / "nocall.json").read_text())
    assert set(summary) == {"a", "b"} and summary["a"]["passages"] == 3
    assert summary["b"]["false_call_rate"] == 0.0 and summary["b"]["loss_change"] == 0.0  # the same plain model
    assert "| add | test_wording |" in (out / "table.md").read_text()
    for bad, words in [(["eval", "--model", "a=tiny", "--model", "a=tiny", "--tasks", "add", "--data", str(tmp_path / "data")],
                        "distinct"), (args[:-4] + ["--out", str(out)], "no-call-reference")]:
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert exc.value.code == 2  # a usage error: one line on stderr naming the problem
        assert words in capsys.readouterr().err

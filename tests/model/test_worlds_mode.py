"""Worlds machine mode in the model: the answer loss alone trains the module (issue: answers-only)."""

from importlib import resources

import pytest
import torch

import nclib
from nclib.model import CallStatus, NCCall, NCLlamaForCausalLM
from nclib.tasks import build_task
from nclib.tasks.task_model import collate, encode_rows

from ncllama_testing import encode


def _sort_library():
    src = (resources.files("nclib.routines") / "sorting.py").read_text()
    return [nclib.compile(src, entry="insertion_sort", values=(0, 128), memory=64)]


def test_forced_arguments_run_one_exact_world(tiny_base, library, llama_tok):
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    outs = {}
    for mode in ("hard", "worlds"):
        torch.manual_seed(1)
        model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok, nc_machine_mode=mode).eval()
        call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]])
        with torch.no_grad():
            outs[mode] = model(ids, attention_mask=mask, nc_call=call, use_cache=True)
    hard, worlds = outs["hard"], outs["worlds"]
    assert hard.nc_status.tolist() == worlds.nc_status.tolist() == [CallStatus.CALLED]
    assert hard.nc_args == worlds.nc_args == [[12, 34]]
    assert model.reasoning.written_ids(worlds.nc_state, 0) == model.reasoning.written_ids(hard.nc_state, 0)
    assert float(worlds.nc_state.world_mass.sum()) == 1.0


def test_router_chooses_among_routines_and_masses_are_probabilities(tiny_base, library, llama_tok):
    torch.manual_seed(1)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok, nc_machine_mode="worlds",
                                         nc_worlds_top_k=4, nc_router_no_call_bias=0.0).eval()
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:", "Sort 5, 3, 9, 1 ->"])
    trigger = mask.sum(1) - 1
    with torch.no_grad():
        out = model(ids, attention_mask=mask, nc_call=NCCall(trigger=trigger), use_cache=True)
    mass = out.nc_state.world_mass
    assert mass.shape == (2, 4 * len(library))
    # router with zero weights and no bias: each routine gets 1 / (R + 1); the enumerated worlds of
    # a routine carry at most that much
    R = len(library)
    for r in range(R):
        assert float(mass[:, 4 * r:4 * r + 4].sum(1).max()) <= 1 / (R + 1) + 1e-6
    assert bool((mass >= 0).all()) and float(mass.sum(1).max()) <= 1 + 1e-6


def test_answer_loss_alone_raises_the_readers_probability_of_the_right_arguments(tiny_base, llama_tok):
    """A tiny model trained for a few steps on (prompt, answer) rows only: the probability the reader
    gives the correct list (every number of the prompt's list, nothing else) rises. The argument
    positions are used only to measure, never in training."""
    torch.manual_seed(0)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=_sort_library(), tokenizer=llama_tok, nc_machine_mode="worlds",
                                         nc_worlds_top_k=8, nc_max_list_len=16, nc_max_answer_tokens=48)
    rows = list(build_task("sort", n_train=48, n_test=4, seed=3)["train"])
    train, held = rows[:40], rows[40:]
    pad = llama_tok.eos_token_id

    def batch(chunk):
        enc = encode_rows([{"prompt": r["prompt"], "answer": r["answer"]} for r in chunk], llama_tok)  # no labels
        b = collate(enc, pad)
        return b, NCCall(trigger=b["prompt_len"] - 1)

    def correct_probability():
        enc = encode_rows(held, llama_tok, model.reasoning.vocab)  # labels: measurement only
        b = collate(enc, pad, ["insertion_sort"], model.config.nc_max_args, model.config.nc_max_list_len)
        call = NCCall(**b["nc_call"])
        with torch.no_grad():
            out = model(b["input_ids"], attention_mask=b["attention_mask"], output_hidden_states=True)
            p = model.reasoning.argument_probability(out.hidden_states[-1], b["input_ids"], b["attention_mask"].bool(), call)
        return float(p.mean())

    for p in model.parameters():
        p.requires_grad_(False)
    params = [p for n, p in model.reasoning.named_parameters() if p.is_floating_point() and "library" not in n]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=3e-2)
    before = correct_probability()
    model.train()
    for step in range(12):
        b, call = batch(train[(step * 4) % 40:(step * 4) % 40 + 4])
        out = model(b["input_ids"], attention_mask=b["attention_mask"], labels=b["labels"], nc_call=call)
        assert set(out.nc_losses) <= {"router"}  # no reader loss: nothing names the arguments
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    model.eval()
    after = correct_probability()
    assert after > max(2 * before, before + 0.05), (before, after)

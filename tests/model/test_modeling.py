"""NCLlama on tiny random LLaMA-3.2-shaped backbones with the real LLaMA-3.2 tokenizer."""

import json
import os
import subprocess
import sys

import pytest
from huggingface_hub.errors import StrictDataclassClassValidationError
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel

import nclib
from nclib.model import (CallStatus, LibraryMismatchError, NCLlamaConfig, NCLlamaForCausalLM, UnsupportedBaseModelError)

from ncllama_testing import encode

# (routine, prompt, number indices per argument, expected answer text)
CASES = [
    ("insertion_sort", "Sort: 5 3 1 9 2 ->", [[0, 1, 2, 3, 4]], "1, 2, 3, 5, 9"),
    ("insertion_sort", "Sort: 200 17 131 4 ->", [[0, 1, 2, 3]], "4, 17, 131, 200"),
    ("add", "What is 12+34? Answer:", [[0], [1]], "46"),
    ("add", "What is 123+99? Answer:", [[0], [1]], "222"),
    ("fib", "fib(10) =", [[0]], "55"),
]


def generate(model, ids, mask, **kw):
    with torch.no_grad():
        return model.generate(ids, attention_mask=mask, max_new_tokens=16, do_sample=False, pad_token_id=128001, **kw)


def test_registered_with_auto_classes():
    assert AutoConfig.for_model("ncllama").__class__ is NCLlamaConfig
    assert NCLlamaForCausalLM in AutoModelForCausalLM._model_mapping.values()


def test_config_rejects_bad_values():
    # transformers' strict configs wrap the ValueError in StrictDataclassClassValidationError
    with pytest.raises(StrictDataclassClassValidationError, match="nc_writer.*'bogus'"):
        NCLlamaConfig(hidden_size=32, num_attention_heads=4, nc_writer="bogus")
    with pytest.raises(StrictDataclassClassValidationError, match="nc_number_style.*'roman'"):
        NCLlamaConfig(hidden_size=32, num_attention_heads=4, nc_number_style="roman")


def test_closed_gate_equals_base(wrapped, llama_tok):
    base, model = wrapped
    ids, mask = encode(llama_tok, ["Sort: 5 3 1 ->", "What is 12+34? Answer: 4"], left_pad=True)
    with torch.no_grad():
        a, b = base(ids, attention_mask=mask).logits, model(ids, attention_mask=mask)
    assert torch.equal(a, b.logits)
    assert b.nc_status.tolist() == [CallStatus.NO_CALL] * 2
    assert torch.equal(generate(base, ids, mask), generate(model, ids, mask))


@pytest.mark.parametrize("routine,prompt,args,answer", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_forced_call_emits_exact_answer(wrapped, llama_tok, routine, prompt, args, answer):
    """Correct routing and arguments, untrained weights: the writer alone makes the answer."""
    base, model = wrapped
    ids, mask = encode(llama_tok, [prompt])
    call = model.reasoning.make_call(ids, [routine], [args])
    out = generate(model, ids, mask, nc_call=call)
    # exactly the tokens the tokenizer gives for the answer text, then the end token
    assert out[0, ids.shape[1]:].tolist() == llama_tok(answer, add_special_tokens=False).input_ids + [128001]
    assert llama_tok.decode(out[0, ids.shape[1]:]) == answer + "<|end_of_text|>"
    with torch.no_grad():
        plain = model.generate(ids, attention_mask=mask, max_new_tokens=4, do_sample=False, pad_token_id=128001)
    assert not llama_tok.decode(plain[0, ids.shape[1]:]).startswith(answer)  # the random backbone alone does not


@pytest.mark.parametrize("routine", ["add", "insertion_sort"])
def test_teacher_forced_argmax_is_the_answer_on_random_batches(wrapped, llama_tok, routine):
    """One batched forward over 12 random prompts (random lengths, left padding): at every answer
    position the argmax is the answer's next token, up to and including the end token."""
    _, model = wrapped
    rng = torch.Generator().manual_seed(0)
    prompts, answers, args = [], [], []
    for _ in range(12):
        if routine == "add":
            a, b = torch.randint(0, 128, (2,), generator=rng).tolist()
            prompts.append(f"Add {a} and {b}:")
            answers.append(str(a + b))
            args.append([[0], [1]])
        else:
            n = int(torch.randint(1, 9, (1,), generator=rng))
            xs = torch.randint(0, 256, (n,), generator=rng).tolist()
            prompts.append("Sort " + " ".join(map(str, xs)) + " ->")
            answers.append(", ".join(map(str, sorted(xs))))
            args.append([list(range(n))])
    ids, mask = encode(llama_tok, [p + a for p, a in zip(prompts, answers)], left_pad=True)
    trig = [ids.shape[1] - len(llama_tok(a, add_special_tokens=False).input_ids) - 1 for a in answers]
    call = model.reasoning.make_call(ids, [routine] * 12, args, trigger=trig, attention_mask=mask)
    with torch.no_grad():
        pred = model(ids, attention_mask=mask, nc_call=call).logits.argmax(-1)
    for b, a in enumerate(answers):
        want = llama_tok(a, add_special_tokens=False).input_ids + [128001]
        assert pred[b, trig[b]:].tolist() == want, (prompts[b], a)


def test_bfloat16_model_keeps_exact_answers(wrapped, llama_tok):
    _, model = wrapped
    model = model.to(torch.bfloat16)
    ids, mask = encode(llama_tok, ["Sort: 200 17 131 4 ->"])
    call = model.reasoning.make_call(ids, ["insertion_sort"], [[[0, 1, 2, 3]]])
    out = generate(model, ids, mask, nc_call=call)
    assert llama_tok.decode(out[0, ids.shape[1]:]) == "4, 17, 131, 200<|end_of_text|>"


def test_cached_generation_equals_uncached(wrapped, llama_tok):
    _, model = wrapped
    ids, mask = encode(llama_tok, ["Sort: 5 3 1 9 2 ->", "What is 12+34? Answer:"], left_pad=True)
    call = model.reasoning.make_call(ids, ["insertion_sort", "add"], [[[0, 1, 2, 3, 4]], [[0], [1]]], attention_mask=mask)
    for kw in ({}, {"nc_call": call}):
        assert torch.equal(generate(model, ids, mask, use_cache=True, **kw), generate(model, ids, mask, use_cache=False, **kw))


def test_call_firing_during_cached_decoding(wrapped, llama_tok):
    """A trigger two tokens into the generated text: the call fires inside the cached decode loop,
    reading hidden states of earlier steps from the carried state; cached == uncached."""
    _, model = wrapped
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]], trigger=[ids.shape[1] + 1])
    a, b = generate(model, ids, mask, use_cache=True, nc_call=call), generate(model, ids, mask, use_cache=False, nc_call=call)
    assert torch.equal(a, b)
    answer = llama_tok("46", add_special_tokens=False).input_ids + [128001]
    assert a[0, ids.shape[1] + 2: ids.shape[1] + 2 + len(answer)].tolist() == answer


def test_routed_call_cached_equals_uncached(wrapped, llama_tok):
    """Router (not forced) opened for 'add' everywhere: it fires at the first position, the next
    prompt token contradicts that call, so it is dropped and the router fires again; the call that
    survives is the one at the last prompt position."""
    _, model = wrapped
    with torch.no_grad():
        model.reasoning.router.proj.bias.copy_(torch.tensor([0.0, 5.0, 0.0, 0.0]))
    ids = llama_tok(["3 plus 4 is"], return_tensors="pt", add_special_tokens=False).input_ids
    mask = torch.ones_like(ids)
    assert torch.equal(generate(model, ids, mask, use_cache=True), generate(model, ids, mask, use_cache=False))
    out = model(ids, attention_mask=mask)
    assert out.nc_routine.tolist() == [model.reasoning.routine_index("add")]
    assert out.nc_status.tolist() == [CallStatus.CALLED] and out.nc_trigger.tolist() == [ids.shape[1] - 1]


def test_routed_call_at_the_end_of_a_right_padded_prompt_is_kept(wrapped, llama_tok):
    """Padding after the trigger is not a next token that could contradict the call."""
    _, model = wrapped
    with torch.no_grad():
        model.reasoning.router.proj.bias.copy_(torch.tensor([0.0, 5.0, 0.0, 0.0]))
    ids, mask = encode(llama_tok, ["3 plus 4 is", "12 plus 30 plus 5 is"])
    with torch.no_grad():
        out = model(ids, attention_mask=mask)
    last = mask.sum(1) - 1
    assert out.nc_status.tolist() == [CallStatus.CALLED] * 2 and out.nc_trigger.tolist() == last.tolist()


def test_beam_search_is_refused(wrapped, llama_tok):
    _, model = wrapped
    ids, mask = encode(llama_tok, ["Sort: 3 1 2 ->"])
    with pytest.raises(NotImplementedError, match="num_beams=2"):
        generate(model, ids, mask, num_beams=2)


def test_save_load_roundtrip(wrapped, llama_tok, tmp_path):
    _, model = wrapped
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]])
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    saved = load_file(tmp_path / "model.safetensors")
    assert any(k.startswith("reasoning.library.routines.insertion_sort.") for k in saved)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert type(loaded) is NCLlamaForCausalLM
    sd_a, sd_b = model.state_dict(), loaded.state_dict()
    assert sd_a.keys() == sd_b.keys() and all(torch.equal(sd_a[k], sd_b[k]) for k in sd_a)
    with torch.no_grad():
        for kw in ({}, {"nc_call": call}):
            assert torch.equal(model(ids, attention_mask=mask, **kw).logits, loaded(ids, attention_mask=mask, **kw).logits)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "ncllama" and config["auto_map"]["AutoModelForCausalLM"] == "modeling_ncllama.NCLlamaForCausalLM"


def test_trust_remote_code_loading(wrapped, llama_tok, tmp_path):
    """A fresh interpreter that never imports nclib.model itself loads the saved directory."""
    _, model = wrapped
    model.save_pretrained(tmp_path)
    assert (tmp_path / "modeling_ncllama.py").exists() and (tmp_path / "configuration_ncllama.py").exists()
    ids, _ = encode(llama_tok, ["Sort: 3 1 2 ->"])
    call = model.reasoning.make_call(ids, ["insertion_sort"], [[[0, 1, 2]]])
    with torch.no_grad():
        want = model(ids, nc_call=call).logits
    torch.save({"ids": ids, "call": call.__dict__, "want": want}, tmp_path / "case.pt")
    script = f"""
import sys, torch
from transformers import AutoModelForCausalLM
m = AutoModelForCausalLM.from_pretrained({str(tmp_path)!r}, trust_remote_code=True).eval()
assert type(m).__module__.startswith("transformers_modules"), type(m).__module__
case = torch.load({str(tmp_path / "case.pt")!r}, weights_only=False)
with torch.no_grad():
    got = m(case["ids"], nc_call=case["call"]).logits
assert torch.equal(got, case["want"]), (got - case["want"]).abs().max()
print("ok")
"""
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode == 0 and res.stdout.strip().endswith("ok"), res.stderr[-3000:]


def test_gradients_reach_router_reader_writer_library(tiny_base, library, llama_tok):
    """Routine and trigger forced, arguments read by the (soft) pointer: gradients reach the
    reader through the machine, the library tensors (unfrozen), the writer gate and the router (CE)."""
    torch.manual_seed(0)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok, nc_train_library=True).train()
    ids, mask = encode(llama_tok, ["Sort: 5 3 1 -> 1, 3, 5"])
    call = model.reasoning.make_call(ids, ["insertion_sort"], [[[0, 1, 2]]], trigger=[ids.shape[1] - 6])
    call.args = None
    with torch.no_grad():  # reader bias so that the pointer selects members at init
        model.reasoning.reader.list_bias.fill_(1.0)
    out = model(ids, attention_mask=mask, labels=ids, nc_call=call)
    assert out.nc_status.tolist() == [CallStatus.CALLED]
    out.loss.backward()
    r = model.reasoning
    for name, p in [("router", r.router.proj.weight), ("reader.key", r.reader.key.weight), ("reader.query", r.reader.query.weight),
                    ("writer.gate", r.writer.gate.weight), ("library", r.library.routines["insertion_sort"].sel_a)]:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_argument_fallback_keeps_gradients_finite(wrapped, llama_tok):
    """One example has no number to point at (NO_ARGUMENT), the other calls: backward stays finite."""
    _, model = wrapped
    model.train()
    ids, mask = encode(llama_tok, ["What is 12+34? Answer: 46", "What is this? Answer: yes"], left_pad=True)
    call = model.reasoning.make_call(ids, ["add", "add"], [[[0], [1]], []], trigger=[ids.shape[1] - 2] * 2, attention_mask=mask)
    call.args = None
    out = model(ids, attention_mask=mask, labels=ids, nc_call=call)
    assert out.nc_status.tolist() == [CallStatus.CALLED, CallStatus.NO_ARGUMENT]
    out.loss.backward()
    grads = [p.grad for p in model.reasoning.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert model.reasoning.reader.query.weight.grad.abs().sum() > 0


def test_predicted_routing_gradient_reaches_router(wrapped, llama_tok):
    """Unforced: the router's probability of the chosen routine scales the write (top-1 routing)."""
    _, model = wrapped
    model.train()
    with torch.no_grad():
        model.reasoning.router.proj.bias.copy_(torch.tensor([0.0, 5.0, 0.0, 0.0]))
    ids = llama_tok(["3 plus 4 is 7"], return_tensors="pt", add_special_tokens=False).input_ids
    mask = torch.ones_like(ids)
    out = model(ids, attention_mask=mask, labels=ids)
    # it fires everywhere; calls whose first answer token is not the next token are dropped, so the
    # call that stays is the one right before "7" (add(3, 4) writes "7")
    assert out.nc_status.tolist() == [CallStatus.CALLED] and out.nc_trigger.tolist() == [ids.shape[1] - 2]
    assert out.nc_args == [[3, 4]]
    out.loss.backward()
    assert model.reasoning.router.proj.weight.grad.abs().sum() > 0
    assert model.reasoning.writer.gate.weight.grad.abs().sum() > 0


def test_forced_call_trains_router_and_reader(wrapped, llama_tok):
    _, model = wrapped
    model.train()
    ids, mask = encode(llama_tok, ["What is 12+34? Answer: 46"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]], trigger=[ids.shape[1] - 2])
    out = model(ids, attention_mask=mask, labels=ids, nc_call=call)
    assert set(out.nc_losses) == {"router", "reader", "remainder"}
    out.loss.backward()
    r = model.reasoning
    assert r.router.proj.weight.grad.abs().sum() > 0 and r.reader.query.weight.grad.abs().sum() > 0
    assert r.writer.gate.weight.grad.abs().sum() > 0
    assert all(not p.requires_grad for p in r.library.parameters()) and len(list(r.library.buffers())) > 0


def test_gradient_checkpointing_matches(wrapped, llama_tok):
    _, model = wrapped
    ids, mask = encode(llama_tok, ["Sort: 5 3 1 -> 1, 3, 5"])
    call = model.reasoning.make_call(ids, ["insertion_sort"], [[[0, 1, 2]]], trigger=[ids.shape[1] - 6])
    grads = []
    for gc in (False, True):
        model.zero_grad()
        model.activation_checkpointing_enable() if gc else model.activation_checkpointing_disable()
        model.train()
        model(ids, attention_mask=mask, labels=ids, nc_call=call).loss.backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and any("reasoning" in n for n in grads[0])
    for n in grads[0]:
        torch.testing.assert_close(grads[0][n], grads[1][n], rtol=1e-4, atol=1e-6)


def test_value_head_variant(tiny_base, library, llama_tok):
    model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok, nc_writer="value_head").train()
    ids, mask = encode(llama_tok, ["What is 12+34? Answer: 46"])
    trig = ids.shape[1] - 2
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]], trigger=[trig])
    out = model(ids, attention_mask=mask, labels=ids, nc_call=call)
    with torch.no_grad():
        ref = tiny_base(ids).logits
    assert torch.equal(out.logits[:, :trig], ref[:, :trig]) and not torch.allclose(out.logits[:, trig:], ref[:, trig:])
    out.loss.backward()
    assert model.reasoning.writer.value_proj.weight.grad.abs().sum() > 0
    model.eval()
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]])
    assert torch.equal(generate(model, ids, mask, nc_call=call, use_cache=True), generate(model, ids, mask, nc_call=call, use_cache=False))


def test_library_mismatch_is_refused(wrapped, llama_tok, tmp_path):
    _, model = wrapped
    model.save_pretrained(tmp_path)
    other = nclib.stdlib()
    with pytest.raises(LibraryMismatchError, match="routines"):
        NCLlamaForCausalLM.from_pretrained(tmp_path, library=[other["sub"], other["fib"], other["insertion_sort"]])
    # a weights file whose library tensors were changed
    sd = load_file(tmp_path / "model.safetensors")
    key = next(k for k in sd if k.startswith("reasoning.library."))
    sd[key] = sd[key] * 0.5
    save_file(sd, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(LibraryMismatchError, match="fingerprint"):
        AutoModelForCausalLM.from_pretrained(tmp_path)
    # a checkpoint whose routine compiled to another program (another nclib version)
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["nc_library"]["routines"][1]["program_sha256"] = "0" * 64
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(LibraryMismatchError, match="'fib' compiles to a different program"):
        AutoModelForCausalLM.from_pretrained(tmp_path)


def test_non_llama_base_is_refused(llama_tok, tmp_path):
    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=100))
    with pytest.raises(UnsupportedBaseModelError, match="'gpt2'"):
        NCLlamaForCausalLM.from_base(gpt2, tokenizer=llama_tok)
    gpt2.save_pretrained(tmp_path)
    with pytest.raises(UnsupportedBaseModelError, match="'gpt2'"):
        NCLlamaForCausalLM.from_base(str(tmp_path), tokenizer=llama_tok)
    with pytest.raises(UnsupportedBaseModelError):
        NCLlamaForCausalLM.from_base(GPT2Config(), tokenizer=llama_tok)


def test_numbers_outside_window_fall_back_to_no_call(wrapped, llama_tok):
    """add's window is [0, 256): 300 is never a pointer candidate; forcing it gives 'no call'."""
    base, model = wrapped
    ids, mask = encode(llama_tok, ["What is 300+1000? Answer:", "What is 12+34? Answer:"], left_pad=True)
    call = model.reasoning.make_call(ids, ["add", "add"], [[[0], [1]], [[0], [1]]], attention_mask=mask)
    with torch.no_grad():
        out = model(ids, attention_mask=mask, nc_call=call)
        ref = base(ids, attention_mask=mask).logits
    assert out.nc_status.tolist() == [CallStatus.OUT_OF_WINDOW, CallStatus.CALLED]
    assert torch.equal(out.logits[0], ref[0])
    # predicted routing: no in-window number at all -> NO_ARGUMENT, outputs untouched
    with torch.no_grad():
        model.reasoning.router.proj.bias.copy_(torch.tensor([0.0, 5.0, 0.0, 0.0]))
        ids, mask = encode(llama_tok, ["What is 300+1000?"])
        out = model(ids, attention_mask=mask)
        assert out.nc_status.tolist() == [CallStatus.NO_ARGUMENT]
        assert torch.equal(out.logits, base(ids, attention_mask=mask).logits)


def test_inputs_embeds_only_falls_back(wrapped, llama_tok):
    base, model = wrapped
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]])
    with torch.no_grad():
        emb = base.model.embed_tokens(ids)
        out = model(inputs_embeds=emb, attention_mask=mask, nc_call=call)
        assert out.nc_status.tolist() == [CallStatus.NO_INPUT_IDS]
        assert torch.equal(out.logits, base(inputs_embeds=emb, attention_mask=mask).logits)


def test_public_api():
    import nclib.model as m

    assert sorted(m.__all__) == sorted([
        "CallStatus", "LibraryMismatchError", "MissingDefaultError", "NCCall", "NCLlamaConfig", "NCLlamaError",
        "NCLlamaForCausalLM", "NCLlamaOutput", "NumberVocab", "TokenizerStyleError", "UnsupportedBaseModelError",
        "llama32_tokenizer_path", "load_llama32_tokenizer", "load_smollm2", "load_smollm2_tokenizer", "smollm2_path"])

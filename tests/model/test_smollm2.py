"""The real SmolLM2-135M-Instruct backbone (embedded GGUF) with the reasoning module.

SmolLM2 tokenizes numbers as single digits, so this exercises the "digits" reader and writer."""

import pytest
import torch

from nclib.model import CallStatus, NCLlamaForCausalLM, load_smollm2, load_smollm2_tokenizer

pytestmark = pytest.mark.slow  # slow: the second lane of scripts/test.sh

CASES = [
    ("insertion_sort", "Sort the list 5 3 1 9 2 ->", [[0, 1, 2, 3, 4]], "1, 2, 3, 5, 9"),
    ("add", "What is 47+38? Answer:", [[0], [1]], "85"),
    ("fib", "fib(10) =", [[0]], "55"),
]


@pytest.fixture(scope="module")
def smol(library):
    base = load_smollm2().eval()  # ~15 s on 2 cores: loaded once for this module
    tok = load_smollm2_tokenizer()
    model = NCLlamaForCausalLM.from_base(base, library=library, tokenizer=tok).eval()
    return base, model, tok


def test_embedded_backbone_is_llama_and_digits(smol):
    base, model, tok = smol
    assert type(base).__name__ == "LlamaForCausalLM" and sum(p.numel() for p in base.parameters()) == 134_515_008
    assert model.config.nc_number_style == "digits" and len(model.config.nc_number_tokens) == 10
    for x in (0, 7, 85, 255, 1234567):
        assert model.reasoning.vocab.render(x) == tok(str(x), add_special_tokens=False).input_ids


def test_closed_gate_equals_base(smol):
    base, model, tok = smol
    ids = tok(["What is 47+38? Answer:"], return_tensors="pt").input_ids
    with torch.no_grad():
        a, b = base(ids).logits, model(ids)
    assert torch.equal(a, b.logits) and b.nc_status.tolist() == [CallStatus.NO_CALL]
    ga = base.generate(ids, max_new_tokens=6, do_sample=False)
    gb = model.generate(ids, max_new_tokens=6, do_sample=False)
    assert torch.equal(ga, gb)


@pytest.mark.parametrize("routine,prompt,args,answer", CASES, ids=[c[0] for c in CASES])
def test_forced_call_emits_exact_answer(smol, routine, prompt, args, answer):
    _, model, tok = smol
    ids = tok([prompt], return_tensors="pt").input_ids
    call = model.reasoning.make_call(ids, [routine], [args])
    with torch.no_grad():
        out = model.generate(ids, nc_call=call, max_new_tokens=20, do_sample=False)
        plain = model.generate(ids, max_new_tokens=6, do_sample=False)
    assert tok.decode(out[0, ids.shape[1]:]) == answer + tok.eos_token
    assert tok.decode(plain[0, ids.shape[1]:]) != answer + tok.eos_token  # the backbone alone does not


def test_cached_equals_uncached(smol):
    _, model, tok = smol
    ids = tok(["What is 47+38? Answer:"], return_tensors="pt").input_ids
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]], trigger=[ids.shape[1] + 1])
    with torch.no_grad():
        a = model.generate(ids, nc_call=call, max_new_tokens=8, do_sample=False, use_cache=True)
        b = model.generate(ids, nc_call=call, max_new_tokens=8, do_sample=False, use_cache=False)
    assert torch.equal(a, b)

"""The router's standardized inputs (nc_router_inputs="standardized"): running statistics in
training, fixed in eval, saved with the model; the raw default has none."""

import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError, StrictDataclassFieldValidationError
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

from nclib.model import NCLlamaConfig, NCLlamaForCausalLM
from nclib.model.errors import MissingModuleWeightsError
from nclib.model.reasoning.router import MOMENTUM

from ncllama_testing import encode

pytestmark = pytest.mark.slow  # slow: the second lane of scripts/test.sh

PROMPTS = ["What is 12+34? Answer:", "Sort: 5 3 1 9 2 ->", "The sum of our efforts in 2023 was"]


@pytest.fixture
def standardized(tiny_base, library, llama_tok):
    """(base, wrapped with a standardizing router) sharing the backbone."""
    torch.manual_seed(1)
    return tiny_base, NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok,
                                                   nc_router_inputs="standardized").eval()


def test_raw_router_is_the_default_and_has_no_statistics(wrapped):
    _, model = wrapped
    assert model.config.nc_router_inputs == "raw"
    assert not any("feature_" in k for k in model.state_dict())
    with pytest.raises(StrictDataclassClassValidationError, match="nc_router_inputs.*'whitened'"):
        NCLlamaConfig(hidden_size=32, num_attention_heads=4, nc_router_inputs="whitened")


def router_inputs(model, llama_tok, prompts=PROMPTS):
    """The router's features [N, 2H] at the valid positions of `prompts` (eval mode, no update)."""
    seen = {}
    handle = model.reasoning.router.register_forward_pre_hook(lambda m, args: seen.__setitem__("args", args))
    ids, mask = encode(llama_tok, prompts)
    try:
        with torch.no_grad():
            model(ids, attention_mask=mask)
    finally:
        handle.remove()
    hidden, prefix_mean = seen["args"][:2]
    return torch.cat([hidden, prefix_mean], -1)[mask.bool()], ids, mask


def test_fresh_router_has_identity_statistics_and_stays_closed(standardized, llama_tok):
    base, model = standardized
    r = model.reasoning.router
    assert torch.equal(r.feature_mean, torch.zeros_like(r.feature_mean)) and torch.equal(r.feature_var, torch.ones_like(r.feature_var))
    ids, mask = encode(llama_tok, PROMPTS)
    model.train()
    with torch.no_grad():
        out = model(ids, attention_mask=mask)
    model.eval()
    assert int(r.feature_updates) == 1 and r.feature_var.min() < 1.0  # the first batch's moments, taken
    with torch.no_grad():
        assert torch.equal(out.logits, base(ids, attention_mask=mask).logits)  # zero weights: still the base model


def test_statistics_are_the_running_moments_of_training_forwards(standardized, llama_tok):
    _, model = standardized
    r = model.reasoning.router
    batches = [PROMPTS[:1], PROMPTS[1:], PROMPTS]
    feats = [router_inputs(model, llama_tok, b)[0].double() for b in batches]
    model.train()
    for b in batches:
        ids, mask = encode(llama_tok, b)
        with torch.no_grad():
            model(ids, attention_mask=mask)
    model.eval()
    # the first 1 / MOMENTUM updates are a cumulative average: the moments of the pooled batches'
    # per-batch mixture with equal weights
    means = torch.stack([f.mean(0) for f in feats])
    second = torch.stack([(f * f).mean(0) for f in feats])
    want_mean = means.mean(0)
    want_var = second.mean(0) - want_mean.square()
    assert int(r.feature_updates) == 3 and len(batches) < 1 / MOMENTUM
    torch.testing.assert_close(r.feature_mean.double(), want_mean, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(r.feature_var.double(), want_var, rtol=1e-3, atol=1e-5)
    # eval forwards leave them alone
    before = r.feature_mean.clone()
    router_inputs(model, llama_tok)
    assert torch.equal(before, r.feature_mean) and int(r.feature_updates) == 3


def test_router_logits_use_the_standardized_features(standardized, llama_tok):
    _, model = standardized
    r = model.reasoning.router
    torch.manual_seed(0)
    with torch.no_grad():
        r.proj.weight.normal_()
        r.feature_mean.normal_()
        r.feature_var.uniform_(0.5, 2.0)
    x, ids, mask = router_inputs(model, llama_tok)
    seen = {}
    handle = r.register_forward_hook(lambda m, a, out: seen.__setitem__("logits", out))
    with torch.no_grad():
        model(ids, attention_mask=mask)
    handle.remove()
    lexical = r.token.weight[ids[mask.bool()]]  # zero token scores: only the bias and the projection remain
    assert torch.equal(lexical, torch.zeros_like(lexical))
    want = ((x - r.feature_mean) / r.feature_var.sqrt()) @ r.proj.weight.T + r.proj.bias
    torch.testing.assert_close(seen["logits"][mask.bool()], want, rtol=1e-4, atol=1e-4)


def test_statistics_are_saved_and_required(standardized, llama_tok, tmp_path):
    _, model = standardized
    ids, mask = encode(llama_tok, PROMPTS)
    model.train()
    with torch.no_grad():
        model(ids, attention_mask=mask)
        model.reasoning.router.proj.weight.normal_()
    model.eval()
    model.save_pretrained(tmp_path)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    for name in ("feature_mean", "feature_var", "feature_updates"):
        assert torch.equal(getattr(loaded.reasoning.router, name), getattr(model.reasoning.router, name))
    # a standardized checkpoint without its statistics is refused, like any missing module weight
    sd = load_file(tmp_path / "model.safetensors")
    sd = {k: v for k, v in sd.items() if ".router.feature_" not in k}
    save_file(sd, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(MissingModuleWeightsError, match="reasoning.router.feature_mean"):
        AutoModelForCausalLM.from_pretrained(tmp_path)


@pytest.mark.parametrize("layer", [0, 3])
def test_bad_router_layer_is_named(layer):
    with pytest.raises(StrictDataclassClassValidationError, match=f"nc_router_layer must be None or a layer 1..num_hidden_layers=2, got {layer!r}"):
        NCLlamaConfig(hidden_size=32, num_attention_heads=4, num_hidden_layers=2, nc_router_layer=layer)
    with pytest.raises(StrictDataclassFieldValidationError, match="nc_router_layer"):  # not an int: the field's type check
        NCLlamaConfig(hidden_size=32, num_attention_heads=4, num_hidden_layers=2, nc_router_layer="2")


def test_router_reads_the_chosen_layer(tiny_base, library, llama_tok):
    """nc_router_layer=1: the router's hidden input is decoder layer 1's output, RMS-normalized per
    position; cached generation (the layer's history carried in the state) equals uncached."""
    torch.manual_seed(1)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok, nc_router_layer=1).eval()
    x, ids, mask = router_inputs(model, llama_tok)
    with torch.no_grad():
        h = tiny_base.model(ids, attention_mask=mask, output_hidden_states=True).hidden_states[1][mask.bool()]
    H = h.shape[-1]
    want = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6)
    torch.testing.assert_close(x[:, :H], want, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(x[:, :H], torch.zeros_like(x[:, :H]))
    with torch.no_grad():  # a router that fires somewhere in these prompts
        model.reasoning.router.proj.weight.normal_(0, 0.5)
        model.reasoning.router.proj.bias.zero_()
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:", "Sort: 5 3 1 ->"], left_pad=True)
    with torch.no_grad():
        kw = dict(attention_mask=mask, max_new_tokens=6, do_sample=False, pad_token_id=128001)
        cached, uncached = model.generate(ids, use_cache=True, **kw), model.generate(ids, use_cache=False, **kw)
        fired = model(ids, attention_mask=mask).nc_fired
    assert torch.equal(cached, uncached) and bool((fired > 0).any())

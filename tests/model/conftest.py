"""Shared fixtures: the real LLaMA-3.2 tokenizer, tiny LLaMA-3.2-shaped configs, stdlib routines."""

import pytest
import torch
from ncllama_testing import ROUTINES, tiny_llama_config
from transformers import LlamaForCausalLM

import nclib
from nclib.model import NCLlamaForCausalLM, load_llama32_tokenizer



@pytest.fixture(scope="session")
def llama_tok():
    return load_llama32_tokenizer()


@pytest.fixture(scope="session")
def library():
    lib = nclib.stdlib()
    return [lib[n] for n in ROUTINES]


@pytest.fixture
def tiny_base():
    torch.manual_seed(0)
    return LlamaForCausalLM(tiny_llama_config()).eval()


@pytest.fixture
def wrapped(tiny_base, library, llama_tok):
    """(base, wrapped) sharing the backbone; the module is closed until a call is forced."""
    torch.manual_seed(1)
    return tiny_base, NCLlamaForCausalLM.from_base(tiny_base, library=library, tokenizer=llama_tok).eval()


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every model test runs on one thread (tests/conftest.py says why)."""

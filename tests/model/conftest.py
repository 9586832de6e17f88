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
def _one_thread():
    """The soft machine runs thousands of tiny ops; on a shared 2-core machine two intra-op
    threads spin-wait on each other (seen: 25 s instead of 0.2 s for one sort). One thread here."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

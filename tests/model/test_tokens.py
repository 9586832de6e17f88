"""Number tokens: style detection, rendering equal to the real tokenizers, reading, windows."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nclib.model import NumberVocab, TokenizerStyleError
from nclib.model.tokens import number_token_fields


@pytest.fixture(scope="module")
def llama_vocab(llama_tok):
    f = number_token_fields(llama_tok)
    return NumberVocab(f["nc_number_style"], f["nc_number_tokens"], f["nc_minus_token_ids"], f["nc_separator_token_ids"],
                       f["nc_end_token_ids"], len(llama_tok))


def test_llama3_fields(llama_tok):
    f = number_token_fields(llama_tok)
    assert f["nc_number_style"] == "chunk3" and len(f["nc_number_tokens"]) == 1110
    assert llama_tok.convert_ids_to_tokens(f["nc_separator_token_ids"]) == [",", "\u0120"]
    assert f["nc_end_token_ids"] == [llama_tok.eos_token_id]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=6))
def test_render_matches_llama3_tokenizer(llama_tok, llama_vocab, xs):
    text = ", ".join(map(str, xs))
    want = llama_tok(text, add_special_tokens=False).input_ids
    got = []
    for i, x in enumerate(xs):
        got += (llama_vocab.separator_ids if i else []) + llama_vocab.render(x)
    assert got == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-10**6, max_value=10**12), min_size=1, max_size=5))
def test_read_numbers_llama3(llama_tok, llama_vocab, xs):
    text = "Numbers: " + " and ".join(map(str, xs)) + " done"
    ids = torch.tensor([llama_tok(text).input_ids])
    value, is_end, overflow = llama_vocab.read_numbers(ids)
    assert value[is_end].tolist() == xs and not overflow.any()


def test_read_numbers_overflow_padding_and_minus(llama_tok, llama_vocab):
    ids = torch.tensor([llama_tok("x 1" + "0" * 25 + " 3-5 -7").input_ids])
    value, is_end, overflow = llama_vocab.read_numbers(ids)
    assert overflow[is_end].tolist() == [True, False, False, False]
    assert value[is_end][1:].tolist() == [3, 5, -7]
    valid = torch.ones_like(ids, dtype=torch.bool)
    valid[0, -1] = False  # the last token ('7') is padding: it is not a number
    assert llama_vocab.read_numbers(ids, valid)[1].sum() == 3


def test_unsupported_tokenizer_is_refused(llama_tok):
    class Words:
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": [0, 1]}

        def convert_ids_to_tokens(self, ids):
            return ["twelve", "345"]

    with pytest.raises(TokenizerStyleError, match="'12345'"):
        number_token_fields(Words())

"""Helpers shared by the model tests (a uniquely named module, imported by rootdir-relative path)."""

from transformers import LlamaConfig

ROUTINES = ("add", "fib", "insertion_sort")


def tiny_llama_config(**overrides) -> LlamaConfig:
    """LLaMA-3.2 shapes scaled down: real vocabulary, GQA, tied embeddings, llama3 RoPE scaling."""
    kw = dict(
        vocab_size=128256, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=8, max_position_embeddings=131072, tie_word_embeddings=True,
        rms_norm_eps=1e-5, bos_token_id=128000, eos_token_id=128001,
        rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    )
    kw.update(overrides)
    return LlamaConfig(**kw)



def encode(tok, prompts, left_pad=False):
    if left_pad:
        tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    enc = tok(prompts, return_tensors="pt", padding=True)
    tok.padding_side = "right"
    return enc.input_ids, enc.attention_mask

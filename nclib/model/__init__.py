"""NCLlama: LLaMA-family causal LMs with the reasoning module (docs/design.md §6).

Importing this package registers `NCLlamaConfig` / `NCLlamaForCausalLM` with `AutoConfig` and
`AutoModelForCausalLM` (model_type "ncllama"), and for `trust_remote_code` saving. `import nclib`
does not import this package (it is heavy: transformers); it registers it once transformers is
imported (see nclib/__init__.py).
"""

from transformers import AutoConfig, AutoModelForCausalLM

from .configuration_ncllama import NCLlamaConfig
from .defaults import llama32_tokenizer_path, load_llama32_tokenizer, load_smollm2, load_smollm2_tokenizer, smollm2_path
from .errors import LibraryMismatchError, MissingDefaultError, NCLlamaError, TokenizerStyleError, UnsupportedBaseModelError
from .modeling_ncllama import NCLlamaForCausalLM, NCLlamaOutput
from .reasoning import CallStatus, NCCall
from .tokens import NumberVocab


def register_auto_classes() -> None:
    """Register model_type "ncllama" with `AutoConfig` / `AutoModelForCausalLM` (idempotent).

    Runs at the end of this import; `import nclib` also calls it when transformers gets imported."""
    AutoConfig.register(NCLlamaConfig.model_type, NCLlamaConfig, exist_ok=True)
    AutoModelForCausalLM.register(NCLlamaConfig, NCLlamaForCausalLM, exist_ok=True)


register_auto_classes()
# save_pretrained writes auto_map + these source files, so a saved directory also loads with trust_remote_code.
NCLlamaConfig.register_for_auto_class()
NCLlamaForCausalLM.register_for_auto_class("AutoModelForCausalLM")
REGISTERED = True  # set last: while this module is still being imported, `nclib` leaves the registration to it

__all__ = [
    "CallStatus",
    "LibraryMismatchError",
    "MissingDefaultError",
    "NCCall",
    "NCLlamaConfig",
    "NCLlamaError",
    "NCLlamaForCausalLM",
    "NCLlamaOutput",
    "NumberVocab",
    "TokenizerStyleError",
    "UnsupportedBaseModelError",
    "llama32_tokenizer_path",
    "load_llama32_tokenizer",
    "load_smollm2",
    "load_smollm2_tokenizer",
    "smollm2_path",
]

"""Errors raised by the NCLlama model code; each message names the offending value."""

from nclib.errors import LibraryError, NclibError


class NCLlamaError(NclibError):
    """Base class of the model errors."""


class LibraryMismatchError(NCLlamaError, LibraryError):
    """A checkpoint's library differs from the one expected (manifest, tensors or fingerprint)."""


class UnsupportedBaseModelError(NCLlamaError, TypeError):
    """`from_base` was given a model that is not LLaMA-family."""


class TokenizerStyleError(NCLlamaError, ValueError):
    """The tokenizer splits numbers in a way the reader/writer does not support."""


class MissingDefaultError(NCLlamaError, ImportError):
    """An embedded default (SmolLM2 GGUF, LLaMA-3.2 tokenizer) is not installed."""


__all__ = ["NCLlamaError", "LibraryMismatchError", "UnsupportedBaseModelError", "TokenizerStyleError", "MissingDefaultError"]

"""Errors raised by the NCLlama model code; each message names the offending value."""

from .remote_code import nclib_import_error

try:  # also runs as saved remote code, where nclib may be missing or the registry's unrelated "nclib"
    from nclib.errors import LibraryError, NclibError
except (ImportError, AttributeError) as err:
    raise nclib_import_error(err) from err


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


class MissingModuleWeightsError(NCLlamaError, ValueError):
    """A checkpoint lacks weights of the reasoning module (router, reader, writer or library)."""


class CorruptWeightsError(NCLlamaError, OSError):
    """A checkpoint's weights file cannot be read (truncated, or not safetensors)."""


class ModelPathError(NCLlamaError, FileNotFoundError):
    """A model name is neither an existing directory nor loadable from the (offline) hub."""


__all__ = ["NCLlamaError", "CorruptWeightsError", "LibraryMismatchError", "UnsupportedBaseModelError", "TokenizerStyleError", "MissingDefaultError",
           "MissingModuleWeightsError", "ModelPathError"]

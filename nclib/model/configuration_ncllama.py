"""NCLlama configuration: a LLaMA config plus the reasoning-module settings and the library."""

import dataclasses
import difflib
import enum

from huggingface_hub.dataclasses import strict
from transformers import LlamaConfig

from .remote_code import nclib_import_error



class MachineMode(str, enum.Enum):
    """How the machine runs a call: the values of `nc_machine_mode`. The reasoning module decides
    it once, when a sequence's call state is made, and every later site reads the state's mode."""

    SOFT = "soft"  # one mean-field run on value distributions; the result is a distribution per answer slot
    HARD = "hard"  # one exact run of the pointed-at arguments; the result is one world of mass 1
    WORLDS = "worlds"  # exact runs of the top-K joint argument assignments; the result is K worlds with their mass


class WriterKind(str, enum.Enum):
    """How the result is written: the values of `nc_writer`, decided once by `NCWriter` (its `kind`)."""

    TAPE = "tape"  # render the output into answer tokens and mix their probabilities into the logits
    VALUE_HEAD = "value_head"  # the paper's learned value head: the output projected into the hidden state


WRITER_KINDS = tuple(k.value for k in WriterKind)
MACHINE_MODES = tuple(m.value for m in MachineMode)
NUMBER_STYLES = ("chunk3", "digits")
ARG_KINDS = ("int", "list")
ROUTER_INPUTS = ("raw", "standardized")


@strict
class NCLlamaConfig(LlamaConfig):
    r"""Configuration of [`NCLlamaForCausalLM`]: every [`LlamaConfig`] field, plus the `nc_*` fields below.

    The library is stored as its JSON manifest (`nc_library`, what `nclib.Library.manifest()`
    returns) and a description of each routine (`nc_routines`); its tensors live in the model's
    state dict (safetensors), and `nc_library_fingerprint` is `nclib.Library.fingerprint()` of the
    routines with those tensors at save time, checked on load (both defined in `nclib/runtime/library.py`).

    Example:
    ```python
    >>> from nclib.model import NCLlamaConfig, NCLlamaForCausalLM
    >>> config = NCLlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
    ...                        num_attention_heads=4, num_key_value_heads=2, vocab_size=128256)
    >>> model = NCLlamaForCausalLM(config)  # no routines: the module never fires
    ```
    """

    model_type = "ncllama"

    # The library: manifest (`nclib.Library.manifest()`: per routine its source, options and
    # program_sha256), one entry per routine
    # {"name", "args": ["int"|"list", ...], "returns": "int"|"list", "lo", "V"} in router order
    # (optionally "labels": token ids to write for the output values lo, lo+1, ..., e.g. " No"/" Yes",
    # and "symbols": whether its arguments may be symbol tokens, default true),
    # the shapes/dtypes of each routine's tensors {routine: {tensor: [shape, dtype]}}, and the
    # library's fingerprint (`nclib.Library.fingerprint()`: routines, program hashes and tensors).
    nc_library: dict | None = None
    nc_routines: list | None = None
    nc_library_tensors: dict | None = None
    nc_library_fingerprint: str | None = None
    # Train the library's float tensors (they become parameters; otherwise frozen buffers).
    nc_train_library: bool = False

    # How numbers are tokenized: "chunk3" (LLaMA-3: 1-3 digit tokens, left to right) or
    # "digits" (SmolLM2: one token per digit). `nc_number_tokens` maps each digit string that is a
    # single token ("0".."9", and "00".."999" for chunk3) to its id.
    nc_number_style: str = "chunk3"
    nc_number_tokens: dict | None = None
    nc_minus_token_ids: list | None = None
    # Named values read like numbers: {token id (str): value}, e.g. the room names of the
    # graph-navigation task (" lobby" -> 0, " A" -> 1, ...). Each such token is one value.
    nc_symbol_tokens: dict | None = None
    # Tokens written between list elements (", " by default) and after the answer (EOS by default).
    nc_separator_token_ids: list | None = None
    nc_end_token_ids: list | None = None

    # Result writer: "tape" (render the machine's output into tokens and mix their probabilities
    # into the logits) or "value_head" (the paper's learned value head, kept for ablation).
    nc_writer: str = "tape"
    # Longest list argument the reader passes to the machine, and longest rendered answer.
    nc_max_list_len: int = 16
    nc_max_answer_tokens: int = 96
    # Width of the reader's pointer attention.
    nc_pointer_dim: int = 64
    # Initial router bias toward "no call" (router weights start at zero, so an untrained
    # module never fires and the wrapped model equals its base) and initial writer gate bias.
    nc_router_no_call_bias: float = 8.0
    nc_writer_gate_bias: float = 8.0
    # The router's hidden-state inputs: "raw" (as the backbone gives them) or "standardized" (per
    # feature, with running statistics taken in training and saved with the model; nclib/model/README.md).
    nc_router_inputs: str = "raw"
    # Which hidden states the router reads: None, the last ones (after the final norm, what the
    # reader and writer read too), or the output of decoder layer k (1 <= k <= num_hidden_layers),
    # RMS-normalized per position. A layer below the LoRA-adapted ones gives the router features
    # that training does not move (RESULTS.md §2c).
    nc_router_layer: int | None = None
    # How the machine runs the routine: "soft" (differentiable distributions over the value window,
    # gradients flow into the arguments and, with nc_train_library, the program) or "hard" (exact
    # int64 execution of the argmax arguments: any window size, no gradient through the run; the
    # reader learns from its own loss). Teacher-forced arguments are one-hot, so both give the same
    # result there (docs/machine.md: soft one-hot == hard). "worlds": the router's routine choice and
    # the reader's argument distributions define independent choices; the nc_worlds_top_k most
    # probable joint assignments per routine run exactly in hard mode and the writer mixes their
    # tapes weighted by each world's probability, so the answer loss alone trains router, reader
    # and gate (docs/design.md §6.4, nclib/model/README.md).
    nc_machine_mode: str = "soft"
    nc_worlds_top_k: int = 16
    # Initial bias of the reader's list membership score: sigmoid(bias) is the prior probability that
    # a number in the prompt belongs to a list argument (0: one half).
    nc_list_prior_bias: float = 0.0
    # Adaptive recurrence of the machine.
    nc_max_steps: int = 4096
    nc_halt_eps: float = 1e-3
    # A call whose unhalted remainder exceeds this falls back to "no call".
    nc_max_remainder: float = 0.5
    # Weights of the auxiliary losses added to the LM loss.
    nc_remainder_loss_weight: float = 0.01
    nc_router_loss_weight: float = 1.0
    nc_reader_loss_weight: float = 1.0

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        if self.nc_routines is None:
            self.nc_routines = []

    def validate_architecture(self):
        """Part of `@strict` validation: reasoning-module settings, with the bad value in the message.
        An `nc_*` attribute that is not a field (a typo such as nc_max_step) is refused, and so is a
        soft-mode routine whose window cannot run (MemoryLimitError, `nclib.machine.memory`)."""
        super().validate_architecture()
        unknown = sorted(k for k in vars(self) if k.startswith("nc_") and k not in nc_field_names())
        if unknown:
            raise ValueError(unknown_field_message(unknown[0]))
        if self.nc_writer not in WRITER_KINDS:
            raise ValueError(f"nc_writer must be one of {WRITER_KINDS}, got {self.nc_writer!r}")
        if self.nc_router_layer is not None and not (isinstance(self.nc_router_layer, int) and not isinstance(self.nc_router_layer, bool)
                                                     and 1 <= self.nc_router_layer <= self.num_hidden_layers):
            raise ValueError(f"nc_router_layer must be None or a layer 1..num_hidden_layers={self.num_hidden_layers}, "
                             f"got {self.nc_router_layer!r}")
        if self.nc_router_inputs not in ROUTER_INPUTS:
            raise ValueError(f"nc_router_inputs must be one of {ROUTER_INPUTS}, got {self.nc_router_inputs!r}")
        if self.nc_machine_mode not in MACHINE_MODES:
            raise ValueError(f"nc_machine_mode must be one of {MACHINE_MODES}, got {self.nc_machine_mode!r}")
        if self.nc_writer == WriterKind.VALUE_HEAD and self.nc_machine_mode != MachineMode.SOFT:
            raise ValueError(f"nc_writer='value_head' reads the machine's output distributions; it needs nc_machine_mode='soft', got {self.nc_machine_mode!r}")
        if self.nc_number_style not in NUMBER_STYLES:
            raise ValueError(f"nc_number_style must be one of {NUMBER_STYLES}, got {self.nc_number_style!r}")
        for name in ("nc_max_list_len", "nc_max_answer_tokens", "nc_pointer_dim", "nc_max_steps", "nc_worlds_top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 < self.nc_halt_eps < 1.0:
            raise ValueError(f"nc_halt_eps must be in (0, 1), got {self.nc_halt_eps}")
        for i, routine in enumerate(self.nc_routines or []):
            missing = {"name", "args", "returns", "lo", "V"} - set(routine)
            if missing:
                raise ValueError(f"nc_routines[{i}] lacks {sorted(missing)}: {routine!r}")
            bad = [a for a in routine["args"] if a not in ARG_KINDS]
            if bad or routine["returns"] not in ARG_KINDS:
                raise ValueError(f"nc_routines[{i}] ({routine['name']!r}): argument/return kinds must be in {ARG_KINDS}, got {routine!r}")
            labels = routine.get("labels")
            if labels is not None and (not isinstance(labels, list) or len(labels) > routine["V"]
                                       or not all(isinstance(ids, list) and ids for ids in labels)):
                raise ValueError(f"nc_routines[{i}] ({routine['name']!r}): labels must be a list of non-empty token-id lists, "
                                 f"one per output value, at most V={routine['V']}; got {labels!r}")
            if routine["V"] < 2:
                raise ValueError(f"nc_routines[{i}] ({routine['name']!r}): value range V must be >= 2, got {routine['V']}")
            if self.nc_machine_mode == MachineMode.SOFT:
                try:  # lazy, in try: this file also runs as saved remote code, whose import check skips try blocks
                    from nclib.machine.memory import check_soft_window
                except ImportError as err:
                    raise nclib_import_error(err) from err

                check_soft_window(routine["name"], routine["lo"], routine["V"])

    @property
    def nc_max_args(self) -> int:
        return max([len(r["args"]) for r in self.nc_routines] + [1])


def nc_field_names() -> set[str]:
    """The reasoning-module fields of `NCLlamaConfig` (every `nc_*` setting it knows)."""
    return {f.name for f in dataclasses.fields(NCLlamaConfig) if f.name.startswith("nc_")}


def unknown_field_message(name: str) -> str:
    """One line naming an unknown `nc_*` setting and the closest real one."""
    close = difflib.get_close_matches(name, sorted(nc_field_names()), n=1)
    hint = f"did you mean {close[0]}?" if close else f"the nc_* fields are {', '.join(sorted(nc_field_names()))}"
    return f"unknown NCLlama config field {name!r}: {hint}"


__all__ = ["MachineMode", "NCLlamaConfig", "WriterKind"]

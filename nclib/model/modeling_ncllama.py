"""NCLlamaForCausalLM: a LLaMA causal LM whose logits pass through the reasoning module."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import GenerationMixin, LlamaConfig, LlamaForCausalLM, LlamaModel
from transformers.cache_utils import Cache
from transformers.modeling_outputs import CausalLMOutputWithPast
from transformers.models.llama.modeling_llama import LlamaPreTrainedModel

from .configuration_ncllama import MachineMode, NCLlamaConfig, nc_field_names, unknown_field_message
from .errors import CorruptWeightsError, LibraryMismatchError, MissingModuleWeightsError, ModelPathError, UnsupportedBaseModelError
from .library import fingerprint, library_fields
# absolute: the reasoning module is a package, and transformers' remote-code copy follows only
# single-file relative imports (a trust_remote_code load needs nclib installed anyway: the library
# is recompiled from its source by nclib's compiler). Inside try: transformers' import check skips
# it, which would otherwise tell a user without nclib to `pip install nclib`, the registry's netcat library.
from .remote_code import nclib_import_error
try:
    from nclib.util.atomic import atomic_directory
    from nclib.errors import ArgumentError
    from nclib.model.reasoning import CallState, NCCall, NCReader, NCRouter, NCWriter, ReasoningModule
except (ImportError, AttributeError) as err:
    raise nclib_import_error(err) from err
from .tokens import number_token_fields

# LlamaConfig fields that describe a checkpoint file rather than the architecture.
_DROP_FROM_BASE = ("quantization_config", "_name_or_path", "architectures", "auto_map", "model_type",
                   "transformers_version", "_commit_hash", "dtype", "torch_dtype")


@dataclass
class NCLlamaOutput(CausalLMOutputWithPast):
    """CausalLMOutputWithPast plus the reasoning module's per-example report ([B] tensors).

    nc_status: `CallStatus` codes; nc_routine: routine index (-1: none); nc_trigger: trigger column;
    nc_steps / nc_remainder: machine steps and unhalted mass; nc_losses: the auxiliary losses
    (router, reader, remainder) that were added to `loss`; nc_state: carried by `generate()`;
    nc_args: per example the arguments the routine ran on, as Python values (soft mode: the most
    likely ones), or None where no call ran; nc_fired: how often the router fired on its own in the
    sequence so far (dropped calls included; 0 when every call was teacher-forced).
    """

    nc_status: torch.Tensor | None = None
    nc_routine: torch.Tensor | None = None
    nc_trigger: torch.Tensor | None = None
    nc_steps: torch.Tensor | None = None
    nc_remainder: torch.Tensor | None = None
    nc_losses: dict | None = None
    nc_state: CallState | None = None
    nc_args: list | None = None
    nc_fired: torch.Tensor | None = None


class NCLlamaPreTrainedModel(LlamaPreTrainedModel):
    config_class = NCLlamaConfig
    config: NCLlamaConfig
    base_model_prefix = "model"
    supports_gradient_checkpointing = True
    _no_split_modules = ["LlamaDecoderLayer"]

    def _init_weights(self, module):
        if isinstance(module, (NCRouter, NCReader, NCWriter)):
            module.reset_parameters()
        elif isinstance(module, ReasoningModule):
            module.reset_parameters()
        else:
            super()._init_weights(module)


class NCLlamaForCausalLM(NCLlamaPreTrainedModel, GenerationMixin):
    _tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: NCLlamaConfig):
        super().__init__(config)
        self.model = LlamaModel(config)
        self.vocab_size = config.vocab_size
        self.lm_head = torch.nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.reasoning = ReasoningModule(config)
        self.post_init()

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        nc_call: NCCall | dict | None = None,
        nc_state: CallState | None = None,
        **kwargs,
    ) -> NCLlamaOutput:
        r"""Like `LlamaForCausalLM.forward`, plus:

        nc_call: a teacher-forced call (`NCCall` or a dict with `trigger`, `routine`, `args`); the
            router and reader then get supervised losses and the call uses the given routing.
        nc_state: the reasoning state of the previous generation step (generate() passes it).
        """
        past_len = cache.get_seq_length() if cache is not None else 0
        seen = {}
        handle = None
        if self.config.nc_router_layer is not None:  # the router reads decoder layer k's output
            layer = self.model.layers[self.config.nc_router_layer - 1]
            handle = layer.register_forward_hook(lambda m, a, out: seen.__setitem__("h", out[0] if isinstance(out, tuple) else out))
        try:
            outputs = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                                 cache=cache, inputs_embeds=inputs_embeds, use_cache=use_cache, **kwargs)
        finally:
            if handle is not None:
                handle.remove()
        hidden = outputs.last_hidden_state  # [B, T, H]
        route_hidden = seen.get("h")  # [B, T, H] or None: the router reads `hidden`
        B, T, _ = hidden.shape
        if attention_mask is not None and attention_mask.dim() == 2:
            valid = attention_mask[:, -T:].bool()
        else:
            valid = torch.ones(B, T, dtype=torch.bool, device=hidden.device)
        if isinstance(nc_call, dict):
            nc_call = NCCall(**nc_call)
        if nc_state is not None and past_len == 0:
            nc_state = None  # a fresh prompt
        plan, state, aux = self.reasoning(hidden, input_ids, valid, past_len, nc_call, nc_state,
                                          keep_history=bool(use_cache) and not self.training, route_hidden=route_hidden)
        if plan.hidden_delta is not None:
            hidden = hidden + plan.hidden_delta
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) and logits_to_keep > 0 else slice(None)
        if isinstance(logits_to_keep, torch.Tensor):
            keep = logits_to_keep
        logits = self.lm_head(hidden[:, keep])
        if plan.tape_rows is not None:
            plan.mask, plan.gate, plan.tape_rows = plan.mask[:, keep], plan.gate[:, keep], plan.tape_rows[:, keep]
            logits = self.reasoning.mix_logits(logits, plan)

        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.vocab_size, **kwargs)
            weights = {"router": self.config.nc_router_loss_weight, "reader": self.config.nc_reader_loss_weight,
                       "remainder": self.config.nc_remainder_loss_weight}
            for k, v in aux.items():
                loss = loss + weights[k] * v
        return NCLlamaOutput(
            loss=loss, logits=logits, cache=outputs.cache, hidden_states=outputs.hidden_states, attentions=outputs.attentions,
            nc_status=state.status, nc_routine=state.routine, nc_trigger=state.trigger, nc_steps=state.steps,
            nc_remainder=state.remainder, nc_losses=aux, nc_state=state if use_cache else None, nc_args=state.args,
            nc_fired=state.fired,
        )

    def generate(self, *args, **kwargs):
        """`GenerationMixin.generate`; greedy and sampling carry the reasoning state between steps.
        Beam search would reorder the KV cache but not that state, so it is refused."""
        config = kwargs.get("generation_config") or self.generation_config
        beams = kwargs.get("num_beams") or getattr(config, "num_beams", 1) or 1
        if beams > 1 and self.config.nc_routines:
            raise NotImplementedError(f"num_beams={beams}: beam search is not supported with the reasoning module "
                                      "(its call state is not reordered with the beams); use greedy decoding or sampling")
        return super().generate(*args, **kwargs)

    def _update_model_kwargs_for_generation(self, outputs, model_kwargs, is_encoder_decoder=False, num_new_tokens=1):
        model_kwargs = super()._update_model_kwargs_for_generation(outputs, model_kwargs, is_encoder_decoder, num_new_tokens)
        if getattr(outputs, "nc_state", None) is not None:
            model_kwargs["nc_state"] = outputs.nc_state
        return model_kwargs

    # --- construction from a base LLaMA -------------------------------------------------------

    @classmethod
    def from_base(cls, model_or_path, library=None, tokenizer=None, *, gguf_file: str | None = None,
                  separator: str = ", ", end_token_ids: list[int] | None = None, symbols: list[str] | None = None,
                  labels: dict[str, list[str]] | None = None, symbol_routines: list[str] | None = None,
                  **reasoning_kwargs) -> "NCLlamaForCausalLM":
        """Wrap a LLaMA-family causal LM with the reasoning module.

        model_or_path: a `LlamaForCausalLM`, a `LlamaConfig` (random weights), a local checkpoint
            directory (LLaMA 3.2 1B/3B, ...; `gguf_file=` for a GGUF inside it), or "smollm2" for
            the embedded SmolLM2-135M-Instruct default.
        library: an `nclib.Library`, a list of `Program`s, or None (no routines: never fires).
        tokenizer: needed to learn how numbers are tokenized; loaded from the directory or the
            embedded default when not given.
        symbols: words read as values like numbers, in value order (symbols[k] has value k); each
            must be one token, e.g. the rooms [" lobby", " A", ...] of the graph task.
        symbol_routines: the routines whose arguments may be symbols (default: every routine); the
            others never point at a symbol, so "F(9)" is not read as room F by a Fibonacci routine.
        labels: {routine: [text for output value lo, lo + 1, ...]}, written instead of the number,
            e.g. {"reachable": [" No", " Yes"]}.
        reasoning_kwargs: any `nc_*` config field (e.g. nc_writer="value_head", nc_machine_mode="hard").

        The backbone's modules are reused as they are (no copy); its outputs are unchanged wherever
        the module does not fire, which is everywhere until the router is trained or a call is forced.
        """
        unknown = [k for k in reasoning_kwargs if k not in nc_field_names()]
        if unknown:
            raise ArgumentError(f"from_base: {unknown_field_message(unknown[0])} (reasoning_kwargs take NCLlama's nc_* config fields)")
        base, tokenizer = _load_base(model_or_path, tokenizer, gguf_file)
        base_dict = {k: v for k, v in base.config.to_dict().items() if k not in _DROP_FROM_BASE}
        fields, tensors = library_fields(library)
        if tokenizer is not None:
            fields.update(number_token_fields(tokenizer, separator=separator, end_token_ids=end_token_ids))
        elif fields["nc_routines"]:
            raise ValueError("from_base needs tokenizer= to read and write numbers (the model was passed without one)")
        if symbols or labels:
            if tokenizer is None:
                raise ValueError("from_base needs tokenizer= to encode symbols= and labels=")
            fields.update(_symbol_and_label_fields(tokenizer, fields["nc_routines"], symbols or [], labels or {},
                                                   symbol_routines))
        fields.update(reasoning_kwargs)
        config = NCLlamaConfig(**base_dict, **fields)
        if config.nc_machine_mode == MachineMode.SOFT:
            try:  # in try: transformers' remote-code import check skips it (see the nclib imports above)
                from nclib.machine.memory import MODEL_ALTERNATIVE, check_soft_run
            except ImportError as err:
                raise nclib_import_error(err) from err

            for prog in _routine_programs(library):  # one call; a batch of calls needs more
                check_soft_run(prog.asm, 1, torch.float32, "cpu", alternative=MODEL_ALTERNATIVE)
        config.dtype = base.dtype
        with torch.device("meta"):
            model = cls(config)
        model.model, model.lm_head = base.model, base.lm_head
        model.reasoning = ReasoningModule(config)
        model.reasoning.apply(model._init_weights)
        model.reasoning.library.load_from(tensors)
        model.generation_config = base.generation_config
        return model

    # --- save / load with the library check --------------------------------------------------

    def save_pretrained(self, save_directory, *args, **kwargs):
        """`PreTrainedModel.save_pretrained`, all or nothing: the new checkpoint replaces the
        directory in one step (other files there, e.g. a tokenizer's, are kept), and a path that
        is a file raises SaveError instead of saving nothing."""
        self.reasoning.library.upgrade_manifest()  # a checkpoint of an earlier format is saved in the current one
        self.config.nc_library_fingerprint = self.reasoning.library.fingerprint()
        writes = args[0] if args else kwargs.get("is_main_process", True)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            writes = writes and torch.distributed.get_rank() == 0
        if not writes:
            return super().save_pretrained(save_directory, *args, **kwargs)  # saves nothing on this rank
        if kwargs.get("push_to_hub"):
            kwargs.setdefault("repo_id", os.path.basename(os.path.abspath(save_directory)))
        weights = ("model.safetensors", "model-", "pytorch_model")  # rewritten by every save: not copied first
        with atomic_directory(save_directory, keep=lambda name: not name.startswith(weights)) as tmp:
            return super().save_pretrained(tmp, *args, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, library=None, fresh_reasoning: bool = False, **kwargs):
        """`PreTrainedModel.from_pretrained`, then a check that the library tensors are the ones
        saved (fingerprint), and, with `library=`, that the checkpoint holds that library.

        A name that is not an existing directory fails at once when it looks like a path, when the
        hub is switched off (HF_HUB_OFFLINE) or cannot be reached (unless the hub cache holds it).
        A checkpoint without the reasoning module's weights (router, reader, writer) is refused:
        fresh weights would silently give a model that never calls. `fresh_reasoning=True` accepts
        that and starts each module with missing weights fresh, as from_base does (closed router),
        keeping the saved weights of the others (the library tensors must still be there)."""
        kwargs = _resolve_model_name(pretrained_model_name_or_path, kwargs)
        with_info = kwargs.pop("output_loading_info", False)
        from safetensors import SafetensorError

        try:
            model, info = super().from_pretrained(pretrained_model_name_or_path, *args, output_loading_info=True, **kwargs)
        except SafetensorError as err:
            raise CorruptWeightsError(f"{_unreadable_weights(pretrained_model_name_or_path)}: the weights are corrupt or "
                                      f"truncated ({err}); save the model again or copy the file whole") from None
        missing = sorted(k for k in info.get("missing_keys", ()) if k.startswith("reasoning."))
        library_missing = [k for k in missing if k.startswith("reasoning.library.")]
        if missing and (library_missing or not fresh_reasoning):
            shown = library_missing or missing
            more = f" and {len(shown) - 4} more" if len(shown) > 4 else ""
            what = ("the library tensors, which cannot be rebuilt" if library_missing else
                    "its router/reader/writer weights: a fresh module never calls; pass fresh_reasoning=True to start them fresh")
            raise MissingModuleWeightsError(f"{pretrained_model_name_or_path}: the checkpoint lacks reasoning-module weights "
                                            f"{', '.join(shown[:4])}{more} ({what})")
        for part in sorted({k.split(".")[1] for k in missing}):  # transformers' init of the leaves is not the module's
            getattr(model.reasoning, part).reset_parameters()
        model.check_library(library)
        return (model, info) if with_info else model

    def check_library(self, library=None) -> None:
        """Raise LibraryMismatchError if the tensors do not match the saved fingerprint, a routine
        compiles to another program with this nclib, or the checkpoint's routines differ from
        `library` (an nclib Library / list of Programs). A checkpoint of the format before
        `nclib.Library.manifest()` is checked against the hashes it was saved with, then its config
        is upgraded to the current manifest and fingerprint."""
        lib = self.reasoning.library
        got = lib.fingerprint()
        want = self.config.nc_library_fingerprint
        if self.config.nc_routines:
            lib.programs()  # recompiles and checks every routine's program hash now, not at the first call
        if want is None and self.config.nc_library_tensors:
            raise LibraryMismatchError(
                "the config's nc_library_fingerprint is null, so the library tensors cannot be checked against it; "
                "restore the value saved with the model (save_pretrained writes it)")
        if want is not None and got != want:
            raise LibraryMismatchError(
                f"the library tensors in the checkpoint do not match its config (fingerprint {got[:12]} != {want[:12]}): "
                "the weights file is corrupt, incomplete, or from another library")
        lib.upgrade_manifest()
        if library is not None:
            expected = _as_library(library)
            theirs = [(r["name"], r["program_sha256"]) for r in expected.manifest()["routines"]]
            mine = [(r["name"], r["program_sha256"]) for r in (self.config.nc_library or {}).get("routines", [])]
            if mine != theirs:
                raise LibraryMismatchError(f"checkpoint library routines {[n for n, _ in mine]} differ from the expected "
                                           f"library {[n for n, _ in theirs]} (names or compiled programs)")
            got, want = lib.fingerprint(), fingerprint(expected)
            if got != want and not self.config.nc_train_library:
                raise LibraryMismatchError(f"checkpoint library tensors differ from the expected library's tensors "
                                           f"(fingerprint {got[:12]} != {want[:12]})")


def _single_token(tokenizer, text: str, what: str) -> int:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        raise ValueError(f"{what} {text!r} must be a single token, the tokenizer splits it into {ids}")
    return ids[0]


def _symbol_and_label_fields(tokenizer, routines: list, symbols: list[str], labels: dict, symbol_routines=None) -> dict:
    """The nc_symbol_tokens field, each routine's "labels" token ids and its "symbols" flag."""
    names = [r["name"] for r in routines]
    for what, given in (("labels=", labels), ("symbol_routines=", symbol_routines or [])):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise KeyError(f"{what} names routines {unknown} that are not in the library {names}")
    if symbols:
        for r in routines:
            r["symbols"] = symbol_routines is None or r["name"] in symbol_routines
    for r in routines:
        if r["name"] in labels:
            texts = labels[r["name"]]
            r["labels"] = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
            empty = [t for t, ids in zip(texts, r["labels"]) if not ids]
            if empty:
                raise ValueError(f"labels of {r['name']!r}: {empty} tokenize to nothing")
    tokens = {str(_single_token(tokenizer, s, "symbol")): k for k, s in enumerate(symbols)}
    if len(tokens) != len(symbols):
        raise ValueError(f"symbols must be distinct tokens, got {symbols}")
    return {"nc_symbol_tokens": tokens or None}


def _load_base(model_or_path, tokenizer, gguf_file):
    """-> (LlamaForCausalLM, tokenizer or None), refusing anything that is not LLaMA-family."""
    from .defaults import load_smollm2, load_smollm2_tokenizer

    if isinstance(model_or_path, str) and model_or_path.lower() == "smollm2":
        return load_smollm2(), tokenizer if tokenizer is not None else load_smollm2_tokenizer()
    if isinstance(model_or_path, LlamaConfig) or (hasattr(model_or_path, "model_type") and not hasattr(model_or_path, "forward")):
        _check_llama(model_or_path)
        if isinstance(model_or_path, NCLlamaConfig):
            raise UnsupportedBaseModelError("from_base takes a base LLaMA config, got an NCLlamaConfig")
        return LlamaForCausalLM(model_or_path), tokenizer
    if isinstance(model_or_path, (str, os.PathLike)):
        path = os.fspath(model_or_path)
        if not os.path.isdir(path):
            raise FileNotFoundError(f"from_base: {path!r} is not a local directory (no hub access); pass a LlamaForCausalLM, "
                                    "a LlamaConfig, a local checkpoint directory, or 'smollm2'")
        if gguf_file is None:
            from transformers import AutoConfig

            _check_llama(AutoConfig.from_pretrained(path))
        base = LlamaForCausalLM.from_pretrained(path, gguf_file=gguf_file) if gguf_file else LlamaForCausalLM.from_pretrained(path)
        _check_llama(base.config)
        if tokenizer is None:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(path, gguf_file=gguf_file) if gguf_file else AutoTokenizer.from_pretrained(path)
        return base, tokenizer
    if isinstance(model_or_path, NCLlamaForCausalLM):
        raise UnsupportedBaseModelError("from_base was given an NCLlamaForCausalLM; it is already wrapped")
    if not isinstance(model_or_path, LlamaForCausalLM):
        _check_llama(getattr(model_or_path, "config", None), type(model_or_path).__name__)
    return model_or_path, tokenizer


def _as_library(library):
    """`library` (an nclib.Library, a list of Programs, one Program or None) as an nclib.Library."""
    try:  # in try: transformers' remote-code import check skips it (see the nclib imports above)
        from nclib.runtime.library import Library
    except ImportError as err:
        raise nclib_import_error(err) from err
    return Library.of(library)


def _routine_programs(library) -> list:
    """The Programs of `library` (an nclib.Library, a list of Programs or one Program)."""
    return list(_as_library(library))


def _hub_reachable(timeout: float = 2.0) -> bool:
    """Whether the hub endpoint accepts a TCP connection within `timeout` seconds (the name
    lookup runs in a thread, since it cannot be given a timeout itself)."""
    import socket
    import threading
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    ok = []

    def probe():
        try:
            socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
            ok.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(ok)


def _unreadable_weights(directory) -> str:
    """The safetensors file(s) of a model directory whose header cannot be read, else the directory."""
    from safetensors import SafetensorError, safe_open

    bad = []
    for path in sorted(Path(directory).glob("*.safetensors")) if os.path.isdir(directory) else []:
        try:
            with safe_open(str(path), "pt"):
                pass
        except (SafetensorError, OSError):
            bad.append(str(path))
    return ", ".join(bad) or str(directory)


def _resolve_model_name(name, kwargs: dict) -> dict:
    """Fail at once, naming the path, for a model name that is neither a directory nor loadable
    from the hub; a hub id that only the cache holds loads with local_files_only."""
    import re

    if not isinstance(name, (str, os.PathLike)) or os.path.isdir(os.fspath(name)):
        return kwargs
    path = os.fspath(name)
    hint = "pass the directory a model was saved to (save_pretrained / nclib train output_dir/final)"
    hub_id = re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?", path) is not None and not path.endswith((".", "-"))
    if not hub_id:
        raise ModelPathError(f"model directory {path!r} does not exist ({os.path.abspath(os.path.expanduser(path))}); {hint}")
    from huggingface_hub import try_to_load_from_cache

    cached = isinstance(try_to_load_from_cache(path, "config.json"), str)
    flags = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    offline = kwargs.get("local_files_only") or any(os.environ.get(f, "").lower() in ("1", "true", "yes", "on") for f in flags)
    if not offline and not _hub_reachable():
        offline = True
        kwargs = {**kwargs, "local_files_only": True}
    if offline and not cached:
        raise ModelPathError(f"{path!r} is not a local directory and the Hugging Face hub is offline or unreachable "
                             f"(nothing cached under that id); {hint}")
    return kwargs


def _check_llama(config, cls_name: str | None = None) -> None:
    model_type = getattr(config, "model_type", None)
    if model_type != "llama" or cls_name not in (None, "LlamaForCausalLM"):
        raise UnsupportedBaseModelError(
            f"NCLlama wraps LLaMA-family causal LMs (model_type 'llama', LlamaForCausalLM); got model_type "
            f"{model_type!r}{f' ({cls_name})' if cls_name else ''}")


__all__ = ["NCLlamaForCausalLM", "NCLlamaOutput", "NCLlamaPreTrainedModel"]
